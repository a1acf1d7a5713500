import MatteImaging

/// Byte-wise kernels over packed frames whose alpha is laid out per byte (see `AlphaExpander`): one
/// alpha byte for every frame byte, so YUYV, RGB24 and grey frames all blend with the same loop.
///
/// The blend arithmetic is 16-bit: fg · a + bg · (255 − a) + 128 ≤ 65153 and t + (t >> 8) ≤ 65407, so it
/// never wraps, and 16-bit lanes vectorise twice as wide as 32-bit ones.
package enum BlendKernels {
    /// out = (fg · a + bg · (255 − a)) / 255, rounded; `out` may alias `foreground` or `background`.
    @inline(__always)
    public static func blend(
        foreground: UnsafePointer<UInt8>,
        background: UnsafePointer<UInt8>,
        alpha: UnsafePointer<UInt8>,
        into out: UnsafeMutablePointer<UInt8>,
        count: Int
    ) {
        for index in 0..<count {
            let a = UInt16(alpha[index])
            let t = UInt16(foreground[index]) &* a &+ UInt16(background[index]) &* (255 &- a) &+ 128
            out[index] = UInt8(truncatingIfNeeded: (t &+ (t &>> 8)) &>> 8)
        }
    }

    /// out = (top · (256 − w) + bottom · w + 128) / 256, w in 0…256: a row between two rows.
    public static func interpolate(
        _ top: UnsafePointer<UInt8>,
        _ bottom: UnsafePointer<UInt8>,
        weight: UInt32,
        into out: UnsafeMutablePointer<UInt8>,
        count: Int
    ) {
        let w = UInt16(weight)
        for index in 0..<count {
            // top · (256 − w) + bottom · w + 128 ≤ 65408: fits 16 bits.
            out[index] = UInt8(
                truncatingIfNeeded: (UInt16(top[index]) &* (256 &- w) &+ UInt16(bottom[index]) &* w &+ 128) &>> 8
            )
        }
    }

    /// Draws a premultiplied overlay: out = out · (255 − a) / 255 + premultiplied.
    public static func overlay(
        premultiplied: UnsafePointer<UInt8>,
        alpha: UnsafePointer<UInt8>,
        onto out: UnsafeMutablePointer<UInt8>,
        count: Int
    ) {
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
}
