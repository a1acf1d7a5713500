import CV4L2
import MatteV4L2

#if canImport(Glibc)
import Glibc
#endif

/// The virtual camera read back as any application reads it: the format its producer set, mmap streaming, so
/// a preview shows exactly what a call app gets (and counts as a reader, so Matte processes while it is open).
public final class LoopbackCapture {
    /// The layouts Matte writes (`--output-format yuyv|i420`).
    public enum Layout: Sendable {
        /// Packed 4:2:2, `bytesPerLine` per row.
        case yuyv
        /// Planar 4:2:0: Y, then U, then V, each chroma row `bytesPerLine / 2` bytes.
        case i420
    }

    /// One frame as the driver holds it; valid only inside the `next` call that hands it out.
    public struct Frame {
        public let bytes: UnsafeRawBufferPointer
        /// The driver's frame counter, which skips when frames were dropped.
        public let sequence: UInt32
    }

    public let device: VideoDevice
    public let layout: Layout
    public let width: Int
    public let height: Int
    public let bytesPerLine: Int
    private let streams: StreamingBuffers

    /// A device that is a virtual camera but has nothing to read yet: with `exclusive_caps=1` v4l2loopback offers
    /// capture only once a producer wrote a frame. Retrying later is the answer.
    public static func isWaiting(_ error: DeviceError) -> Bool { error.code == EAGAIN }

    public init(path: String) throws(DeviceError) {
        let device = try VideoDevice(path: path)
        let caps = try device.capabilities()
        guard caps.isLoopback else {
            throw DeviceError(path, "is not a virtual camera (\(caps.card), driver \(caps.driver)); see matte devices")
        }
        guard caps.canCapture, caps.canStream else {
            throw DeviceError(path, "has no picture yet: matte is not writing to it", code: EAGAIN)
        }
        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        // The producer chose the format; a reader that set one could change what every app gets.
        try device.control(matte_VIDIOC_G_FMT, &format, "reading the format")
        let pixelFormat = FourCC(format.fmt.pix.pixelformat)
        let (width, height) = (Int(format.fmt.pix.width), Int(format.fmt.pix.height))
        let layout: Layout
        switch pixelFormat {
        case .yuyv: layout = .yuyv
        case .i420: layout = .i420
        default: throw DeviceError(path, "carries \(pixelFormat), not YUYV or YU12 (I420), which Matte writes")
        }
        guard width > 0, height > 0, width % 2 == 0, height % 2 == 0 else {
            throw DeviceError(path, "reports a \(width)x\(height) picture")
        }
        let packedRow = layout == .yuyv ? width * 2 : width
        let bytesPerLine = max(Int(format.fmt.pix.bytesperline), packedRow)
        (self.device, self.layout, self.width, self.height, self.bytesPerLine) = (
            device, layout, width, height, bytesPerLine
        )
        streams = try StreamingBuffers(
            device: device,
            count: 4,
            goneMessage: "the virtual camera went away (v4l2loopback unloaded?)"
        )
    }

    /// The bytes a whole frame takes at `bytesPerLine`.
    public var frameBytes: Int {
        switch layout {
        case .yuyv: return bytesPerLine * height
        case .i420: return bytesPerLine * height + 2 * (bytesPerLine / 2) * (height / 2)
        }
    }

    /// Waits up to `timeout` ms for the next frame and hands it to `body`; false when none came (or a short,
    /// damaged one, which is skipped). Throws when the device is gone.
    public func next(timeout: Int32, _ body: (Frame) -> Void) throws(DeviceError) -> Bool {
        let needed = frameBytes
        let shown = try streams.next(timeout: timeout) { data, buffer -> Bool in
            guard data.count >= needed, buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) == 0 else { return false }
            body(Frame(bytes: UnsafeRawBufferPointer(rebasing: data[0..<needed]), sequence: buffer.sequence))
            return true
        }
        return shown ?? false
    }
}
