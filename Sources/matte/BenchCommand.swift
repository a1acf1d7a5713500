import ArgumentParser
import Logging
import MatteBenchmarks
import MatteSegmentation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Matte's stages on this machine.",
        subcommands: [InferenceBench.self, CompositeBench.self, PipelineBench.self]
    )
}

struct InferenceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Time one model inference (single-threaded XNNPACK) on a fixed input."
    )

    @Option(help: "general, landscape, rvm, or a path to a .tflite or .onnx model.", transform: ModelChoice.parse)
    var model: ModelChoice = .landscape

    @Option(help: "The frame size the model is planned for (the matting network runs at it), WIDTHxHEIGHT.")
    var size: String = "1280x720"

    @Option(help: "The matting network's downsample ratio (default: as `matte render` chooses for --size).")
    var downsampleRatio: Float?

    @Flag(help: "The matting network computes the foreground colour too (as ONNX Runtime always does).")
    var foreground = false

    @Option(help: "XNNPACK threads for the matting network (Matte itself always uses 1).")
    var threads = 1

    @Option(help: "Timed runs after 10 warm-up runs.")
    var runs: Int = 200

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard (1...16).contains(threads) else { throw ValidationError("--threads must be 1 to 16") }
        _ = try frameSize(size, option: "--size")
        if let downsampleRatio, !(downsampleRatio > 0 && downsampleRatio <= 1) {
            throw ValidationError("--downsample-ratio must be above 0 and at most 1")
        }
    }

    func run() throws {
        let (width, height) = try frameSize(size, option: "--size")
        var maker = try loadMaskMaker(model, frameWidth: width, frameHeight: height)
        var label = "\(model)"
        if let matter = maker as? VideoMatter {
            let ratio = downsampleRatio ?? matter.downsampleRatio
            if ratio != matter.downsampleRatio || foreground || threads != 1 {
                let path = try ModelLocator.path(for: model)
                do {
                    maker = try VideoMatter(
                        contentsOf: path,
                        width: width,
                        height: height,
                        downsampleRatio: ratio,
                        foreground: foreground,
                        threads: threads
                    )
                } catch { throw CommandError("model \(path): \(error.description)") }
            }
            label += " at downsample ratio \(ratio)\(foreground ? ", alpha and foreground" : ", alpha")"
        }
        try InferenceBenchmark(maker: maker, runs: runs, threads: threads).run(label: label) { print($0) }
    }
}

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
        try CompositeBenchmark(width: width, height: height, runs: runs).run { print($0) }
    }
}

struct PipelineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract:
            "Run the whole live path (capture thread, segmentation thread, compositing) on generated 720p30 and 1080p60 frames into a null sink.",
        discussion:
            "Reports process CPU per frame (all threads), frame rates in and out, time per stage, capture-to-output latency and peak memory."
    )

    @Option(help: "Seconds per configuration.")
    var seconds: Double = 6

    @Option(help: "Background: image (a generated picture), colour, or blur.")
    var background: PipelineBenchmark.Background = .image

    @Option(
        help: ArgumentHelp(
            "Run the model at most this often per second, as `matte` does by default; 0 = every frame.",
            valueName: "fps"
        )
    )
    var inferenceRate: Double?

    @Option(help: "auto, general, landscape, rvm, or a path to a .tflite or .onnx model.", transform: ModelChoice.parse)
    var model: ModelChoice = .automatic

    @Option(
        help: ArgumentHelp(
            "A picture or video to use as the camera (e.g. a photo of a person), scaled to each size; default: generated frames.",
            valueName: "file"
        )
    )
    var input: String?

    @Option(help: "Sizes to run, WIDTHxHEIGHT@FPS, comma-separated.")
    var sizes: String = "1280x720@30,1920x1080@60"

    func validate() throws {
        guard seconds >= 1 else { throw ValidationError("--seconds must be at least 1") }
        guard (inferenceRate ?? 0) >= 0 else {
            throw ValidationError("--inference-rate must be 0 (every frame) or positive")
        }
        _ = try configurations()
    }

    func configurations() throws -> [(width: Int, height: Int, frameRate: Double)] {
        try sizes.split(separator: ",").map { entry in
            let parts = entry.split(separator: "@")
            guard parts.count == 2, let rate = Double(parts[1]), rate >= 1, rate <= 240 else {
                throw ValidationError("--sizes \(entry): write WIDTHxHEIGHT@FPS, such as 1280x720@30")
            }
            let (width, height) = try frameSize(String(parts[0]), option: "--sizes")
            return (width, height, rate)
        }
    }

    func run() throws {
        let benchmark = PipelineBenchmark(
            seconds: seconds,
            background: background,
            inferenceRate: inferenceRate,
            input: input,
            configurations: try configurations()
        )
        let logger = Logger(label: "bench") { _ in LineLogHandler(logLevel: .warning) }
        try benchmark.run(
            maker: { width, height in
                try loadMaskMaker(model, frameWidth: width, frameHeight: height, for: .live)
            },
            logger: logger,
            report: { print($0) }
        )
    }
}

extension PipelineBenchmark.Background: ExpressibleByArgument {}
