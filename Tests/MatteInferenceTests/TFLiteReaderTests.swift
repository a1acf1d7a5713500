import MatteSegmentation
import MatteTestSupport
import Testing

@testable import MatteInference

@Suite struct TFLiteReaderTests {
    /// Operator counts from an independent reading of the MediaPipe selfie models (shared notes).
    static let expectedOperators: [String: Int] = [
        "dequantize": 110, "conv2D": 43, "depthwiseConv2D": 11, "relu": 22, "hardSwish": 11, "logistic": 11,
        "mul": 10, "add": 14, "resizeBilinear": 3, "CUSTOM Convolution2DTransposeBias": 1,
    ]

    @Test(
        .needsModels,
        arguments: [
            (
                ModelChoice.general, "keras2tflite_selfiesegmentation_mlkit-256x256-2021_01_19-v1215", [1, 256, 256],
                "averagePool2D"
            ),
            (ModelChoice.landscape, "keras2tflite_meet_1655", [1, 144, 256], "mean"),
        ]
    )
    func readsTheSelfieModels(choice: ModelChoice, description: String, size: [Int], pooling: String) throws {
        let model = try TFLiteModel(bytes: try Fixtures.modelBytes(choice))
        #expect(model.description.hasPrefix(description))
        #expect(model.operators.count == 246)
        #expect(model.tensors[model.inputs[0]].shape == size + [3])
        #expect(model.tensors[model.inputs[0]].type == .float32)
        #expect(model.tensors[model.outputs[0]].shape == size + [1])

        var counts: [String: Int] = [:]
        for op in model.operators { counts[op.displayName, default: 0] += 1 }
        var expected = Self.expectedOperators
        expected[pooling] = 10
        #expect(counts == expected)

        let custom = try #require(model.operators.first { $0.customCode != nil })
        #expect(custom.customOptions == [1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0])
        let stem = try #require(model.operators.first { $0.builtin == .conv2D })
        #expect(
            stem.options
                == .conv2D(padding: .same, strideW: 2, strideH: 2, activation: .none, dilationW: 1, dilationH: 1)
        )
        let resize = try #require(model.operators.first { $0.builtin == .resizeBilinear })
        #expect(resize.options == .resizeBilinear(alignCorners: false, halfPixelCenters: true))
        // Every weight is float16, widened by a DEQUANTIZE.
        let weightTypes = Set(
            model.operators.filter { $0.builtin == .dequantize }.map { model.tensors[$0.inputs[0]].type }
        )
        #expect(weightTypes == [.float16])
    }

    @Test(.needsModels) func rejectsFilesThatAreNotModels() throws {
        #expect(throws: TFLiteError.self) { try TFLiteModel(bytes: []) }
        #expect(throws: TFLiteError.self) { try TFLiteModel(bytes: Array("hello world, not a model".utf8)) }
        var bytes = try Fixtures.modelBytes(.landscape)
        bytes[4] = UInt8(ascii: "X")
        let error = #expect(throws: TFLiteError.self) { try TFLiteModel(bytes: bytes) }
        #expect(error?.description.contains("TFL3") == true)
    }

    @Test func missingFileErrorNamesThePath() {
        let error = #expect(throws: TFLiteError.self) { try TFLiteModel(contentsOf: "/nonexistent/model.tflite") }
        #expect(error?.description == "cannot read model /nonexistent/model.tflite: No such file or directory")
        let newline = #expect(throws: TFLiteError.self) { try TFLiteModel(contentsOf: "/nonexistent/new\nline.tflite") }
        #expect(newline?.description == "cannot read model /nonexistent/new\\x0aline.tflite: No such file or directory")
    }

    @Test(.needsModels) func everyTruncationIsRejected() throws {
        let bytes = try Fixtures.modelBytes(.landscape)
        // MediaPipe appends a zip of associated files (labels.txt) after the FlatBuffer; the model ends there.
        let zipHeader: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
        let modelEnd = try #require((0...(bytes.count - 4)).last { Array(bytes[$0..<($0 + 4)]) == zipHeader })
        #expect(bytes.count - modelEnd < 1000)
        // Every length up to 4 KB (headers, vtables) and then every 97th byte up to the end of the model.
        let lengths = Array(0..<4096) + Array(stride(from: 4096, to: modelEnd, by: 97)) + [modelEnd - 1]
        for length in lengths {
            #expect(throws: TFLiteError.self, "truncated to \(length) bytes") {
                let model = try TFLiteModel(bytes: Array(bytes.prefix(length)))
                // Some prefixes keep the FlatBuffer tables but lose constant data: the engine must notice.
                _ = try InferenceEngine(model: model)
            }
        }
        // Without the appended archive the model is whole.
        _ = try InferenceEngine(model: try TFLiteModel(bytes: Array(bytes.prefix(modelEnd))))
    }

    @Test(.needsModels) func absurdVectorLengthIsRejectedBeforeAllocating() throws {
        var bytes = try Fixtures.modelBytes(.general)
        let reader = FlatBufferReader(bytes)
        let subgraph = try #require(try reader.rootTable().tables(2, "subgraphs").first)
        let tensors = try #require(try subgraph.vector(0, elementSize: 4, "tensors"))
        for (index, byte) in [0xff, 0xff, 0xff, 0x7f].enumerated() { bytes[tensors.start - 4 + index] = UInt8(byte) }
        let error = #expect(throws: TFLiteError.self) { try TFLiteModel(bytes: bytes) }
        #expect(error?.description.contains("tensors (2147483647 elements)") == true)
    }

    @Test(.needsModels) func randomByteFlipsNeverCrash() throws {
        let original = try Fixtures.modelBytes(.landscape)
        var generator = SeededGenerator(seed: 0x5EED)
        var parsed = 0
        var built = 0
        for _ in 0..<1500 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                // Most of a model is weights; aim two flips in three at the FlatBuffer tables past them.
                let region = Bool.random(using: &generator) ? 0..<bytes.count : (bytes.count - 40_000)..<bytes.count
                bytes[Int.random(in: region, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            guard let model = try? TFLiteModel(bytes: bytes) else { continue }
            parsed += 1
            // A model that builds must also run: shapes are checked before XNNPACK sees them.
            if let engine = try? InferenceEngine(model: model) {
                built += 1
                try engine.run()
            }
        }
        // Both outcomes must occur, or the test is not exercising the checks it claims to.
        #expect(parsed > 0 && parsed < 1500)
        #expect(built > 0)
    }

    @Test(.needsModels) func unsupportedOperatorIsNamedWithItsIndex() throws {
        var bytes = try Fixtures.modelBytes(.landscape)
        let name = Array("Convolution2DTransposeBias".utf8)
        let at = try #require((0...(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name })
        bytes[at + name.count - 1] = UInt8(ascii: "Z")
        let model = try TFLiteModel(bytes: bytes)
        let index = try #require(model.operators.firstIndex { $0.customCode != nil })
        let error = #expect(throws: TFLiteError.self) { try InferenceEngine(model: model) }
        #expect(
            error?.description
                == "unsupported model: operator \(index) (CUSTOM Convolution2DTransposeBiaZ) is not supported by Matte's engine"
        )
    }
}
