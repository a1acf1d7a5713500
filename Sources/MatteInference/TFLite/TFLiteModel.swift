import MatteFileNames
import MatteMemory

/// Why a model file could not be read or run.
public enum TFLiteError: Error, Equatable, CustomStringConvertible {
    case outOfBounds(String, offset: Int, fileSize: Int)
    case malformed(String)
    case unsupported(String)
    case unreadable(String, String)
    /// XNNPACK failed while setting up or running a graph it had accepted.
    case runtime(String)
    /// The system refused XNNPACK the memory for `what`.
    case outOfMemory(String)

    public var description: String {
        switch self {
        case let .outOfBounds(what, offset, fileSize):
            return "corrupt model: \(what) at byte \(offset) lies outside the \(fileSize)-byte file"
        case let .malformed(what):
            return "corrupt model: \(what)"
        case let .unsupported(what):
            return "unsupported model: \(what)"
        case let .unreadable(path, reason):
            return "cannot read model \(FileName.printable(path)): \(reason)"
        case let .runtime(what):
            return "inference failed: \(what)"
        case let .outOfMemory(what):
            return "not enough memory to \(what); \(OutOfMemory.advice)"
        }
    }
}

/// Element types of TFLite tensors (schema enum TensorType).
public enum TensorType: Int8, Sendable {
    case float32 = 0
    case float16 = 1
    case int32 = 2
    case uint8 = 3
    case int64 = 4
    case string = 5
    case bool = 6
    case int16 = 7
    case
        complex64 = 8
    case int8 = 9
    case float64 = 10

    public var byteSize: Int? {
        switch self {
        case .float32, .int32: return 4
        case .float16, .int16: return 2
        case .uint8, .int8, .bool: return 1
        case .int64, .float64, .complex64: return 8
        case .string: return nil
        }
    }
}

/// The builtin operator codes Matte's engine knows (schema enum BuiltinOperator).
public enum BuiltinOperator: Int32, Sendable {
    case add = 0
    case averagePool2D = 1
    case conv2D = 3
    case depthwiseConv2D = 4
    case dequantize = 6
    case logistic = 14
    case
        mul = 18
    case relu = 19
    case relu6 = 21
    case reshape = 22
    case resizeBilinear = 23
    case custom = 32
    case mean = 40
    case
        hardSwish = 117
}

/// Fused activation functions (schema enum ActivationFunctionType).
public enum FusedActivation: Int8, Sendable {
    case none = 0
    case relu = 1
    case reluN1To1 = 2
    case relu6 = 3
    case tanh = 4
    case signBit = 5
}

public enum Padding: Int8, Sendable {
    case same = 0
    case valid = 1
}

/// The options of the operators the engine maps; others are kept as `.none`.
public enum OperatorOptions: Equatable, Sendable {
    case none
    case conv2D(
        padding: Padding,
        strideW: Int,
        strideH: Int,
        activation: FusedActivation,
        dilationW: Int,
        dilationH: Int
    )
    case depthwiseConv2D(
        padding: Padding,
        strideW: Int,
        strideH: Int,
        depthMultiplier: Int,
        activation: FusedActivation,
        dilationW: Int,
        dilationH: Int
    )
    case pool2D(
        padding: Padding,
        strideW: Int,
        strideH: Int,
        filterW: Int,
        filterH: Int,
        activation: FusedActivation
    )
    case elementwise(activation: FusedActivation)
    case resizeBilinear(alignCorners: Bool, halfPixelCenters: Bool)
    case reducer(keepDims: Bool)
}

public struct TFLiteTensor: Sendable {
    public let name: String
    public let type: TensorType
    public let shape: [Int]
    /// Index into `TFLiteModel.buffers`; buffer 0 is the empty sentinel.
    public let buffer: Int

    public var elementCount: Int { shape.reduce(1, *) }
}

public struct TFLiteOperator: Sendable {
    public let index: Int
    /// The builtin code, or nil for a code this reader does not name.
    public let builtin: BuiltinOperator?
    public let builtinCode: Int32
    public let customCode: String?
    public let inputs: [Int]
    public let outputs: [Int]
    public let options: OperatorOptions
    public let customOptions: [UInt8]

    /// A name for error messages: the custom name, the builtin name, or the raw code.
    public var displayName: String {
        if let customCode { return "CUSTOM \(customCode)" }
        if let builtin { return "\(builtin)" }
        return "builtin operator \(builtinCode)"
    }
}

/// A parsed TFLite model: the first subgraph, its tensors and the constant buffers.
public struct TFLiteModel: Sendable {
    public let version: UInt32
    public let description: String
    public let tensors: [TFLiteTensor]
    public let operators: [TFLiteOperator]
    public let inputs: [Int]
    public let outputs: [Int]
    /// Byte ranges of constant data inside `bytes` (empty for buffers without data).
    public let buffers: [Range<Int>]
    public let bytes: [UInt8]

    /// The raw bytes of a tensor's constant data, checked against the tensor's shape and type.
    public func constantData(of tensorIndex: Int) throws(TFLiteError) -> ArraySlice<UInt8> {
        let tensor = tensors[tensorIndex]
        let range = buffers[tensor.buffer]
        guard let elementSize = tensor.type.byteSize else {
            throw .unsupported("tensor \(tensorIndex) '\(tensor.name)' has type \(tensor.type)")
        }
        guard range.count == tensor.elementCount * elementSize else {
            throw .malformed(
                "tensor \(tensorIndex) '\(tensor.name)' shape \(tensor.shape) needs "
                    + "\(tensor.elementCount * elementSize) bytes but its buffer has \(range.count)"
            )
        }
        return bytes[range]
    }

    public func isConstant(_ tensorIndex: Int) -> Bool {
        !buffers[tensors[tensorIndex].buffer].isEmpty
    }
}

extension TFLiteModel {
    /// TFLite files carry this identifier at bytes 4..<8.
    static let fileIdentifier: [UInt8] = Array("TFL3".utf8)
    /// Upper bound on tensor rank and dimension size; real models are far below, hostile files are not.
    static let maxRank = 8
    static let maxDimension = 1 << 24
    static let maxElements = 1 << 28

    public init(bytes: [UInt8]) throws(TFLiteError) {
        guard bytes.count >= 8 else { throw .malformed("file is \(bytes.count) bytes, too short for a TFLite model") }
        guard Array(bytes[4..<8]) == Self.fileIdentifier else {
            throw .malformed("missing the TFL3 identifier (not a .tflite file?)")
        }
        let reader = FlatBufferReader(bytes)
        let model = try reader.rootTable()

        let version = try model.u32(0)
        let description = try model.string(3, "model description") ?? ""

        let codes = try model.tables(1, "operator_codes").enumerated().map { (index, code) throws(TFLiteError) in
            let deprecated = Int32(try code.i8(0))
            let builtin = try code.i32(3)
            // Old files only set the byte-sized deprecated field; newer ones set both (TFLite takes the max).
            return (code: max(deprecated, builtin), custom: try code.string(1, "operator_codes[\(index)].custom_code"))
        }

        let buffers = try model.tables(4, "buffers").enumerated().map {
            (index, buffer) throws(TFLiteError) -> Range<Int> in
            if let data = try buffer.vector(0, elementSize: 1, "buffers[\(index)].data") {
                return data.start..<(data.start + data.count)
            }
            // Models over 2 GB keep data after the FlatBuffer, addressed by offset and size.
            let offset = try buffer.u64(1)
            let size = try buffer.u64(2)
            guard offset > 1 else { return 0..<0 }
            guard offset <= UInt64(bytes.count), size <= UInt64(bytes.count) - offset else {
                throw .outOfBounds(
                    "buffers[\(index)] external data",
                    offset: Int(clamping: offset),
                    fileSize: bytes.count
                )
            }
            return Int(offset)..<Int(offset + size)
        }

        let subgraphs = try model.tables(2, "subgraphs")
        guard let graph = subgraphs.first else { throw .malformed("model has no subgraph") }

        let tensors = try graph.tables(0, "tensors").enumerated().map { (index, tensor) throws(TFLiteError) in
            let what = "tensors[\(index)]"
            let rawShape = try tensor.int32s(0, "\(what).shape")
            guard rawShape.count <= Self.maxRank, rawShape.allSatisfy({ $0 >= 0 && $0 <= Self.maxDimension }) else {
                throw TFLiteError.malformed("\(what) has shape \(rawShape)")
            }
            let shape = rawShape.map(Int.init)
            var elementCount = 1
            for dimension in shape {
                let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= Self.maxElements else {
                    throw TFLiteError.malformed("\(what) has shape \(rawShape), too large")
                }
                elementCount = product
            }
            let rawType = try tensor.i8(1)
            guard let type = TensorType(rawValue: rawType) else {
                throw TFLiteError.unsupported("\(what) has unknown type \(rawType)")
            }
            let buffer = Int(try tensor.u32(2))
            guard buffer < buffers.count else {
                throw TFLiteError.malformed("\(what) names buffer \(buffer) of \(buffers.count)")
            }
            return TFLiteTensor(
                name: try tensor.string(3, "\(what).name") ?? "",
                type: type,
                shape: shape,
                buffer: buffer
            )
        }

        func tensorIndices(_ raw: [Int32], _ what: String) throws(TFLiteError) -> [Int] {
            try raw.map { (value) throws(TFLiteError) -> Int in
                // -1 marks an optional input that is absent.
                guard value >= -1, Int(value) < tensors.count else {
                    throw .malformed("\(what) names tensor \(value) of \(tensors.count)")
                }
                return Int(value)
            }
        }

        let operators = try graph.tables(3, "operators").enumerated().map { (index, op) throws(TFLiteError) in
            let what = "operators[\(index)]"
            let opcodeIndex = Int(try op.u32(0))
            guard opcodeIndex < codes.count else {
                throw TFLiteError.malformed("\(what) names operator code \(opcodeIndex) of \(codes.count)")
            }
            let code = codes[opcodeIndex]
            let builtin = BuiltinOperator(rawValue: code.code)
            let options = try Self.parseOptions(of: builtin, table: try op.table(4, "\(what).builtin_options"))
            var customOptions: [UInt8] = []
            if let span = try op.vector(5, elementSize: 1, "\(what).custom_options") {
                customOptions = Array(bytes[span.start..<(span.start + span.count)])
            }
            return TFLiteOperator(
                index: index,
                builtin: builtin,
                builtinCode: code.code,
                customCode: code.code == BuiltinOperator.custom.rawValue ? (code.custom ?? "") : nil,
                inputs: try tensorIndices(try op.int32s(1, "\(what).inputs"), "\(what).inputs"),
                outputs: try tensorIndices(try op.int32s(2, "\(what).outputs"), "\(what).outputs"),
                options: options,
                customOptions: customOptions
            )
        }

        self.version = version
        self.description = description
        self.tensors = tensors
        self.operators = operators
        self.inputs = try tensorIndices(try graph.int32s(1, "subgraph inputs"), "subgraph inputs")
        self.outputs = try tensorIndices(try graph.int32s(2, "subgraph outputs"), "subgraph outputs")
        self.buffers = buffers
        self.bytes = bytes
        guard !inputs.contains(-1), !outputs.contains(-1) else { throw .malformed("subgraph input or output is -1") }
    }

    private static func parseOptions(
        of builtin: BuiltinOperator?,
        table: FlatBufferReader.Table?
    ) throws(TFLiteError)
        -> OperatorOptions
    {
        guard let builtin, let table else { return .none }
        func padding(_ slot: Int) throws(TFLiteError) -> Padding {
            let raw = try table.i8(slot)
            guard let value = Padding(rawValue: raw) else { throw .malformed("\(table.name) has padding \(raw)") }
            return value
        }
        func activation(_ slot: Int) throws(TFLiteError) -> FusedActivation {
            let raw = try table.i8(slot)
            guard let value = FusedActivation(rawValue: raw) else {
                throw .malformed("\(table.name) has fused activation \(raw)")
            }
            return value
        }
        func int(_ slot: Int, default value: Int32 = 0) throws(TFLiteError) -> Int {
            Int(try table.i32(slot, default: value))
        }

        switch builtin {
        case .conv2D:
            return .conv2D(
                padding: try padding(0),
                strideW: try int(1),
                strideH: try int(2),
                activation: try activation(3),
                dilationW: try int(4, default: 1),
                dilationH: try int(5, default: 1)
            )
        case .depthwiseConv2D:
            return .depthwiseConv2D(
                padding: try padding(0),
                strideW: try int(1),
                strideH: try int(2),
                depthMultiplier: try int(3),
                activation: try activation(4),
                dilationW: try int(5, default: 1),
                dilationH: try int(6, default: 1)
            )
        case .averagePool2D:
            return .pool2D(
                padding: try padding(0),
                strideW: try int(1),
                strideH: try int(2),
                filterW: try int(3),
                filterH: try int(4),
                activation: try activation(5)
            )
        case .add, .mul:
            return .elementwise(activation: try activation(0))
        case .resizeBilinear:
            return .resizeBilinear(alignCorners: try table.bool(2), halfPixelCenters: try table.bool(3))
        case .mean:
            return .reducer(keepDims: try table.bool(0))
        default:
            return .none
        }
    }
}
