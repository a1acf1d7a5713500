import Foundation
import Logging
import MatteCore
import MatteImaging
import MatteMedia
import MattePipeline
import MatteSegmentation

/// The whole live path (capture thread, segmentation thread, compositing) on generated frames, or frames
/// from a file, into a null sink: CPU per frame against a frame memcpy, rates, stage times, latency and the
/// process's peak resident memory.
public struct PipelineBenchmark {
    public enum Background: String, CaseIterable, Sendable {
        case image, colour, blur
    }

    public var seconds: Double
    public var background: Background
    /// Masks a second; nil for the maker's own live rate, 0 for every frame.
    public var inferenceRate: Double?
    public var input: String?
    /// Sizes and rates to run, in order.
    public var configurations: [(width: Int, height: Int, frameRate: Double)]

    public init(
        seconds: Double,
        background: Background,
        inferenceRate: Double?,
        input: String?,
        configurations: [(width: Int, height: Int, frameRate: Double)]
    ) {
        self.seconds = seconds
        self.background = background
        self.inferenceRate = inferenceRate
        self.input = input
        self.configurations = configurations
    }

    /// A generated 1080p picture as a PNG, for the image background (its buffers are freed on return, so the
    /// peak memory reported is the pipeline's).
    static func writeBackgroundPicture(to path: String) throws(MediaError) {
        let picture = YUYVKernels.testPattern(width: 1920, height: 1080, seed: 3)
        let rgb = PixelBuffer(width: 1920, height: 1080, format: .rgb24)
        BT601.yuyvToRGB24(picture, into: rgb)
        try ImageFile.savePNG(rgb, to: path)
    }

    /// The baseline: copying one frame.
    static func frameCopyTime(width: Int, height: Int) -> (median: Double, p10: Double) {
        let source = YUYVKernels.testPattern(width: width, height: height)
        let target = PixelBuffer(width: width, height: height, format: .yuyv)
        return measure(runs: 200) { target.bytes.copyMemory(from: UnsafeRawBufferPointer(source.bytes)) }
    }

    public func run(
        maker makeMaker: (_ width: Int, _ height: Int) throws -> PersonMaskMaker,
        logger: Logger,
        report: (String) -> Void
    ) throws {
        let picturePath = NSTemporaryDirectory() + "matte-bench-background-\(getpid()).png"
        defer { unlink(picturePath) }
        try Self.writeBackgroundPicture(to: picturePath)

        for (width, height, fps) in configurations {
            let copy = Self.frameCopyTime(width: width, height: height)

            var settings = ProcessingSettings()
            switch background {
            case .image: settings.background = .file(picturePath)
            case .blur: settings.background = .blur(strength: BackgroundChoice.defaultBlurStrength)
            case .colour: settings.background = .color(r: 30, g: 90, b: 160)
            }
            let source =
                try input.map { path in
                    try SyntheticSource(file: path, width: width, height: height, frameRate: fps)
                } ?? SyntheticSource(width: width, height: height, frameRate: fps)
            let maker = try makeMaker(width, height)
            let rate = inferenceRate ?? maker.liveInferenceRate
            let pipeline = try LivePipeline(
                source: source,
                reopen: { source },
                sink: NullSink(),
                outputSize: nil,
                maker: maker,
                settings: settings,
                inferenceRate: rate > 0 ? rate : nil,
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
            let inference = rate > 0 ? "inference ≤ \(format(rate))/s" : "inference every frame"
            let load = Int(((cpuAfter - cpuBefore) / (wallAfter - wallBefore) * 100).rounded())
            report(
                "\(width)x\(height) at \(Int(fps)) fps from \(input ?? "generated frames"), \(background) background, \(inference):"
            )
            report(
                "  frames in \(format(Double(framesIn) / elapsed)) fps, out \(format(Double(framesOut) / elapsed)) fps, "
                    + "inferences \(format(Double(after.inferences - before.inferences) / elapsed))/s"
            )
            report(
                "  CPU \(format(cpuPerFrame)) ms per frame (all threads; \(format(cpuPerFrame / copy.median))× a frame "
                    + "memcpy of \(format(copy.median)) ms), \(load)% of one core"
            )
            report(
                "  stages: capture \(format(after.captureMilliseconds)) ms, inference "
                    + "\(format(after.inferenceMilliseconds)) ms, compositing \(format(after.compositeMilliseconds)) ms"
            )
            report(
                "  latency capture → output: p50 \(format(after.latencyP50)) ms, p99 \(format(after.latencyP99)) ms "
                    + "(frame interval \(format(1000 / fps)) ms)"
            )
            report("  peak resident memory so far: \(Int(peakResidentMegabytes().rounded())) MB")
        }
    }
}
