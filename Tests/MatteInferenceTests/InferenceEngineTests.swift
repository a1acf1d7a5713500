import MatteInference
import MatteSegmentation
import MatteTestSupport
import Testing

@Suite struct InferenceEngineTests {
    /// The official LiteRT runtime's output for the same input tensor (Tests/Fixtures, made by scripts/make-golden.sh).
    @Test(.needsModels, arguments: ["astronaut", "astronaut-1280x720"], [ModelChoice.general, .landscape])
    func matchesTheOfficialRuntime(source: String, choice: ModelChoice) throws {
        let engine = try InferenceEngine(model: try TFLiteModel(contentsOf: try Fixtures.modelPath(choice)))
        let input = try Fixtures.floats("\(source)-\(choice)-input.f32")
        let expected = try Fixtures.floats("\(source)-\(choice)-output.f32")
        try #require(input.count == engine.input.count && expected.count == engine.output.count)
        _ = engine.input.update(fromContentsOf: input)
        try engine.run()
        #expect(maxAbsDifference(Array(engine.output), expected) <= 5e-3)
        // Run again: the runtime keeps no state between frames.
        try engine.run()
        #expect(maxAbsDifference(Array(engine.output), expected) <= 5e-3)
    }
}
