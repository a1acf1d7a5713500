/// A coarse picture of a frame's luma (a grid of 4×4-pixel means, 0…1) that tells a still scene from a moving
/// one for a few microseconds a frame, so a frame is sampled for the model only when it will be segmented.
/// The means average out most sensor noise (σ 3 levels becomes 0.75), which a single pixel per cell would not.
public struct SceneThumbnail: Sendable {
    public static let columns = 64, rows = 36
    public private(set) var values = [Float](repeating: 0, count: columns * rows)

    public init() {}

    /// Measures a YUYV frame (at least 4×4 pixels).
    public mutating func measure(_ frame: PixelBuffer) {
        precondition(frame.format == .yuyv && frame.width >= 4 && frame.height >= 4, "a thumbnail of YUYV")
        let base = UnsafePointer(frame.base)
        let rowBytes = frame.rowBytes
        let (columns, rows) = (Self.columns, Self.rows)
        values.withUnsafeMutableBufferPointer { cells in
            for cellRow in 0..<rows {
                // The block's top row, so that block rows spread evenly from the top to the bottom edge.
                let top = (frame.height - 4) * cellRow / (rows - 1)
                for cellColumn in 0..<columns {
                    let left = (frame.width - 4) * cellColumn / (columns - 1)
                    var sum = 0
                    for row in top..<top + 4 {
                        let pixels = base + (row &* rowBytes &+ left &* 2)
                        sum &+= Int(pixels[0]) &+ Int(pixels[2]) &+ Int(pixels[4]) &+ Int(pixels[6])
                    }
                    cells[cellRow &* columns &+ cellColumn] = Float(sum) / (16 * 255)
                }
            }
        }
    }

    /// How many cells changed by more than `threshold` (0…1) since `other`: motion anywhere, even a hand in a
    /// corner, shows as a few cells, while sensor noise, averaged over 16 pixels, moves none.
    public func changedCells(from other: SceneThumbnail, threshold: Float) -> Int {
        var changed = 0
        for index in values.indices where abs(values[index] - other.values[index]) > threshold { changed += 1 }
        return changed
    }
}
