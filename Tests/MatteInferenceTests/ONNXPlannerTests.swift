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
}
