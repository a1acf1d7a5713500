import CXNNPACK
import MatteMemory

/// Translates TFLite operators into XNNPACK subgraph nodes, one TFLite tensor to one XNNPACK value.
/// It owns the subgraph handle, so it cannot be copied (a copy would delete the subgraph twice).
struct SubgraphBuilder: ~Copyable {
    static let inputID: UInt32 = 0
    static let outputID: UInt32 = 1

    let model: TFLiteModel
    private(set) var subgraph: xnn_subgraph_t
    private var values: [UInt32?]
    /// Float32 data for constant tensors (widened from float16 where the model stores it so).
    private var constants: [Int: Plane<Float>] = [:]

    init(model: TFLiteModel) throws(TFLiteError) {
        var subgraph: xnn_subgraph_t? = nil
        let created = xnn_create_subgraph(2, 0, &subgraph)
        guard created == xnn_status_success, let subgraph else {
            if created == xnn_status_out_of_memory { throw .outOfMemory("load the model") }
            throw .unsupported("XNNPACK could not create a subgraph")
        }
        self.model = model
        self.subgraph = subgraph
        values = Array(repeating: nil, count: model.tensors.count)
    }

    deinit { xnn_delete_subgraph(subgraph) }

    /// The constants the subgraph points into: a runtime made from it must keep them as long as it lives.
    var weights: [Plane<Float>] { Array(constants.values) }

    mutating func translate() throws(TFLiteError) {
        // XNNPACK allocates no memory for a value nobody reads and then fails an assertion in the node that
        // writes it, so operators whose results never reach the output are left out.
        var needed = Set(model.outputs)
        var live = [Bool](repeating: false, count: model.operators.count)
        for op in model.operators.reversed() where op.outputs.contains(where: needed.contains) {
            live[op.index] = true
            needed.formUnion(op.inputs)
        }
        for op in model.operators where live[op.index] {
            try translate(op)
        }
        guard values[model.outputs[0]] != nil else {
            throw .malformed("no operator produces the output tensor \(model.outputs[0])")
        }
    }

    // MARK: Operators

    private mutating func translate(_ op: TFLiteOperator) throws(TFLiteError) {
        let name = "operator \(op.index) (\(op.displayName))"
        func check(_ status: xnn_status) throws(TFLiteError) {
            guard status == xnn_status_success else {
                if status == xnn_status_out_of_memory { throw .outOfMemory("load the model") }
                throw .unsupported("XNNPACK rejected \(name) (status \(status.rawValue))")
            }
        }
        func need(inputs: Int, outputs: Int = 1) throws(TFLiteError) {
            guard op.inputs.count >= inputs, op.outputs.count == outputs,
                !op.inputs.prefix(inputs).contains(-1)
            else {
                throw .malformed("\(name) has \(op.inputs.count) inputs and \(op.outputs.count) outputs")
            }
        }

        switch (op.builtin, op.options) {
        case (.dequantize, _):
            try need(inputs: 1)
            // Weights are stored as float16 constants: widen them once here instead of at every run.
            guard model.isConstant(op.inputs[0]) else {
                throw .unsupported("\(name) dequantizes a non-constant tensor")
            }
            try defineConstant(op.outputs[0], from: op.inputs[0], name)

        case let (.conv2D, .conv2D(padding, strideW, strideH, activation, dilationW, dilationH)):
            try need(inputs: 2)
            let x = try shape(op.inputs[0], rank: 4, name)
            let filter = try shape(op.inputs[1], rank: 4, name)
            guard filter[3] == x[3] else { throw .unsupported("\(name) is a grouped convolution") }
            try expectWeights(op, outputChannels: filter[0], name)
            try expectOutput(
                op,
                [
                    x[0], try windowed(x[1], filter[1], strideH, dilationH, padding, name),
                    try windowed(x[2], filter[2], strideW, dilationW, padding, name), filter[0],
                ],
                name
            )
            let range = try outputRange(activation, name)
            try check(
                xnn_define_convolution_2d(
                    subgraph,
                    0,
                    0,
                    0,
                    0,
                    UInt32(filter[1]),
                    UInt32(filter[2]),
                    try positive(strideH, name),
                    try positive(strideW, name),
                    try positive(dilationH, name),
                    try positive(dilationW, name),
                    1,
                    filter[3],
                    filter[0],
                    range.min,
                    range.max,
                    try value(op.inputs[0], name),
                    try value(op.inputs[1], name),
                    try optionalValue(op, 2, name),
                    try output(op.outputs[0], name),
                    padding == .same ? matte_xnn_flag_tensorflow_same_padding : 0
                )
            )

        case let (
            .depthwiseConv2D, .depthwiseConv2D(padding, strideW, strideH, multiplier, activation, dilationW, dilationH)
        ):
            try need(inputs: 2)
            let x = try shape(op.inputs[0], rank: 4, name)
            let filter = try shape(op.inputs[1], rank: 4, name)
            guard multiplier >= 1, filter[3] == x[3] * multiplier else {
                throw .malformed("\(name) filter \(filter) does not match input \(x) × \(multiplier)")
            }
            try expectWeights(op, outputChannels: filter[3], name)
            try expectOutput(
                op,
                [
                    x[0], try windowed(x[1], filter[1], strideH, dilationH, padding, name),
                    try windowed(x[2], filter[2], strideW, dilationW, padding, name), filter[3],
                ],
                name
            )
            let range = try outputRange(activation, name)
            try check(
                xnn_define_depthwise_convolution_2d(
                    subgraph,
                    0,
                    0,
                    0,
                    0,
                    UInt32(filter[1]),
                    UInt32(filter[2]),
                    try positive(strideH, name),
                    try positive(strideW, name),
                    try positive(dilationH, name),
                    try positive(dilationW, name),
                    UInt32(multiplier),
                    x[3],
                    range.min,
                    range.max,
                    try value(op.inputs[0], name),
                    try value(op.inputs[1], name),
                    try optionalValue(op, 2, name),
                    try output(op.outputs[0], name),
                    padding == .same ? matte_xnn_flag_tensorflow_same_padding : 0
                )
            )

        case let (.averagePool2D, .pool2D(padding, strideW, strideH, filterW, filterH, activation)):
            try need(inputs: 1)
            let x = try shape(op.inputs[0], rank: 4, name)
            let range = try outputRange(activation, name)
            if filterH == x[1], filterW == x[2], padding == .valid {
                try expectOutput(op, [x[0], 1, 1, x[3]], name)
                try check(
                    xnn_define_global_average_pooling_2d(
                        subgraph,
                        range.min,
                        range.max,
                        try value(op.inputs[0], name),
                        try output(op.outputs[0], name),
                        0
                    )
                )
            } else {
                try expectOutput(
                    op,
                    [
                        x[0], try windowed(x[1], filterH, strideH, 1, padding, name),
                        try windowed(x[2], filterW, strideW, 1, padding, name), x[3],
                    ],
                    name
                )
                try check(
                    xnn_define_average_pooling_2d(
                        subgraph,
                        0,
                        0,
                        0,
                        0,
                        try positive(filterH, name),
                        try positive(filterW, name),
                        try positive(strideH, name),
                        try positive(strideW, name),
                        range.min,
                        range.max,
                        try value(op.inputs[0], name),
                        try output(op.outputs[0], name),
                        padding == .same ? matte_xnn_flag_tensorflow_same_padding : 0
                    )
                )
            }

        case (.mean, .reducer):
            try need(inputs: 2)
            let x = try shape(op.inputs[0], rank: 4, name)
            let axes = try int32Constant(op.inputs[1], name)
            guard Set(axes) == [1, 2] else {
                throw .unsupported("\(name) averages over axes \(axes); only [1, 2] is supported")
            }
            try expectOutput(op, [x[0], 1, 1, x[3]], name, sameElementsSuffice: true)
            try check(
                xnn_define_global_average_pooling_2d(
                    subgraph,
                    -.infinity,
                    .infinity,
                    try value(op.inputs[0], name),
                    try output(op.outputs[0], name),
                    0
                )
            )

        case (.relu, _), (.relu6, _):
            try need(inputs: 1)
            try expectOutput(op, try shape(op.inputs[0], rank: nil, name), name)
            try check(
                xnn_define_clamp(
                    subgraph,
                    0,
                    op.builtin == .relu6 ? 6 : .infinity,
                    try value(op.inputs[0], name),
                    try output(op.outputs[0], name),
                    0
                )
            )

        case (.hardSwish, _):
            try need(inputs: 1)
            try expectOutput(op, try shape(op.inputs[0], rank: nil, name), name)
            try check(xnn_define_hardswish(subgraph, try value(op.inputs[0], name), try output(op.outputs[0], name), 0))

        case (.logistic, _):
            try need(inputs: 1)
            try expectOutput(op, try shape(op.inputs[0], rank: nil, name), name)
            try check(xnn_define_sigmoid(subgraph, try value(op.inputs[0], name), try output(op.outputs[0], name), 0))

        case let (.add, .elementwise(activation)), let (.mul, .elementwise(activation)):
            try need(inputs: 2)
            try expectOutput(
                op,
                try broadcast(
                    try shape(op.inputs[0], rank: nil, name),
                    try shape(op.inputs[1], rank: nil, name),
                    name
                ),
                name
            )
            let range = try outputRange(activation, name)
            let define = op.builtin == .add ? xnn_define_add2 : xnn_define_multiply2
            try check(
                define(
                    subgraph,
                    range.min,
                    range.max,
                    try value(op.inputs[0], name),
                    try value(op.inputs[1], name),
                    try output(op.outputs[0], name),
                    0
                )
            )

        case let (.resizeBilinear, .resizeBilinear(alignCorners, halfPixelCenters)):
            try need(inputs: 2)
            let x = try shape(op.inputs[0], rank: 4, name)
            let size = try int32Constant(op.inputs[1], name)
            guard size.count == 2, size.allSatisfy({ $0 > 0 && $0 <= TFLiteModel.maxDimension }) else {
                throw .malformed("\(name) has size \(size)")
            }
            try expectOutput(op, [x[0], Int(size[0]), Int(size[1]), x[3]], name)
            let flags: UInt32 =
                alignCorners
                ? UInt32(XNN_FLAG_ALIGN_CORNERS)
                : halfPixelCenters ? 0 : UInt32(XNN_FLAG_TENSORFLOW_LEGACY_MODE)
            try check(
                xnn_define_static_resize_bilinear_2d(
                    subgraph,
                    Int(size[0]),
                    Int(size[1]),
                    try value(op.inputs[0], name),
                    try output(op.outputs[0], name),
                    flags
                )
            )

        case (.reshape, _):
            try need(inputs: 1)
            let newShape = try shape(op.outputs[0], rank: nil, name)
            try expectOutput(op, try shape(op.inputs[0], rank: nil, name), name, sameElementsSuffice: true)
            try check(
                xnn_define_static_reshape(
                    subgraph,
                    newShape.count,
                    newShape,
                    try value(op.inputs[0], name),
                    try output(op.outputs[0], name),
                    0
                )
            )

        case (.custom, _) where op.customCode == "Convolution2DTransposeBias":
            try translateTransposeConvolutionWithBias(op, name, check)

        default:
            throw .unsupported("\(name) is not supported by Matte's engine")
        }
    }

    /// MediaPipe's custom op: a transposed convolution plus bias, options = {padding, stride_w, stride_h} as int32.
    private mutating func translateTransposeConvolutionWithBias(
        _ op: TFLiteOperator,
        _ name: String,
        _ check: (xnn_status) throws(TFLiteError) -> Void
    ) throws(TFLiteError) {
        guard op.inputs.count == 3, op.outputs.count == 1, !op.inputs.contains(-1) else {
            throw .malformed("\(name) has \(op.inputs.count) inputs and \(op.outputs.count) outputs")
        }
        guard op.customOptions.count >= 12 else {
            throw .malformed("\(name) has \(op.customOptions.count) option bytes, needs 12")
        }
        func option(_ index: Int) -> Int {
            let bytes = op.customOptions[(4 * index)..<(4 * index + 4)]
            return Int(Int32(bitPattern: bytes.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
        }
        // TfLitePadding: 1 = SAME, 2 = VALID.
        let padding = option(0)
        let strideW = option(1)
        let strideH = option(2)
        guard padding == 1 || padding == 2 else { throw .malformed("\(name) has padding \(padding)") }
        let x = try shape(op.inputs[0], rank: 4, name)
        let filter = try shape(op.inputs[1], rank: 4, name)
        let out = try shape(op.outputs[0], rank: 4, name)
        guard filter[3] == x[3] else { throw .malformed("\(name) filter \(filter) does not match input \(x)") }
        let sh = Int(try positive(strideH, name))
        let sw = Int(try positive(strideW, name))
        try expectWeights(op, outputChannels: filter[0], name)
        try expectOutput(
            op,
            padding == 1
                ? [x[0], x[1] * sh, x[2] * sw, filter[0]]
                : [x[0], (x[1] - 1) * sh + filter[1], (x[2] - 1) * sw + filter[2], filter[0]],
            name
        )
        // Padding that yields the declared output size; zero for VALID.
        let padH = max((x[1] - 1) * sh + filter[1] - out[1], 0)
        let padW = max((x[2] - 1) * sw + filter[2] - out[2], 0)
        try check(
            xnn_define_deconvolution_2d(
                subgraph,
                UInt32(padH / 2),
                UInt32(padW - padW / 2),
                UInt32(padH - padH / 2),
                UInt32(padW / 2),
                0,
                0,
                UInt32(filter[1]),
                UInt32(filter[2]),
                UInt32(sh),
                UInt32(sw),
                1,
                1,
                1,
                filter[3],
                filter[0],
                -.infinity,
                .infinity,
                try value(op.inputs[0], name),
                try value(op.inputs[1], name),
                try value(op.inputs[2], name),
                try output(op.outputs[0], name),
                0
            )
        )
    }

    // MARK: Shapes

    /// XNNPACK computes output sizes itself and writes that many elements, so the declared output shape
    /// must be exactly what the operator produces, or a hostile model could make it write out of bounds.
    private func expectOutput(
        _ op: TFLiteOperator,
        _ expected: [Int],
        _ name: String,
        sameElementsSuffice: Bool = false
    ) throws(TFLiteError) {
        let declared = model.tensors[op.outputs[0]].shape
        let matches = sameElementsSuffice ? declared.reduce(1, *) == expected.reduce(1, *) : declared == expected
        guard matches else { throw .malformed("\(name) produces shape \(expected) but declares \(declared)") }
    }

    /// Filters and biases must be constants of the expected size (XNNPACK packs them at load).
    private func expectWeights(_ op: TFLiteOperator, outputChannels: Int, _ name: String) throws(TFLiteError) {
        // Weights are model constants, or float32 copies made for a DEQUANTIZE's output.
        guard model.isConstant(op.inputs[1]) || constants[op.inputs[1]] != nil else {
            throw .unsupported("\(name) has a filter that is not a constant")
        }
        if op.inputs.count > 2, op.inputs[2] >= 0 {
            guard model.tensors[op.inputs[2]].elementCount == outputChannels else {
                throw .malformed(
                    "\(name) has \(model.tensors[op.inputs[2]].elementCount) biases for \(outputChannels) channels"
                )
            }
        }
    }

    /// Output length of a sliding window (TensorFlow's SAME / VALID rules).
    private func windowed(
        _ size: Int,
        _ kernel: Int,
        _ stride: Int,
        _ dilation: Int,
        _ padding: Padding,
        _ name: String
    ) throws(TFLiteError) -> Int {
        let stride = Int(try positive(stride, name))
        let dilation = Int(try positive(dilation, name))
        let span = (kernel - 1) * dilation + 1
        switch padding {
        case .same: return (size + stride - 1) / stride
        case .valid:
            guard size >= span else { throw .malformed("\(name) has a \(span)-wide window over \(size)") }
            return (size - span) / stride + 1
        }
    }

    /// NumPy broadcasting, as TFLite's ADD and MUL apply it.
    private func broadcast(_ a: [Int], _ b: [Int], _ name: String) throws(TFLiteError) -> [Int] {
        let rank = max(a.count, b.count)
        let a = Array(repeating: 1, count: rank - a.count) + a
        let b = Array(repeating: 1, count: rank - b.count) + b
        return try zip(a, b).map { (pair) throws(TFLiteError) -> Int in
            guard pair.0 == pair.1 || pair.0 == 1 || pair.1 == 1 else {
                throw .malformed("\(name) cannot broadcast \(a) with \(b)")
            }
            return max(pair.0, pair.1)
        }
    }

    // MARK: Values

    private func shape(_ tensor: Int, rank: Int?, _ name: String) throws(TFLiteError) -> [Int] {
        let shape = model.tensors[tensor].shape
        if let rank, shape.count != rank {
            throw .unsupported("\(name) tensor \(tensor) has shape \(shape), expected rank \(rank)")
        }
        guard shape.allSatisfy({ $0 > 0 }) else { throw .unsupported("\(name) tensor \(tensor) has shape \(shape)") }
        return shape
    }

    private func positive(_ value: Int, _ name: String) throws(TFLiteError) -> UInt32 {
        guard value >= 1, value <= 64 else { throw .malformed("\(name) has stride or dilation \(value)") }
        return UInt32(value)
    }

    private func outputRange(
        _ activation: FusedActivation,
        _ name: String
    ) throws(TFLiteError) -> (min: Float, max: Float) {
        switch activation {
        case .none: return (-.infinity, .infinity)
        case .relu: return (0, .infinity)
        case .relu6: return (0, 6)
        case .reluN1To1: return (-1, 1)
        case .tanh, .signBit: throw .unsupported("\(name) fuses activation \(activation)")
        }
    }

    private func int32Constant(_ tensor: Int, _ name: String) throws(TFLiteError) -> [Int32] {
        guard model.tensors[tensor].type == .int32, model.isConstant(tensor) else {
            throw .unsupported("\(name) needs a constant int32 tensor at input \(tensor)")
        }
        let data = try model.constantData(of: tensor)
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        }
    }

    /// Gives `target` the float32 value of constant tensor `source` (itself when no dequantize is involved).
    private mutating func defineConstant(_ target: Int, from source: Int, _ name: String) throws(TFLiteError) {
        guard values[target] == nil else {
            throw .malformed("\(name) writes tensor \(target), which is already defined")
        }
        let data = try model.constantData(of: source)
        let count = model.tensors[source].elementCount
        guard count == model.tensors[target].elementCount else {
            throw .malformed("\(name) changes the element count of tensor \(source)")
        }
        let floats = Plane<Float>(count: count, repeating: 0)
        constants[target] = floats
        switch model.tensors[source].type {
        case .float32:
            data.withUnsafeBytes { raw in
                for index in 0..<count {
                    floats[index] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
                }
            }
        case .float16:
            data.withUnsafeBytes { raw in
                for index in 0..<count {
                    floats[index] = Float(
                        Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                    )
                }
            }
        default:
            throw .unsupported("\(name) uses a constant of type \(model.tensors[source].type)")
        }
        values[target] = try defineTensor(target, data: floats.pointer, name)
    }

    private mutating func optionalValue(
        _ op: TFLiteOperator,
        _ position: Int,
        _ name: String
    ) throws(TFLiteError) -> UInt32 {
        guard op.inputs.count > position, op.inputs[position] >= 0 else { return matte_xnn_invalid_value_id }
        return try value(op.inputs[position], name)
    }

    /// The XNNPACK value an operator reads: a constant (defined on first use), the graph input, or the
    /// output of an earlier operator. Anything else would leave XNNPACK reading unallocated memory.
    private mutating func value(_ tensor: Int, _ name: String) throws(TFLiteError) -> UInt32 {
        if let id = values[tensor] { return id }
        if model.isConstant(tensor) {
            try defineConstant(tensor, from: tensor, name)
            return values[tensor]!
        }
        guard tensor == model.inputs[0], model.tensors[tensor].type == .float32 else {
            throw .malformed("\(name) reads tensor \(tensor) before any operator writes it")
        }
        let id = try defineTensor(tensor, data: nil, name)
        values[tensor] = id
        return id
    }

    /// The XNNPACK value an operator writes; each tensor is written once and never a constant.
    private mutating func output(_ tensor: Int, _ name: String) throws(TFLiteError) -> UInt32 {
        guard values[tensor] == nil, !model.isConstant(tensor), tensor != model.inputs[0] else {
            throw .malformed("\(name) writes tensor \(tensor), which is the input, a constant or already written")
        }
        guard model.tensors[tensor].type == .float32 else {
            throw .unsupported("\(name) uses tensor \(tensor) of type \(model.tensors[tensor].type)")
        }
        let id = try defineTensor(tensor, data: nil, name)
        values[tensor] = id
        return id
    }

    private func defineTensor(_ tensor: Int, data: UnsafeRawPointer?, _ name: String) throws(TFLiteError) -> UInt32 {
        let dims = model.tensors[tensor].shape
        guard dims.count <= Int(XNN_MAX_TENSOR_DIMS) else {
            throw .unsupported("\(name) tensor \(tensor) has rank \(dims.count)")
        }
        var externalID = matte_xnn_invalid_value_id
        var flags: UInt32 = 0
        if tensor == model.inputs[0] { (externalID, flags) = (Self.inputID, matte_xnn_value_flag_external_input) }
        if tensor == model.outputs[0] { (externalID, flags) = (Self.outputID, matte_xnn_value_flag_external_output) }
        if data != nil, externalID != matte_xnn_invalid_value_id {
            throw .malformed("graph input or output tensor \(tensor) is a constant")
        }
        var id: UInt32 = 0
        let status = xnn_define_tensor_value(
            subgraph,
            xnn_datatype_fp32,
            dims.count,
            dims,
            data,
            externalID,
            flags,
            &id
        )
        guard status == xnn_status_success else {
            if status == xnn_status_out_of_memory { throw .outOfMemory("load the model") }
            throw .unsupported(
                "XNNPACK rejected tensor \(tensor) shape \(dims) used by \(name) (status \(status.rawValue))"
            )
        }
        return id
    }
}
