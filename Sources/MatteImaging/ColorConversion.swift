/// BT.601 limited-range YUV ↔ RGB, the encoding webcams use for YUYV.
///
/// Fixed-point with 8 fractional bits: R = (298·(Y−16) + 409·(V−128) + 128) >> 8, and so on.
public enum BT601 {
    @inline(__always)
    static func clampByte(_ value: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: min(max(value, 0), 255))
    }

    /// One pixel to RGB; `y`, `u`, `v` are the raw bytes.
    @inline(__always)
    public static func rgb(y: UInt8, u: UInt8, v: UInt8) -> (r: UInt8, g: UInt8, b: UInt8) {
        let c = 298 &* (Int32(y) &- 16) &+ 128
        let d = Int32(u) &- 128
        let e = Int32(v) &- 128
        return (
            clampByte((c &+ 409 &* e) &>> 8),
            clampByte((c &- 100 &* d &- 208 &* e) &>> 8),
            clampByte((c &+ 516 &* d) &>> 8)
        )
    }

    /// Converts a packed YUYV image to packed RGB24 of the same size.
    public static func yuyvToRGB24(
        _ source: UnsafePointer<UInt8>,
        sourceRowBytes: Int,
        _ destination: UnsafeMutablePointer<UInt8>,
        destinationRowBytes: Int,
        width: Int,
        height: Int
    ) {
        for row in 0..<height {
            let src = source + row &* sourceRowBytes
            let dst = destination + row &* destinationRowBytes
            for pair in 0..<(width / 2) {
                let s = src + pair &* 4
                let d = dst + pair &* 6
                let u = s[1]
                let v = s[3]
                let left = rgb(y: s[0], u: u, v: v)
                let right = rgb(y: s[2], u: u, v: v)
                d[0] = left.r
                d[1] = left.g
                d[2] = left.b
                d[3] = right.r
                d[4] = right.g
                d[5] = right.b
            }
        }
    }

    public static func yuyvToRGB24(_ source: PixelBuffer, into destination: PixelBuffer) {
        precondition(source.format == .yuyv && destination.format == .rgb24, "yuyvToRGB24 takes YUYV to RGB24")
        precondition(source.width == destination.width && source.height == destination.height, "sizes differ")
        yuyvToRGB24(
            source.base,
            sourceRowBytes: source.rowBytes,
            destination.base,
            destinationRowBytes: destination.rowBytes,
            width: source.width,
            height: source.height
        )
    }
}

extension BT601 {
    /// One full-range RGB colour to limited-range Y, U, V (rounded).
    public static func yuv(r: UInt8, g: UInt8, b: UInt8) -> (y: UInt8, u: UInt8, v: UInt8) {
        let (r, g, b) = (Double(r), Double(g), Double(b))
        func byte(_ value: Double) -> UInt8 { UInt8(min(max(value.rounded(), 0), 255)) }
        return (
            byte(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
            byte(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255),
            byte(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255)
        )
    }
}
