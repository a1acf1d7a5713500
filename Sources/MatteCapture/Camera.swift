import CV4L2
import MatteImaging
import MatteV4L2

#if canImport(Glibc)
import Glibc
#endif

/// A camera streaming through mmap buffers, delivering frames as YUYV.
public final class Camera {
    public let device: VideoDevice
    public let mode: CaptureMode
    private let streams: StreamingBuffers
    private let bytesPerLine: Int
    private let mjpeg: MJPEGDecoder?
    /// Frames dropped because they could not be decoded.
    public private(set) var corruptFrames = 0
    /// Why the last dropped frame could not be decoded.
    public private(set) var lastCorruption: String?

    /// Opens the camera at `path` in the mode nearest the request and starts streaming.
    public init(path: String, width: Int, height: Int, frameRate: Double) throws(DeviceError) {
        let device = try VideoDevice(path: path)
        let caps = try device.capabilities()
        guard caps.canCapture, caps.canStream, !caps.isLoopback else {
            throw DeviceError(
                path,
                "is not a camera (\(caps.card), driver \(caps.driver)); see `matte devices`",
                unsupported: true
            )
        }
        var modes: [DeviceInfo.Mode] = []
        for (format, name) in device.formats() where CaptureMode.supportedFormats.contains(format) {
            for size in device.frameSizes(format) {
                modes.append(
                    .init(
                        format: format,
                        formatName: name,
                        width: size.width,
                        height: size.height,
                        rates: device.frameRates(format, width: size.width, height: size.height)
                    )
                )
            }
        }
        // A driver that lists no sizes or rates: ask for the request directly and take what it gives.
        let wanted =
            CaptureMode.choose(from: modes, width: width, height: height, frameRate: frameRate)
            ?? CaptureMode(
                format: device.formats().map(\.0).first(where: CaptureMode.supportedFormats.contains) ?? .yuyv,
                width: width,
                height: height,
                frameRate: frameRate
            )

        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        format.fmt.pix.width = UInt32(wanted.width)
        format.fmt.pix.height = UInt32(wanted.height)
        format.fmt.pix.pixelformat = wanted.format.rawValue
        format.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        do { try device.control(matte_VIDIOC_S_FMT, &format, "setting \(wanted)") } catch {
            throw error.code == EBUSY
                ? DeviceError(path, "busy: another program is using the camera", code: EBUSY) : error
        }
        let granted = FourCC(format.fmt.pix.pixelformat)
        guard CaptureMode.supportedFormats.contains(granted), format.fmt.pix.width % 2 == 0 else {
            throw DeviceError(
                path,
                "offers no format Matte reads (YUYV, NV12 or MJPEG); it gave \(granted)",
                unsupported: true
            )
        }
        var parameters = v4l2_streamparm()
        parameters.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        parameters.parm.capture.timeperframe = v4l2_fract(
            numerator: 1000,
            denominator: UInt32((wanted.frameRate * 1000).rounded())
        )
        _ = device.tryControl(matte_VIDIOC_S_PARM, &parameters)
        let fraction = parameters.parm.capture.timeperframe
        let rate = fraction.numerator > 0 ? Double(fraction.denominator) / Double(fraction.numerator) : wanted.frameRate

        self.device = device
        mode = CaptureMode(
            format: granted,
            width: Int(format.fmt.pix.width),
            height: Int(format.fmt.pix.height),
            frameRate: rate
        )
        bytesPerLine = Int(format.fmt.pix.bytesperline)
        mjpeg = granted == .mjpeg || granted == .jpeg ? MJPEGDecoder(width: mode.width, height: mode.height) : nil
        streams = try StreamingBuffers(device: device, count: 4, goneMessage: "the camera stopped (unplugged?)")
    }

    /// Stops streaming and unmaps the buffers; the device closes when the camera is released.
    public func stop() { streams.stop() }

    public enum Next {
        /// A frame was written; its capture time on CLOCK_MONOTONIC, in milliseconds.
        case frame(timestamp: Double)
        /// Nothing arrived within the timeout, or the frame was corrupt and skipped.
        case none
    }

    /// Waits up to `timeout` ms for the next frame and writes it into `out` (YUYV at the camera's size).
    /// Throws when the camera is gone (unplugged) or failing.
    public func next(into out: PixelBuffer, timeout: Int32) throws(DeviceError) -> Next {
        let result = try streams.next(timeout: timeout) { data, buffer -> Next in
            let reported = Double(buffer.timestamp.tv_sec) * 1000 + Double(buffer.timestamp.tv_usec) / 1000
            var clock = timespec()
            clock_gettime(CLOCK_MONOTONIC, &clock)
            let now = Double(clock.tv_sec) * 1000 + Double(clock.tv_nsec) / 1e6
            // Latency is measured from the driver's timestamp when it is on the monotonic clock and plausible; some
            // drivers (vivid among them) offset their clock or copy timestamps, and then arrival is the best we have.
            let isMonotonic =
                buffer.flags & UInt32(V4L2_BUF_FLAG_TIMESTAMP_MASK) == UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
            let timestamp = isMonotonic && reported <= now && now - reported < 1000 ? reported : now
            if buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) != 0 {
                corruptFrames += 1
                return .none
            }
            guard convert(data, into: out) else {
                corruptFrames += 1
                return .none
            }
            return .frame(timestamp: timestamp)
        }
        return result ?? .none
    }

    /// The frame in `data` as YUYV; false when it cannot be (corrupt MJPEG, short buffer).
    private func convert(_ data: UnsafeRawBufferPointer, into out: PixelBuffer) -> Bool {
        let (width, height) = (mode.width, mode.height)
        let stride = max(bytesPerLine, mode.format == .yuyv ? width * 2 : width)
        switch mode.format {
        case .yuyv:
            guard data.count >= stride * (height - 1) + width * 2 else { return false }
            for row in 0..<height {
                (out.base + row * out.rowBytes).update(
                    from: data.baseAddress!.assumingMemoryBound(to: UInt8.self) + row * stride,
                    count: width * 2
                )
            }
        case .nv12:
            let chromaOffset = stride * height
            guard data.count >= chromaOffset + stride * ((height + 1) / 2 - 1) + width else { return false }
            let bytes = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
            FrameConversion.nv12ToYUYV(
                luma: bytes,
                lumaStride: stride,
                chroma: bytes + chromaOffset,
                chromaStride: stride,
                into: out.base,
                outStride: out.rowBytes,
                width: width,
                height: height
            )
        default:
            do { try mjpeg!.decode(data, into: out) } catch {
                lastCorruption = "\(error)"
                return false
            }
        }
        return true
    }
}
