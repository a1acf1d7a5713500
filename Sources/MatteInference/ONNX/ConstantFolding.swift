/// Evaluates the nodes whose inputs are all known when the engine is planned: in RVM, the shape arithmetic
/// that sizes the decoder's crops and the refiner's output from the input frame.
enum ConstantFolding {
    typealias Value = GraphPlanner.Value

    static func fold(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) -> [ONNXTensor] {
        let name = node.outputs.first ?? ""
        switch node.opType {
        case "Constant":
            guard case let .tensor(value)? = node.attributes["value"] else {
                throw .unsupported("\(node.label) has no tensor value")
            }
            return [ONNXTensor(name: name, shape: value.shape, values: value.values)]
        case "Shape":
            let dims: [Int]
            switch inputs.first {
            case let .tensor(tensor)??: dims = [1, tensor.shape.channels, tensor.shape.height, tensor.shape.width]
            case let .constant(constant)??: dims = constant.shape
            default: throw .unsupported("\(node.label) reads a tensor whose shape is not known at load")
            }
            return [ONNXTensor(name: name, shape: [dims.count], values: .int64(dims))]
        case "Concat":
            let parts = try inputs.map { (input: Value?) throws(ONNXError) -> ONNXTensor in try vector(input, node) }
            // Each part fits a file; the same one joined 65,536 times need not fit memory.
            let count = parts.reduce(0) { $0 + $1.elementCount }
            guard count <= ONNXModel.maxElements else {
                throw .unsupported("\(node.label) joins \(count) values; Matte folds at most \(ONNXModel.maxElements)")
            }
            if let ints = parts.map({ if case let .int64(values) = $0.values { values } else { nil } }) as [[Int]?]?,
                ints.allSatisfy({ $0 != nil })
            {
                let joined = ints.flatMap { $0! }
                return [ONNXTensor(name: name, shape: [joined.count], values: .int64(joined))]
            }
            let floats = parts.compactMap { if case let .float(values) = $0.values { values } else { nil } }
            guard floats.count == parts.count else {
                throw .unsupported("\(node.label) joins constants of different types")
            }
            let joined = floats.flatMap { $0 }
            return [ONNXTensor(name: name, shape: [joined.count], values: .float(joined))]
        case "Slice":
            let data = try vector(inputs.first ?? nil, node)
            guard data.shape.count == 1 else { throw .unsupported("\(node.label) slices a scalar") }
            let range = try sliceRanges(node, inputs, dims: data.shape)[0]
            switch data.values {
            case let .int64(values):
                return [ONNXTensor(name: name, shape: [range.count], values: .int64(Array(values[range])))]
            case let .float(values):
                return [ONNXTensor(name: name, shape: [range.count], values: .float(Array(values[range])))]
            }
        default:
            throw .unsupported(
                "\(node.label) computes on constants only, which Matte does not fold"
            )
        }
    }

    /// A one-dimensional constant (shape arithmetic never needs more).
    private static func vector(_ input: Value?, _ node: ONNXNode) throws(ONNXError) -> ONNXTensor {
        guard case let .constant(tensor)? = input, tensor.shape.count <= 1 else {
            throw .unsupported("\(node.label) folds only one-dimensional constants")
        }
        return tensor
    }

    /// The range each axis keeps under an ONNX Slice (opset 10+: starts, ends, axes, steps as inputs), with
    /// ONNX's clamping of negative and out-of-range bounds. Steps other than 1 are not supported.
    static func sliceRanges(_ node: ONNXNode, _ inputs: [Value?], dims: [Int]) throws(ONNXError) -> [Range<Int>] {
        func list(_ position: Int) throws(ONNXError) -> [Int]? {
            guard position < inputs.count, let input = inputs[position] else { return nil }
            guard case let .constant(tensor) = input, case let .int64(values) = tensor.values else {
                throw .unsupported("\(node.label) needs constant int64 starts, ends, axes and steps")
            }
            return values
        }
        guard let starts = try list(1), let ends = try list(2), starts.count == ends.count else {
            throw .malformed("\(node.label) needs starts and ends of one length")
        }
        let axes = try list(3) ?? Array(0..<starts.count)
        let steps = try list(4) ?? [Int](repeating: 1, count: starts.count)
        guard axes.count == starts.count, steps.allSatisfy({ $0 == 1 }) else {
            throw .unsupported(
                "\(node.label) has axes \(listed(axes)) and steps \(listed(steps)); Matte slices with step 1"
            )
        }
        var ranges = dims.map { 0..<$0 }
        for (index, rawAxis) in axes.enumerated() {
            let axis = rawAxis < 0 ? rawAxis + dims.count : rawAxis
            guard axis >= 0 && axis < dims.count else {
                throw .malformed("\(node.label) axis \(rawAxis) is outside rank \(dims.count)")
            }
            func clamped(_ bound: Int) -> Int {
                let resolved = bound < 0 ? bound &+ dims[axis] : bound
                return max(0, min(resolved, dims[axis]))
            }
            let lower = clamped(starts[index])
            ranges[axis] = lower..<max(lower, clamped(ends[index]))
        }
        return ranges
    }
}
