import CV4L2
import MatteImaging
import MatteMemory
import MatteV4L2

#if canImport(Glibc)
import Glibc
#endif

/// Pixel formats the virtual camera can carry.
public enum OutputFormat: String, CaseIterable, Sendable {
    case yuyv, i420

    var fourcc: FourCC { self == .yuyv ? .yuyv : .i420 }
    func frameBytes(width: Int, height: Int) -> Int {
        self == .yuyv ? width * height * 2 : width * height + 2 * ((width / 2) * ((height + 1) / 2))
    }
}

/// The v4l2loopback device Matte writes to: what call apps see as a camera.
public final class LoopbackOutput {
    public let device: VideoDevice
    public let width: Int, height: Int, format: OutputFormat
    private let planar: Plane<UInt8>?

    /// The v4l2loopback options Matte recommends (see docs/live-camera.md).
    public static let recommendedModprobe =
        "sudo modprobe v4l2loopback devices=1 video_nr=10 card_label=Matte exclusive_caps=1 max_buffers=4"

    public init(path: String, width: Int, height: Int, format: OutputFormat, frameRate: Double) throws(DeviceError) {
        let device: VideoDevice
        do { device = try VideoDevice(path: path) } catch {
            if error.code == ENOENT {
                throw DeviceError(
                    path,
                    "no such device: load v4l2loopback first (\(Self.recommendedModprobe))",
                    code: ENOENT
                )
            }
            throw error
        }
        let caps = try device.capabilities()
        guard caps.isLoopback else {
            throw DeviceError(
                path,
                "is not a v4l2loopback device (\(caps.card), driver \(caps.driver)); see `matte devices`"
            )
        }
        var pixel = v4l2_format()
        pixel.type = V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue
        pixel.fmt.pix.width = UInt32(width)
        pixel.fmt.pix.height = UInt32(height)
        pixel.fmt.pix.pixelformat = format.fourcc.rawValue
        pixel.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        pixel.fmt.pix.bytesperline = UInt32(format == .yuyv ? width * 2 : width)
        pixel.fmt.pix.sizeimage = UInt32(format.frameBytes(width: width, height: height))
        pixel.fmt.pix.colorspace = V4L2_COLORSPACE_SMPTE170M.rawValue
        if device.tryControl(matte_VIDIOC_S_FMT, &pixel) != 0 {
            let code = errno
            throw DeviceError(
                path,
                code == EBUSY
                    ? "busy: another program is already sending video to it; stop it or use another loopback device"
                    : "refused \(format.fourcc) \(width)x\(height) (\(String(cString: strerror(code)))): another program may be "
                        + "sending to it, or it was loaded without exclusive_caps=1 (\(Self.recommendedModprobe))",
                code: code
            )
        }
        guard pixel.fmt.pix.width == UInt32(width), pixel.fmt.pix.height == UInt32(height),
            pixel.fmt.pix.pixelformat == format.fourcc.rawValue
        else {
            throw DeviceError(
                path,
                "is fixed at \(FourCC(pixel.fmt.pix.pixelformat)) \(pixel.fmt.pix.width)x\(pixel.fmt.pix.height) "
                    + "by another program; use --output-size to match or reload the module"
            )
        }
        var parameters = v4l2_streamparm()
        parameters.type = V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue
        parameters.parm.output.timeperframe = v4l2_fract(
            numerator: 1000,
            denominator: UInt32((frameRate * 1000).rounded())
        )
        _ = device.tryControl(matte_VIDIOC_S_PARM, &parameters)
        // v4l2loopback 0.12.7 loses the capture capability after a producer that only writes (upstream #470);
        // STREAMON avoids it. 0.15 refuses STREAMON without buffers (EINVAL), which is harmless.
        var type = Int32(V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue)
        _ = device.tryControl(matte_VIDIOC_STREAMON, &type)

        self.device = device
        self.width = width
        self.height = height
        self.format = format
        planar = format == .i420 ? Plane(count: format.frameBytes(width: width, height: height), repeating: 128) : nil
    }

    deinit {
        var type = Int32(V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue)
        _ = device.tryControl(matte_VIDIOC_STREAMOFF, &type)
    }

    /// Sends one YUYV frame (converted to I420 when that is the output format).
    public func send(_ frame: PixelBuffer) throws(DeviceError) {
        precondition(
            frame.format == .yuyv && frame.width == width && frame.height == height,
            "frames are YUYV at the output size"
        )
        let data: UnsafeRawBufferPointer
        if let planar {
            let base = planar.pointer
            let lumaCount = width * height
            let chromaCount = (width / 2) * ((height + 1) / 2)
            FrameConversion.yuyvToI420(
                frame.base,
                stride: frame.rowBytes,
                width: width,
                height: height,
                y: base,
                u: base + lumaCount,
                v: base + lumaCount + chromaCount
            )
            data = UnsafeRawBufferPointer(planar.buffer)
        } else {
            data = UnsafeRawBufferPointer(frame.bytes)
        }
        var written = 0
        while written < data.count {
            let count = Glibc.write(device.fd, data.baseAddress! + written, data.count - written)
            if count < 0 {
                // The device is non-blocking; a full queue means the reader is behind: drop this frame.
                if errno == EAGAIN { return }
                if errno == EINTR { continue }
                throw DeviceError.system(device.path, "writing a frame")
            }
            written += count
        }
    }
}
