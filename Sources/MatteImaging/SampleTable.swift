import MatteMemory

/// Where each output index samples one source axis for linear interpolation: the first of two neighbouring
/// source indices and the weight of the second. At the last source index the weight is 0, so reading
/// index + 1 there (a padding cell, or a clamped index) never changes the result.
public final class SampleTable {
    public enum Alignment: Sendable {
        /// src = dst · (source / count): MediaPipe's input sampling, and Matte's mask-to-frame mapping.
        case corners
        /// src = (dst + 0.5) · (source / count) − 0.5, clamped: cv2.resize and MediaPipe's mask scaling.
        case centres
    }

    public let first: Plane<Int32>
    public let weight: Plane<Float>

    public init(count: Int, sourceCount: Int, alignment: Alignment) {
        precondition(count > 0 && sourceCount > 0, "sizes must be positive")
        first = Plane(count: count, repeating: 0)
        weight = Plane(count: count, repeating: 0)
        let scale = Double(sourceCount) / Double(count)
        for index in 0..<count {
            let unclamped = alignment == .corners ? Double(index) * scale : (Double(index) + 0.5) * scale - 0.5
            let at = min(max(unclamped, 0), Double(sourceCount - 1))
            let lower = Int(at)
            first[index] = Int32(lower)
            weight[index] = lower == sourceCount - 1 ? 0 : Float(at - Double(lower))
        }
    }
}
