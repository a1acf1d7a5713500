import MatteMemory

/// Scales a low-resolution probability mask (float, 0…1) up to frame size as 8-bit alpha (0…255).
///
/// Plain bilinear with half-pixel centres (src = (dst + 0.5) · scale − 0.5, clamped at the borders), the
/// convention of cv2.resize and of MediaPipe's own mask scaling. Tables are built once per size pair, and
/// each output row first blends two source rows vertically so the inner loop is one horizontal lerp.
public final class MaskUpscaler {
    public let sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int
    private let columns: SampleTable
    private let rows: SampleTable
    /// One vertically blended source row, padded by one so the last column's neighbour is readable.
    private let blendedRow: Plane<Float>

    public init(sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int) {
        precondition(
            sourceWidth > 0 && sourceHeight > 0 && targetWidth > 0 && targetHeight > 0,
            "sizes must be positive"
        )
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.targetWidth = targetWidth
        self.targetHeight = targetHeight
        columns = SampleTable(count: targetWidth, sourceCount: sourceWidth, alignment: .centres)
        rows = SampleTable(count: targetHeight, sourceCount: sourceHeight, alignment: .centres)
        blendedRow = Plane(count: sourceWidth + 1, repeating: 0)
    }

    /// `source` holds sourceHeight × sourceWidth floats; `destination` gets targetHeight rows of targetWidth bytes.
    public func upscale(
        _ source: UnsafePointer<Float>,
        into destination: UnsafeMutablePointer<UInt8>,
        destinationRowBytes: Int
    ) {
        let blended = blendedRow.pointer
        let rowFirst = rows.first.pointer
        let rowWeight = rows.weight.pointer
        let columnFirst = columns.first.pointer
        let columnWeight = columns.weight.pointer
        for y in 0..<targetHeight {
            let top = source + Int(rowFirst[y]) &* sourceWidth
            let bottom = source + min(Int(rowFirst[y]) &+ 1, sourceHeight &- 1) &* sourceWidth
            let t = rowWeight[y]
            for x in 0..<sourceWidth {
                blended[x] = top[x] + (bottom[x] - top[x]) * t
            }
            blended[sourceWidth] = blended[sourceWidth &- 1]
            let out = destination + y &* destinationRowBytes
            for x in 0..<targetWidth {
                let index = Int(columnFirst[x])
                let value = blended[index] + (blended[index &+ 1] - blended[index]) * columnWeight[x]
                out[x] = Self.unitToByte(value)
            }
        }
    }

    /// Rounds 0…1 (clamped) to 0…255.
    @inlinable @inline(__always)
    public static func unitToByte(_ value: Float) -> UInt8 {
        FloatKernels.roundedByte(value * 255)
    }

    public func upscale(_ source: UnsafePointer<Float>, into mask: PixelBuffer) {
        precondition(
            mask.format == .gray8 && mask.width == targetWidth && mask.height == targetHeight,
            "mask buffer must be gray8 at the upscaler's target size"
        )
        upscale(source, into: mask.base, destinationRowBytes: mask.rowBytes)
    }
}
