import MatteImaging
import MatteInference
import MatteMedia
import MatteTestSupport
import Testing

@testable import MatteSegmentation

/// Robust Video Matting on Matte's engine against ONNX Runtime's outputs (scripts/make-rvm-reference.py,
/// Tests/Fixtures/README.md): 30 frames of a panning camera, the recurrent state carried, at sizes odd and even
/// and downsample ratios whose products are not whole.
@Suite(.needsRVM) struct VideoMatterFidelityTests {
    static let frames = 30

    /// Frame k is the width × height crop of astronaut.png at (3k, 2k), RGB ÷ 255, as the reference script makes it.
    static func frame(_ index: Int, width: Int, height: Int, from image: PixelBuffer) -> [Float] {
        var values = [Float](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let row = image.base + (y + 2 * index) * image.rowBytes + 3 * (3 * index)
            for x in 0..<3 * width { values[y * width * 3 + x] = Float(row[x]) / 255 }
        }
        return values
    }

    @Test(arguments: [(161, 97, Float(1.0)), (255, 143, 0.5), (320, 180, 0.25), (383, 215, 0.4)])
    func alphaFollowsONNXRuntimeOverThirtyFrames(width: Int, height: Int, ratio: Float) throws {
        let image = try ImageFile.load(Fixtures.path("astronaut.png"))
        let reference = try Fixtures.unitValues("rvm/rvm-\(width)x\(height)-pha.u16")
        let referenceForeground = try Fixtures.unitValues("rvm/rvm-\(width)x\(height)-fgr.u16")
        let pixels = width * height
        #expect(reference.count == Self.frames * pixels)
        let matter = try VideoMatter(
            contentsOf: try #require(Fixtures.rvmModelPath),
            width: width,
            height: height,
            downsampleRatio: ratio,
            // The alpha-only plan (what the live camera runs) differs from the one with foreground colour.
            foreground: width != 320
        )
        var alpha = [Float](repeating: 0, count: pixels)
        var worstMean: Float = 0
        var worstMax: Float = 0
        var worstForeground: Float = 0
        for index in 0..<Self.frames {
            let rgb = Self.frame(index, width: width, height: height, from: image)
            try rgb.withUnsafeBufferPointer { input in
                try alpha.withUnsafeMutableBufferPointer { try matter.mat(input, into: $0) }
            }
            let expected = reference[index * pixels..<(index + 1) * pixels]
            // The reference is rounded to 1/65535; round Matte's alike so the comparison sees the engine alone.
            let differences = zip(alpha, expected).map { abs((min(max($0, 0), 1) * 65535).rounded() / 65535 - $1) }
            worstMean = max(worstMean, differences.reduce(0, +) / Float(pixels))
            worstMax = max(worstMax, differences.max() ?? 0)
            if let stored = [0: 0, Self.frames - 1: 1][index], let foreground = matter.foreground {
                let expected = referenceForeground[stored * pixels * 3..<(stored + 1) * pixels * 3]
                worstForeground = max(worstForeground, zip(foreground, expected).map { abs($0 - $1) }.max() ?? 1)
            }
        }
        #expect(referenceForeground.count == 2 * pixels * 3)
        #expect((matter.foreground == nil) == (width == 320))
        #expect(worstForeground <= 0.002, "max |foreground − ONNX Runtime| in frames 1 and 30: \(worstForeground)")
        // The bounds are 0.002 and 0.02; fp32 on XNNPACK lands within the reference's own rounding
        // (1.5e-5), so these catch a regression long before a viewer could.
        #expect(worstMean <= 1e-4, "mean |alpha − ONNX Runtime| over a frame, worst of 30: \(worstMean)")
        #expect(worstMax <= 0.002, "max |alpha − ONNX Runtime|, worst of 30 frames: \(worstMax)")
    }
}

@Suite struct VideoMatterRefusalTests {
    /// A graph that is not Robust Video Matting is named by its inputs, which come from the file: quoted and
    /// escaped, at most eight, so the message stays one short line.
    @Test func aForeignGraphIsNamedInOneLine() {
        let names = ["in\nput"] + (1...99).map { "extra\($0)" }
        let model = ONNXModel(
            opsetVersion: 12,
            nodes: [],
            initializers: [:],
            inputs: names.map { ONNXValueInfo(name: $0, elementType: 1, shape: [1, 3, nil, nil]) },
            outputs: []
        )
        let error = #expect(throws: ONNXError.self) {
            try VideoMatter(model: model, width: 64, height: 48, downsampleRatio: 0.5)
        }
        #expect(
            error?.description
                == "unsupported ONNX model: the graph's inputs are ['extra1', 'extra10', 'extra11', 'extra12', "
                + "'extra13', 'extra14', 'extra15', 'extra16', … (100 inputs)]; Robust Video Matting has src, "
                + "r1i…r4i and downsample_ratio"
        )
        let one = ONNXModel(
            opsetVersion: 12,
            nodes: [],
            initializers: [:],
            inputs: [ONNXValueInfo(name: "in\nput", elementType: 1, shape: [1, 3, nil, nil])],
            outputs: []
        )
        let single = #expect(throws: ONNXError.self) {
            try VideoMatter(model: one, width: 64, height: 48, downsampleRatio: 0.5)
        }
        #expect(single?.description.contains("inputs are ['in\\x0aput']") == true, "\(String(describing: single))")
    }

    /// A foreground output that is not the frame's RGB is refused when the foreground is wanted: the colour shift
    /// reads and writes it as the frame's (a one-pixel `fgr` overran both buffers and crashed `matte mask`).
    @Test func aForegroundNotTheFramesSizeIsRefused() throws {
        let node = { (op: String, inputs: [String], output: String, attributes: [String: ONNXAttribute]) in
            ONNXNode(opType: op, name: "", inputs: inputs, outputs: [output], attributes: attributes)
        }
        let state = (1...4).flatMap { k in
            [node("Expand", ["r\(k)i", "small"], "h\(k)", [:]), node("Relu", ["h\(k)"], "r\(k)o", [:])]
        }
        let model = ONNXModel(
            opsetVersion: 12,
            nodes: [
                node("ReduceMean", ["src"], "pha", ["axes": .ints([1])]),
                node("GlobalAveragePool", ["src"], "fgr", [:]),
            ] + state,
            initializers: ["small": ONNXTensor(name: "small", shape: [4], values: .int64([1, 1, 2, 2]))],
            inputs: [ONNXValueInfo(name: "src", elementType: 1, shape: [1, 3, nil, nil])]
                + (1...4).map { ONNXValueInfo(name: "r\($0)i", elementType: 1, shape: [1, nil, nil, nil]) }
                + [ONNXValueInfo(name: "downsample_ratio", elementType: 1, shape: [1])],
            outputs: []
        )
        let error = #expect(throws: ONNXError.self) {
            try VideoMatter(model: model, width: 64, height: 48, downsampleRatio: 0.5, foreground: true)
        }
        #expect(
            error?.description == "unsupported ONNX model: the graph's foreground output 'fgr' is not [1, 3, 48, 64]"
        )
        // Alpha alone does not read it.
        let matter = try VideoMatter(model: model, width: 64, height: 48, downsampleRatio: 0.5)
        #expect(matter.foreground == nil)
    }
}

@Suite struct ColourShiftTests {
    /// The shift between two colours is the difference of their BT.601 limited-range bytes (Matte's own
    /// conversion, made in Double from the standard's coefficients), to the bytes' rounding.
    @Test func theShiftIsTheDifferenceOfTheColoursBytes() {
        var generator = SeededGenerator(seed: 5)
        let cells = 500
        let person = (0..<cells * 3).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let frame = (0..<cells * 3).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var shift = [Float](repeating: 0, count: cells * 3)
        let unit = { (bytes: [UInt8]) in bytes.map { Float($0) / 255 } }
        VideoMatter.colourShift(foreground: unit(person), frame: unit(frame), into: &shift, cells: cells)
        for cell in 0..<cells {
            let a = BT601.yuv(r: person[3 * cell], g: person[3 * cell + 1], b: person[3 * cell + 2])
            let b = BT601.yuv(r: frame[3 * cell], g: frame[3 * cell + 1], b: frame[3 * cell + 2])
            let expected = [Int(a.y) - Int(b.y), Int(a.u) - Int(b.u), Int(a.v) - Int(b.v)]
            for channel in 0..<3 {
                #expect(
                    abs(shift[3 * cell + channel] - Float(expected[channel])) <= 1.01,
                    "cell \(cell) channel \(channel)"
                )
            }
        }
    }
}
