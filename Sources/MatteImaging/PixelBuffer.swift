import MatteMemory

/// Pixel layouts Matte handles without conversion.
public enum PixelFormat: String, Sendable, CaseIterable {
    /// Packed 8-bit R, G, B.
    case rgb24
    /// Packed 4:2:2: Y0 U Y1 V per pair of pixels (V4L2_PIX_FMT_YUYV), BT.601 limited range.
    case yuyv
    /// One 8-bit channel (masks, grey images).
    case gray8
    /// Packed 8-bit R, G, B, A (straight alpha): overlays.
    case rgba32

    /// Bytes per row for a tightly packed image of `width` pixels.
    public func packedRowBytes(width: Int) -> Int {
        switch self {
        case .rgb24: return width * 3
        case .yuyv: return width * 2
        case .gray8: return width
        case .rgba32: return width * 4
        }
    }
}

/// An owned, tightly packed image in one of the `PixelFormat`s.
///
/// Allocated once and reused frame after frame; kernels read and write it through raw pointers.
public final class PixelBuffer {
    public let width: Int
    public let height: Int
    public let format: PixelFormat
    public let rowBytes: Int
    public let bytes: UnsafeMutableRawBufferPointer
    /// `bytes` plus a tail: FFmpeg's SIMD code may read and write a little past the last pixel of a row, which
    /// on the last row would be past the allocation (it corrupted the heap on odd-width pictures).
    private let storage: Plane<UInt8>
    static let tailPadding = 64

    /// A picture small enough not to fail where anything else would not (tests, thumbnails, control replies).
    /// Frames of a user's size go through `allocate`, which throws instead of trapping when memory runs out.
    public convenience init(width: Int, height: Int, format: PixelFormat) {
        let rowBytes = Self.rowBytes(width: width, height: height, format: format)
        self.init(
            width: width,
            height: height,
            format: format,
            storage: Plane(count: rowBytes * height + Self.tailPadding, repeating: 0)
        )
    }

    /// A frame-sized picture, or `OutOfMemory` naming it ("a 3840×2160 frame") when the system refuses the memory.
    public static func allocate(width: Int, height: Int, format: PixelFormat) throws(OutOfMemory) -> PixelBuffer {
        let rowBytes = rowBytes(width: width, height: height, format: format)
        let storage = try Plane<UInt8>(
            count: rowBytes * height + tailPadding,
            repeating: 0,
            for: "a \(width)×\(height) frame"
        )
        return PixelBuffer(width: width, height: height, format: format, storage: storage)
    }

    private static func rowBytes(width: Int, height: Int, format: PixelFormat) -> Int {
        precondition(width > 0 && height > 0, "image size must be positive")
        precondition(format != .yuyv || width % 2 == 0, "YUYV images have an even width")
        return format.packedRowBytes(width: width)
    }

    private init(width: Int, height: Int, format: PixelFormat, storage: Plane<UInt8>) {
        self.width = width
        self.height = height
        self.format = format
        rowBytes = format.packedRowBytes(width: width)
        self.storage = storage
        bytes = UnsafeMutableRawBufferPointer(start: storage.pointer, count: rowBytes * height)
    }

    /// A copy of `data`, which must hold exactly `height` packed rows.
    public convenience init(width: Int, height: Int, format: PixelFormat, copying data: [UInt8]) {
        self.init(width: width, height: height, format: format)
        precondition(data.count == bytes.count, "pixel data has \(data.count) bytes, expected \(bytes.count)")
        data.withUnsafeBytes { bytes.copyMemory(from: $0) }
    }

    public var base: UnsafeMutablePointer<UInt8> { storage.pointer }

    public var array: [UInt8] { Array(bytes) }
}
