import ArgumentParser
import Foundation
import Logging
import MatteImaging
import MatteMedia
import MattePipeline
import MatteSegmentation

struct PipelineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract:
            "Run the whole live path (capture thread, segmentation thread, compositing) on generated 720p30 and 1080p60 frames into a null sink.",
        discussion:
            "Reports process CPU per frame (all threads), frame rates in and out, time per stage and capture-to-output latency."
    )

    @Option(help: "Seconds per configuration.")
    var seconds: Double = 6

    @Option(help: "Background: image (a generated picture), colour, or blur.")
    var background: String = "image"

    @Option(
        help: ArgumentHelp(
            "Run the model at most this often per second, as `matte` does by default; 0 = every frame.",
            valueName: "fps"
        )
    )
    var inferenceRate: Double = 15

    @Option(
        help: ArgumentHelp(
            "A picture or video to use as the camera (e.g. a photo of a person), scaled to each size; default: generated frames.",
            valueName: "file"
        )
    )
    var input: String?

    func validate() throws {
        guard ["image", "colour", "color", "blur"].contains(background) else {
            throw ValidationError("--background must be image, colour or blur")
        }
        guard seconds >= 1 else { throw ValidationError("--seconds must be at least 1") }
        guard inferenceRate >= 0 else { throw ValidationError("--inference-rate must be 0 (every frame) or positive") }
    }

    func run() throws {
        let logger = Logger(label: "bench") { _ in LineLogHandler(logLevel: .warning) }
        let picturePath = NSTemporaryDirectory() + "matte-bench-background-\(getpid()).png"
        defer { unlink(picturePath) }
        let picture = CompositeBench.syntheticFrame(width: 1920, height: 1080, seed: 3)
        let rgb = PixelBuffer(width: 1920, height: 1080, format: .rgb24)
        BT601.yuyvToRGB24(picture, into: rgb)
        try ImageFile.savePNG(rgb, to: picturePath)

        for (width, height, fps) in [(1280, 720, 30.0), (1920, 1080, 60.0)] {
            let copySource = CompositeBench.syntheticFrame(width: width, height: height)
            let copyTarget = PixelBuffer(width: width, height: height, format: .yuyv)
            let copy = measure(runs: 200) {
                copyTarget.bytes.copyMemory(from: UnsafeRawBufferPointer(copySource.bytes))
            }

            var settings = ProcessingSettings()
            settings.background =
                background == "image"
                ? .file(picturePath)
                : background == "blur"
                    ? .blur(strength: BackgroundChoice.defaultBlurStrength) : .color(r: 30, g: 90, b: 160)
            let source =
                try input.map { path in try SyntheticSource(file: path, width: width, height: height, frameRate: fps) }
                ?? SyntheticSource(width: width, height: height, frameRate: fps)
            let segmenter = try loadSegmenter(.automatic, frameWidth: width, frameHeight: height)
            let pipeline = try LivePipeline(
                source: source,
                reopen: { source },
                sink: NullSink(),
                outputSize: nil,
                segmenter: segmenter,
                settings: settings,
                inferenceRate: inferenceRate > 0 ? inferenceRate : nil,
                logger: logger
            )
            pipeline.start()
            pipeline.setActive(true)
            Thread.sleep(forTimeInterval: 1)  // warm-up: first frames, first mask
            let before = pipeline.statistics.snapshot()
            let cpuBefore = processCPUMilliseconds()
            let wallBefore = monotonicMilliseconds()
            Thread.sleep(forTimeInterval: seconds)
            let after = pipeline.statistics.snapshot()
            let cpuAfter = processCPUMilliseconds()
            let wallAfter = monotonicMilliseconds()
            pipeline.stop()

            let elapsed = (wallAfter - wallBefore) / 1000
            let framesOut = after.framesOut - before.framesOut
            let framesIn = after.framesIn - before.framesIn
            let cpuPerFrame = (cpuAfter - cpuBefore) / Double(max(framesOut, 1))
            print(
                "\(width)x\(height) at \(Int(fps)) fps from \(input ?? "generated frames"), \(background) background, \(inferenceRate > 0 ? "inference ≤ \(format(inferenceRate))/s" : "inference every frame"):"
            )
            print(
                "  frames in \(format(Double(framesIn) / elapsed)) fps, out \(format(Double(framesOut) / elapsed)) fps, inferences \(format(Double(after.inferences - before.inferences) / elapsed))/s"
            )
            print(
                "  CPU \(format(cpuPerFrame)) ms per frame (all threads; \(format(cpuPerFrame / copy.median))× a frame memcpy of \(format(copy.median)) ms), \(Int(((cpuAfter - cpuBefore) / (wallAfter - wallBefore) * 100).rounded()))% of one core"
            )
            print(
                "  stages: capture \(format(after.captureMilliseconds)) ms, inference \(format(after.inferenceMilliseconds)) ms, compositing \(format(after.compositeMilliseconds)) ms"
            )
            print(
                "  latency capture → output: p50 \(format(after.latencyP50)) ms, p99 \(format(after.latencyP99)) ms (frame interval \(format(1000 / fps)) ms)"
            )
        }
    }
}
