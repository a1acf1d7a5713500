import MatteImaging

/// Turns `MaskRefiner`'s low-resolution coefficients into full-resolution alpha for a YUYV frame:
/// alpha = clamp(a · Y' + b) with a and b bilinearly interpolated and Y' = (Y − 16) / 219 the frame's luma.
///
/// Alpha is written per byte of the frame (the layout `BlendKernels` wants): each luma byte gets its pixel's
/// alpha, both chroma bytes of a pair the mean of the pair's two. Low-resolution cell i covers frame
/// position i · (frame size / model size), matching how the model input was sampled.
public final class AlphaExpander: @unchecked Sendable {
    public let lowWidth: Int, lowHeight: Int, width: Int, height: Int
    private let columnFirst: UnsafeMutableBufferPointer<Int32>
    private let columnWeight: UnsafeMutableBufferPointer<Float>
    private let rowFirst: UnsafeMutableBufferPointer<Int32>
    private let rowWeight: UnsafeMutableBufferPointer<Float>
    /// Vertically interpolated a and b rows, one float of padding each.
    private let rowA: UnsafeMutableBufferPointer<Float>
    private let rowB: UnsafeMutableBufferPointer<Float>

    public init(lowWidth: Int, lowHeight: Int, width: Int, height: Int) {
        precondition(lowWidth > 0 && lowHeight > 0 && width > 0 && height > 0 && width % 2 == 0, "bad sizes")
        self.lowWidth = lowWidth
        self.lowHeight = lowHeight
        self.width = width
        self.height = height
        (columnFirst, columnWeight) = Self.cornerAlignedTable(count: width, lowCount: lowWidth)
        (rowFirst, rowWeight) = Self.cornerAlignedTable(count: height, lowCount: lowHeight)
        rowA = .allocate(capacity: lowWidth + 1)
        rowB = .allocate(capacity: lowWidth + 1)
        rowA.initialize(repeating: 0)
        rowB.initialize(repeating: 0)
    }

    deinit {
        [columnWeight, rowWeight, rowA, rowB].forEach { $0.deallocate() }
        columnFirst.deallocate()
        rowFirst.deallocate()
    }

    /// Output index i samples low-resolution position i · lowCount / count; the weight of the next cell is 0
    /// at the last one, so reading the padding never matters.
    static func cornerAlignedTable(count: Int, lowCount: Int) -> (UnsafeMutableBufferPointer<Int32>, UnsafeMutableBufferPointer<Float>) {
        let first = UnsafeMutableBufferPointer<Int32>.allocate(capacity: count)
        let weight = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        let scale = Double(lowCount) / Double(count)
        for index in 0..<count {
            let at = min(Double(index) * scale, Double(lowCount - 1))
            let lower = Int(at)
            first[index] = Int32(lower)
            weight[index] = lower == lowCount - 1 ? 0 : Float(at - Double(lower))
        }
        return (first, weight)
    }

    /// - Parameters:
    ///   - frame: YUYV, `height` rows of `frameRowBytes`.
    ///   - alpha: `height` rows of `width · 2` bytes.
    public func expand(a: UnsafePointer<Float>, b: UnsafePointer<Float>, frame: UnsafePointer<UInt8>, frameRowBytes: Int,
                       into alpha: UnsafeMutablePointer<UInt8>, alphaRowBytes: Int) {
        let ra = rowA.baseAddress!, rb = rowB.baseAddress!
        let lumaScale: Float = 1 / 219, lumaOffset: Float = -16 / 219
        for y in 0..<height {
            let top = Int(rowFirst[y]) &* lowWidth
            let bottom = min(Int(rowFirst[y]) &+ 1, lowHeight &- 1) &* lowWidth
            let t = rowWeight[y]
            for x in 0..<lowWidth {
                ra[x] = a[top &+ x] + (a[bottom &+ x] - a[top &+ x]) * t
                rb[x] = b[top &+ x] + (b[bottom &+ x] - b[top &+ x]) * t
            }
            ra[lowWidth] = ra[lowWidth &- 1]
            rb[lowWidth] = rb[lowWidth &- 1]

            let source = frame + y &* frameRowBytes, out = alpha + y &* alphaRowBytes
            for pair in 0..<(width &>> 1) {
                let x0 = pair &* 2, x1 = x0 &+ 1
                let alpha0 = value(ra, rb, x0, luma: Float(source[pair &* 4]) * lumaScale + lumaOffset)
                let alpha1 = value(ra, rb, x1, luma: Float(source[pair &* 4 &+ 2]) * lumaScale + lumaOffset)
                let o = out + pair &* 4
                o[0] = MaskUpscaler.unitToByte(alpha0)
                o[2] = MaskUpscaler.unitToByte(alpha1)
                let shared = MaskUpscaler.unitToByte((alpha0 + alpha1) * 0.5)
                o[1] = shared
                o[3] = shared
            }
        }
    }

    @inline(__always)
    private func value(_ ra: UnsafePointer<Float>, _ rb: UnsafePointer<Float>, _ x: Int, luma: Float) -> Float {
        let index = Int(columnFirst[x]), w = columnWeight[x]
        let slope = ra[index] + (ra[index &+ 1] - ra[index]) * w
        let offset = rb[index] + (rb[index &+ 1] - rb[index]) * w
        return slope * luma + offset
    }

    public func expand(a: UnsafePointer<Float>, b: UnsafePointer<Float>, frame: PixelBuffer, into alpha: PixelBuffer) {
        precondition(frame.format == .yuyv && frame.width == width && frame.height == height, "frame must be YUYV at the expander's size")
        precondition(alpha.width == width && alpha.height == height && alpha.format == .yuyv, "alpha is laid out like the YUYV frame")
        expand(a: a, b: b, frame: frame.base, frameRowBytes: frame.rowBytes, into: alpha.base, alphaRowBytes: alpha.rowBytes)
    }
}
