import MatteTestSupport
import Testing

@testable import MatteInference

/// The graph planner against graphs a hostile file can hold (each class of them found by scripts/fuzz-onnx.sh with
/// MATTE_FUZZ_ENGINE=1): it refuses each with one line naming the node and what is wrong, instead of trapping on an
/// overflow or allocating what the graph asks for.
@Suite struct ONNXPlannerTests {
    static let frame = ONNXEngine.Shape(channels: 3, height: 32, width: 48)

    /// `nodes` on the image input `src` (and `state`, recurrent state), planned for a 48×32 frame as VideoMatter
    /// plans RVM, for the outputs named.
    static func plan(
        _ nodes: [[UInt8]],
        _ initializers: [[UInt8]] = [],
        outputs: [String] = ["y"]
    ) throws(ONNXError) -> ONNXEngine {
        let image = ONNXProto.valueInfo("src", dims: [.value(1), .value(3), .param("h"), .param("w")])
        let state = ONNXProto.valueInfo("state", dims: [.value(1), .param("c"), .param("h"), .param("w")])
        let graph = ONNXProto.graph(
            nodes: nodes,
            initializers: initializers,
            inputs: [image, state],
            outputs: outputs.map { ONNXProto.valueInfo($0, dims: []) }
        )
        return try ONNXEngine(
            model: try ONNXModel(bytes: ONNXProto.model(graph: graph)),
            inputs: ["src": frame],
            constants: [:],
            outputs: outputs
        )
    }

    /// What planning `nodes` is refused with.
    static func refusal(
        _ nodes: [[UInt8]],
        _ initializers: [[UInt8]] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> String {
        let error = #expect(throws: ONNXError.self, sourceLocation: sourceLocation) { try plan(nodes, initializers) }
        return error?.description ?? "(planned)"
    }

    static func floats(_ name: String, _ dims: [Int], _ value: Float = 1) -> [UInt8] {
        floats(name, dims, values: Array(repeating: value, count: dims.reduce(1, *)))
    }

    static func floats(_ name: String, _ dims: [Int], values: [Float]) -> [UInt8] {
        ONNXProto.tensor(name, dims: dims) { $0.lengthDelimited(9, ONNXProto.rawFloats(values)) }
    }

    static func int64s(_ name: String, _ values: [Int], dims: [Int]? = nil) -> [UInt8] {
        ONNXProto.tensor(name, dims: dims ?? [values.count], type: 7) {
            $0.lengthDelimited(9, values.flatMap { littleEndian(Int64($0)) })
        }
    }

    static func ints(_ name: String, _ values: [Int]) -> [UInt8] {
        ONNXProto.attribute(name, type: 7) { $0.packedInts(8, values) }
    }

    static func int(_ name: String, _ value: Int) -> [UInt8] {
        ONNXProto.attribute(name, type: 2) { $0.int(3, value) }
    }

    static func string(_ name: String, _ value: String) -> [UInt8] {
        ONNXProto.attribute(name, type: 3) { $0.string(4, value) }
    }

    static func conv(_ attributes: [[UInt8]], weights dims: [Int] = [4, 3, 3, 3]) -> ([[UInt8]], [[UInt8]]) {
        ([ONNXProto.node("Conv", name: "conv", inputs: ["src", "w"], attributes: attributes)], [floats("w", dims)])
    }

    /// The limits leave real graphs alone: a strided, padded, dilated and grouped convolution with a fused clip, as
    /// ONNX Runtime shapes them (scripts/make-onnx-seeds.py's plan-conv seed, run there).
    @Test func plansConvolutionsAsONNXRuntimeShapesThem() throws {
        let engine = try Self.plan(
            [
                ONNXProto.node(
                    "Conv",
                    inputs: ["src", "w1"],
                    outputs: ["c1"],
                    attributes: [Self.ints("pads", [1, 1, 1, 1]), Self.ints("strides", [2, 2])]
                ),
                ONNXProto.node(
                    "Conv",
                    inputs: ["c1", "w2"],
                    outputs: ["c2"],
                    attributes: [
                        Self.int("group", 8), Self.ints("pads", [0, 1, 2, 1]), Self.ints("strides", [1, 2]),
                        Self.ints("dilations", [2, 1]),
                    ]
                ),
                ONNXProto.node("Clip", inputs: ["c2", "zero", "six"], outputs: ["y"]),
            ],
            [
                Self.floats("w1", [8, 3, 3, 3], 0.1), Self.floats("w2", [8, 1, 3, 3], 0.1),
                Self.floats("zero", [], 0), Self.floats("six", [], 6),
            ]
        )
        #expect(engine.shape(of: "y") == ONNXEngine.Shape(channels: 8, height: 14, width: 12))
        try engine.run()
    }

    /// The budget leaves Robust Video Matting room at its most demanding setting, downsample ratio 1: what each
    /// float of input adds to its plan (between 320×180 and 640×360, measured 98) stays under 80 % of what the
    /// budget allows.
    @Test(.needsRVM) func theBudgetAdmitsRobustVideoMattingAtRatioOne() throws {
        let model = try ONNXModel(contentsOf: try #require(Fixtures.rvmModelPath))
        func planned(width: Int, height: Int) throws -> Int {
            try ONNXEngine(
                model: model,
                inputs: ["src": ONNXEngine.Shape(channels: 3, height: height, width: width)],
                constants: [
                    "downsample_ratio": ONNXTensor(name: "downsample_ratio", shape: [1], values: .float([1]))
                ],
                outputs: ["pha", "fgr", "r1o", "r2o", "r3o", "r4o"]
            ).plannedFloats
        }
        let perInputFloat =
            Double(try planned(width: 640, height: 360) - planned(width: 320, height: 180))
            / Double(3 * (640 * 360 - 320 * 180))
        #expect(perInputFloat < 0.8 * Double(GraphPlanner.perInputFloat), "\(perInputFloat) floats per input float")
    }

    /// Names, operator types and attribute strings come from the file: a newline in one must not split the message,
    /// and a long list is cut short.
    @Test func messagesNameTheNodeInOneLine() {
        #expect(
            Self.refusal([ONNXProto.node("Relu", name: "two\nlines", inputs: ["no\nwhere"])])
                == "corrupt ONNX model: node 'two\\x0alines' (Relu) reads 'no\\x0awhere', which nothing before it produces"
        )
        #expect(
            Self.refusal([ONNXProto.node("Re\nlu", inputs: ["src"])])
                == "unsupported ONNX model: node 'y' (Re\\x0alu): Matte does not implement this operator"
        )
        let resize = Self.refusal(
            [ONNXProto.node("Resize", inputs: ["src", "", "scales"], attributes: [Self.string("mode", "li\nnear")])],
            [Self.floats("scales", [4], 2)]
        )
        #expect(resize.hasPrefix("unsupported ONNX model: node 'y' (Resize) is 'li\\x0anear' with 'half_pixel'"))
        let split = Self.refusal([
            ONNXProto.node(
                "Split",
                inputs: ["src"],
                outputs: ["y"] + (1..<1000).map { "part\($0)" },
                attributes: [Self.int("axis", 1), Self.ints("split", Array(repeating: 1, count: 1000))]
            )
        ])
        #expect(
            split
                == "corrupt ONNX model: node 'y' (Split) splits 3 channels as [1, 1, 1, 1, 1, 1, 1, 1, … (1000 values)]"
        )
    }

    /// Pads, strides, dilations, groups and split sizes near Int.max overflowed the planner's arithmetic (or its
    /// conversion to XNNPACK's 32-bit sizes); a Slice of a scalar and the guided filter's pattern around a node
    /// with no input indexed past an end. Each is now a one-line refusal naming the node.
    @Test func hostileNumbersAreRefusedNotTrapped() {
        let huge = Int.max
        let cases: [(([[UInt8]], [[UInt8]]), String)] = [
            (
                Self.conv([Self.ints("pads", [huge, huge, huge, huge])]),
                "corrupt ONNX model: node 'conv' (Conv) has pads"
            ),
            (Self.conv([Self.ints("pads", [1 << 40, 0, 0, 0])]), "corrupt ONNX model: node 'conv' (Conv) has pads"),
            (
                Self.conv([Self.ints("strides", [huge, huge])]),
                "corrupt ONNX model: node 'conv' (Conv) has pads [0, 0, 0, 0], strides [9223372036854775807"
            ),
            (Self.conv([Self.ints("dilations", [1 << 62, 1])]), "corrupt ONNX model: node 'conv' (Conv) has pads"),
            (
                Self.conv([Self.int("group", 1 << 62)], weights: [4, 12, 3, 3]),
                "corrupt ONNX model: node 'conv' (Conv) weights [4, 12, 3, 3] in 4611686018427387904 groups do not fit"
            ),
            (
                (
                    [
                        ONNXProto.node(
                            "AveragePool",
                            name: "pool",
                            inputs: ["src"],
                            attributes: [
                                Self.ints("kernel_shape", [2, 2]), Self.ints("strides", [huge, huge]),
                                Self.int("ceil_mode", 1),
                            ]
                        )
                    ], []
                ),
                "corrupt ONNX model: node 'pool' (AveragePool) has strides [9223372036854775807, 9223372036854775807]"
            ),
            (
                (
                    [
                        ONNXProto.node(
                            "Split",
                            inputs: ["src"],
                            outputs: ["y", "b", "c"],
                            attributes: [Self.int("axis", 1), Self.ints("split", [huge, huge, 5])]
                        )
                    ], []
                ),
                "corrupt ONNX model: node 'y' (Split) splits 3 channels as [9223372036854775807, 9223372036854775807, 5]"
            ),
            (
                (
                    [
                        ONNXProto.node("Slice", name: "slice", inputs: ["scalar", "none", "none"], outputs: ["part"]),
                        ONNXProto.node("Add", inputs: ["src", "part"]),
                    ],
                    [Self.int64s("scalar", [7], dims: []), Self.int64s("none", [])]
                ),
                "unsupported ONNX model: node 'slice' (Slice) slices a scalar"
            ),
            (
                (
                    [
                        ONNXProto.node(
                            "Split",
                            name: "split",
                            outputs: ["colour", "alpha"],
                            attributes: [Self.int("axis", 1), Self.ints("split", [3, 1])]
                        ),
                        ONNXProto.node("Clip", inputs: ["alpha", "zero", "one"]),
                    ],
                    [Self.floats("zero", [], 0), Self.floats("one", [], 1)]
                ),
                "node 'split' (Split)"
            ),
        ]
        for ((nodes, initializers), expected) in cases {
            let refusal = Self.refusal(nodes, initializers)
            #expect(refusal.contains(expected), "\(refusal)")
        }
    }

    /// A value is written once: a node writing the image input's name made the engine hand out another buffer as
    /// `src` (VideoMatter then trapped on its size), one writing an initializer's or another node's replaced it.
    @Test func aValueIsWrittenOnce() {
        let expand = ONNXProto.node("Expand", name: "expand", inputs: ["state", "small"], outputs: ["src"])
        #expect(
            Self.refusal(
                [expand, ONNXProto.node("Relu", inputs: ["src"])],
                [Self.int64s("small", [1, 1, 2, 2])]
            )
                == "corrupt ONNX model: node 'expand' (Expand) writes 'src', which is already a graph input, a constant "
                + "or another node's output"
        )
        #expect(
            Self.refusal([
                ONNXProto.node("Relu", name: "first", inputs: ["src"], outputs: ["a"]),
                ONNXProto.node("Sigmoid", name: "second", inputs: ["a"], outputs: ["a"]),
                ONNXProto.node("Relu", inputs: ["a"]),
            ]).hasPrefix("corrupt ONNX model: node 'second' (Sigmoid) writes 'a', which is already")
        )
        #expect(
            Self.refusal(
                [
                    ONNXProto.node("Relu", name: "r", inputs: ["src"], outputs: ["w"]),
                    ONNXProto.node("Relu", inputs: ["w"]),
                ],
                [Self.floats("w", [1])]
            ).hasPrefix("corrupt ONNX model: node 'r' (Relu) writes 'w'")
        )
    }

    /// A graph may not make the planner allocate out of proportion to the input: each of these would have taken
    /// from 200 MB to 64 GB for a 48×32 frame (those over this machine's memory failed as "not enough memory", the
    /// others were planned). Each is refused before allocating, naming the node, what it needs and the limit.
    @Test func graphsOutOfProportionToTheInputAreRefused() {
        let cases: [(([[UInt8]], [[UInt8]]), String)] = [
            (
                (
                    [
                        ONNXProto.node(
                            "Resize",
                            name: "r1",
                            inputs: ["src", "", "sixty"],
                            outputs: ["big"],
                            attributes: [Self.string("mode", "linear")]
                        ),
                        ONNXProto.node(
                            "Resize",
                            name: "r2",
                            inputs: ["big", "", "sixty"],
                            attributes: [Self.string("mode", "linear")]
                        ),
                    ], [Self.floats("sixty", [4], values: [1, 1, 60, 60])]
                ),
                "unsupported ONNX model: node 'r2' (Resize) resizes [1, 3, 1920, 2880] to 115200×172800; "
                    + "Matte's tensors are at most 32768 pixels a side"
            ),
            (
                Self.conv([Self.ints("pads", [16000, 16000, 16000, 16000])], weights: [32, 3, 3, 3]),
                "unsupported ONNX model: node 'conv' (Conv) needs 125"
            ),
            (
                (
                    [
                        ONNXProto.node("Expand", name: "expand", inputs: ["state", "shape"], outputs: ["held"]),
                        ONNXProto.node("Add", inputs: ["src", "held"]),
                    ], [Self.int64s("shape", [1, 64, 32768, 32768])]
                ),
                "unsupported ONNX model: node 'expand' (Expand) needs 262145 MB for a tensor [1, 64, 32768, 32768]"
            ),
            (
                (
                    [
                        ONNXProto.node("GlobalAveragePool", inputs: ["src"], outputs: ["mean"]),
                        ONNXProto.node("Mul", name: "tall", inputs: ["mean", "column"], outputs: ["tall"]),
                        ONNXProto.node("Mul", name: "wide", inputs: ["tall", "row"]),
                    ], [Self.floats("column", [4096, 1]), Self.floats("row", [4096])]
                ),
                "unsupported ONNX model: node 'wide' (Mul) needs 193 MB for a tensor [1, 3, 4096, 4096]"
            ),
            (
                // One constant laid out for XNNPACK 5000 times.
                (
                    (0..<5000).map {
                        ONNXProto.node(
                            "Mul",
                            name: "mul\($0)",
                            inputs: [$0 == 0 ? "src" : "m\($0 - 1)", "k"],
                            outputs: [$0 == 4999 ? "y" : "m\($0)"]
                        )
                    }, [Self.floats("k", [1, 3, 32, 48])]
                ),
                "MB for a constant of shape [1, 3, 32, 48] laid out for XNNPACK, more than the 66 MB Matte allows"
            ),
            (
                // A 31×47 window on every pixel, ten times: XNNPACK's pointers to each tap.
                (
                    (0..<10).map {
                        ONNXProto.node(
                            "Conv",
                            name: "wide\($0)",
                            inputs: [$0 == 0 ? "src" : "c\($0 - 1)", "w"],
                            outputs: [$0 == 9 ? "y" : "c\($0)"],
                            attributes: [Self.ints("pads", [15, 23, 15, 23])]
                        )
                    },
                    [Self.floats("w", [3, 3, 31, 47])]
                ),
                "(Conv) needs 70 MB for its weights and window pointers in XNNPACK, more than the 66 MB Matte allows"
            ),
            (
                // Shape arithmetic joining one constant 1100 times.
                (
                    [
                        ONNXProto.node(
                            "Concat",
                            name: "join",
                            inputs: Array(repeating: "many", count: 1100),
                            outputs: ["joined"]
                        ),
                        ONNXProto.node("Slice", inputs: ["src", "zero", "joined"]),
                    ], [Self.int64s("many", Array(repeating: 1, count: 1 << 16)), Self.int64s("zero", [0])]
                ),
                "unsupported ONNX model: node 'join' (Concat) joins 72089600 values; Matte folds at most 67108864"
            ),
        ]
        for ((nodes, initializers), expected) in cases {
            let refusal = Self.refusal(nodes, initializers)
            #expect(refusal.contains(expected), "\(refusal)")
        }
    }
}
