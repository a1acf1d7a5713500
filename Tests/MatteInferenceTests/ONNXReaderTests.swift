import Foundation
import MatteTestSupport
import Testing

@testable import MatteInference

@Suite struct ONNXReaderTests {
    /// A small model using every field the reader reads, in each encoding it accepts: packed and unpacked ints,
    /// raw_data and typed data, symbolic and unknown dims, fields of every wire type to skip, an attribute kind to
    /// skip and an initializer that is also listed as a graph input.
    static let tinyModel = ONNXProto.model(
        graph: ONNXProto.graph(
            nodes: [
                ONNXProto.node(
                    "Conv",
                    name: "conv",
                    inputs: ["image", "weight", "bias"],
                    outputs: ["features"],
                    attributes: [
                        ONNXProto.attribute("strides", type: 7) { $0.packedInts(8, [2, 2]) },
                        ONNXProto.attribute("pads", type: 7) { $0.unpackedInts(8, [1, 1, 1, 1]) },
                        ONNXProto.attribute("group", type: 2) { $0.int(3, 1) },
                    ],
                    extra: { $0.string(6, "doc_string, skipped") }
                ),
                ONNXProto.node(
                    "HardSigmoid",
                    inputs: ["features"],
                    outputs: ["gate"],
                    attributes: [
                        ONNXProto.attribute("alpha", type: 1) { $0.float(2, 1 / 6) },
                        ONNXProto.attribute("beta", type: 1) { $0.float(2, 0.5) },
                    ]
                ),
                ONNXProto.node(
                    "Constant",
                    name: "offsets",
                    outputs: ["shift"],
                    attributes: [
                        ONNXProto.attribute("value", type: 4) {
                            $0.lengthDelimited(
                                5,
                                ONNXProto.tensor("", dims: [2], type: 7) {
                                    $0.lengthDelimited(9, littleEndian(Int64(3)) + littleEndian(Int64(-4)))
                                }
                            )
                        }
                    ]
                ),
                ONNXProto.node(
                    "Resize",
                    name: "resize",
                    inputs: ["gate", "", "scales"],
                    outputs: ["out"],
                    attributes: [
                        ONNXProto.attribute("mode", type: 3) { $0.string(4, "linear") },
                        ONNXProto.attribute("weights", type: 6) {
                            $0.float(7, 0.25)
                            $0.float(7, 0.5)
                        },
                        ONNXProto.attribute("body", type: 5) {
                            $0.lengthDelimited(6, ONNXProto.graph(nodes: [ONNXProto.node("Relu")]))
                        },
                    ],
                    extra: { $0.string(7, "ai.onnx") }
                ),
            ],
            initializers: [
                ONNXProto.tensor("weight", dims: [2, 3, 1, 1]) {
                    $0.lengthDelimited(9, ONNXProto.rawFloats([1, -2, 3.5, 0, -0.125, 1e-3]))
                },
                ONNXProto.tensor("bias", dims: [2]) { $0.packedFloats(4, [0.5, -1.5]) },
                ONNXProto.tensor("scales", dims: [4]) { for value: Float in [1, 1, 2, 2] { $0.float(4, value) } },
                ONNXProto.tensor("axes", dims: [2], type: 6) { $0.packedInts(5, [-1, 2]) },
                ONNXProto.tensor("axesRaw", dims: [1], type: 6) { $0.lengthDelimited(9, littleEndian(Int32(-3))) },
                ONNXProto.tensor("sizes", dims: [2], type: 7) { $0.unpackedInts(7, [1, 7]) },
                ONNXProto.tensor("empty", dims: [0]),
                ONNXProto.tensor("scalar", dims: []) { $0.float(4, 3.5) },
            ],
            inputs: [
                ONNXProto.valueInfo("image", dims: [.param("N"), .value(3), .param("H"), .value(8)]),
                ONNXProto.valueInfo("weight", dims: [.value(2), .value(3), .value(1), .value(1)]),
            ],
            outputs: [ONNXProto.valueInfo("out", dims: [.value(1), .unknown, .value(16), .value(16)])],
            extra: {
                $0.string(2, "tiny")
                $0.lengthDelimited(13, ONNXProto.valueInfo("gate", dims: [.value(1)]))
            }
        ),
        opsets: [("ai.onnx.ml", 3), ("", 13)],
        beforeGraph: {
            $0.string(2, "producer_name, skipped")
            $0.fixed64(99, 0x0123_4567_89AB_CDEF)
            $0.float(98, 1)
            $0.int(97, -1)
        }
    )

    @Test func readsEveryFieldOfASmallModel() throws {
        let model = try ONNXModel(bytes: Self.tinyModel)
        #expect(model.opsetVersion == 13)
        #expect(
            model.nodes == [
                ONNXNode(
                    opType: "Conv",
                    name: "conv",
                    inputs: ["image", "weight", "bias"],
                    outputs: ["features"],
                    attributes: ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]), "group": .int(1)]
                ),
                ONNXNode(
                    opType: "HardSigmoid",
                    name: "gate",
                    inputs: ["features"],
                    outputs: ["gate"],
                    attributes: ["alpha": .float(1 / 6), "beta": .float(0.5)]
                ),
                ONNXNode(
                    opType: "Constant",
                    name: "offsets",
                    inputs: [],
                    outputs: ["shift"],
                    attributes: ["value": .tensor(ONNXTensor(name: "", shape: [2], values: .int64([3, -4])))]
                ),
                ONNXNode(
                    opType: "Resize",
                    name: "resize",
                    inputs: ["gate", "", "scales"],
                    outputs: ["out"],
                    attributes: ["mode": .string(Array("linear".utf8)), "weights": .floats([0.25, 0.5])]
                ),
            ]
        )
        #expect(
            model.initializers == [
                "weight": ONNXTensor(
                    name: "weight",
                    shape: [2, 3, 1, 1],
                    values: .float([1, -2, 3.5, 0, -0.125, 1e-3])
                ),
                "bias": ONNXTensor(name: "bias", shape: [2], values: .float([0.5, -1.5])),
                "scales": ONNXTensor(name: "scales", shape: [4], values: .float([1, 1, 2, 2])),
                "axes": ONNXTensor(name: "axes", shape: [2], values: .int64([-1, 2])),
                "axesRaw": ONNXTensor(name: "axesRaw", shape: [1], values: .int64([-3])),
                "sizes": ONNXTensor(name: "sizes", shape: [2], values: .int64([1, 7])),
                "empty": ONNXTensor(name: "empty", shape: [0], values: .float([])),
                "scalar": ONNXTensor(name: "scalar", shape: [], values: .float([3.5])),
            ]
        )
        #expect(model.inputs == [ONNXValueInfo(name: "image", elementType: 1, shape: [nil, 3, nil, 8])])
        #expect(model.outputs == [ONNXValueInfo(name: "out", elementType: 1, shape: [1, nil, 16, 16])])
    }

    @Test func readsAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("matte-onnx-\(getpid()).onnx").path
        try Data(Self.tinyModel).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ONNXModel(contentsOf: path).nodes.count == 4)
    }

    @Test func missingFileErrorNamesThePath() {
        let error = #expect(throws: ONNXError.self) { try ONNXModel(contentsOf: "/nonexistent/model.onnx") }
        #expect(error?.description == "cannot read model /nonexistent/model.onnx: No such file or directory")
        // The name as given, escaped: a newline in it must not end the message.
        let newline = #expect(throws: ONNXError.self) { try ONNXModel(contentsOf: "/nonexistent/new\nline.onnx") }
        #expect(newline?.description == "cannot read model /nonexistent/new\\x0aline.onnx: No such file or directory")
    }

    /// Every ModelProto field after ir_version is needed (the opsets come last), so every prefix is an error.
    @Test func everyTruncationIsRejected() {
        for length in 0..<Self.tinyModel.count {
            #expect(throws: ONNXError.self, "truncated to \(length) bytes") {
                try ONNXModel(bytes: Array(Self.tinyModel.prefix(length)))
            }
        }
    }

    @Test func randomByteChangesNeverCrash() {
        var generator = SeededGenerator(seed: 0x0_4E4E)
        var parsed = 0
        let runs = 500
        for _ in 0..<runs {
            var bytes = Self.tinyModel
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            do {
                _ = try ONNXModel(bytes: bytes)
                parsed += 1
            } catch {
                #expect(!error.description.contains("\n"), "\(error)")
            }
        }
        // Both outcomes must occur, or the test is not exercising the checks it claims to.
        #expect(parsed > 0 && parsed < runs)
    }

    /// Varints of every awkward length spliced in at every offset: the largest 10-byte one, one that overflows 64
    /// bits, one of 11 bytes, and a cut-off one. Some land where a length or a count is read.
    @Test func hugeVarintsAnywhereNeverCrash() {
        let varints: [[UInt8]] = [
            Array(repeating: 0xFF, count: 9) + [0x01], Array(repeating: 0xFF, count: 9) + [0x02],
            Array(repeating: 0x80, count: 10) + [0x00], [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0x80],
        ]
        for offset in 0...Self.tinyModel.count {
            for varint in varints {
                for replacing in [false, true] {
                    var bytes = Self.tinyModel
                    let end = replacing ? min(offset + varint.count, bytes.count) : offset
                    bytes.replaceSubrange(offset..<end, with: varint)
                    do { _ = try ONNXModel(bytes: bytes) } catch { #expect(!error.description.contains("\n")) }
                }
            }
        }
    }

    @Test func hugeLengthsAreRefusedBeforeAllocating() throws {
        let graph = ONNXProto.graph(nodes: [ONNXProto.node("Relu", inputs: ["x"])])
        for length: UInt64 in [UInt64(graph.count) + 1, 1 << 31, 1 << 62, UInt64.max] {
            let header = message {
                $0.int(1, 8)
                $0.key(7, wireType: 2)
                $0.varint(length)
            }
            let bytes = header + graph
            let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: bytes) }
            #expect(
                error?.description
                    == "corrupt ONNX model: model field 7 (\(length) bytes) at byte \(header.count) runs past the end "
                    + "of the \(bytes.count)-byte file"
            )
        }
        // Inside the file but past the end of its node: the node's attribute claims the opsets that follow.
        let attribute = ONNXProto.attribute("alpha", type: 1) { $0.float(2, 0.5) }
        let node = message {
            $0.string(2, "y")
            $0.string(4, "Elu")
            $0.key(5, wireType: 2)
            $0.varint(UInt64(attribute.count + 3))
            $0.raw(attribute)
        }
        let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: ONNXProto.model(node: node)) }
        #expect(error?.description.contains("node 0 field 5 (\(attribute.count + 3) bytes) at byte ") == true)
        #expect(error?.description.contains(" runs past the end of node 0 at byte ") == true)
    }

    @Test func varintsOverflowingSixtyFourBitsAreMalformed() throws {
        func model(intAttribute varint: [UInt8]) -> [UInt8] {
            ONNXProto.model(
                node: ONNXProto.node(
                    "Gather",
                    attributes: [
                        ONNXProto.attribute("axis", type: 2) {
                            $0.key(3, wireType: 0)
                            $0.raw(varint)
                        }
                    ]
                )
            )
        }
        // The largest 10-byte varint is -1 as an int64.
        let largest = try ONNXModel(bytes: model(intAttribute: Array(repeating: 0xFF, count: 9) + [0x01]))
        #expect(largest.nodes.first?.attributes["axis"] == .int(-1))
        for tooLong: [UInt8] in [Array(repeating: 0xFF, count: 9) + [0x02], Array(repeating: 0x80, count: 10) + [0x00]]
        {
            let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: model(intAttribute: tooLong)) }
            #expect(
                error?.description.hasPrefix("corrupt ONNX model: node 0 attribute 0 field 3 varint at byte ") == true
            )
            #expect(error?.description.hasSuffix(" overflows 64 bits") == true)
        }
    }

    @Test(arguments: [3, 4, 6, 7]) func groupsAndReservedWireTypesAreMalformed(wireType: UInt64) throws {
        let node = ONNXProto.node("Relu", inputs: ["x"]) {
            $0.key(50, wireType: wireType)
            $0.varint(0)
        }
        let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: ONNXProto.model(node: node)) }
        let kind = wireType < 5 ? "a group (wire type \(wireType))" : "reserved wire type \(wireType)"
        let description = try #require(error?.description)
        #expect(description.hasPrefix("corrupt ONNX model: node 0 field 50 at byte "))
        #expect(description.hasSuffix(" has \(kind), which ONNX never writes"))
    }

    @Test func aFieldOfTheWrongWireTypeIsMalformed() throws {
        let node = message {
            $0.string(2, "y")
            $0.int(4, 1)
        }
        let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: ONNXProto.model(node: node)) }
        #expect(error?.description.hasSuffix(" has wire type 0, not 2 as onnx.proto declares") == true)
    }

    /// Shapes from every combination of awkward dims, rank 1 to 3: each is refused, with the reason, or read.
    @Test func shapesAreCheckedWithoutOverflow() throws {
        let awkward = [0, 1, 3, 1 << 13, 1 << 31, 1 << 32, 1 << 62, Int.max, -1, Int.min]
        var shapes = awkward.map { [$0] }
        for first in awkward {
            for second in awkward {
                shapes.append([first, second])
                shapes.append([first, second, 1 << 13])
            }
        }
        for dims in shapes {
            let bytes = ONNXProto.model(initializer: ONNXProto.tensor("t", dims: dims))
            let shape = "[\(dims.map(String.init).joined(separator: ", "))]"
            let nonzero = dims.filter { $0 != 0 }
            let elements = dims.contains(0) ? 0 : nonzero.reduce(1.0) { $0 * Double($1) }
            if dims.contains(where: { $0 < 0 }) {
                let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: bytes) }
                #expect(error?.description == "corrupt ONNX model: tensor 't' has shape \(shape), a negative dim")
            } else if nonzero.reduce(1.0, { $0 * Double($1) }) > Double(ONNXModel.maxElements) {
                let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: bytes) }
                #expect(error?.description == "corrupt ONNX model: tensor 't' has shape \(shape), too large")
            } else if elements == 0 {
                #expect(try ONNXModel(bytes: bytes).initializers["t"]?.shape == dims)
            } else {
                let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: bytes) }
                #expect(
                    error?.description
                        == "corrupt ONNX model: tensor 't' has shape \(dims) (\(Int(elements)) elements) "
                        + "but 0 values in float_data"
                )
            }
        }
        let deep = ONNXProto.tensor("deep", dims: Array(repeating: 1, count: 9))
        let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: ONNXProto.model(initializer: deep)) }
        #expect(error?.description == "corrupt ONNX model: initializer 0 dims has more than 8 entries")
    }

    @Test func dataThatDisagreesWithItsShapeOrTypeIsMalformed() {
        let cases: [([UInt8], String)] = [
            (
                ONNXProto.tensor("w", dims: [2, 3]) { $0.lengthDelimited(9, Array(repeating: 0, count: 20)) },
                "tensor 'w' has shape [2, 3] (6 FLOAT elements, 24 bytes) but 20 bytes of raw_data"
            ),
            (
                ONNXProto.tensor("w", dims: [3], type: 7) { $0.lengthDelimited(9, Array(repeating: 0, count: 12)) },
                "tensor 'w' has shape [3] (3 INT64 elements, 24 bytes) but 12 bytes of raw_data"
            ),
            (
                ONNXProto.tensor("w", dims: [3]) { $0.packedFloats(4, [1, 2]) },
                "tensor 'w' has shape [3] (3 elements) but 2 values in float_data"
            ),
            (
                ONNXProto.tensor("w", dims: [1]) { $0.packedInts(7, [1]) },
                "tensor 'w' of type FLOAT has values in int64_data"
            ),
            (
                ONNXProto.tensor("w", dims: [1]) {
                    $0.packedFloats(4, [1])
                    $0.lengthDelimited(9, ONNXProto.rawFloats([1]))
                },
                "tensor 'w' of type FLOAT has values in float_data and raw_data"
            ),
        ]
        for (tensor, expected) in cases {
            let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: ONNXProto.model(initializer: tensor)) }
            #expect(error?.description == "corrupt ONNX model: \(expected)")
        }
    }

    @Test func unsupportedFeaturesAreNamed() {
        let cases: [([UInt8], String)] = [
            (
                ONNXProto.model(
                    node: ONNXProto.node("FusedConv", name: "fused", extra: { $0.string(7, "com.microsoft") })
                ),
                "node 'fused' ('FusedConv') is in domain 'com.microsoft'; Matte runs only ai.onnx operators"
            ),
            (
                ONNXProto.model(initializer: ONNXProto.tensor("half", dims: [1], type: 10)),
                "tensor 'half' has data type FLOAT16; Matte reads FLOAT, INT32 and INT64 tensors"
            ),
            (
                ONNXProto.model(initializer: ONNXProto.tensor("odd", dims: [1], type: 99)),
                "tensor 'odd' has data type 99; Matte reads FLOAT, INT32 and INT64 tensors"
            ),
            (
                ONNXProto.model(
                    initializer: ONNXProto.tensor("far", dims: [4]) {
                        $0.lengthDelimited(
                            13,
                            message {
                                $0.string(1, "location")
                                $0.string(2, "weights.bin")
                            }
                        )
                        $0.int(14, 1)
                    }
                ),
                "tensor 'far' keeps its data in a separate file; Matte reads self-contained .onnx files"
            ),
            (
                ONNXProto.model(
                    node: ONNXProto.node(
                        "Constant",
                        name: "c",
                        attributes: [
                            ONNXProto.attribute("value", type: 4) {
                                $0.lengthDelimited(5, ONNXProto.tensor("", dims: [1], type: 9))
                            }
                        ]
                    )
                ),
                "node 'c' attribute 'value' has data type BOOL; Matte reads FLOAT, INT32 and INT64 tensors"
            ),
            (
                ONNXProto.model(
                    graph: ONNXProto.graph(outputs: [
                        message { info in
                            info.string(1, "seq")
                            info.lengthDelimited(2, message { $0.lengthDelimited(4, []) })
                        }
                    ])
                ),
                "graph output 0 'seq' is not a tensor"
            ),
        ]
        for (bytes, expected) in cases {
            let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: bytes) }
            #expect(error?.description.hasSuffix(expected) == true, "\(String(describing: error))")
        }
    }

    @Test func malformedGraphsAreNamed() {
        let relu = ONNXProto.node("Relu", name: "r", inputs: ["x"])
        let floatAttribute = ONNXProto.attribute("alpha", type: 1) { $0.float(2, 1) }
        let cases: [([UInt8], String)] = [
            (
                ONNXProto.model(node: ONNXProto.node("Elu", attributes: Array(repeating: floatAttribute, count: 65))),
                "node 0's attribute list has more than 64 entries"
            ),
            (
                ONNXProto.model(graph: ONNXProto.graph(nodes: [relu]), opsets: [("ai.onnx.ml", 3)]),
                "no opset_import for the ai.onnx domain"
            ),
            (
                ONNXProto.model(graph: ONNXProto.graph(nodes: [relu]), opsets: [("", 13), ("ai.onnx", 12)]),
                "two opset_import entries for the ai.onnx domain"
            ),
            (ONNXProto.model(node: ONNXProto.node("Relu", outputs: [])), "node 0 ('Relu') has no outputs"),
            (ONNXProto.model(node: ONNXProto.node("", name: "blank")), "node 'blank' has no op_type"),
            (
                ONNXProto.model(node: ONNXProto.node("Elu", attributes: [message { $0.string(1, "alpha") }])),
                "node 'y' attribute 'alpha' has no type"
            ),
            (
                ONNXProto.model(
                    node: ONNXProto.node(
                        "Elu",
                        name: "e\nforged line",
                        attributes: [
                            ONNXProto.attribute("alpha", type: 1) { $0.float(2, 1) },
                            ONNXProto.attribute("alpha", type: 1) { $0.float(2, 2) },
                        ]
                    )
                ),
                "node 'e\\x0aforged line' has two attributes named 'alpha'"
            ),
            (
                ONNXProto.model(
                    graph: ONNXProto.graph(initializers: [
                        ONNXProto.tensor("w", dims: [1]) { $0.float(4, 1) },
                        ONNXProto.tensor("w", dims: [1]) { $0.float(4, 2) },
                    ])
                ),
                "two initializers are named 'w'"
            ),
        ]
        for (bytes, expected) in cases {
            let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: bytes) }
            #expect(error?.description == "corrupt ONNX model: \(expected)")
        }
    }

    @Test func filesThatAreNotONNXSaySo() throws {
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("astronaut.png"))))
        for bytes in [[], Array("hello world, not a model\n".utf8), png] {
            let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: bytes) }
            #expect(error?.description.hasSuffix("not an ONNX model?") == true, "\(String(describing: error))")
        }
    }

    @Test(.needsModels) func aTFLiteModelIsNotONNX() throws {
        let error = #expect(throws: ONNXError.self) { try ONNXModel(bytes: try Fixtures.modelBytes(.landscape)) }
        #expect(error?.description.hasSuffix("not an ONNX model?") == true, "\(String(describing: error))")
    }

    /// Expected figures from the `onnx` Python package (1.23.2) reading the same file: op-type counts from
    /// collections.Counter(n.op_type for n in model.graph.node), values from onnx.numpy_helper.to_array.
    @Test(.needsRVM) func readsRobustVideoMatting() throws {
        let model = try ONNXModel(contentsOf: try #require(Fixtures.rvmModelPath))
        #expect(model.opsetVersion == 12)
        #expect(model.nodes.count == 353)
        #expect(model.initializers.count == 170)
        #expect(model.inputs.map(\.name) == ["src", "r1i", "r2i", "r3i", "r4i", "downsample_ratio"])
        #expect(model.inputs.first == ONNXValueInfo(name: "src", elementType: 1, shape: [nil, 3, nil, nil]))
        #expect(model.inputs.last == ONNXValueInfo(name: "downsample_ratio", elementType: 1, shape: [1]))
        #expect(model.outputs.map(\.name) == ["fgr", "pha", "r1o", "r2o", "r3o", "r4o"])
        #expect(model.outputs[2].shape == [nil, 16, nil, nil])

        var counts: [String: Int] = [:]
        for node in model.nodes { counts[node.opType, default: 0] += 1 }
        #expect(
            counts == [
                "Conv": 85, "Constant": 48, "Mul": 47, "HardSigmoid": 28, "Relu": 27, "Concat": 23, "Add": 16,
                "Shape": 12, "Slice": 12, "Split": 10, "GlobalAveragePool": 9, "Sub": 8, "Resize": 7, "Sigmoid": 5,
                "Expand": 4, "Tanh": 4, "AveragePool": 3, "ReduceMean": 2, "Clip": 2, "Div": 1,
            ]
        )

        let stem = try #require(model.initializers["824"])
        #expect(stem.shape == [16, 3, 3, 3])
        guard case let .float(weights) = stem.values else {
            Issue.record("initializer 824 is not float32")
            return
        }
        #expect(
            Array(weights.prefix(4)) == [
                -0.11178215593099594, -0.04378889501094818, 0.16010795533657074, -0.2725261151790619,
            ]
        )
        #expect(weights.last == -0.07860744744539261)
        #expect(model.initializers["989"] == ONNXTensor(name: "989", shape: [], values: .float([0])))

        let conv = try #require(model.nodes.first { $0.name == "Conv_8" })
        #expect(conv.inputs == ["393", "824", "825"])
        #expect(
            conv.attributes == [
                "dilations": .ints([1, 1]), "group": .int(1), "kernel_shape": .ints([3, 3]),
                "pads": .ints([1, 1, 1, 1]),
                "strides": .ints([2, 2]),
            ]
        )
        #expect(model.nodes.first { $0.name == "HardSigmoid_9" }?.attributes == ["alpha": .float(0.1666666716337204)])
        let resize = try #require(model.nodes.first { $0.name == "Resize_3" })
        #expect(resize.attributes["mode"] == .string(Array("linear".utf8)))
        #expect(resize.attributes["cubic_coeff_a"] == .float(-0.75))
        #expect(
            model.nodes.first { $0.name == "Constant_4" }?.attributes["value"]
                == .tensor(ONNXTensor(name: "", shape: [3, 1, 1], values: .float([0.485, 0.456, 0.406])))
        )
        #expect(
            model.nodes.first { $0.name == "Constant_0" }?.attributes["value"]
                == .tensor(ONNXTensor(name: "", shape: [0], values: .float([])))
        )
        #expect(
            model.nodes.first { $0.name == "Constant_192" }?.attributes["value"]
                == .tensor(ONNXTensor(name: "", shape: [1], values: .int64([2])))
        )
    }
}
