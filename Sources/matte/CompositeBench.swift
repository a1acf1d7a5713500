import ArgumentParser
import MatteCompositing
import MatteImaging

#if canImport(Glibc)
import Glibc
#endif

struct CompositeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "composite",
        abstract: "Time compositing one frame for each background mode (no inference), against a memcpy of the frame."
    )

    @Option(help: "Frame size, WIDTHxHEIGHT.")
    var size: String = "1280x720"

    @Option(help: "Timed runs per mode.")
    var runs: Int = 200

    func validate() throws {
        _ = try frameSize(size, option: "--size")
        guard runs >= 10 else { throw ValidationError("--runs must be at least 10") }
    }

    func run() throws {
        let (width, height) = try frameSize(size, option: "--size")
        let (modelWidth, modelHeight) = (256, 144)
        let frame = Self.syntheticFrame(width: width, height: height)
        let out = PixelBuffer(width: width, height: height, format: .yuyv)
        let picture = Self.syntheticFrame(width: width, height: height, seed: 7)
        // Person-shaped probability maps (an ellipse with soft edges), two of them so that every composite gets
        // a new mask and pays for refining it (the live pipeline refines each new mask once).
        let masks: [[Float]] = [Float(128), 131].map { centre in
            var probabilities = [Float](repeating: 0, count: modelWidth * modelHeight)
            for y in 0..<modelHeight {
                for x in 0..<modelWidth {
                    let dx = (Float(x) - centre) / 60
                    let dy = (Float(y) - 100) / 80
                    probabilities[y * modelWidth + x] = min(max((1.2 - (dx * dx + dy * dy).squareRoot()) * 3, 0), 1)
                }
            }
            return probabilities
        }
        let probabilities = masks[0]
        var modelInput = [Float](repeating: 0, count: modelWidth * modelHeight * 3)
        ModelInputSampler(sourceWidth: width, sourceHeight: height, targetWidth: modelWidth, targetHeight: modelHeight)
            .sample(frame, into: &modelInput)

        let copy = measure(runs: runs) { out.bytes.copyMemory(from: UnsafeRawBufferPointer(frame.bytes)) }
        print(
            "\(width)×\(height) YUYV, median of \(runs) runs, one thread; memcpy of a frame: \(format(copy.median)) ms"
        )
        let modes: [(String, BackgroundLayer)] = [
            ("colour", .color(y: 81, u: 90, v: 240)), ("image", .picture(picture)),
            ("blur", .blur(strength: 16)), ("none", .none),
        ]
        for (name, layer) in modes {
            for guided in [true, false] {
                var settings = MaskSettings()
                settings.guided = guided
                let compositor = Compositor(
                    width: width,
                    height: height,
                    modelWidth: modelWidth,
                    modelHeight: modelHeight,
                    maskSettings: settings
                )
                var run = 0
                let time = measure(runs: runs) {
                    run += 1
                    compositor.composite(
                        frame: frame,
                        probabilities: masks[run % 2],
                        modelInput: modelInput,
                        background: layer,
                        into: out
                    )
                }
                let label = "\(name)\(guided ? "" : " (bilinear mask)")".padding(toLength: 24)
                print(
                    "\(label) \(format(time.median)) ms  (\(format(time.median / copy.median))× memcpy, p10 \(format(time.p10)) ms)"
                )
            }
        }
        printStages(
            frame: frame,
            probabilities: probabilities,
            modelInput: modelInput,
            modelWidth: modelWidth,
            modelHeight: modelHeight,
            copyTime: copy.median
        )
    }

    /// Each stage of the path alone, to see where a mode's time goes.
    func printStages(
        frame: PixelBuffer,
        probabilities: [Float],
        modelInput: [Float],
        modelWidth: Int,
        modelHeight: Int,
        copyTime: Double
    ) {
        let (width, height) = (frame.width, frame.height)
        let refiner = MaskRefiner(width: modelWidth, height: modelHeight)
        var guide = [Float](repeating: 0, count: modelWidth * modelHeight)
        MaskRefiner.luma(ofModelInput: modelInput, count: guide.count, into: &guide)
        let alpha = PixelBuffer(width: width, height: height, format: .yuyv)
        let out = PixelBuffer(width: width, height: height, format: .yuyv)
        let picture = Self.syntheticFrame(width: width, height: height, seed: 7)
        let expander = AlphaExpander(lowWidth: modelWidth, lowHeight: modelHeight, width: width, height: height)
        let blur = BackgroundBlur(width: width, height: height, strength: 16)
        let stages: [(String, () -> Void)] = [
            ("refine mask (model res)", { refiner.refine(probabilities: probabilities, guide: guide) }),
            (
                "expand alpha (full res)",
                { expander.expand(a: refiner.a.baseAddress!, b: refiner.b.baseAddress!, frame: frame, into: alpha) }
            ),
            (
                "blend over picture",
                {
                    BlendKernels.blend(
                        foreground: frame.base,
                        background: picture.base,
                        alpha: alpha.base,
                        into: out.base,
                        count: frame.bytes.count
                    )
                }
            ),
            (
                "blur background (prepare)",
                {
                    blur.prepare(
                        frame: frame,
                        a: refiner.a.baseAddress!,
                        b: refiner.b.baseAddress!,
                        modelWidth: modelWidth,
                        modelHeight: modelHeight
                    )
                }
            ),
            (
                "blur rows",
                {
                    for y in 0..<height { blur.backgroundRow(y, into: out.base + y * out.rowBytes) }
                }
            ),
        ]
        for (name, body) in stages {
            let time = measure(runs: runs, body)
            print(
                "  stage \(name.padding(toLength: 26)) \(format(time.median)) ms  (\(format(time.median / copyTime))× memcpy)"
            )
        }
    }

    /// A frame with smooth gradients and fine noise, so no kernel sees unrealistically uniform data.
    static func syntheticFrame(width: Int, height: Int, seed: UInt32 = 1) -> PixelBuffer {
        let frame = PixelBuffer(width: width, height: height, format: .yuyv)
        var state = seed
        for y in 0..<height {
            for x in stride(from: 0, to: width, by: 2) {
                state = state &* 1_664_525 &+ 1_013_904_223
                let noise = Int(state >> 28)
                let at = y * frame.rowBytes + x * 2
                frame.bytes[at] = UInt8(16 + (x * 200 / width + noise) % 220)
                frame.bytes[at + 1] = UInt8(64 + y * 128 / height)
                frame.bytes[at + 2] = UInt8(16 + (y * 200 / height + noise) % 220)
                frame.bytes[at + 3] = UInt8(192 - x * 128 / width)
            }
        }
        return frame
    }
}

extension String {
    func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }
}
