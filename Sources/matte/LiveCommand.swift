import ArgumentParser
import Foundation
import Logging
import MatteBenchmarks
import MatteCapture
import MatteControl
import MatteCore
import MatteFileNames
import MatteImaging
import MatteOutput
import MattePipeWire
import MattePipeline
import MatteSegmentation
import MatteService
import MatteV4L2

#if canImport(Glibc)
import Glibc
#endif

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Turn the camera into a virtual camera with the background replaced (the default command).",
        discussion: """
            Reads the camera, replaces the background and writes to a v4l2loopback device or a PipeWire camera node \
            (--output) that call apps can select. \
            With no application reading the virtual camera, the real camera is closed (its light goes off) until one \
            starts. Options are read from /etc/matte/config and ~/.config/matte/config first (see `matte config`); \
            the command line overrides them. Changes to those files, and SIGHUP, reload the processing settings, \
            the settings file (--settings) and the background and foreground files without dropping the virtual \
            camera. SIGINT/SIGTERM stop cleanly. Under systemd (Type=notify) it reports readiness and pings the \
            watchdog.
            """
    )

    /// The command line's options alone, for ArgumentParser to check and document; `run` merges them with the
    /// configuration files'.
    @OptionGroup var options: LiveOptions

    func run() throws {
        let (options, settings) = try Self.optionsInForce()
        // Held since `main` began (Matte.main), so no thread of ours or of a library can be killed by one.
        let signals = try SignalInbox()
        signals.watchStartUp { signal in
            writeStderr("matte: stopped by \(InterruptionGuard.signalName(signal)) while starting\n")
        }
        let logger = makeLogger(quiet: options.quiet)
        let environment = UserDirectories.currentEnvironment()
        // Claimed before any device is opened: a second matte is told at once that one runs.
        let runtime = Result { () throws(PipelineError) in
            try ControlDirectory.runtimeDirectory(environment: environment)
        }
        // Control is a convenience, the camera is the job: only another matte running stops this one.
        var controlDirectory: ControlDirectory? = nil
        var controlProblem: String? = nil
        switch runtime {
        case let .success(directory):
            do { controlDirectory = try ControlDirectory(runtimeDirectory: directory) } catch let busy
                as ControlDirectory.Busy
            {
                throw CommandError(busy.description)
            } catch { controlProblem = "\(error)" }
        case let .failure(missing): controlProblem = missing.description
        }
        let (pipeline, camera) = try makePipeline(options: options, settings: settings, logger: logger)
        if let controlProblem {
            logger.warning("no control socket (matte ctl will not reach this matte): \(controlProblem)")
        }
        let editor = ControlSettings(backgrounds: options.backgroundFolder(environment: environment))
        let session = try LiveSession(
            pipeline: pipeline,
            readers: camera.readers,
            alwaysOn: options.alwaysOn,
            settings: { editor.applyingOverrides(to: try options.currentSettings()) },
            watching: ConfigFiles.paths + (options.settings.map { [$0] } ?? []),
            notifier: ServiceNotifier(environment: environment),
            controlServer: try controlDirectory.map {
                try ControlServer(directory: $0, version: Matte.configuration.version, logger: logger)
            },
            editor: editor,
            identity: LiveSession.Identity(
                version: Matte.configuration.version,
                output: camera.description,
                pausePicture: options.pauseImage.map(ControlCommand.absolute),
                model: options.processing.model.resolved(frameWidth: pipeline.width, frameHeight: pipeline.height)
                    .description
            ),
            logger: logger
        )
        let status = StatusLine(enabled: !options.quiet && isatty(STDERR_FILENO) == 1)
        session.run(signals: signals) { status.show($0) }
        status.clear()
        let summary = pipeline.statistics.snapshot()
        let latency = "latency p50 \(format(summary.latencyP50)) ms, p99 \(format(summary.latencyP99)) ms"
        let stages =
            "inference \(format(summary.inferenceMilliseconds)) ms, compositing \(format(summary.compositeMilliseconds)) ms"
        logger.notice("stopped: \(summary.framesIn) frames in, \(summary.framesOut) out; \(latency); \(stages)")
    }
}

extension LiveCommand {
    /// The options in force at start, read once: the configuration files' first, then the command line's; and the
    /// processing settings, with a settings file's (`--settings`) on top. A broken file is a usage error, reported
    /// before any device is touched.
    static func optionsInForce() throws -> (LiveOptions, ProcessingSettings) {
        do {
            let options = try ConfigFiles.effectiveOptions(
                commandLine: LiveOptions.commandLineArguments,
                settingsFile: nil
            )
            // Only a settings file adds to what that parse gave; it is read as a reload reads it.
            let settings = options.settings == nil ? options.processing.settings : try options.currentSettings()
            return (options, settings)
        } catch let error as CommandError {
            throw ValidationError(error.description)
        }
    }

    /// Opens the source and the virtual camera and builds the pipeline. The first source is opened here (its
    /// size decides the model, the compositor and the output) and handed to the pipeline, which alone keeps
    /// it: nothing else may hold it, or an idle pipeline or an unplugged camera could not close the device.
    func makePipeline(
        options: LiveOptions,
        settings: ProcessingSettings,
        logger: Logger
    ) throws -> (LivePipeline, VirtualCamera) {
        let source = try options.openSource()
        for line in options.unusedCaptureOptions(source: source) { logger.warning("\(line)") }
        let camera = try options.openVirtualCamera(
            frameRate: source.frameRate,
            sourceWidth: source.width,
            sourceHeight: source.height,
            logger: logger
        )
        // With exclusive_caps=1, apps see the device as a camera only once something was written to it.
        _ = try camera.sink.write(
            LivePipeline.placeholder(width: camera.width, height: camera.height),
            captureTime: monotonicMilliseconds()
        )
        let maker = try loadMaskMaker(
            options.processing.model,
            frameWidth: source.width,
            frameHeight: source.height,
            for: .live
        )
        let pipeline = try LivePipeline(
            source: source,
            reopen: options.openSource,
            sink: camera.sink,
            outputSize: (camera.width, camera.height),
            maker: maker,
            settings: settings,
            inferenceRate: options.inferenceRate.map { $0 > 0 ? $0 : nil } ?? maker.liveInferenceRate,
            logger: logger
        )
        let model = options.processing.model.resolved(frameWidth: source.width, frameHeight: source.height)
        logger.info("\(source.description) → \(camera.description), model \(model)")
        return (pipeline, camera)
    }
}

/// Where the live command writes: a v4l2loopback device, or a PipeWire camera node.
enum VirtualCamera {
    case loopback(LoopbackOutput, ReaderMonitor)
    case pipeWire(PipeWireOutput)

    var sink: FrameSink {
        switch self {
        case let .loopback(output, _): return output
        case let .pipeWire(output): return output
        }
    }

    var readers: ReaderCount {
        switch self {
        case let .loopback(_, monitor): return monitor
        case let .pipeWire(output): return output
        }
    }

    var width: Int {
        switch self {
        case let .loopback(output, _): return output.width
        case let .pipeWire(output): return output.width
        }
    }

    var height: Int {
        switch self {
        case let .loopback(output, _): return output.height
        case let .pipeWire(output): return output.height
        }
    }

    /// As `status` and the log show it: `/dev/video10 (yuyv 1280x720)`, `PipeWire node "Matte" (1280x720)`.
    var description: String {
        switch self {
        case let .loopback(output, _): return "\(output.device.path) (\(output.format) \(width)x\(height))"
        case .pipeWire: return "PipeWire node \"\(PipeWireOutput.nodeDescription)\" (\(width)x\(height))"
        }
    }
}

/// The live command's options, apart so that the settings file can be merged by parsing them again.
struct LiveOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The camera (default: the first real camera).", valueName: "path"))
    var camera: String?

    @Option(help: ArgumentHelp("Use a video or image file (looped) instead of a camera.", valueName: "file"))
    var input: String?

    @Option(
        help:
            "Capture size, WIDTHxHEIGHT (the nearest the camera offers; default 1280x720). A file (--input) plays at its own size."
    )
    var size: String?

    @Option(
        parsing: .unconditional,
        help:
            "Capture frame rate, 1-240 (the nearest the camera offers; default 30). A picture (--input) repeats at this rate; a video plays at its own."
    )
    var fps: Double?

    @Option(
        help: ArgumentHelp(
            "The virtual camera: a v4l2loopback device, `pipewire` (a PipeWire camera node, no kernel module), or `auto` (the first v4l2loopback device, else PipeWire).",
            valueName: "path|pipewire|auto"
        )
    )
    var output: String?

    @Option(
        help: "Virtual camera pixel format on a v4l2loopback device: yuyv or i420 (PipeWire consumers choose theirs)."
    )
    var outputFormat: OutputFormat = .yuyv

    @Option(help: ArgumentHelp("Virtual camera size, WIDTHxHEIGHT (default: the capture size).", valueName: "size"))
    var outputSize: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Run the model at most this often per second (default 15; 8 for rvm); each frame is still composited, its edges aligned to that frame. 0 = every frame.",
            valueName: "fps"
        )
    )
    var inferenceRate: Double?

    @Flag(help: "Keep the camera open and processing even when no application reads the virtual camera.")
    var alwaysOn = false

    @Flag(
        help:
            "No status line; only notices (changes made with matte ctl, the final summary), warnings and errors (for services)."
    )
    var quiet = false

    @Option(
        help: ArgumentHelp(
            "A file of processing options (--background, --effect, …, one or more per line; lines starting with # are comments), read at start and again on SIGHUP; they override the command line's (effects add up).",
            valueName: "file"
        )
    )
    var settings: String?

    @Option(
        help: ArgumentHelp(
            "The folder of pictures and videos that `matte ctl next` and `previous` cycle through (default: $XDG_PICTURES_DIR/Backgrounds).",
            valueName: "dir"
        )
    )
    var backgrounds: String?

    @Option(
        help: ArgumentHelp(
            "The picture `matte ctl pause` shows (default: the last frame, blurred).",
            valueName: "file"
        )
    )
    var pauseImage: String?

    @OptionGroup var processing: ProcessingOptions

    func validate() throws {
        if let size { _ = try frameSize(size, option: "--size") }
        if let outputSize { _ = try frameSize(outputSize, option: "--output-size") }
        if let fps, !(fps >= 1 && fps <= 240) { throw ValidationError("--fps \(fps): use a rate from 1 to 240") }
        if let inferenceRate, !(inferenceRate >= 0 && inferenceRate <= 240) {
            throw ValidationError("--inference-rate \(inferenceRate): use 0 (every frame) or a rate up to 240")
        }
    }

    /// A rate as the user writes it: 30, 29.97.
    static func rate(_ value: Double) -> String { value == value.rounded() ? "\(Int(value))" : format(value) }

    /// The rate asked of the camera, or of a picture given as --input.
    var captureRate: Double { fps ?? 30 }

    /// What the capture options asked for that `source`, a file, does not do: one line each, naming the option,
    /// what happens instead and what to use. (A camera gives the nearest it offers, which its log line shows.)
    func unusedCaptureOptions(source: FrameSource) -> [String] {
        guard let input else { return [] }
        var lines: [String] = []
        if let size, let asked = try? frameSize(size, option: "--size"), asked != (source.width, source.height) {
            lines.append(
                "--size \(size) is for cameras: \(input) plays at its own size, \(source.width)x\(source.height); --output-size sets the virtual camera's"
            )
        }
        if let fps, fps != source.frameRate {
            lines.append(
                "--fps \(Self.rate(fps)) does not change a video's rate: \(input) plays at its own \(Self.rate(source.frameRate)) fps"
            )
        }
        return lines
    }

    /// Opens the source: the camera, or the input file. The pipeline calls it again to reopen.
    func openSource() throws(PipelineError) -> FrameSource {
        if let input {
            do { return try FileSource(path: input, frameRate: captureRate) } catch {
                throw PipelineError(error.description)
            }
        }
        guard let path = camera ?? DeviceCatalog.firstCamera() else {
            throw PipelineError(
                "no camera found (no capture device in /dev/video*); plug one in, or use --input FILE",
                kind: .gone
            )
        }
        // Validated in `validate()`.
        let (width, height) = (try? frameSize(size ?? "", option: "--size")) ?? (1280, 720)
        do { return try CameraSource(path: path, width: width, height: height, frameRate: captureRate) } catch {
            throw PipelineError(error)
        }
    }

    /// Opens the output `--output` names; `auto` (the default) takes the first v4l2loopback device, else
    /// publishes a PipeWire camera, and logs which.
    func openVirtualCamera(
        frameRate: Double,
        sourceWidth: Int,
        sourceHeight: Int,
        logger: Logger
    ) throws
        -> VirtualCamera
    {
        let (width, height) =
            try outputSize.map { try frameSize($0, option: "--output-size") } ?? (sourceWidth, sourceHeight)
        func loopback(_ path: String) throws -> VirtualCamera {
            let output = try LoopbackOutput(
                path: path,
                width: width,
                height: height,
                format: outputFormat,
                frameRate: frameRate
            )
            let monitor = try ReaderMonitor(device: output.device)
            logger.info("\(path): readers detected by \(monitor.method.rawValue)")
            return .loopback(output, monitor)
        }
        func pipeWire() throws -> VirtualCamera {
            .pipeWire(try PipeWireOutput(width: width, height: height, frameRate: frameRate, logger: logger))
        }
        switch output ?? "auto" {
        case "pipewire":
            // A missing daemon is reported now; once running, Matte outlives daemon restarts.
            _ = try PipeWireDaemon.cameras()
            return try pipeWire()
        case "auto":
            if let path = DeviceCatalog.firstLoopback() {
                logger.info("output auto: v4l2loopback device \(path) (--output pipewire for a PipeWire camera)")
                return try loopback(path)
            }
            do { _ = try PipeWireDaemon.cameras() } catch {
                throw CommandError(
                    "no virtual camera: no v4l2loopback device (load it with: \(LoopbackOutput.recommendedModprobe)) "
                        + "and \(error)"
                )
            }
            logger.info("output auto: no v4l2loopback device, so a PipeWire camera node")
            return try pipeWire()
        case let path:
            return try loopback(path)
        }
    }

    func backgroundFolder(environment: [String: String]) -> BackgroundFolder {
        if let backgrounds { return BackgroundFolder(path: ControlCommand.absolute(backgrounds)) }
        let configHome = UserDirectories.base("XDG_CONFIG_HOME", fallback: ".config", environment: environment) ?? ""
        let userDirs = try? ConfigFiles.text(of: configHome + "/user-dirs.dirs")
        return BackgroundFolder(path: BackgroundFolder.defaultPath(environment: environment, userDirs: userDirs))
    }

    /// The processing settings now: the configuration files', the command line's, then the settings file's,
    /// read again each time (a reload).
    func currentSettings() throws -> ProcessingSettings {
        let current = try ConfigFiles.effectiveOptions(commandLine: Self.commandLineArguments, settingsFile: settings)
        // The model is planned for the camera at start; a running matte cannot swap it (README, "Choosing a
        // model"), so a changed --model is said once, not silently ignored.
        if current.processing.model != processing.model, current.processing.model != Self.announcedModel {
            warn("--model \(current.processing.model) takes effect when matte restarts (now \(processing.model))")
            Self.announcedModel = current.processing.model
        }
        return current.processing.settings
    }

    /// The last model change `currentSettings` warned of (reloads come from the session's one thread).
    nonisolated(unsafe) private static var announcedModel: ModelChoice?

    /// The arguments the live command was given (without the program and subcommand names).
    static var commandLineArguments: [String] {
        let arguments = Matte.arguments[...]
        return Array(arguments.first == LiveCommand.configuration.commandName ? arguments.dropFirst() : arguments)
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
struct StatusLine {
    let enabled: Bool

    func show(_ status: LiveStatus) {
        guard enabled else { return }
        let state = status.state == "idle" ? "idle (no reader)" : status.state
        writeStderr(
            "\r\u{1B}[K● \(state)  in \(format(status.rates.framesIn)) fps  out \(format(status.rates.framesOut)) fps  inference \(format(status.milliseconds.inference)) ms  CPU \(Int(status.cpuPercent.rounded()))%  readers \(status.readers)"
        )
    }

    func clear() { if enabled { writeStderr("\r\u{1B}[K") } }
}

/// Log lines as `matte: message` on stderr, clearing the status line first on a terminal. Under systemd
/// (stderr is the journal, `$JOURNAL_STREAM`) each line starts with its syslog priority, `<4>` for a
/// warning, which the journal turns into the entry's level.
struct LineLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let toTerminal = isatty(STDERR_FILENO) == 1
    static let toJournal = getenv("JOURNAL_STREAM") != nil

    func log(event: LogEvent) {
        let prefix = event.level >= .warning ? "\(event.level): " : ""
        let start = Self.toTerminal ? "\r\u{1B}[K" : Self.toJournal ? "<\(Self.syslogPriority(event.level))>" : ""
        writeStderr("\(start)matte: \(prefix)\(FileName.printable(event.message.description))\n")
    }

    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }
}

func makeLogger(quiet: Bool) -> Logger {
    Logger(label: "matte") { _ in LineLogHandler(logLevel: quiet ? .notice : .info) }
}
