import ArgumentParser
import MatteCore
import MatteFileNames
import MatteImaging
import MatteMedia
import MattePipeline

#if canImport(Glibc)
import Glibc
#endif

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Replace the background in a video or image file, frame by frame.",
        discussion: "OUTPUT may be .mkv, .mp4, .webm, .y4m, or a PNG sequence pattern such as frames/%05d.png."
    )

    @Argument(help: "The video or image to process (anything FFmpeg reads).")
    var input: String

    @Option(name: .shortAndLong, help: "The file to write.")
    var output: String

    @OptionGroup var processing: ProcessingOptions

    func run() throws {
        let interruption = InterruptionGuard()
        let decoder = try MediaDecoder(path: input, format: .yuyv, carryAudio: true)
        if let problem = FrameLimits.frameProblem(width: decoder.width, height: decoder.height) {
            throw CommandError("\(input): \(problem)")
        }
        let rate = decoder.frameRate ?? 30
        let maker = try loadMaskMaker(processing.model, frameWidth: decoder.width, frameHeight: decoder.height)
        let processor = try FrameProcessor(
            width: decoder.frameWidth,
            height: decoder.height,
            modelWidth: maker.maskWidth,
            modelHeight: maker.maskHeight,
            settings: processing.settings,
            outputRate: rate
        )
        let frame = try decoder.makeFrame()
        let encoder = try MediaEncoder(
            path: output,
            width: decoder.width,
            height: decoder.height,
            frameRate: rate,
            source: decoder,
            inputs: [input] + processing.inputFiles
        )
        interruption.removeOnSecondSignal(encoder.temporaryPath)
        abandonOutput = { [weak encoder] in encoder?.abandon() }
        let progress = Progress(total: decoder.frameCountEstimate)
        do {
            while try decoder.decodeNext(into: frame) {
                try interruption.stopIfInterrupted("\(output) was not written")
                try encoder.write(
                    try processor.process(frame, maker: maker),
                    timestamp: decoder.timestamp,
                    duration: decoder.duration
                )
                progress.update(done: encoder.framesWritten)
            }
            guard encoder.framesWritten > 0 else { throw MediaError(input, "contains no decodable frame") }
            try interruption.stopIfInterrupted("\(output) was not written")
            try encoder.finish()
        } catch {
            encoder.abandon()
            progress.clear()
            throw error
        }
        progress.finish(done: encoder.framesWritten, output: output)
        if let damage = decoder.damage { warn("\(input) \(damage)") }
        if let change = decoder.sizeChange {
            warn("\(input) changes its frame size mid-stream (\(change)); those frames were scaled to the first size")
        }
        if decoder.isHDR {
            warn(
                "\(input) is HDR (PQ or HLG): it is not tone-mapped; the output keeps the HDR signal, tagged, in 8 bits"
            )
        }
        for note in encoder.notes { warn(note) }
    }
}

/// One status line on a terminal: frames done, speed, time left. Silent when stderr is not a terminal.
final class Progress {
    let total: Int?
    let start = monotonicMilliseconds()
    var lastDraw = 0.0
    let enabled = isatty(STDERR_FILENO) == 1

    init(total: Int?) { self.total = total }

    func update(done: Int) {
        let now = monotonicMilliseconds()
        guard enabled, now - lastDraw > 200 else { return }
        lastDraw = now
        let fps = Double(done) / max((now - start) / 1000, 1e-3)
        var line = "\rrender: frame \(done)"
        if let total, total > 0 {
            line +=
                "/\(total), \(Int(fps.rounded())) fps, \(Int((Double(max(total - done, 0)) / max(fps, 1e-3)).rounded())) s left   "
        } else {
            line += ", \(Int(fps.rounded())) fps   "
        }
        writeStderr(line)
    }

    func clear() { if enabled { writeStderr("\r\u{1B}[K") } }

    func finish(done: Int, output: String) {
        clear()
        let seconds = (monotonicMilliseconds() - start) / 1000
        writeStderr(
            "render: \(done) frames in \(Int(seconds.rounded())) s (\(Int((Double(done) / max(seconds, 1e-3)).rounded())) fps) → \(FileName.printable(output))\n"
        )
    }
}

func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
