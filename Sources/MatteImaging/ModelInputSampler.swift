/// Turns a camera frame into a segmentation model's input tensor exactly as MediaPipe 0.10.14 does:
/// the whole frame is stretched to the model size (aspect not kept) by bilinear sampling at
/// src = dst · (frame size / model size) with no half-pixel offset, then scaled to [0, 1].
///
/// Column and row sample positions are computed once per frame size, so sampling a frame allocates nothing.
public final class ModelInputSampler: @unchecked Sendable {
    public let sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int
    private let columns: UnsafeMutableBufferPointer<SamplePosition>
    private let rows: UnsafeMutableBufferPointer<SamplePosition>

    /// Two neighbouring source indices and the weight of the second.
    struct SamplePosition {
        var first: Int
        var second: Int
        var weight: Float
    }

    public init(sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int) {
        precondition(sourceWidth > 0 && sourceHeight > 0 && targetWidth > 0 && targetHeight > 0, "sizes must be positive")
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.targetWidth = targetWidth
        self.targetHeight = targetHeight
        columns = Self.positions(count: targetWidth, sourceCount: sourceWidth)
        rows = Self.positions(count: targetHeight, sourceCount: sourceHeight)
    }

    deinit {
        columns.deallocate()
        rows.deallocate()
    }

    static func positions(count: Int, sourceCount: Int) -> UnsafeMutableBufferPointer<SamplePosition> {
        let positions = UnsafeMutableBufferPointer<SamplePosition>.allocate(capacity: count)
        let scale = Double(sourceCount) / Double(count)
        for index in 0..<count {
            let at = Double(index) * scale
            let first = min(Int(at), sourceCount - 1)
            positions[index] = SamplePosition(first: first, second: min(first + 1, sourceCount - 1),
                                              weight: Float(at - Double(first)))
        }
        return positions
    }

    /// Samples packed RGB24 into an NHWC float tensor of targetHeight × targetWidth × 3.
    public func sampleRGB24(_ source: UnsafePointer<UInt8>, rowBytes: Int, into tensor: UnsafeMutablePointer<Float>) {
        sample(into: tensor) { row, column in
            let pixel = source + (row &* rowBytes &+ column &* 3)
            return (Float(pixel[0]), Float(pixel[1]), Float(pixel[2]))
        }
    }

    /// Samples packed YUYV, converting each neighbour to RGB as `BT601.yuyvToRGB24` would.
    public func sampleYUYV(_ source: UnsafePointer<UInt8>, rowBytes: Int, into tensor: UnsafeMutablePointer<Float>) {
        sample(into: tensor) { row, column in
            let pairStart = source + (row &* rowBytes &+ (column &>> 1) &* 4)
            let luma = pairStart[(column & 1) &* 2]
            let rgb = BT601.rgb(y: luma, u: pairStart[1], v: pairStart[3])
            return (Float(rgb.r), Float(rgb.g), Float(rgb.b))
        }
    }

    public func sample(_ frame: PixelBuffer, into tensor: UnsafeMutablePointer<Float>) {
        precondition(frame.width == sourceWidth && frame.height == sourceHeight, "frame size differs from the sampler's")
        switch frame.format {
        case .rgb24: sampleRGB24(frame.base, rowBytes: frame.rowBytes, into: tensor)
        case .yuyv: sampleYUYV(frame.base, rowBytes: frame.rowBytes, into: tensor)
        case .gray8, .rgba32: preconditionFailure("a model input is sampled from an RGB24 or YUYV frame")
        }
    }

    @inline(__always)
    private func sample(into tensor: UnsafeMutablePointer<Float>,
                        _ pixel: (_ row: Int, _ column: Int) -> (Float, Float, Float)) {
        let scale: Float = 1 / 255
        var out = tensor
        for y in 0..<targetHeight {
            let r = rows[y]
            for x in 0..<targetWidth {
                let c = columns[x]
                let topLeft = pixel(r.first, c.first), topRight = pixel(r.first, c.second)
                let bottomLeft = pixel(r.second, c.first), bottomRight = pixel(r.second, c.second)
                @inline(__always) func lerp(_ a: Float, _ b: Float, _ t: Float) -> Float { a + (b - a) * t }
                out[0] = lerp(lerp(topLeft.0, topRight.0, c.weight), lerp(bottomLeft.0, bottomRight.0, c.weight), r.weight) * scale
                out[1] = lerp(lerp(topLeft.1, topRight.1, c.weight), lerp(bottomLeft.1, bottomRight.1, c.weight), r.weight) * scale
                out[2] = lerp(lerp(topLeft.2, topRight.2, c.weight), lerp(bottomLeft.2, bottomRight.2, c.weight), r.weight) * scale
                out += 3
            }
        }
    }
}
