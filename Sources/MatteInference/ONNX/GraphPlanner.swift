import CXNNPACK
import MatteFileNames
import MatteMemory

/// Turns an ONNX graph into steps for one input size (see ONNXEngine). Planning happens node by node in the
/// file's order, which ONNX requires to be topological.
final class GraphPlanner {
    typealias Shape = ONNXEngine.Shape

    /// A buffer and how many planned values still use it; unpinned buffers go back to the pool when none do.
    final class Storage {
        let plane: Plane<Float>
        var users = 0
        let pinned: Bool
        init(plane: Plane<Float>, pinned: Bool) {
            self.plane = plane
            self.pinned = pinned
        }
    }

    struct Tensor {
        let storage: Storage
        let shape: Shape
        var pointer: UnsafeMutablePointer<Float> { storage.plane.pointer }
    }

    enum Value {
        case constant(ONNXTensor)
        case tensor(Tensor)
        /// A graph input with no given shape: recurrent state, bound by the Expand that broadcasts it.
        case state
    }

    let model: ONNXModel
    /// Where XNNPACK's operators split their work; nil runs them on the calling thread.
    let threadPool: pthreadpool_t?
    private let wanted: Set<String>
    private var values: [String: Value] = [:]
    private var steps: [Step] = []
    private var ownsOperators = true
    private var pool: [Plane<Float>] = []
    /// Every buffer and constant the steps point into, kept for the engine's lifetime.
    private(set) var keptAlive: [AnyObject] = []
    private var lastUse: [String: Int] = [:]
    private var consumers: [String: [Int]] = [:]
    /// Nodes folded into an earlier one (a Relu into its convolution, a Mul into a hard-swish).
    private var absorbed = Set<Int>()
    private var live: [Bool] = []
    /// The node being planned, for messages about what it costs.
    private var planning: ONNXNode?
    /// Floats the plan has taken (see `spend`), and the most it may take.
    private(set) var spent = 0
    let budget: Int
    private let inputSummary: String

    init(
        model: ONNXModel,
        inputs: [String: Shape],
        constants: [String: ONNXTensor],
        outputs: [String],
        threadPool: pthreadpool_t?
    ) throws(ONNXError) {
        self.model = model
        self.threadPool = threadPool
        wanted = Set(outputs)
        budget = Self.budget(inputs: inputs.values.map(\.count), model: model)
        inputSummary = inputs.values.map(\.description).sorted().joined(separator: " and ")
        let produced = Set(model.nodes.flatMap(\.outputs))
        for output in outputs where !produced.contains(output) {
            throw .unsupported("the graph has no output \(ONNXModel.quoted(output))")
        }
        for input in model.inputs {
            if let shape = inputs[input.name] {
                values[input.name] = .tensor(try allocate(shape, pinned: true, for: input.name))
            } else if let constant = constants[input.name] {
                values[input.name] = .constant(constant)
            } else {
                values[input.name] = .state
            }
        }
        for (name, tensor) in model.initializers { values[name] = .constant(tensor) }
    }

    deinit {
        if ownsOperators {
            for case let .xnnpack(op) in steps { xnn_delete_operator(op) }
        }
    }

    func takeSteps() -> [Step] {
        ownsOperators = false
        return steps
    }

    /// Inputs, state and wanted outputs, by name.
    func externalTensors() -> [String: (plane: Plane<Float>, shape: Shape)] {
        var external: [String: (plane: Plane<Float>, shape: Shape)] = [:]
        for (name, value) in values {
            guard case let .tensor(tensor) = value, tensor.storage.pinned else { continue }
            let isGraphInput = model.inputs.contains { $0.name == name }
            if isGraphInput || wanted.contains(name) { external[name] = (tensor.storage.plane, tensor.shape) }
        }
        return external
    }

    func plan() throws(ONNXError) {
        markLiveNodes()
        // Each value is written once, as ONNX requires: a node writing an input's name would hand the caller
        // another buffer under it (a fused node's output is written by the node it is fused into).
        var written = Set(values.keys)
        for (index, node) in model.nodes.enumerated() where live[index] {
            for output in node.outputs where !output.isEmpty && !written.insert(output).inserted {
                throw .malformed(
                    "\(node.label) writes \(ONNXModel.quoted(output)), which is already a graph input, a constant or "
                        + "another node's output"
                )
            }
            for input in node.inputs where !input.isEmpty {
                lastUse[input] = index
                consumers[input, default: []].append(index)
            }
        }
        let guidedUpsamplings = GuidedUpsampling.find(in: model, live: live, consumers: consumers) { name in
            if case let .constant(tensor)? = values[name] { tensor } else { nil }
        }
        var fusedAt: [Int: GuidedUpsampling] = [:]
        for fused in guidedUpsamplings {
            absorbed.formUnion(fused.nodes)
            fusedAt[fused.planAt] = fused
            // The coefficients are read where the fused pass is planned, after the resizes that read them.
            for name in [fused.resizeA.inputs[0], fused.resizeB.inputs[0]] {
                lastUse[name] = max(lastUse[name] ?? 0, fused.planAt)
            }
        }
        for (index, node) in model.nodes.enumerated() where live[index] {
            if !absorbed.contains(index) { try plan(node, at: index) }
            if let fused = fusedAt[index] { try planGuidedUpsampling(fused) }
            release(node.inputs, at: index)
            release(node.outputs.filter { lastUse[$0] == nil }, at: nil)
        }
        for name in wanted {
            guard case .tensor = values[name] else {
                throw .unsupported("output \(ONNXModel.quoted(name)) is not a computed tensor")
            }
        }
    }

    /// Nodes that feed a wanted output; the rest are never planned.
    private func markLiveNodes() {
        var needed = wanted
        live = [Bool](repeating: false, count: model.nodes.count)
        for (index, node) in model.nodes.enumerated().reversed() where node.outputs.contains(where: needed.contains) {
            live[index] = true
            needed.formUnion(node.inputs)
        }
    }

    // MARK: Buffers

    /// The largest height or width of a tensor, and the largest pad, stride or dilation: four times the largest
    /// frame Matte reads (8192 pixels).
    static let maxSide = 1 << 15

    /// What a plan may take, in floats, whatever the graph: `perInputFloat` for each float of the inputs given,
    /// `perWeight` for each float of the model's constants (their laid-out, packed and folded copies) and
    /// `allowance` besides. By this count (which errs high: XNNPACK's pointers for depthwise windows are counted as
    /// for full ones) Robust Video Matting takes 98 per input float at downsample ratio 1 (2.4 GB at 1920×1080), 3
    /// to 10 at the ratios Matte picks, and 1.4 per weight. A graph that needs more is refused, not run until the
    /// system runs out of memory.
    static let perInputFloat = 128
    static let perWeight = 4
    static let allowance = 16 << 20

    static func budget(inputs: [Int], model: ONNXModel) -> Int {
        let weights =
            model.initializers.values.reduce(0) { $0 + $1.elementCount }
            + model.nodes.reduce(0) { total, node in
                guard case let .tensor(value)? = node.attributes["value"] else { return total }
                return total + value.elementCount
            }
        return perInputFloat * inputs.reduce(0, +) + perWeight * weights + allowance
    }

    /// Counts `floats` more against the budget, or refuses the graph, naming the node being planned and `what`
    /// needs them. Everything a plan keeps in proportion to the graph's sizes is counted, so a hostile graph is
    /// refused before it allocates, not when the system runs out of memory.
    private func spend(_ floats: Int, for what: @autoclosure () -> String) throws(ONNXError) {
        let (total, overflow) = spent.addingReportingOverflow(floats)
        guard !overflow, total <= budget else {
            throw .unsupported(
                "\(planning?.label ?? "the graph") needs \(Self.megabytes(overflow ? .max : total, roundedUp: true)) MB "
                    + "for \(what()), more than the \(Self.megabytes(budget, roundedUp: false)) MB Matte allows for an "
                    + "input of \(inputSummary)"
            )
        }
        spent = total
    }

    /// Floats in MB: what is needed rounded up, what is allowed rounded down, so the two never read the same.
    private static func megabytes(_ floats: Int, roundedUp: Bool) -> Int {
        (floats >> 18) + (roundedUp && floats % (1 << 18) != 0 ? 1 : 0)
    }

    private func allocate(_ shape: Shape, pinned: Bool, for name: String) throws(ONNXError) -> Tensor {
        guard shape.channels >= 1, shape.height >= 1, shape.width >= 1, shape.height <= Self.maxSide,
            shape.width <= Self.maxSide
        else {
            throw .unsupported(
                "\(planning?.label ?? "the graph") makes a tensor \(shape); Matte's are 1 to \(Self.maxSide) pixels a side"
            )
        }
        let (product, overflow) = shape.channels.multipliedReportingOverflow(by: shape.pixels)
        let count = overflow ? Int.max : product
        if !pinned,
            let best = pool.indices.filter({ pool[$0].count >= count }).min(by: { pool[$0].count < pool[$1].count })
        {
            let plane = pool.remove(at: best)
            return Tensor(storage: Storage(plane: plane, pinned: false), shape: shape)
        }
        try spend(count, for: "a tensor \(shape)")
        do {
            let plane = try Plane<Float>(count: count, repeating: 0, for: "tensor \(ONNXModel.quoted(name)) \(shape)")
            keptAlive.append(plane)
            return Tensor(storage: Storage(plane: plane, pinned: pinned), shape: shape)
        } catch {
            throw .outOfMemory("run the model")
        }
    }

    /// Binds `name` to a new buffer of `shape` (pinned if it is a wanted output).
    private func define(_ name: String, _ shape: Shape) throws(ONNXError) -> Tensor {
        let tensor = try allocate(shape, pinned: wanted.contains(name), for: name)
        bind(name, tensor)
        return tensor
    }

    private func bind(_ name: String, _ tensor: Tensor) {
        tensor.storage.users += 1
        values[name] = .tensor(tensor)
    }

    private func release(_ names: [String], at index: Int?) {
        for name in names where !name.isEmpty && (index == nil || lastUse[name] == index) {
            guard case let .tensor(tensor) = values[name], !wanted.contains(name) else { continue }
            tensor.storage.users -= 1
            if tensor.storage.users == 0 && !tensor.storage.pinned { pool.append(tensor.storage.plane) }
        }
    }

    // MARK: Nodes

    private func plan(_ node: ONNXNode, at index: Int) throws(ONNXError) {
        planning = node
        let inputs = try node.inputs.map { (name: String) throws(ONNXError) -> Value? in
            guard !name.isEmpty else { return nil }
            guard let value = values[name] else {
                throw .malformed(
                    "\(node.label) reads \(ONNXModel.quoted(name)), which nothing before it produces"
                )
            }
            return value
        }
        // Nodes whose inputs are all known fold to constants: this is the graph's shape arithmetic.
        if node.opType == "Constant" || node.opType == "Shape"
            || !inputs.contains(where: {
                if case .tensor = $0 { true } else if case .state = $0 { true } else { false }
            })
        {
            let folded = try ConstantFolding.fold(node, inputs)
            for (name, tensor) in zip(node.outputs, folded) {
                if node.opType != "Constant" {
                    try spend(tensor.elementCount, for: "a constant of \(tensor.elementCount) values")
                }
                values[name] = .constant(tensor)
            }
            return
        }
        switch node.opType {
        case "Conv": try planConvolution(node, inputs, at: index)
        case "Relu": try planClamp(node, inputs, min: 0, max: .infinity)
        case "Clip":
            let (low, high) = try clipRange(node, inputs)
            try planClamp(node, inputs, min: low, max: high)
        case "Sigmoid":
            try planUnary(node, inputs) { channels, op in
                xnn_create_sigmoid_nc_f32(channels, channels, channels, 0, op)
            } setup: { op, batch, input, output in
                xnn_setup_sigmoid_nc_f32(op, batch, input, output, threadPool)
            }
        case "HardSigmoid": try planHardSigmoid(node, inputs, at: index)
        case "Tanh": try planTanh(node, inputs)
        case "Add", "Sub", "Mul", "Div": try planBinary(node, inputs)
        case "GlobalAveragePool": try planGlobalAveragePool(node, inputs)
        case "AveragePool": try planAveragePool(node, inputs)
        case "ReduceMean": try planChannelMean(node, inputs)
        case "Resize": try planResize(node, inputs)
        case "Concat": try planConcat(node, inputs)
        case "Split": try planSplit(node, inputs)
        case "Slice": try planSlice(node, inputs)
        case "Expand": try planExpand(node, inputs)
        default:
            throw .unsupported("\(node.label): Matte does not implement this operator")
        }
    }

    private func check(_ status: xnn_status, _ node: ONNXNode) throws(ONNXError) {
        guard status == xnn_status_success else {
            if status == xnn_status_out_of_memory { throw .outOfMemory("load the model") }
            throw .unsupported("XNNPACK rejected \(node.label) (status \(status.rawValue))")
        }
    }

    /// Keeps a created operator as a step (so it is deleted with the engine, or with the planner on failure).
    private func add(
        _ node: ONNXNode,
        create: (UnsafeMutablePointer<xnn_operator_t?>) -> xnn_status
    ) throws(ONNXError) -> xnn_operator_t {
        // An operator's own state is a few KB.
        try spend(1024, for: "an XNNPACK operator")
        var op: xnn_operator_t? = nil
        try check(create(&op), node)
        guard let op else { throw .outOfMemory("load the model") }
        steps.append(.xnnpack(op))
        return op
    }

    private func tensorInput(_ node: ONNXNode, _ inputs: [Value?], _ position: Int) throws(ONNXError) -> Tensor {
        guard position < inputs.count, case let .tensor(tensor)? = inputs[position] else {
            throw .unsupported("\(node.label) needs a computed tensor as input \(position + 1)")
        }
        return tensor
    }

    private func constantInput(_ node: ONNXNode, _ inputs: [Value?], _ position: Int) throws(ONNXError) -> ONNXTensor? {
        guard position < inputs.count, let input = inputs[position] else { return nil }
        guard case let .constant(tensor) = input else {
            throw .unsupported("\(node.label) needs a constant as input \(position + 1)")
        }
        return tensor
    }

    /// The one input and a new output of the same shape, for element-wise nodes.
    private func elementwise(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) -> (Tensor, Tensor) {
        let x = try tensorInput(node, inputs, 0)
        guard let name = node.outputs.first else { throw .malformed("\(node.label) has no output") }
        return (x, try define(name, x.shape))
    }

    /// The node consuming `name` if it is the only one, for fusing.
    private func soleConsumer(of name: String) -> (index: Int, node: ONNXNode)? {
        guard let readers = consumers[name], readers.count == 1, !wanted.contains(name) else { return nil }
        return (readers[0], model.nodes[readers[0]])
    }

    // MARK: Convolution

    private func planConvolution(_ node: ONNXNode, _ inputs: [Value?], at index: Int) throws(ONNXError) {
        let x = try tensorInput(node, inputs, 0)
        guard let weight = try constantInput(node, inputs, 1), case let .float(weights) = weight.values,
            weight.shape.count == 4
        else { throw .unsupported("\(node.label) needs constant float weights [O, I, kH, kW]") }
        let attributes = NodeAttributes(node)
        let groups = try attributes.int("group", default: 1)
        let outputChannels = weight.shape[0]
        let groupInput = weight.shape[1]
        let kernel = (height: weight.shape[2], width: weight.shape[3])
        guard groups >= 1, groups <= x.shape.channels, groupInput * groups == x.shape.channels,
            outputChannels % groups == 0, kernel.height > 0, kernel.width > 0
        else {
            throw .malformed(
                "\(node.label) weights \(weight.shape) in \(groups) groups do not fit input \(x.shape)"
            )
        }
        guard try attributes.string("auto_pad", default: "NOTSET") == "NOTSET" else {
            throw .unsupported("\(node.label) uses auto_pad; Matte needs explicit pads")
        }
        let pads = try attributes.ints("pads", default: [0, 0, 0, 0], count: 4)
        let strides = try attributes.ints("strides", default: [1, 1], count: 2)
        let dilations = try attributes.ints("dilations", default: [1, 1], count: 2)
        guard pads.allSatisfy({ $0 >= 0 && $0 <= Self.maxSide }), strides.allSatisfy({ $0 >= 1 && $0 <= Self.maxSide }),
            dilations.allSatisfy({ $0 >= 1 && $0 <= Self.maxSide })
        else {
            throw .malformed("\(node.label) has pads \(pads), strides \(strides), dilations \(dilations)")
        }
        let height = try windowed(x.shape.height, pads[0] + pads[2], kernel.height, strides[0], dilations[0], node)
        let width = try windowed(x.shape.width, pads[1] + pads[3], kernel.width, strides[1], dilations[1], node)
        var bias = [Float](repeating: 0, count: outputChannels)
        if let biasTensor = try constantInput(node, inputs, 2) {
            guard case let .float(values) = biasTensor.values, values.count == outputChannels else {
                throw .malformed(
                    "\(node.label) bias has shape \(biasTensor.shape), not [\(outputChannels)]"
                )
            }
            bias = values
        }
        // ONNX weights are [O][I][kH][kW]; XNNPACK wants [O][kH][kW][I] (per group, in group order).
        var packed = [Float](repeating: 0, count: weights.count)
        let taps = kernel.height * kernel.width
        for o in 0..<outputChannels {
            for i in 0..<groupInput {
                for tap in 0..<taps {
                    packed[(o * taps + tap) * groupInput + i] = weights[(o * groupInput + i) * taps + tap]
                }
            }
        }
        // A Relu or Clip that alone reads the result becomes the convolution's output range.
        var range: (min: Float, max: Float) = (-.infinity, .infinity)
        var outputName = node.outputs.first ?? ""
        if let (consumerIndex, consumer) = soleConsumer(of: outputName) {
            if consumer.opType == "Relu" {
                range = (0, .infinity)
            } else if consumer.opType == "Clip", let clip = try? clipRange(consumer, consumer.inputs.map { values[$0] })
            {
                range = clip
            }
            if range != (-.infinity, .infinity), let fusedName = consumer.outputs.first {
                absorbed.insert(consumerIndex)
                outputName = fusedName
            }
        }
        let output = try define(outputName, Shape(channels: outputChannels, height: height, width: width))
        // XNNPACK packs the weights, each group's output channels rounded up to its tile (at most 16 floats), and,
        // unless the convolution is 1×1 with stride 1, points at every tap of each output pixel's window (a pointer
        // is two floats).
        let pointwise = taps == 1 && strides == [1, 1] && pads == [0, 0, 0, 0]
        try spend(
            saturatingProduct(groups, (outputChannels / groups + 15) / 16 * 16, taps * groupInput + 1)
                + (pointwise ? 0 : saturatingProduct(height, width, taps, 2)),
            for: "its weights and window pointers in XNNPACK"
        )
        let op = try add(node) { op in
            packed.withUnsafeBufferPointer { packedWeights in
                bias.withUnsafeBufferPointer { biases in
                    xnn_create_convolution2d_nhwc_f32(
                        UInt32(pads[0]),
                        UInt32(pads[3]),
                        UInt32(pads[2]),
                        UInt32(pads[1]),
                        UInt32(kernel.height),
                        UInt32(kernel.width),
                        UInt32(strides[0]),
                        UInt32(strides[1]),
                        UInt32(dilations[0]),
                        UInt32(dilations[1]),
                        UInt32(groups),
                        groupInput,
                        outputChannels / groups,
                        x.shape.channels,
                        outputChannels,
                        packedWeights.baseAddress,
                        biases.baseAddress,
                        range.min,
                        range.max,
                        0,
                        op
                    )
                }
            }
        }
        try check(
            xnn_setup_convolution2d_nhwc_f32(
                op,
                1,
                x.shape.height,
                x.shape.width,
                x.pointer,
                output.pointer,
                threadPool
            ),
            node
        )
    }

    private func windowed(
        _ size: Int,
        _ padding: Int,
        _ kernel: Int,
        _ stride: Int,
        _ dilation: Int,
        _ node: ONNXNode
    ) throws(ONNXError) -> Int {
        let span = dilation * (kernel - 1) + 1
        guard size + padding >= span else {
            throw .unsupported(
                "\(node.label): a \(kernel)-wide window does not fit \(size) pixels; the frame is too small for this model"
            )
        }
        return (size + padding - span) / stride + 1
    }

    // MARK: Element-wise

    private func clipRange(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) -> (min: Float, max: Float) {
        func bound(_ position: Int, _ name: String, _ fallback: Float) throws(ONNXError) -> Float {
            if let tensor = try constantInput(node, inputs, position) {
                guard case let .float(values) = tensor.values, values.count == 1 else {
                    throw .unsupported("\(node.label) needs a float scalar \(name)")
                }
                return values[0]
            }
            return try NodeAttributes(node).float(name, default: fallback)
        }
        return (try bound(1, "min", -.infinity), try bound(2, "max", .infinity))
    }

    private func planClamp(_ node: ONNXNode, _ inputs: [Value?], min low: Float, max high: Float) throws(ONNXError) {
        try planUnary(node, inputs) { channels, op in
            xnn_create_clamp_nc_f32(channels, channels, channels, low, high, 0, op)
        } setup: { op, batch, input, output in
            xnn_setup_clamp_nc_f32(op, batch, input, output, threadPool)
        }
    }

    private func planUnary(
        _ node: ONNXNode,
        _ inputs: [Value?],
        create: (Int, UnsafeMutablePointer<xnn_operator_t?>) -> xnn_status,
        setup: (xnn_operator_t, Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> xnn_status
    ) throws(ONNXError) {
        let (x, output) = try elementwise(node, inputs)
        let op = try add(node) { create(x.shape.channels, $0) }
        try check(setup(op, x.shape.pixels, x.pointer, output.pointer), node)
    }

    /// tanh(x) = 2·sigmoid(2x) − 1: XNNPACK's vectorised sigmoid between two scaling passes costs a fraction
    /// of libm's tanhf, which took 7 % of RVM's time at 720p.
    private func planTanh(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) {
        let (x, output) = try elementwise(node, inputs)
        let (from, to, count) = (x.pointer, output.pointer, x.shape.count)
        steps.append(.kernel { scale(from, count: count, by: 2, into: to) })
        let op = try add(node) { xnn_create_sigmoid_nc_f32(1, 1, 1, 0, $0) }
        try check(xnn_setup_sigmoid_nc_f32(op, count, to, to, threadPool), node)
        steps.append(.kernel { twiceMinusOne(to, count: count) })
    }

    private func planHardSigmoid(_ node: ONNXNode, _ inputs: [Value?], at index: Int) throws(ONNXError) {
        let attributes = NodeAttributes(node)
        let alpha = try attributes.float("alpha", default: 0.2)
        let beta = try attributes.float("beta", default: 0.5)
        let x = try tensorInput(node, inputs, 0)
        // x · HardSigmoid(x) with MobileNetV3's constants is hard-swish, one XNNPACK operator.
        if let name = node.outputs.first, let (mulIndex, mul) = soleConsumer(of: name), mul.opType == "Mul",
            Set(mul.inputs) == [name, node.inputs[0]], abs(alpha - 1 / 6) < 1e-6, beta == 0.5,
            let product = mul.outputs.first
        {
            absorbed.insert(mulIndex)
            let output = try define(product, x.shape)
            let op = try add(node) {
                xnn_create_hardswish_nc_f32(x.shape.channels, x.shape.channels, x.shape.channels, 0, $0)
            }
            try check(xnn_setup_hardswish_nc_f32(op, x.shape.pixels, x.pointer, output.pointer, threadPool), node)
            return
        }
        let (_, output) = try elementwise(node, inputs)
        let count = x.shape.count
        let from = x.pointer
        let to = output.pointer
        steps.append(.kernel { hardSigmoid(from, count: count, alpha: alpha, beta: beta, into: to) })
    }

    /// Add, Sub, Mul, Div with ONNX (NumPy) broadcasting; a constant operand is laid out NHWC once.
    private func planBinary(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) {
        guard inputs.count == 2, let first = inputs[0], let second = inputs[1] else {
            throw .malformed("\(node.label) needs two inputs")
        }
        let a = try operand(first, node)
        let b = try operand(second, node)
        var dims = [Int]()
        for axis in 0..<4 {
            let (p, q) = (a.dims[axis], b.dims[axis])
            guard p == q || p == 1 || q == 1 else {
                throw .malformed("\(node.label) cannot broadcast \(a.dims) with \(b.dims)")
            }
            dims.append(max(p, q))
        }
        guard dims[0] == 1 else { throw .unsupported("\(node.label) has batch \(dims[0])") }
        let output = try define(node.outputs.first ?? "", Shape(channels: dims[1], height: dims[2], width: dims[3]))
        let op = try add(node) { op in
            switch node.opType {
            case "Add": xnn_create_add_nd_f32(-.infinity, .infinity, 0, op)
            case "Sub": xnn_create_subtract_nd_f32(-.infinity, .infinity, 0, op)
            case "Mul": xnn_create_multiply_nd_f32(-.infinity, .infinity, 0, op)
            default: xnn_create_divide_nd_f32(-.infinity, .infinity, 0, op)
            }
        }
        // XNNPACK broadcasts NHWC shapes.
        let shapeA = [a.dims[0], a.dims[2], a.dims[3], a.dims[1]]
        let shapeB = [b.dims[0], b.dims[2], b.dims[3], b.dims[1]]
        let status = shapeA.withUnsafeBufferPointer { sa in
            shapeB.withUnsafeBufferPointer { sb in
                switch node.opType {
                case "Add":
                    xnn_setup_add_nd_f32(
                        op,
                        4,
                        sa.baseAddress,
                        4,
                        sb.baseAddress,
                        a.pointer,
                        b.pointer,
                        output.pointer,
                        threadPool
                    )
                case "Sub":
                    xnn_setup_subtract_nd_f32(
                        op,
                        4,
                        sa.baseAddress,
                        4,
                        sb.baseAddress,
                        a.pointer,
                        b.pointer,
                        output.pointer,
                        threadPool
                    )
                case "Mul":
                    xnn_setup_multiply_nd_f32(
                        op,
                        4,
                        sa.baseAddress,
                        4,
                        sb.baseAddress,
                        a.pointer,
                        b.pointer,
                        output.pointer,
                        threadPool
                    )
                default:
                    xnn_setup_divide_nd_f32(
                        op,
                        4,
                        sa.baseAddress,
                        4,
                        sb.baseAddress,
                        a.pointer,
                        b.pointer,
                        output.pointer,
                        threadPool
                    )
                }
            }
        }
        try check(status, node)
    }

    /// A binary operand as ONNX dims [N, C, H, W] (right-aligned, as broadcasting reads them) and NHWC data.
    private func operand(
        _ value: Value,
        _ node: ONNXNode
    ) throws(ONNXError) -> (dims: [Int], pointer: UnsafeMutablePointer<Float>) {
        switch value {
        case let .tensor(tensor):
            return ([1, tensor.shape.channels, tensor.shape.height, tensor.shape.width], tensor.pointer)
        case let .constant(constant):
            guard case let .float(data) = constant.values, constant.shape.count <= 4,
                data.count == constant.elementCount
            else {
                throw .unsupported(
                    "\(node.label) has a constant operand of shape \(constant.shape) Matte cannot broadcast"
                )
            }
            let dims = [Int](repeating: 1, count: 4 - constant.shape.count) + constant.shape
            let (n, c, h, w) = (dims[0], dims[1], dims[2], dims[3])
            try spend(data.count, for: "a constant of shape \(constant.shape) laid out for XNNPACK")
            let plane = Plane<Float>(count: max(data.count, 1), repeating: 0)
            for batch in 0..<n {
                for channel in 0..<c {
                    for y in 0..<h {
                        for x in 0..<w {
                            plane[((batch * h + y) * w + x) * c + channel] =
                                data[((batch * c + channel) * h + y) * w + x]
                        }
                    }
                }
            }
            keptAlive.append(plane)
            return (dims, plane.pointer)
        case .state:
            throw .unsupported(
                "\(node.label) reads recurrent state before an Expand gives it a shape"
            )
        }
    }

    // MARK: Pooling and reductions

    private func planGlobalAveragePool(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) {
        let x = try tensorInput(node, inputs, 0)
        let output = try define(node.outputs.first ?? "", Shape(channels: x.shape.channels, height: 1, width: 1))
        let channels = x.shape.channels
        let op = try add(node) {
            xnn_create_global_average_pooling_nwc_f32(channels, channels, channels, -.infinity, .infinity, 0, $0)
        }
        try check(
            xnn_setup_global_average_pooling_nwc_f32(op, 1, x.shape.pixels, x.pointer, output.pointer, threadPool),
            node
        )
    }

    private func planAveragePool(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) {
        let x = try tensorInput(node, inputs, 0)
        let attributes = NodeAttributes(node)
        let kernel = try attributes.ints("kernel_shape", default: nil, count: 2)
        let strides = try attributes.ints("strides", default: [1, 1], count: 2)
        let pads = try attributes.ints("pads", default: [0, 0, 0, 0], count: 4)
        let ceil = try attributes.int("ceil_mode", default: 0) != 0
        guard try attributes.string("auto_pad", default: "NOTSET") == "NOTSET", pads.allSatisfy({ $0 == 0 }) else {
            throw .unsupported("\(node.label) pads its input; Matte pools without padding")
        }
        guard strides.allSatisfy({ $0 >= 1 && $0 <= Self.maxSide }) else {
            throw .malformed("\(node.label) has strides \(strides)")
        }
        guard kernel.allSatisfy({ $0 >= 1 }), x.shape.height >= kernel[0], x.shape.width >= kernel[1] else {
            throw .unsupported("\(node.label) kernel \(kernel) does not fit input \(x.shape)")
        }
        func outputSize(_ size: Int, _ kernel: Int, _ stride: Int) -> Int {
            var count = (size - kernel + (ceil ? stride - 1 : 0)) / stride + 1
            // ONNX drops a last window that would start past the input.
            if ceil && (count - 1) * stride >= size { count -= 1 }
            return count
        }
        let shape = Shape(
            channels: x.shape.channels,
            height: outputSize(x.shape.height, kernel[0], strides[0]),
            width: outputSize(x.shape.width, kernel[1], strides[1])
        )
        let output = try define(node.outputs.first ?? "", shape)
        let (from, to, input) = (x.pointer, output.pointer, x.shape)
        steps.append(
            .kernel {
                averagePool(
                    from,
                    height: input.height,
                    width: input.width,
                    channels: input.channels,
                    kernel: (kernel[0], kernel[1]),
                    stride: (strides[0], strides[1]),
                    outputHeight: shape.height,
                    outputWidth: shape.width,
                    into: to
                )
            }
        )
    }

    private func planChannelMean(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) {
        let x = try tensorInput(node, inputs, 0)
        let attributes = NodeAttributes(node)
        let axes = try attributes.ints("axes", default: nil, count: nil)
        guard axes == [1] || axes == [-3], try attributes.int("keepdims", default: 1) == 1 else {
            throw .unsupported("\(node.label) over axes \(listed(axes)); Matte averages channels only")
        }
        let output = try define(
            node.outputs.first ?? "",
            Shape(channels: 1, height: x.shape.height, width: x.shape.width)
        )
        let (from, to, pixels, channels) = (x.pointer, output.pointer, x.shape.pixels, x.shape.channels)
        steps.append(.kernel { channelMean(from, pixels: pixels, channels: channels, into: to) })
    }

    // MARK: Resizing and layout

    private func planGuidedUpsampling(_ fused: GuidedUpsampling) throws(ONNXError) {
        let resize = fused.resizeA
        planning = resize
        let a = try tensorInput(resize, [values[resize.inputs[0]]], 0)
        let b = try tensorInput(fused.resizeB, [values[fused.resizeB.inputs[0]]], 0)
        let image = try tensorInput(resize, [values[fused.image]], 0)
        guard a.shape == b.shape, a.shape.channels == 4, image.shape.channels == 3 else {
            throw .unsupported(
                "\(resize.label) feeds a guided filter with coefficients \(a.shape) and \(b.shape) for an image \(image.shape)"
            )
        }
        let (rowsA, columnsA, sizeA) = try resizeTaps(resize, from: a.shape)
        let (_, _, sizeB) = try resizeTaps(fused.resizeB, from: b.shape)
        guard sizeA == sizeB, sizeA.height == image.shape.height, sizeA.width == image.shape.width else {
            throw .unsupported(
                "\(resize.label) resizes the guided filter to \(sizeA), not to the image \(image.shape)"
            )
        }
        let alpha = try fused.alpha.map { (name: String) throws(ONNXError) in
            try define(name, Shape(channels: 1, height: sizeA.height, width: sizeA.width)).pointer
        }
        let foreground = try fused.foreground.map { (name: String) throws(ONNXError) in
            try define(name, image.shape).pointer
        }
        try spend(a.shape.width * 8, for: "a row of the guided filter")
        let scratch = Plane<Float>(count: a.shape.width * 8, repeating: 0)
        keptAlive.append(scratch)
        let (pointerA, pointerB, pixels, width) = (a.pointer, b.pointer, image.pointer, a.shape.width)
        steps.append(
            .kernel {
                applyUpsampledCoefficients(
                    a: pointerA,
                    b: pointerB,
                    coefficientWidth: width,
                    image: pixels,
                    rows: rowsA,
                    columns: columnsA,
                    alpha: alpha,
                    foreground: foreground,
                    scratch: scratch.pointer
                )
            }
        )
    }

    private func planResize(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) {
        let x = try tensorInput(node, inputs, 0)
        let (rows, columns, size) = try resizeTaps(node, from: x.shape)
        let output = try define(
            node.outputs.first ?? "",
            Shape(channels: x.shape.channels, height: size.height, width: size.width)
        )
        let (from, to, width, channels) = (x.pointer, output.pointer, x.shape.width, x.shape.channels)
        steps.append(
            .kernel { resizeBilinear(from, width: width, channels: channels, rows: rows, columns: columns, into: to) }
        )
    }

    /// Where a linear, half-pixel Resize samples its input, from its constant scales or sizes.
    private func resizeTaps(
        _ node: ONNXNode,
        from input: Shape
    ) throws(ONNXError) -> (ResizeTaps, ResizeTaps, (height: Int, width: Int)) {
        let inputs = node.inputs.map { $0.isEmpty ? nil : values[$0] }
        let attributes = NodeAttributes(node)
        let mode = try attributes.string("mode", default: "nearest")
        let coordinates = try attributes.string("coordinate_transformation_mode", default: "half_pixel")
        guard mode == "linear", coordinates == "pytorch_half_pixel" || coordinates == "half_pixel" else {
            throw .unsupported(
                "\(node.label) is \(ONNXModel.quoted(mode)) with \(ONNXModel.quoted(coordinates)) coordinates; Matte implements linear with half-pixel coordinates"
            )
        }
        var scale: (height: Float, width: Float)
        var size: (height: Int, width: Int)
        if let sizes = try constantInput(node, inputs, 3), sizes.elementCount > 0 {
            guard case let .int64(dims) = sizes.values, dims.count == 4, dims[0] == 1, dims[1] == input.channels,
                dims[2] >= 1, dims[3] >= 1, dims[2] <= Self.maxSide, dims[3] <= Self.maxSide
            else { throw .unsupported("\(node.label) sizes \(listed(sizes.values)) do not resize an image") }
            size = (dims[2], dims[3])
            scale = (Float(dims[2]) / Float(input.height), Float(dims[3]) / Float(input.width))
        } else if let scales = try constantInput(node, inputs, 2) {
            guard case let .float(factors) = scales.values, factors.count == 4, factors[0] == 1, factors[1] == 1,
                factors[2] > 0, factors[3] > 0, factors[2] <= 64, factors[3] <= 64
            else { throw .unsupported("\(node.label) scales \(listed(scales.values)) do not resize an image") }
            scale = (factors[2], factors[3])
            // As ONNX Runtime computes it: the float product, truncated.
            size = (Int(Float(input.height) * factors[2]), Int(Float(input.width) * factors[3]))
        } else {
            throw .malformed("\(node.label) has neither scales nor sizes")
        }
        guard size.height >= 1, size.width >= 1 else {
            throw .unsupported(
                "\(node.label) shrinks \(input) to nothing; the frame is too small for this downsample ratio"
            )
        }
        guard size.height <= Self.maxSide, size.width <= Self.maxSide else {
            throw .unsupported(
                "\(node.label) resizes \(input) to \(size.height)×\(size.width); Matte's tensors are at most \(Self.maxSide) pixels a side"
            )
        }
        // Each output row and column: two Ints and a Float.
        try spend(
            saturatingProduct(size.height + size.width, 5),
            for: "the taps of a resize to \(size.height)×\(size.width)"
        )
        return (
            ResizeTaps(input: input.height, output: size.height, scale: scale.height),
            ResizeTaps(input: input.width, output: size.width, scale: scale.width),
            size
        )
    }

    /// Copies `channels` floats per pixel (or row) with XNNPACK's strided copy: how Concat, Split and Slice
    /// move channel ranges and crops.
    private func planCopy(
        _ node: ONNXNode,
        rows: Int,
        channels: Int,
        from: UnsafeMutablePointer<Float>,
        stride inputStride: Int,
        to: UnsafeMutablePointer<Float>,
        stride outputStride: Int
    ) throws(ONNXError) {
        let op = try add(node) { xnn_create_copy_nc_x32(channels, inputStride, outputStride, 0, $0) }
        try check(xnn_setup_copy_nc_x32(op, rows, from, to, threadPool), node)
    }

    private func channelAxis(_ node: ONNXNode, default fallback: Int?) throws(ONNXError) {
        let axis = try NodeAttributes(node).int("axis", default: fallback)
        guard axis == 1 || axis == -3 else {
            throw .unsupported(
                "\(node.label) works along axis \(axis); Matte joins and splits channels only"
            )
        }
    }

    private func planConcat(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) {
        try channelAxis(node, default: nil)
        let parts = try inputs.indices.map { (index: Int) throws(ONNXError) -> Tensor in
            try tensorInput(node, inputs, index)
        }
        guard let first = parts.first,
            parts.allSatisfy({ $0.shape.height == first.shape.height && $0.shape.width == first.shape.width })
        else {
            throw .malformed("\(node.label) joins tensors of different sizes: \(listed(parts.map(\.shape)))")
        }
        let total = parts.reduce(0) { $0 + $1.shape.channels }
        let output = try define(
            node.outputs.first ?? "",
            Shape(channels: total, height: first.shape.height, width: first.shape.width)
        )
        var offset = 0
        for part in parts {
            try planCopy(
                node,
                rows: part.shape.pixels,
                channels: part.shape.channels,
                from: part.pointer,
                stride: part.shape.channels,
                to: output.pointer + offset,
                stride: total
            )
            offset += part.shape.channels
        }
    }

    private func planSplit(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) {
        try channelAxis(node, default: 0)
        let x = try tensorInput(node, inputs, 0)
        let equal = [Int](repeating: x.shape.channels / max(node.outputs.count, 1), count: node.outputs.count)
        var parts = try NodeAttributes(node).ints("split", default: equal, count: node.outputs.count)
        if let given = try constantInput(node, inputs, 1), case let .int64(sizes) = given.values { parts = sizes }
        guard parts.count == node.outputs.count, parts.allSatisfy({ $0 >= 1 && $0 <= x.shape.channels }),
            parts.reduce(0, +) == x.shape.channels
        else {
            throw .malformed("\(node.label) splits \(x.shape.channels) channels as \(listed(parts))")
        }
        var offset = 0
        for (name, channels) in zip(node.outputs, parts) {
            let output = try define(name, Shape(channels: channels, height: x.shape.height, width: x.shape.width))
            try planCopy(
                node,
                rows: x.shape.pixels,
                channels: channels,
                from: x.pointer + offset,
                stride: x.shape.channels,
                to: output.pointer,
                stride: channels
            )
            offset += channels
        }
    }

    private func planSlice(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) {
        let x = try tensorInput(node, inputs, 0)
        let dims = [1, x.shape.channels, x.shape.height, x.shape.width]
        let ranges = try ConstantFolding.sliceRanges(node, inputs, dims: dims)
        let (channels, rows, columns) = (ranges[1], ranges[2], ranges[3])
        guard ranges[0] == 0..<1, !channels.isEmpty, !rows.isEmpty, !columns.isEmpty else {
            throw .unsupported("\(node.label) cuts \(x.shape) to nothing or across the batch")
        }
        let shape = Shape(channels: channels.count, height: rows.count, width: columns.count)
        if shape == x.shape {
            bind(node.outputs.first ?? "", x)
            return
        }
        let output = try define(node.outputs.first ?? "", shape)
        if channels.count == x.shape.channels {
            // A crop: each output row is one run of the input row.
            try planCopy(
                node,
                rows: rows.count,
                channels: columns.count * x.shape.channels,
                from: x.pointer + (rows.lowerBound * x.shape.width + columns.lowerBound) * x.shape.channels,
                stride: x.shape.width * x.shape.channels,
                to: output.pointer,
                stride: shape.width * shape.channels
            )
        } else if rows.count == x.shape.height && columns.count == x.shape.width {
            try planCopy(
                node,
                rows: x.shape.pixels,
                channels: channels.count,
                from: x.pointer + channels.lowerBound,
                stride: x.shape.channels,
                to: output.pointer,
                stride: channels.count
            )
        } else {
            throw .unsupported("\(node.label) cuts channels and pixels at once")
        }
    }

    /// RVM broadcasts its recurrent state to the feature map's shape; Matte keeps the state at that shape, so
    /// the Expand is the state itself.
    private func planExpand(_ node: ONNXNode, _ inputs: [Value?]) throws(ONNXError) {
        guard let target = try constantInput(node, inputs, 1), case let .int64(dims) = target.values, dims.count == 4,
            dims[0] == 1, dims.allSatisfy({ $0 >= 1 && $0 <= 1 << 16 })
        else { throw .unsupported("\(node.label) needs a constant [1, C, H, W] target shape") }
        let shape = Shape(channels: dims[1], height: dims[2], width: dims[3])
        let name = node.inputs[0]
        switch inputs[0] {
        case .state?:
            let state = try allocate(shape, pinned: true, for: name)
            bind(name, state)
            bind(node.outputs.first ?? "", state)
        case let .tensor(tensor)? where tensor.shape == shape:
            bind(node.outputs.first ?? "", tensor)
        default:
            throw .unsupported(
                "\(node.label) broadcasts to \(shape); Matte expands only state of that shape"
            )
        }
    }
}

/// The product of sizes, or Int.max if it would overflow: a cost to refuse, not to compute.
func saturatingProduct(_ factors: Int...) -> Int {
    var product = 1
    for factor in factors {
        let (next, overflow) = product.multipliedReportingOverflow(by: factor)
        if overflow { return .max }
        product = next
    }
    return product
}

/// A list from the file as messages show it: the first eight values, then how many there are.
func listed<Value>(_ values: [Value]) -> String {
    guard values.count > 8 else { return "\(values)" }
    return "[\(values.prefix(8).map { "\($0)" }.joined(separator: ", ")), … (\(values.count) values)]"
}

func listed(_ values: ONNXTensor.Values) -> String {
    switch values {
    case let .float(list): listed(list)
    case let .int64(list): listed(list)
    }
}

extension ONNXNode {
    /// The node as messages name it, "node 'conv1' (Conv)": what comes from the file quoted and escaped, so that
    /// a message stays one line.
    var label: String { "node \(ONNXModel.quoted(name)) (\(FileName.printable(opType, limit: 80)))" }
}

/// Typed reads of a node's attributes, with ONNX's defaults; a wrong kind is a malformed model.
struct NodeAttributes {
    let node: ONNXNode
    init(_ node: ONNXNode) { self.node = node }

    private func wrongKind(_ name: String, _ kind: String) -> ONNXError {
        .malformed("\(node.label) attribute \(name) is not \(kind)")
    }

    func int(_ name: String, default fallback: Int?) throws(ONNXError) -> Int {
        switch node.attributes[name] {
        case let .int(value)?: return value
        case nil:
            if let fallback {
                return fallback
            } else {
                throw .malformed("\(node.label) lacks attribute \(name)")
            }
        default: throw wrongKind(name, "an integer")
        }
    }

    func float(_ name: String, default fallback: Float) throws(ONNXError) -> Float {
        switch node.attributes[name] {
        case let .float(value)?: return value
        case nil: return fallback
        default: throw wrongKind(name, "a float")
        }
    }

    func string(_ name: String, default fallback: String) throws(ONNXError) -> String {
        switch node.attributes[name] {
        case let .string(bytes)?: return String(decoding: bytes, as: UTF8.self)
        case nil: return fallback
        default: throw wrongKind(name, "a string")
        }
    }

    func ints(_ name: String, default fallback: [Int]?, count: Int?) throws(ONNXError) -> [Int] {
        let values: [Int]
        switch node.attributes[name] {
        case let .ints(list)?: values = list
        case nil:
            guard let fallback else { throw .malformed("\(node.label) lacks attribute \(name)") }
            values = fallback
        default: throw wrongKind(name, "a list of integers")
        }
        if let count, values.count != count {
            throw .malformed(
                "\(node.label) attribute \(name) has \(values.count) values, not \(count)"
            )
        }
        return values
    }
}
