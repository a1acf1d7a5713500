import MatteImaging
import MatteMemory

/// Turns `MaskRefiner`'s low-resolution coefficients into full-resolution alpha for a YUYV frame:
/// alpha = clamp(a · Y' + b) with a and b bilinearly interpolated and Y' = (Y − 16) / 219 the frame's luma.
///
/// Alpha is written per byte of the frame (the layout `BlendKernels` wants): each luma byte gets its pixel's
/// alpha, both chroma bytes of a pair the mean of the pair's two.
///
/// Where a low-resolution cell lands in the frame was measured, not assumed (scripts/bench-matting.py, a
/// person composited with a known alpha): columns sit at cell centres, (i + 0.5) · scale − 0.5, and rows at
/// i · scale, the model input's own sampling. Either other choice moved the recovered edges by a pixel at
/// 640×360 (2 px at 720p) against the true ones and raised the edge error.
package final class AlphaExpander {
    public let lowWidth: Int, lowHeight: Int, width: Int, height: Int
    /// Where each output column and row samples the low-resolution maps (see the type's comment).
    private let columns: SampleTable
    private let rows: SampleTable
    /// Low-resolution rows of a and b already interpolated to full width, two slots each: output rows only
    /// ever need two neighbouring low rows, so each low row is widened once per frame (the gathers) and the
    /// per-pixel loop reads memory in order and vectorises.
    private let wideA: [Plane<Float>]
    private let wideB: [Plane<Float>]
    private var wideRow = [-1, -1]
    /// One output row of alpha, one byte per pixel, and the same spread to one byte per YUYV byte.
    private let alphaRow: Plane<UInt8>
    private let byteRow: Plane<UInt8>
    /// A low row of a, then of b, each with one repeated cell at the end.
    private let paddedRow: Plane<Float>

    public init(lowWidth: Int, lowHeight: Int, width: Int, height: Int) {
        precondition(lowWidth > 0 && lowHeight > 0 && width > 0 && height > 0 && width % 2 == 0, "bad sizes")
        self.lowWidth = lowWidth
        self.lowHeight = lowHeight
        self.width = width
        self.height = height
        columns = SampleTable(count: width, sourceCount: lowWidth, alignment: .centres)
        rows = SampleTable(count: height, sourceCount: lowHeight, alignment: .corners)
        wideA = (0..<2).map { _ in Plane(count: width, repeating: 0) }
        wideB = (0..<2).map { _ in Plane(count: width, repeating: 0) }
        alphaRow = Plane(count: width, repeating: 0)
        byteRow = Plane(count: width * 2, repeating: 0)
        paddedRow = Plane(count: 2 * (lowWidth + 1), repeating: 0)
    }

    /// The slot holding low row `row` of a and b at full width, widening it into the slot not in use.
    private func widened(_ row: Int, keeping other: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>) -> Int {
        if wideRow[0] == row { return 0 }
        if wideRow[1] == row { return 1 }
        let slot = wideRow[0] == other ? 1 : 0
        let sourceA = a + row &* lowWidth
        let sourceB = b + row &* lowWidth
        let outA = wideA[slot].pointer
        let outB = wideB[slot].pointer
        // The table's weight is 0 wherever index + 1 would run past the row, so reading one past the end of
        // the padded copy never matters; with no branch the loop vectorises (as gathers).
        let paddedA = paddedRow.pointer
        let paddedB = paddedRow.pointer + (lowWidth &+ 1)
        paddedA.update(from: sourceA, count: lowWidth)
        paddedB.update(from: sourceB, count: lowWidth)
        paddedA[lowWidth] = sourceA[lowWidth &- 1]
        paddedB[lowWidth] = sourceB[lowWidth &- 1]
        let columnFirst = columns.first.pointer
        let columnWeight = columns.weight.pointer
        for x in 0..<width {
            let index = Int(columnFirst[x])
            let w = columnWeight[x]
            outA[x] = paddedA[index] + (paddedA[index &+ 1] - paddedA[index]) * w
            outB[x] = paddedB[index] + (paddedB[index &+ 1] - paddedB[index]) * w
        }
        wideRow[slot] = row
        return slot
    }

    /// Call before the first row of each frame: the widened rows belong to the previous frame's coefficients.
    public func beginFrame() {
        // In place: assigning a new array literal would allocate every frame.
        wideRow[0] = -1
        wideRow[1] = -1
    }

    /// Alpha for row `y` of a frame, one byte per YUYV byte, in a buffer reused by the next call. `luma` is
    /// the frame row. Rows of a frame are asked for in increasing order after `beginFrame()`.
    public func row(
        _ y: Int,
        a: UnsafePointer<Float>,
        b: UnsafePointer<Float>,
        luma: UnsafePointer<UInt8>
    )
        -> UnsafeMutablePointer<UInt8>
    {
        let lower = Int(rows.first[y])
        let upper = min(lower + 1, lowHeight - 1)
        let top = widened(lower, keeping: upper, a: a, b: b)
        let bottom = widened(upper, keeping: lower, a: a, b: b)
        AlphaKernels.alphaRow(
            topA: wideA[top].pointer,
            topB: wideB[top].pointer,
            bottomA: wideA[bottom].pointer,
            bottomB: wideB[bottom].pointer,
            weight: rows.weight[y],
            luma: luma,
            into: alphaRow.pointer,
            width: width
        )
        AlphaKernels.spreadToYUYV(alphaRow.pointer, into: byteRow.pointer, pairs: width &>> 1)
        return byteRow.pointer
    }

    /// The whole frame's alpha (per byte, laid out like the YUYV frame), for tests and benchmarks.
    public func expand(a: UnsafePointer<Float>, b: UnsafePointer<Float>, frame: PixelBuffer, into alpha: PixelBuffer) {
        precondition(
            frame.format == .yuyv && frame.width == width && frame.height == height,
            "frame must be YUYV at the expander's size"
        )
        precondition(
            alpha.width == width && alpha.height == height && alpha.format == .yuyv,
            "alpha is laid out like the YUYV frame"
        )
        beginFrame()
        for y in 0..<height {
            (alpha.base + y * alpha.rowBytes).update(
                from: row(y, a: a, b: b, luma: frame.base + y * frame.rowBytes),
                count: width * 2
            )
        }
    }
}
