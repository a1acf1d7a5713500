/// Repacking camera formats into YUYV, the format Matte composites in.
public enum FrameConversion {
    /// NV12 (a Y plane, then interleaved U V at half size both ways) to YUYV: each chroma row serves two rows.
    public static func nv12ToYUYV(
        luma: UnsafePointer<UInt8>,
        lumaStride: Int,
        chroma: UnsafePointer<UInt8>,
        chromaStride: Int,
        into out: UnsafeMutablePointer<UInt8>,
        outStride: Int,
        width: Int,
        height: Int
    ) {
        for y in 0..<height {
            let l = luma + y &* lumaStride
            let c = chroma + (y &>> 1) &* chromaStride
            let o = out + y &* outStride
            for pair in 0..<(width &>> 1) {
                o[pair &* 4] = l[pair &* 2]
                o[pair &* 4 &+ 1] = c[pair &* 2]
                o[pair &* 4 &+ 2] = l[pair &* 2 &+ 1]
                o[pair &* 4 &+ 3] = c[pair &* 2 &+ 1]
            }
        }
    }

    /// Planar YUV (any JPEG subsampling: chroma every `chromaStepX` columns and `chromaStepY` rows as powers
    /// of two) to YUYV. JPEG is full range; `lumaTable`/`chromaTable` map it to the limited range YUYV uses.
    public static func planarToYUYV(
        y: UnsafePointer<UInt8>,
        yStride: Int,
        u: UnsafePointer<UInt8>,
        v: UnsafePointer<UInt8>,
        chromaStride: Int,
        chromaShiftX: Int,
        chromaShiftY: Int,
        lumaTable: UnsafePointer<UInt8>,
        chromaTable: UnsafePointer<UInt8>,
        into out: UnsafeMutablePointer<UInt8>,
        outStride: Int,
        width: Int,
        height: Int
    ) {
        for row in 0..<height {
            let l = y + row &* yStride
            let o = out + row &* outStride
            let chromaRow = (row &>> chromaShiftY) &* chromaStride
            let cu = u + chromaRow
            let cv = v + chromaRow
            for pair in 0..<(width &>> 1) {
                // The pair's chroma sample: its left pixel's column in the chroma plane.
                let c = (pair &* 2) &>> chromaShiftX
                o[pair &* 4] = lumaTable[Int(l[pair &* 2])]
                o[pair &* 4 &+ 1] = chromaTable[Int(cu[c])]
                o[pair &* 4 &+ 2] = lumaTable[Int(l[pair &* 2 &+ 1])]
                o[pair &* 4 &+ 3] = chromaTable[Int(cv[c])]
            }
        }
    }

    /// Full-range (JPEG) to limited-range (video) Y and C tables.
    public static let fullToLimitedLuma: [UInt8] = (0..<256).map { UInt8((16 + Double($0) * 219 / 255).rounded()) }
    public static let fullToLimitedChroma: [UInt8] = (0..<256).map {
        UInt8((128 + (Double($0) - 128) * 224 / 255).rounded())
    }

    /// YUYV to planar I420 (chroma of each 2 × 2 block averaged over its two rows), for `--output-format i420`.
    public static func yuyvToI420(
        _ source: UnsafePointer<UInt8>,
        stride: Int,
        width: Int,
        height: Int,
        y: UnsafeMutablePointer<UInt8>,
        u: UnsafeMutablePointer<UInt8>,
        v: UnsafeMutablePointer<UInt8>
    ) {
        yuyvTo420(
            source,
            stride: stride,
            width: width,
            height: height,
            y: y,
            yStride: width,
            u: u,
            v: v,
            chromaStride: width / 2,
            chromaStep: 1
        )
    }

    /// YUYV to 4:2:0 with chroma of each 2 × 2 block averaged over its two rows, into planes with any row
    /// strides: I420 (`u` and `v` separate planes, `chromaStep` 1) or NV12 (`v` = `u` + 1 in one interleaved
    /// plane, `chromaStep` 2), as PipeWire consumers lay them out.
    public static func yuyvTo420(
        _ source: UnsafePointer<UInt8>,
        stride: Int,
        width: Int,
        height: Int,
        y: UnsafeMutablePointer<UInt8>,
        yStride: Int,
        u: UnsafeMutablePointer<UInt8>,
        v: UnsafeMutablePointer<UInt8>,
        chromaStride: Int,
        chromaStep: Int
    ) {
        let chromaWidth = width / 2
        for row in 0..<height {
            let s = source + row &* stride
            let out = y + row &* yStride
            for x in 0..<width { out[x] = s[x &* 2] }
        }
        for chromaRow in 0..<((height + 1) / 2) {
            let top = source + (chromaRow &* 2) &* stride
            let bottom = source + min(chromaRow &* 2 &+ 1, height &- 1) &* stride
            let ou = u + chromaRow &* chromaStride
            let ov = v + chromaRow &* chromaStride
            for pair in 0..<chromaWidth {
                ou[pair &* chromaStep] = UInt8(
                    truncatingIfNeeded: (UInt16(top[pair &* 4 &+ 1]) &+ UInt16(bottom[pair &* 4 &+ 1]) &+ 1) &>> 1
                )
                ov[pair &* chromaStep] = UInt8(
                    truncatingIfNeeded: (UInt16(top[pair &* 4 &+ 3]) &+ UInt16(bottom[pair &* 4 &+ 3]) &+ 1) &>> 1
                )
            }
        }
    }
}
