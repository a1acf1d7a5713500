import MatteImaging
import MatteMedia
import MatteSegmentation
import MatteTestSupport
import Testing

/// The whole segmentation path against the official LiteRT runtime (Tests/Fixtures, scripts/make-golden.sh).
@Suite struct SegmenterTests {
    static let cases: [(String, ModelChoice)] = [
        ("astronaut", .general), ("astronaut", .landscape),
        ("astronaut-1280x720", .general), ("astronaut-1280x720", .landscape),
    ]

    @Test(.needsModels, arguments: cases)
    func preprocessingEqualsMediaPipe(source: String, choice: ModelChoice) throws {
        let frame = try ImageFile.load(Fixtures.path("\(source).png"))
        let segmenter = try Segmenter(contentsOf: try Fixtures.modelPath(choice))
        segmenter.prepareInput(frame)
        let expected = try Fixtures.floats("\(source)-\(choice)-input.f32")
        #expect(maxAbsDifference(Array(segmenter.engine.input), expected) <= 1e-5)
    }

    @Test(.needsModels, arguments: cases)
    func maskMatchesTheOfficialRuntime(source: String, choice: ModelChoice) throws {
        let frame = try ImageFile.load(Fixtures.path("\(source).png"))
        let segmenter = try Segmenter(contentsOf: try Fixtures.modelPath(choice))
        let probabilities = try segmenter.segment(frame)
        #expect(maxAbsDifference(Array(probabilities), try Fixtures.floats("\(source)-\(choice)-output.f32")) <= 5e-3)

        let mask = PixelBuffer(width: frame.width, height: frame.height, format: .gray8)
        MaskUpscaler(
            sourceWidth: segmenter.modelWidth,
            sourceHeight: segmenter.modelHeight,
            targetWidth: frame.width,
            targetHeight: frame.height
        )
        .upscale(probabilities.baseAddress!, into: mask)
        let reference = try Fixtures.floats("\(source)-\(choice)-mask-full.f32")
        var intersection = 0
        var union = 0
        for (ours, theirs) in zip(mask.array, reference) {
            let a = ours >= 128
            let b = theirs >= 0.5
            if a && b { intersection += 1 }
            if a || b { union += 1 }
        }
        #expect(union > frame.width * frame.height / 10, "the reference mask should contain a person")
        #expect(Double(intersection) / Double(union) >= 0.99)
    }

    @Test(.needsModels) func yuyvFramesSegmentLikeTheirRGB() throws {
        let rgb = try ImageFile.load(Fixtures.path("astronaut-1280x720.png"))
        let yuyv = try ImageFile.load(Fixtures.path("astronaut-1280x720.png"), format: .yuyv)
        let segmenter = try Segmenter(contentsOf: try Fixtures.modelPath(.landscape))
        let fromRGB = Array(try segmenter.segment(rgb))
        let fromYUYV = Array(try segmenter.segment(yuyv))
        // 4:2:2 chroma and 8-bit rounding shift a few edge pixels; the person is the same.
        let agreeing = zip(fromRGB, fromYUYV).filter { ($0.0 >= 0.5) == ($0.1 >= 0.5) }.count
        #expect(Double(agreeing) / Double(fromRGB.count) >= 0.995)
    }

}
