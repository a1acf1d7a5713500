import ArgumentParser
import CV4L2
import Logging
import MatteCapture
import MatteImaging
import MatteMedia
import MatteOutput
import MattePipeline
import MatteSegmentation
import MatteV4L2

#if canImport(Glibc)
import Glibc
#endif

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Turn the camera into a virtual camera with the background replaced (the default command).",
        discussion: """
            Reads the camera, replaces the background and writes to a v4l2loopback device that call apps can select. \
            With no application reading the virtual camera, the real camera is closed (its light goes off) until one \
            starts. SIGINT/SIGTERM stop cleanly; SIGHUP reloads the settings file (--settings) and the background \
            and foreground files without dropping the virtual camera.
            """
    )

    @Option(help: ArgumentHelp("The camera (default: the first real camera).", valueName: "path"))
    var camera: String?

    @Option(help: ArgumentHelp("Use a video or image file (looped) instead of a camera.", valueName: "file"))
    var input: String?

    @Option(help: "Capture size, WIDTHxHEIGHT (the nearest the camera offers).")
    var size: String = "1280x720"

    @Option(parsing: .unconditional, help: "Capture frame rate, 1-240 (the nearest the camera offers).")
    var fps: Double = 30

    @Option(help: ArgumentHelp("The v4l2loopback device (default: the first one).", valueName: "path"))
    var output: String?

    @Option(help: "Virtual camera pixel format: yuyv or i420.")
    var outputFormat: OutputFormat = .yuyv

    @Option(help: ArgumentHelp("Virtual camera size, WIDTHxHEIGHT (default: the capture size).", valueName: "size"))
    var outputSize: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Run the model at most this often per second; each frame is still composited, its edges aligned to that frame. 0 = every frame.",
            valueName: "fps"
        )
    )
    var inferenceRate: Double = 15

    @Flag(help: "Keep the camera open and processing even when no application reads the virtual camera.")
    var alwaysOn = false

    @Flag(help: "No status line; warnings and errors only (for services).")
    var quiet = false

    @Option(
        help: ArgumentHelp(
            "A file of processing options (--background, --effect, …, one or more per line; lines starting with # are comments), read at start and again on SIGHUP; they override the command line's (effects add up).",
            valueName: "file"
        )
    )
    var settings: String?

    @OptionGroup var processing: ProcessingOptions

    func validate() throws {
        _ = try frameSize(size, option: "--size")
        if let outputSize { _ = try frameSize(outputSize, option: "--output-size") }
        guard fps >= 1 && fps <= 240 else { throw ValidationError("--fps \(fps): use a rate from 1 to 240") }
        guard inferenceRate >= 0 && inferenceRate <= 240 else {
            throw ValidationError("--inference-rate \(inferenceRate): use 0 (every frame) or a rate up to 240")
        }
        // A broken settings file is reported before any device is touched.
        if settings != nil {
            do { _ = try currentSettings() } catch { throw ValidationError("\(error)") }
        }
    }

    func run() throws {
        let logger = makeLogger(quiet: quiet)
        let (width, height) = try frameSize(size, option: "--size")

        // How to open the source; the pipeline reopens it when the camera returns or a reader comes back.
        let openSource: () throws -> FrameSource
        if let input {
            openSource = { try FileSource(path: input, frameRate: fps) }
        } else {
            guard let path = camera ?? DeviceCatalog.firstCamera() else {
                throw fail("no camera found (no capture device in /dev/video*); plug one in, or use --input FILE")
            }
            openSource = { try CameraSource(path: path, width: width, height: height, frameRate: fps) }
        }
        // The first source is opened here (its size decides the model, the compositor and the output) and then
        // handed to the pipeline, which alone keeps it: an idle pipeline must be able to close the camera.
        let (pipeline, sink, sourceDescription) = try makePipeline(openSource: openSource, logger: logger)
        let outputWidth = sink.width
        let outputHeight = sink.height
        let outputPath = sink.device.path
        // With exclusive_caps=1, apps see the device as a camera only once something was written to it.
        do { try sink.write(LivePipeline.placeholder(width: outputWidth, height: outputHeight)) } catch {
            throw fail("\(error)")
        }
        let monitor: ReaderMonitor
        do { monitor = try ReaderMonitor(device: sink.device) } catch { throw fail("\(error)") }
        logger.info(
            "\(sourceDescription) → \(outputPath) (\(outputFormat) \(outputWidth)x\(outputHeight)); readers detected by \(monitor.method.rawValue)"
        )

        // Signals arrive on a descriptor, so the control loop handles them like any other event. The mask is set
        // before the threads start, so none of them is interrupted.
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let signalFD = signalfd(-1, &signals, Int32(SFD_CLOEXEC))
        guard signalFD >= 0 else {
            // Blocked and unread, these signals could not stop Matte at all.
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            throw fail("cannot watch for signals (signalfd: \(String(cString: strerror(errno))))")
        }
        defer { close(signalFD) }

        pipeline.start()
        let status = StatusLine(enabled: !quiet && isatty(STDERR_FILENO) == 1)
        var readers = monitor.update()
        var lastReaderSeen = -Double.infinity
        var lastStatus = 0.0
        var running = true
        while running {
            // On demand: run while someone reads, and a little after, so an app reopening the device does not flap the camera.
            if readers > 0 { lastReaderSeen = monotonicMilliseconds() }
            let wanted = alwaysOn || readers > 0 || monotonicMilliseconds() - lastReaderSeen < 1500
            if wanted != pipeline.isActive {
                pipeline.setActive(wanted)
                if wanted { logger.info("a reader appeared: processing") }
            }
            var polled = [
                pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: monitor.fd, events: monitor.events, revents: 0),
            ]
            _ = poll(&polled, 2, 250)
            if polled[0].revents & Int16(POLLIN) != 0 {
                var info = signalfd_siginfo()
                if read(signalFD, &info, MemoryLayout<signalfd_siginfo>.size) > 0 {
                    if Int32(info.ssi_signo) == SIGHUP {
                        logger.info(
                            "SIGHUP: reloading \(settings.map { "\($0), " } ?? "")the background and foreground"
                        )
                        do { pipeline.reload(try currentSettings()) } catch {
                            logger.error("\(error); keeping the current settings")
                        }
                    } else {
                        running = false
                    }
                }
            }
            if polled[1].revents != 0 { readers = monitor.update() }
            let now = monotonicMilliseconds()
            if now - lastStatus >= 1000 {
                status.show(pipeline: pipeline, readers: readers)
                lastStatus = now
            }
        }
        status.clear()
        pipeline.stop()
        let summary = pipeline.statistics.snapshot()
        logger.notice(
            "stopped: \(summary.framesIn) frames in, \(summary.framesOut) out; latency p50 \(format(summary.latencyP50)) ms, p99 \(format(summary.latencyP99)) ms; inference \(format(summary.inferenceMilliseconds)) ms, compositing \(format(summary.compositeMilliseconds)) ms"
        )
    }
}

extension LiveCommand {
    /// The processing settings: the command line's, overridden by the settings file when there is one.
    func currentSettings() throws -> ProcessingSettings {
        guard let path = settings else { return processing.settings }
        // A FIFO or device would block the read forever; a huge file is not a settings file.
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= 1 << 20 else {
            throw SettingsFileError(description: "settings file \(path): not a readable regular file of at most 1 MB")
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw SettingsFileError(description: "settings file \(path): cannot read it")
        }
        let arguments = SettingsFile.arguments(text)
        do {
            return try ProcessingOptions.parse(processingArguments + arguments).settings
        } catch {
            throw SettingsFileError(description: "settings file \(path): \(ProcessingOptions.message(for: error))")
        }
    }

    /// The command line's processing options as arguments, so the file overrides them one by one.
    var processingArguments: [String] {
        let all = Array(CommandLine.arguments.dropFirst())
        var kept: [String] = []
        var index = 0
        let names = Set(ProcessingOptions.optionNames)
        while index < all.count {
            let word = all[index]
            let name = String(word.split(separator: "=", maxSplits: 1)[0])
            if names.contains(name) {
                kept.append(word)
                if !word.contains("="), !ProcessingOptions.flagNames.contains(name), index + 1 < all.count {
                    kept.append(all[index + 1])
                    index += 1
                }
            }
            index += 1
        }
        return kept
    }

    func makePipeline(
        openSource: @escaping () throws -> FrameSource,
        logger: Logger
    ) throws -> (LivePipeline, LoopbackOutput, String) {
        let source: FrameSource
        do { source = try openSource() } catch { throw fail("\(error)") }
        guard let outputPath = output ?? DeviceCatalog.firstLoopback() else {
            throw fail("no v4l2loopback device found; load it with: \(LoopbackOutput.recommendedModprobe)")
        }
        let (outputWidth, outputHeight) =
            try outputSize.map { try frameSize($0, option: "--output-size") } ?? (source.width, source.height)
        let sink: LoopbackOutput
        do {
            sink = try LoopbackOutput(
                path: outputPath,
                width: outputWidth,
                height: outputHeight,
                format: outputFormat,
                frameRate: source.frameRate
            )
        } catch { throw fail("\(error)") }
        let segmenter = try loadSegmenter(processing.model, frameWidth: source.width, frameHeight: source.height)
        do {
            let pipeline = try LivePipeline(
                source: source,
                reopen: openSource,
                sink: sink,
                outputSize: (outputWidth, outputHeight),
                segmenter: segmenter,
                settings: try currentSettings(),
                inferenceRate: inferenceRate > 0 ? inferenceRate : nil,
                logger: logger
            )
            return (pipeline, sink, source.description)
        } catch { throw fail("\(error)") }
    }
}

/// A `WIDTHxHEIGHT` option for a camera or virtual camera (even width, within `FrameLimits`).
func frameSize(_ text: String, option: String) throws -> (Int, Int) {
    switch FrameLimits.parseFrameSize(text, evenWidth: true) {
    case let .success(size): return size
    case let .failure(error): throw ValidationError("\(option) \(error)")
    }
}

extension OutputFormat: ExpressibleByArgument {}

/// The one-line live status on a terminal: rates, inference time, CPU, on-demand state.
final class StatusLine {
    let enabled: Bool
    private var last: PipelineStatistics.Snapshot?
    private var lastTime = monotonicMilliseconds()
    private var lastCPU = processCPUMilliseconds()

    init(enabled: Bool) { self.enabled = enabled }

    func show(pipeline: LivePipeline, readers: Int) {
        guard enabled else { return }
        let now = monotonicMilliseconds()
        let cpu = processCPUMilliseconds()
        let snapshot = pipeline.statistics.snapshot()
        let seconds = max((now - lastTime) / 1000, 1e-3)
        let framesIn = Double(snapshot.framesIn - (last?.framesIn ?? 0)) / seconds
        let framesOut = Double(snapshot.framesOut - (last?.framesOut ?? 0)) / seconds
        let load = (cpu - lastCPU) / (now - lastTime) * 100
        let state = pipeline.isActive ? "live" : "idle (no reader)"
        writeStderr(
            "\r\u{1B}[K● \(state)  in \(format(framesIn)) fps  out \(format(framesOut)) fps  inference \(format(snapshot.inferenceMilliseconds)) ms  CPU \(Int(load.rounded()))%  readers \(readers)"
        )
        (last, lastTime, lastCPU) = (snapshot, now, cpu)
    }

    func clear() { if enabled { writeStderr("\r\u{1B}[K") } }
}

/// CPU time of the whole process (all threads), in milliseconds.
func processCPUMilliseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000
}

/// Log lines as `matte: message` on stderr, clearing the status line first.
struct LineLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    ) {
        let prefix = level >= .warning ? "\(level): " : ""
        writeStderr("\r\u{1B}[Kmatte: \(prefix)\(message)\n")
    }
}

func makeLogger(quiet: Bool) -> Logger {
    Logger(label: "matte") { _ in LineLogHandler(logLevel: quiet ? .warning : .info) }
}
