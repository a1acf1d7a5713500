/// Per-pixel person effects on packed YUYV rows.
package enum EffectKernels {
    /// Recolours by luma: each luma through `lutY`, the pair's chroma from its mean luma through `lutU`/`lutV`.
    public static func colorMapYUYV(
        _ source: UnsafePointer<UInt8>,
        into out: UnsafeMutablePointer<UInt8>,
        pairs: Int,
        lutY: UnsafePointer<UInt8>,
        lutU: UnsafePointer<UInt8>,
        lutV: UnsafePointer<UInt8>
    ) {
        for pair in 0..<pairs {
            let s = source + pair &* 4
            let o = out + pair &* 4
            let y0 = Int(s[0])
            let y1 = Int(s[2])
            let mean = (y0 &+ y1 &+ 1) &>> 1
            o[0] = lutY[y0]
            o[2] = lutY[y1]
            o[1] = lutU[mean]
            o[3] = lutV[mean]
        }
    }

    /// Scales luma around black (16) by `factor` (fixed point, 256 = 1), chroma unchanged.
    public static func brightnessYUYV(
        _ source: UnsafePointer<UInt8>,
        into out: UnsafeMutablePointer<UInt8>,
        pairs: Int,
        factor: Int32
    ) {
        for pair in 0..<pairs {
            let s = source + pair &* 4
            let o = out + pair &* 4
            @inline(__always) func scaled(_ luma: UInt8) -> UInt8 {
                let value = 16 &+ ((Int32(luma) &- 16) &* factor &+ 128) &>> 8
                return UInt8(truncatingIfNeeded: min(max(value, 0), 255))
            }
            o[0] = scaled(s[0])
            o[1] = s[1]
            o[2] = scaled(s[2])
            o[3] = s[3]
        }
    }

    /// out = clamp(offset + Σ weightᵢ · (inᵢ − offset)) per byte, with per-byte offsets (16 for luma, 128
    /// for chroma): a linear mix in YUV is the same mix in RGB.
    public static func mixYUYV(
        _ first: UnsafePointer<UInt8>,
        _ firstWeight: Int32,
        _ second: UnsafePointer<UInt8>,
        _ secondWeight: Int32,
        into out: UnsafeMutablePointer<UInt8>,
        count: Int
    ) {
        for index in 0..<count {
            let offset: Int32 = (index & 1) == 0 ? 16 : 128
            let value =
                offset
                &+ (((Int32(first[index]) &- offset) &* firstWeight
                    &+ (Int32(second[index]) &- offset) &* secondWeight &+ 128) &>> 8)
            out[index] = UInt8(truncatingIfNeeded: min(max(value, 0), 255))
        }
    }
}
