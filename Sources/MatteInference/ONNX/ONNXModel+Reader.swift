import MatteFileNames

extension ONNXModel {
    /// Bounds on what a file may declare; real models are far below (Robust Video Matting has 353 nodes, rank 4
    /// and 230,400 weights in its largest tensor), hostile files are not. This one is the most nodes, initializers,
    /// graph inputs or outputs, or inputs or outputs of one node.
    static let maxListLength = 1 << 16
    static let maxAttributes = 64
    static let maxRank = 8
    /// A float32 tensor this large fills a file of `maxFileSize`.
    static let maxElements = maxFileSize / 4

    /// Parses an .onnx file (a serialised ModelProto): the main graph's nodes, initializers, inputs and outputs.
    public init(bytes: [UInt8]) throws(ONNXError) {
        var reader = ProtobufReader(bytes, name: "model")
        var identified = false
        var graph: ProtobufReader?
        var opsetVersion: Int?
        do throws(ONNXError) {
            while let field = try reader.nextField() {
                switch field.number {
                case 1:
                    _ = try reader.int(field)  // ir_version
                    identified = true
                case 7:
                    graph = try reader.message(field, name: "graph")
                case 8:
                    var opset = try reader.message(field, name: "opset_import")
                    guard let version = try Self.defaultDomainVersion(&opset) else { continue }
                    guard opsetVersion == nil else {
                        throw .malformed("two opset_import entries for the ai.onnx domain")
                    }
                    opsetVersion = version
                default:
                    try reader.skip(field)
                }
            }
        } catch  where !identified {
            // Every ONNX writer puts ir_version first, so a file that fails before one is most likely something
            // else entirely (a .tflite, an image): say that rather than name the first odd byte.
            throw .malformed("the file is not protobuf: not an ONNX model?")
        }
        guard var graph else { throw .malformed("no graph: not an ONNX model?") }
        guard let opsetVersion else { throw .malformed("no opset_import for the ai.onnx domain") }
        self = try Self.parseGraph(&graph, opsetVersion: opsetVersion)
    }

    /// The version of an OperatorSetIdProto if it is the default domain's ("" or "ai.onnx"), else nil.
    private static func defaultDomainVersion(_ reader: inout ProtobufReader) throws(ONNXError) -> Int? {
        var domain = ""
        var version = 0
        while let field = try reader.nextField() {
            switch field.number {
            case 1: domain = try reader.string(field)
            case 2: version = try reader.int(field)
            default: try reader.skip(field)
            }
        }
        guard domain.isEmpty || domain == "ai.onnx" else { return nil }
        guard version >= 1 else { throw .malformed("opset_import for the ai.onnx domain has version \(version)") }
        return version
    }

    /// GraphProto. value_info (intermediate shapes) is skipped: the planner infers shapes itself.
    private static func parseGraph(_ reader: inout ProtobufReader, opsetVersion: Int) throws(ONNXError) -> ONNXModel {
        var nodes: [ONNXNode] = []
        var initializers: [String: ONNXTensor] = [:]
        var inputs: [ONNXValueInfo] = []
        var outputs: [ONNXValueInfo] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                var message = try reader.message(field, name: "node \(nodes.count)")
                try nodes.append(try parseNode(&message), limit: maxListLength, "graph's node list")
            case 5:
                guard initializers.count < maxListLength else {
                    throw .malformed("graph has more than \(maxListLength) initializers")
                }
                var message = try reader.message(field, name: "initializer \(initializers.count)")
                let tensor = try parseTensor(&message, label: message.name)
                guard !tensor.name.isEmpty else { throw .malformed("\(message.name) has no name") }
                guard initializers.updateValue(tensor, forKey: tensor.name) == nil else {
                    throw .malformed("two initializers are named \(quoted(tensor.name))")
                }
            case 11:
                var message = try reader.message(field, name: "graph input \(inputs.count)")
                try inputs.append(try parseValueInfo(&message), limit: maxListLength, "graph's input list")
            case 12:
                var message = try reader.message(field, name: "graph output \(outputs.count)")
                try outputs.append(try parseValueInfo(&message), limit: maxListLength, "graph's output list")
            case 15:
                throw .unsupported("the graph has sparse initializers (at byte \(field.offset))")
            default:
                try reader.skip(field)
            }
        }
        return ONNXModel(
            opsetVersion: opsetVersion,
            nodes: nodes,
            initializers: initializers,
            // Older exporters list every initializer as a graph input too; those are weights, not inputs.
            inputs: inputs.filter { initializers[$0.name] == nil },
            outputs: outputs
        )
    }

    /// NodeProto. Attributes are read after the rest so that errors in them can name the node.
    private static func parseNode(_ reader: inout ProtobufReader) throws(ONNXError) -> ONNXNode {
        var inputs: [String] = []
        var outputs: [String] = []
        var name = ""
        var opType = ""
        var domain = ""
        var attributes: [ProtobufReader] = []
        let context = reader.name
        while let field = try reader.nextField() {
            switch field.number {
            case 1: try inputs.append(try reader.string(field), limit: maxListLength, "\(context)'s input list")
            case 2: try outputs.append(try reader.string(field), limit: maxListLength, "\(context)'s output list")
            case 3: name = try reader.string(field)
            case 4: opType = try reader.string(field)
            case 5:
                let attribute = try reader.message(field, name: "\(context) attribute \(attributes.count)")
                try attributes.append(attribute, limit: maxAttributes, "\(context)'s attribute list")
            case 7: domain = try reader.string(field)
            default: try reader.skip(field)
            }
        }
        guard let firstOutput = outputs.first else { throw .malformed("\(context) (\(quoted(opType))) has no outputs") }
        let displayName = name.isEmpty ? firstOutput : name
        let label = "node \(quoted(displayName))"
        guard !opType.isEmpty else { throw .malformed("\(label) has no op_type") }
        guard domain.isEmpty || domain == "ai.onnx" else {
            throw .unsupported(
                "\(label) (\(quoted(opType))) is in domain \(quoted(domain)); Matte runs only ai.onnx operators"
            )
        }
        var attributeValues: [String: ONNXAttribute] = [:]
        for var attribute in attributes {
            let (attributeName, value) = try parseAttribute(&attribute, node: label)
            guard let value else { continue }
            guard attributeValues.updateValue(value, forKey: attributeName) == nil else {
                throw .malformed("\(label) has two attributes named \(quoted(attributeName))")
            }
        }
        return ONNXNode(
            opType: opType,
            name: displayName,
            inputs: inputs,
            outputs: outputs,
            attributes: attributeValues
        )
    }

    /// AttributeProto: its name and value, or nil for kinds no operator Matte runs reads (graphs, lists of
    /// strings or tensors, sparse tensors, type protos).
    private static func parseAttribute(
        _ reader: inout ProtobufReader,
        node: String
    ) throws(ONNXError) -> (String, ONNXAttribute?) {
        var name = ""
        var type = 0
        var float: Float = 0
        var int = 0
        var string: [UInt8] = []
        var tensor: ProtobufReader?
        var floats: [Float] = []
        var ints: [Int] = []
        let context = reader.name
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try reader.string(field)
            case 2: float = try reader.float(field)
            case 3: int = try reader.int(field)
            case 4: string = try reader.byteArray(field)
            case 5: tensor = try reader.message(field, name: "\(context) tensor")
            case 7: try reader.appendFloats(field, to: &floats, limit: maxElements, "\(context) floats")
            case 8: try reader.appendInts(field, to: &ints, limit: maxElements, "\(context) ints")
            case 20: type = try reader.int(field)
            default: try reader.skip(field)
            }
        }
        guard !name.isEmpty else { throw .malformed("\(node) has an attribute with no name (\(context))") }
        let label = "\(node) attribute \(quoted(name))"
        switch type {
        case 0: throw .malformed("\(label) has no type")
        case 1: return (name, .float(float))
        case 2: return (name, .int(int))
        case 3: return (name, .string(string))
        case 4:
            guard var tensor else { throw .malformed("\(label) is of type TENSOR but holds none") }
            return (name, .tensor(try parseTensor(&tensor, label: label)))
        case 6: return (name, .floats(floats))
        case 7: return (name, .ints(ints))
        default: return (name, nil)
        }
    }

    /// TensorProto.DataType names, for messages.
    private static let dataTypeNames = [
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL", "FLOAT16",
        "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
    ]

    /// The TensorProto data types Matte reads.
    private enum DataType: Int {
        case float = 1
        case int32 = 6
        case int64 = 7

        /// The field that holds values of this type when raw_data does not.
        var typedField: String {
            switch self {
            case .float: return "float_data"
            case .int32: return "int32_data"
            case .int64: return "int64_data"
            }
        }
    }

    /// TensorProto: FLOAT, INT32 or INT64 (INT32 widened into `.int64`), with its values in raw_data or in the
    /// typed field for its type. `label` names it in errors when it has no name of its own.
    private static func parseTensor(_ reader: inout ProtobufReader, label: String) throws(ONNXError) -> ONNXTensor {
        var dims: [Int] = []
        var rawType = 0
        var name = ""
        var raw: Range<Int>?
        var floatData: [Float] = []
        var int32Data: [Int] = []
        var int64Data: [Int] = []
        var external = false
        while let field = try reader.nextField() {
            switch field.number {
            case 1: try reader.appendInts(field, to: &dims, limit: maxRank, "\(label) dims")
            case 2: rawType = try reader.int(field)
            case 4: try reader.appendFloats(field, to: &floatData, limit: maxElements, "\(label) float_data")
            case 5: try reader.appendInts(field, to: &int32Data, limit: maxElements, "\(label) int32_data")
            case 7: try reader.appendInts(field, to: &int64Data, limit: maxElements, "\(label) int64_data")
            case 8: name = try reader.string(field)
            case 9: raw = try reader.lengthDelimited(field)
            case 13:  // external_data
                external = true
                try reader.skip(field)
            case 14:  // data_location, 1 being EXTERNAL
                if try reader.int(field) == 1 { external = true }
            default: try reader.skip(field)
            }
        }
        let label = name.isEmpty ? label : "tensor \(quoted(name))"
        guard !external else {
            throw .unsupported("\(label) keeps its data in a separate file; Matte reads self-contained .onnx files")
        }
        let typeName = rawType >= 0 && rawType < dataTypeNames.count ? dataTypeNames[rawType] : "\(rawType)"
        guard let type = DataType(rawValue: rawType) else {
            throw .unsupported("\(label) has data type \(typeName); Matte reads FLOAT, INT32 and INT64 tensors")
        }
        // Values in a field their type does not use are an error, not something to ignore.
        let typed = [
            (field: "float_data", count: floatData.count), (field: "int32_data", count: int32Data.count),
            (field: "int64_data", count: int64Data.count),
        ]
        if let stray = typed.first(where: { $0.count > 0 && ($0.field != type.typedField || raw != nil) }) {
            throw .malformed(
                "\(label) of type \(typeName) has values in \(stray.field)\(raw == nil ? "" : " and raw_data")"
            )
        }
        let elementCount = try checkedElementCount(dims, label)

        /// The values from raw_data if the tensor has it, else `typed`; either way as many as the shape needs.
        func checkedValues<Value>(
            _ typed: [Value],
            byteSize: Int,
            decode: (Range<Int>) -> [Value]
        ) throws(ONNXError) -> [Value] {
            if let raw {
                guard raw.count == elementCount * byteSize else {
                    throw .malformed(
                        "\(label) has shape \(dims) (\(elementCount) \(typeName) elements, "
                            + "\(elementCount * byteSize) bytes) but \(raw.count) bytes of raw_data"
                    )
                }
                return decode(raw)
            }
            guard typed.count == elementCount else {
                throw .malformed(
                    "\(label) has shape \(dims) (\(elementCount) elements) but \(typed.count) values in "
                        + type.typedField
                )
            }
            return typed
        }

        let values: ONNXTensor.Values
        switch type {
        case .float:
            values = .float(
                try checkedValues(floatData, byteSize: 4) {
                    reader.littleEndian($0, UInt32.self, Float.init(bitPattern:))
                }
            )
        case .int32:
            values = .int64(
                try checkedValues(int32Data, byteSize: 4) { reader.littleEndian($0, Int32.self) { Int($0) } }
            )
        case .int64:
            values = .int64(
                try checkedValues(int64Data, byteSize: 8) { reader.littleEndian($0, Int64.self) { Int($0) } }
            )
        }
        return ONNXTensor(name: name, shape: dims, values: values)
    }

    /// ValueInfoProto of a graph input or output: TypeProto.tensor_type's elem_type and shape, where a symbolic or
    /// unknown dim is nil.
    private static func parseValueInfo(_ reader: inout ProtobufReader) throws(ONNXError) -> ONNXValueInfo {
        var name = ""
        var type: ProtobufReader?
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try reader.string(field)
            case 2: type = try reader.message(field, name: "\(reader.name) type")
            default: try reader.skip(field)
            }
        }
        let label = "\(reader.name) \(quoted(name))"
        guard var type else { throw .malformed("\(label) has no type") }
        var tensorType: ProtobufReader?
        while let field = try type.nextField() {
            switch field.number {
            case 1: tensorType = try type.message(field, name: "\(label) tensor_type")
            default: try type.skip(field)
            }
        }
        guard var tensorType else { throw .unsupported("\(label) is not a tensor") }
        var elementType = 0
        var shape: ProtobufReader?
        while let field = try tensorType.nextField() {
            switch field.number {
            case 1: elementType = try tensorType.int(field)
            case 2: shape = try tensorType.message(field, name: "\(label) shape")
            default: try tensorType.skip(field)
            }
        }
        guard var shape else { throw .unsupported("\(label) has no shape (its rank is unknown)") }
        var dims: [Int?] = []
        while let field = try shape.nextField() {
            switch field.number {
            case 1:
                var dimension = try shape.message(field, name: "\(label) dim \(dims.count)")
                try dims.append(try parseDimension(&dimension), limit: maxRank, "\(label) shape")
            default: try shape.skip(field)
            }
        }
        _ = try checkedElementCount(dims, label)
        return ONNXValueInfo(name: name, elementType: elementType, shape: dims)
    }

    /// TensorShapeProto.Dimension: dim_value, or nil for a dim_param ("height") or an unknown dim.
    private static func parseDimension(_ reader: inout ProtobufReader) throws(ONNXError) -> Int? {
        var value: Int?
        while let field = try reader.nextField() {
            switch field.number {
            case 1: value = try reader.int(field)
            case 2:
                // dim_value and dim_param are a oneof: the last one written wins.
                _ = try reader.lengthDelimited(field)
                value = nil
            default: try reader.skip(field)
            }
        }
        return value
    }

    /// The product of the known dims, each of which must be at least 0. Zeros aside, the product must stay within
    /// `maxElements`, so that no product of some of the dims (a stride, a plane) can overflow either.
    private static func checkedElementCount(_ dims: [Int?], _ label: String) throws(ONNXError) -> Int {
        func refused(_ reason: String) -> ONNXError {
            .malformed(
                "\(label) has shape [\(dims.map { $0.map(String.init) ?? "?" }.joined(separator: ", "))], \(reason)"
            )
        }
        guard !dims.contains(where: { ($0 ?? 0) < 0 }) else { throw refused("a negative dim") }
        var product = 1
        for case let dim? in dims where dim > 0 {
            let (next, overflow) = product.multipliedReportingOverflow(by: dim)
            guard !overflow, next <= maxElements else { throw refused("too large") }
            product = next
        }
        return dims.contains(0) ? 0 : product
    }

    /// A name from the file as messages show it: quoted, control characters escaped so that the message stays one
    /// line, and cut short if long.
    static func quoted(_ name: String) -> String { "'\(FileName.printable(name, limit: 80))'" }
}
