/// A protobuf encoder, for building .onnx files in tests (Matte itself never writes protobuf).
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Bytes as they are, for encodings no writer would make.
    mutating func raw(_ value: [UInt8]) { bytes += value }

    mutating func key(_ field: Int, wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    /// An int64, int32 or enum field (negative values take ten bytes, as protobuf writes them).
    mutating func int(_ field: Int, _ value: Int) {
        key(field, wireType: 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, wireType: 5)
        bytes += littleEndian(value.bitPattern)
    }

    mutating func fixed64(_ field: Int, _ value: UInt64) {
        key(field, wireType: 1)
        bytes += littleEndian(value)
    }

    mutating func lengthDelimited(_ field: Int, _ value: [UInt8]) {
        key(field, wireType: 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { lengthDelimited(field, Array(value.utf8)) }

    mutating func packedInts(_ field: Int, _ values: [Int]) {
        var packed = ProtobufWriter()
        for value in values { packed.varint(UInt64(bitPattern: Int64(value))) }
        lengthDelimited(field, packed.bytes)
    }

    mutating func packedFloats(_ field: Int, _ values: [Float]) {
        lengthDelimited(field, values.flatMap { littleEndian($0.bitPattern) })
    }

    /// Repeated ints written one field each, as proto2 writers do.
    mutating func unpackedInts(_ field: Int, _ values: [Int]) {
        for value in values { int(field, value) }
    }
}

func littleEndian<Word: FixedWidthInteger>(_ value: Word) -> [UInt8] {
    (0..<MemoryLayout<Word>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
}

/// A message's bytes, built by `fill`.
func message(_ fill: (inout ProtobufWriter) -> Void) -> [UInt8] {
    var writer = ProtobufWriter()
    fill(&writer)
    return writer.bytes
}

/// onnx.proto3 messages for tests, field numbers as there; each returns a message's bytes.
enum ONNXProto {
    enum Dim {
        case value(Int)
        case param(String)
        case unknown
    }

    /// A ModelProto: ir_version first (as every writer puts it), the graph, then `opsets` as (domain, version).
    static func model(
        graph: [UInt8],
        opsets: [(String, Int)] = [("", 13)],
        beforeGraph: (inout ProtobufWriter) -> Void = { _ in }
    ) -> [UInt8] {
        message { model in
            model.int(1, 8)
            beforeGraph(&model)
            model.lengthDelimited(7, graph)
            for (domain, version) in opsets {
                model.lengthDelimited(
                    8,
                    message {
                        $0.string(1, domain)
                        $0.int(2, version)
                    }
                )
            }
        }
    }

    static func graph(
        nodes: [[UInt8]] = [],
        initializers: [[UInt8]] = [],
        inputs: [[UInt8]] = [],
        outputs: [[UInt8]] = [],
        extra: (inout ProtobufWriter) -> Void = { _ in }
    ) -> [UInt8] {
        message { graph in
            for node in nodes { graph.lengthDelimited(1, node) }
            for tensor in initializers { graph.lengthDelimited(5, tensor) }
            for input in inputs { graph.lengthDelimited(11, input) }
            for output in outputs { graph.lengthDelimited(12, output) }
            extra(&graph)
        }
    }

    /// A graph of one node and nothing else, for tests of a single node or attribute.
    static func model(node: [UInt8]) -> [UInt8] { model(graph: graph(nodes: [node])) }

    /// A graph of one initializer and nothing else, for tests of a single tensor.
    static func model(initializer: [UInt8]) -> [UInt8] { model(graph: graph(initializers: [initializer])) }

    static func node(
        _ opType: String,
        name: String = "",
        inputs: [String] = [],
        outputs: [String] = ["y"],
        attributes: [[UInt8]] = [],
        extra: (inout ProtobufWriter) -> Void = { _ in }
    ) -> [UInt8] {
        message { node in
            for input in inputs { node.string(1, input) }
            for output in outputs { node.string(2, output) }
            if !name.isEmpty { node.string(3, name) }
            node.string(4, opType)
            for attribute in attributes { node.lengthDelimited(5, attribute) }
            extra(&node)
        }
    }

    /// An AttributeProto of AttributeType `type`, its value written by `value`.
    static func attribute(_ name: String, type: Int, _ value: (inout ProtobufWriter) -> Void) -> [UInt8] {
        message { attribute in
            attribute.string(1, name)
            value(&attribute)
            attribute.int(20, type)
        }
    }

    /// A TensorProto of DataType `type`, its data written by `data`.
    static func tensor(
        _ name: String,
        dims: [Int],
        type: Int = 1,
        _ data: (inout ProtobufWriter) -> Void = { _ in }
    ) -> [UInt8] {
        message { tensor in
            tensor.packedInts(1, dims)
            tensor.int(2, type)
            if !name.isEmpty { tensor.string(8, name) }
            data(&tensor)
        }
    }

    static func rawFloats(_ values: [Float]) -> [UInt8] { values.flatMap { littleEndian($0.bitPattern) } }

    /// A ValueInfoProto of a tensor with elem_type `elementType`.
    static func valueInfo(_ name: String, elementType: Int = 1, dims: [Dim]) -> [UInt8] {
        let shape = message { shape in
            for dim in dims {
                shape.lengthDelimited(
                    1,
                    message { dimension in
                        switch dim {
                        case let .value(value): dimension.int(1, value)
                        case let .param(name): dimension.string(2, name)
                        case .unknown: break
                        }
                    }
                )
            }
        }
        let tensorType = message {
            $0.int(1, elementType)
            $0.lengthDelimited(2, shape)
        }
        return message { info in
            info.string(1, name)
            info.lengthDelimited(2, message { $0.lengthDelimited(1, tensorType) })
        }
    }
}
