import MatteImaging

/// The per-row loops of `AlphaExpander`, kept free of tables and branches so they vectorise.
package enum AlphaKernels {
    /// alpha = clamp((a · Y' + b)) · 255 with a, b interpolated between two widened rows and
    /// Y' = (Y − 16) / 219 read from the luma bytes of a YUYV row (every second byte).
    public static func alphaRow(
        topA: UnsafePointer<Float>,
        topB: UnsafePointer<Float>,
        bottomA: UnsafePointer<Float>,
        bottomB: UnsafePointer<Float>,
        weight: Float,
        luma: UnsafePointer<UInt8>,
        into out: UnsafeMutablePointer<UInt8>,
        width: Int
    ) {
        let lumaScale: Float = 1 / 219
        let lumaOffset: Float = -16 / 219
        for x in 0..<width {
            let slope = topA[x] + (bottomA[x] - topA[x]) * weight
            let offset = topB[x] + (bottomB[x] - topB[x]) * weight
            let guide = Float(luma[x &* 2]) * lumaScale + lumaOffset
            out[x] = MaskUpscaler.unitToByte(slope * guide + offset)
        }
    }

    /// Lays per-pixel alpha out per YUYV byte: lumas take their pixel's alpha, both chroma bytes the pair's mean.
    public static func spreadToYUYV(_ alpha: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<UInt8>, pairs: Int) {
        for pair in 0..<pairs {
            let left = UInt16(alpha[pair &* 2])
            let right = UInt16(alpha[pair &* 2 &+ 1])
            let mean = UInt8(truncatingIfNeeded: (left &+ right &+ 1) &>> 1)
            out[pair &* 4] = UInt8(truncatingIfNeeded: left)
            out[pair &* 4 &+ 1] = mean
            out[pair &* 4 &+ 2] = UInt8(truncatingIfNeeded: right)
            out[pair &* 4 &+ 3] = mean
        }
    }
}
