import CV4L2

#if canImport(Glibc)
import Glibc
import MatteFileNames
#endif

/// A failed device operation; the description is one line naming the device, what failed and, where
/// there is one, the fix.
public struct DeviceError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public let code: Int32
    /// The device is there but cannot serve Matte however often it is tried (not a camera, no format Matte reads).
    public let unsupported: Bool

    public init(_ path: String, _ message: String, code: Int32 = 0, unsupported: Bool = false) {
        self.path = path
        self.message = message
        self.code = code
        self.unsupported = unsupported
    }

    public var description: String { "\(path): \(message)" }

    public static func system(_ path: String, _ operation: String, code: Int32 = errno) -> DeviceError {
        DeviceError(path, "\(operation) failed: \(String(cString: strerror(code)))", code: code)
    }
}

/// A four-character pixel format code (V4L2 fourcc).
public struct FourCC: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    public static let yuyv = FourCC(matte_V4L2_PIX_FMT_YUYV)
    public static let mjpeg = FourCC(matte_V4L2_PIX_FMT_MJPEG)
    public static let jpeg = FourCC(matte_V4L2_PIX_FMT_JPEG)
    public static let nv12 = FourCC(matte_V4L2_PIX_FMT_NV12)
    public static let i420 = FourCC(matte_V4L2_PIX_FMT_YUV420)

    public var description: String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> (8 * $0)) }, as: UTF8.self)
    }
}

/// An open V4L2 device node.
public final class VideoDevice {
    public let path: String
    public let fd: Int32

    /// Opens `path` read-write (V4L2 needs it for both directions), non-blocking so reads can time out.
    public init(path: String) throws(DeviceError) {
        self.path = path
        var info = stat()
        if FileName.withCString(path, { stat($0, &info) }) == 0, info.st_mode & S_IFMT != S_IFCHR {
            throw DeviceError(
                path,
                "is not a video device; cameras and virtual cameras are /dev/videoN (see matte devices)"
            )
        }
        let fd = FileName.withCString(path) { open($0, O_RDWR | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw DeviceError(path, "no such device", code: code)
            case EACCES:
                throw DeviceError(
                    path,
                    "permission denied: add yourself to group video (sudo usermod -aG video $USER) and log in again",
                    code: code
                )
            case EBUSY: throw DeviceError(path, "busy: another program is using it", code: code)
            default: throw DeviceError.system(path, "open", code: code)
            }
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// One ioctl; EINTR is retried in the shim.
    public func control<T>(_ request: UInt, _ value: inout T, _ operation: String) throws(DeviceError) {
        let result = withUnsafeMutablePointer(to: &value) { matte_ioctl(fd, request, UnsafeMutableRawPointer($0)) }
        guard result == 0 else { throw DeviceError.system(path, operation) }
    }

    /// The same, returning errno instead of throwing (for probing calls where failure is an answer).
    public func tryControl<T>(_ request: UInt, _ value: inout T) -> Int32 {
        let result = withUnsafeMutablePointer(to: &value) { matte_ioctl(fd, request, UnsafeMutableRawPointer($0)) }
        return result == 0 ? 0 : errno
    }

    public struct Capabilities: Sendable {
        public let driver: String
        public let card: String
        /// The capabilities of this node (not of the whole physical device).
        public let deviceCaps: UInt32

        public var canCapture: Bool { deviceCaps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 }
        public var canStream: Bool { deviceCaps & UInt32(V4L2_CAP_STREAMING) != 0 }
        public var isLoopback: Bool { driver == "v4l2 loopback" }
    }

    public func capabilities() throws(DeviceError) -> Capabilities {
        var caps = v4l2_capability()
        let failure = tryControl(matte_VIDIOC_QUERYCAP, &caps)
        if failure == ENOTTY || failure == EINVAL {
            // /dev/null, a tty, or another character device that is not V4L2.
            throw DeviceError(
                path,
                "is not a video device; cameras and virtual cameras are /dev/videoN (see matte devices)",
                code: failure
            )
        }
        guard failure == 0 else { throw DeviceError.system(path, "VIDIOC_QUERYCAP", code: failure) }
        let deviceCaps = caps.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? caps.device_caps : caps.capabilities
        return Capabilities(
            driver: cString(caps.driver),
            card: cString(caps.card),
            deviceCaps: deviceCaps
        )
    }

    /// Pixel formats offered for a buffer type.
    public func formats(type: v4l2_buf_type = V4L2_BUF_TYPE_VIDEO_CAPTURE) -> [(FourCC, String)] {
        var result: [(FourCC, String)] = []
        for index in 0..<64 {
            var description = v4l2_fmtdesc()
            description.index = UInt32(index)
            description.type = type.rawValue
            guard tryControl(matte_VIDIOC_ENUM_FMT, &description) == 0 else { break }
            result.append((FourCC(description.pixelformat), cString(description.description)))
        }
        return result
    }

    /// Frame sizes for a format; stepwise ranges are reduced to the common sizes inside them.
    public func frameSizes(_ format: FourCC) -> [(width: Int, height: Int)] {
        var sizes: [(Int, Int)] = []
        for index in 0..<256 {
            var size = v4l2_frmsizeenum()
            size.index = UInt32(index)
            size.pixel_format = format.rawValue
            guard tryControl(matte_VIDIOC_ENUM_FRAMESIZES, &size) == 0 else { break }
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                sizes.append((Int(size.discrete.width), Int(size.discrete.height)))
            } else {
                let range = size.stepwise
                for (w, h) in Self.commonSizes
                where w >= range.min_width && w <= range.max_width
                    && h >= range.min_height && h <= range.max_height
                {
                    sizes.append((Int(w), Int(h)))
                }
                break
            }
        }
        return sizes
    }

    static let commonSizes: [(UInt32, UInt32)] = [
        (320, 240), (640, 360), (640, 480), (800, 600), (960, 540), (1024, 576),
        (1280, 720), (1280, 960), (1600, 900), (1920, 1080), (2560, 1440), (3840, 2160),
    ]

    /// Frame rates for a format at a size (continuous ranges give their endpoints).
    public func frameRates(_ format: FourCC, width: Int, height: Int) -> [Double] {
        var rates: [Double] = []
        for index in 0..<64 {
            var interval = v4l2_frmivalenum()
            interval.index = UInt32(index)
            interval.pixel_format = format.rawValue
            interval.width = UInt32(width)
            interval.height = UInt32(height)
            guard tryControl(matte_VIDIOC_ENUM_FRAMEINTERVALS, &interval) == 0 else { break }
            if interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                let fraction = interval.discrete
                if fraction.numerator > 0 { rates.append(Double(fraction.denominator) / Double(fraction.numerator)) }
            } else {
                for fraction in [interval.stepwise.min, interval.stepwise.max] where fraction.numerator > 0 {
                    rates.append(Double(fraction.denominator) / Double(fraction.numerator))
                }
                break
            }
        }
        return Array(Set(rates)).sorted(by: >)
    }
}

/// A fixed-size C char array (imported as a tuple) as a String.
func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}
