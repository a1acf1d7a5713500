import MatteImaging

/// Byte-wise kernels over packed frames whose alpha is laid out per byte (see `AlphaExpander`): one
/// alpha byte for every frame byte, so YUYV, RGB24 and grey frames all blend with the same loop.
public enum BlendKernels {
    /// out = (fg · a + bg · (255 − a)) / 255, rounded; `out` may alias `foreground` or `background`.
    @inline(__always)
    public static func blend(foreground: UnsafePointer<UInt8>, background: UnsafePointer<UInt8>,
                             alpha: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<UInt8>, count: Int) {
        for index in 0..<count {
            let a = UInt32(alpha[index])
            let t = UInt32(foreground[index]) &* a &+ UInt32(background[index]) &* (255 &- a) &+ 128
            out[index] = UInt8(truncatingIfNeeded: (t &+ (t &>> 8)) &>> 8)
        }
    }

    /// Like `blend`, with the background a repeated 4-byte pattern (a solid YUYV colour).
    public static func blend(foreground: UnsafePointer<UInt8>, backgroundPattern pattern: (UInt8, UInt8, UInt8, UInt8),
                             alpha: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<UInt8>, count: Int) {
        let p0 = UInt32(pattern.0), p1 = UInt32(pattern.1), p2 = UInt32(pattern.2), p3 = UInt32(pattern.3)
        var index = 0
        while index &+ 4 <= count {
            @inline(__always) func one(_ i: Int, _ bg: UInt32) {
                let a = UInt32(alpha[i])
                let t = UInt32(foreground[i]) &* a &+ bg &* (255 &- a) &+ 128
                out[i] = UInt8(truncatingIfNeeded: (t &+ (t &>> 8)) &>> 8)
            }
            one(index, p0); one(index &+ 1, p1); one(index &+ 2, p2); one(index &+ 3, p3)
            index &+= 4
        }
    }

    /// Draws a premultiplied overlay: out = out · (255 − a) / 255 + premultiplied.
    public static func overlay(premultiplied: UnsafePointer<UInt8>, alpha: UnsafePointer<UInt8>,
                               onto out: UnsafeMutablePointer<UInt8>, count: Int) {
        for index in 0..<count {
            let t = UInt32(out[index]) &* (255 &- UInt32(alpha[index])) &+ 128
            let kept = (t &+ (t &>> 8)) &>> 8
            out[index] = UInt8(truncatingIfNeeded: min(kept &+ UInt32(premultiplied[index]), 255))
        }
    }

    /// Scales every alpha byte by `factor` (0…256 = 0…1), for person opacity.
    public static func scaleAlpha(_ alpha: UnsafeMutablePointer<UInt8>, count: Int, factor: UInt32) {
        for index in 0..<count {
            alpha[index] = UInt8(truncatingIfNeeded: (UInt32(alpha[index]) &* factor) &>> 8)
        }
    }

    /// Mirrors one YUYV row: pixel pairs in reverse order, the two lumas of each pair swapped.
    public static func mirrorYUYVRow(_ source: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<UInt8>, width: Int) {
        let pairs = width / 2
        for pair in 0..<pairs {
            let s = source + pair &* 4, d = out + (pairs &- 1 &- pair) &* 4
            d[0] = s[2]; d[1] = s[1]; d[2] = s[0]; d[3] = s[3]
        }
    }

    public static func mirrorYUYV(_ source: PixelBuffer, into out: PixelBuffer) {
        precondition(source.format == .yuyv && out.format == .yuyv && source.width == out.width
                     && source.height == out.height && source !== out, "mirror takes a distinct YUYV frame of the same size")
        for row in 0..<source.height {
            mirrorYUYVRow(source.base + row * source.rowBytes, into: out.base + row * out.rowBytes, width: source.width)
        }
    }
}
