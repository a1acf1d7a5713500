import MatteMemory

/// Turns a camera frame into a segmentation model's input tensor exactly as MediaPipe 0.10.14 does:
/// the whole frame is stretched to the model size (aspect not kept) by bilinear sampling at
/// src = dst · (frame size / model size) with no half-pixel offset, then scaled to [0, 1].
///
/// Column and row sample positions are computed once per frame size, so sampling a frame allocates nothing.
public final class ModelInputSampler {
    public let sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int
    private let columns: Plane<SamplePosition>
    private let rows: Plane<SamplePosition>
    /// The column weights on their own, for the dense interpolation loop.
    private let columnWeights: Plane<Float>
    /// Per output row: 4 neighbours × 3 channels × targetWidth bytes.
    private let corners: Plane<UInt8>

    /// Two neighbouring source indices and the weight of the second.
    struct SamplePosition {
        var first: Int
        var second: Int
        var weight: Float
    }

    public init(sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int) {
        precondition(
            sourceWidth > 0 && sourceHeight > 0 && targetWidth > 0 && targetHeight > 0,
            "sizes must be positive"
        )
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.targetWidth = targetWidth
        self.targetHeight = targetHeight
        columns = Self.positions(count: targetWidth, sourceCount: sourceWidth)
        rows = Self.positions(count: targetHeight, sourceCount: sourceHeight)
        columnWeights = Plane(count: targetWidth, repeating: 0)
        for x in 0..<targetWidth { columnWeights[x] = columns[x].weight }
        corners = Plane(count: 12 * targetWidth, repeating: 0)
    }

    static func positions(count: Int, sourceCount: Int) -> Plane<SamplePosition> {
        let table = SampleTable(count: count, sourceCount: sourceCount, alignment: .corners)
        let positions = Plane(count: count, repeating: SamplePosition(first: 0, second: 0, weight: 0))
        for index in 0..<count {
            let first = Int(table.first[index])
            positions[index] = SamplePosition(
                first: first,
                second: min(first + 1, sourceCount - 1),
                weight: table.weight[index]
            )
        }
        return positions
    }

    /// Samples packed RGB24 into an NHWC float tensor of targetHeight × targetWidth × 3.
    public func sampleRGB24(_ source: UnsafePointer<UInt8>, rowBytes: Int, into tensor: UnsafeMutablePointer<Float>) {
        sample(into: tensor, convertYUV: false) { row, column in
            let pixel = source + (row &* rowBytes &+ column &* 3)
            return (pixel[0], pixel[1], pixel[2])
        }
    }

    /// Samples packed YUYV, converting each neighbour to RGB as `BT601.yuyvToRGB24` would.
    public func sampleYUYV(_ source: UnsafePointer<UInt8>, rowBytes: Int, into tensor: UnsafeMutablePointer<Float>) {
        sample(into: tensor, convertYUV: true) { row, column in
            let pair = source + (row &* rowBytes &+ (column &>> 1) &* 4)
            return (pair[(column & 1) &* 2], pair[1], pair[3])
        }
    }

    public func sample(_ frame: PixelBuffer, into tensor: UnsafeMutablePointer<Float>) {
        precondition(
            frame.width == sourceWidth && frame.height == sourceHeight,
            "frame size differs from the sampler's"
        )
        switch frame.format {
        case .rgb24: sampleRGB24(frame.base, rowBytes: frame.rowBytes, into: tensor)
        case .yuyv: sampleYUYV(frame.base, rowBytes: frame.rowBytes, into: tensor)
        case .gray8, .rgba32: preconditionFailure("a model input is sampled from an RGB24 or YUYV frame")
        }
    }

    /// The luma of a YUYV frame, (Y − 16) / 219, at the model input's sample positions: the guide at model
    /// resolution for the same frame (`AlphaExpander` uses the same luma at full resolution). Sampled straight
    /// from the frame's Y, so edges can be guided by a frame that was never sampled for the model.
    public func sampleLuma(_ frame: PixelBuffer, into guide: UnsafeMutablePointer<Float>) {
        precondition(
            frame.format == .yuyv && frame.width == sourceWidth && frame.height == sourceHeight,
            "luma is sampled from a YUYV frame of the sampler's size"
        )
        let base = UnsafePointer(frame.base)
        let rowBytes = frame.rowBytes
        // Y of pixel x sits at byte 2x in a YUYV row.
        @inline(__always) func luma(_ row: UnsafePointer<UInt8>, _ column: Int) -> Float { Float(row[column &<< 1]) }
        let scale: Float = 1 / 219
        for y in 0..<targetHeight {
            let r = rows[y]
            let top = base + r.first &* rowBytes
            let bottom = base + r.second &* rowBytes
            let out = guide + y &* targetWidth
            for x in 0..<targetWidth {
                let c = columns[x]
                let upper = luma(top, c.first) + (luma(top, c.second) - luma(top, c.first)) * c.weight
                let lower = luma(bottom, c.first) + (luma(bottom, c.second) - luma(bottom, c.first)) * c.weight
                out[x] = (upper + (lower - upper) * r.weight - 16) * scale
            }
        }
    }

    /// Per output row: first gather the four neighbours' three channels into dense planes (the only scattered
    /// reads), then convert and interpolate along the planes, which vectorises.
    @inline(__always)
    private func sample(
        into tensor: UnsafeMutablePointer<Float>,
        convertYUV: Bool,
        _ pixel: (_ row: Int, _ column: Int) -> (UInt8, UInt8, UInt8)
    ) {
        let width = targetWidth
        let planes = corners.pointer
        @inline(__always) func plane(_ corner: Int, _ channel: Int) -> UnsafeMutablePointer<UInt8> {
            planes + (corner &* 3 &+ channel) &* width
        }
        let weights = columnWeights.pointer
        let rows = rows.pointer
        let columns = columns.pointer
        let scale: Float = 1 / 255
        for y in 0..<targetHeight {
            let r = rows[y]
            for x in 0..<width {
                let c = columns[x]
                @inline(__always) func gather(_ corner: Int, _ row: Int, _ column: Int) {
                    let value = pixel(row, column)
                    plane(corner, 0)[x] = value.0
                    plane(corner, 1)[x] = value.1
                    plane(corner, 2)[x] = value.2
                }
                gather(0, r.first, c.first)
                gather(1, r.first, c.second)
                gather(2, r.second, c.first)
                gather(3, r.second, c.second)
            }
            if convertYUV {
                for corner in 0..<4 {
                    let yp = plane(corner, 0)
                    let up = plane(corner, 1)
                    let vp = plane(corner, 2)
                    for x in 0..<width {
                        let rgb = BT601.rgb(y: yp[x], u: up[x], v: vp[x])
                        yp[x] = rgb.r
                        up[x] = rgb.g
                        vp[x] = rgb.b
                    }
                }
            }
            let out = tensor + y &* width &* 3
            let t = r.weight
            for channel in 0..<3 {
                let tl = plane(0, channel)
                let tr = plane(1, channel)
                let bl = plane(2, channel)
                let br = plane(3, channel)
                for x in 0..<width {
                    let w = weights[x]
                    let top = Float(tl[x]) + (Float(tr[x]) - Float(tl[x])) * w
                    let bottom = Float(bl[x]) + (Float(br[x]) - Float(bl[x])) * w
                    out[x &* 3 &+ channel] = (top + (bottom - top) * t) * scale
                }
            }
        }
    }
}
