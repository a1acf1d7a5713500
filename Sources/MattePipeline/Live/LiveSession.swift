import CLinux
import Foundation
import Logging
import MatteControl
import MatteCore
import MatteImaging
import MatteService
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs a `LivePipeline` for as long as the user wants the virtual camera: processing only while an
/// application reads the output (and `linger` after the last one leaves, so an app reopening the device does
/// not flap the camera) or always with `alwaysOn`; reloading the settings when asked (`control`, SIGHUP) or
/// when a watched configuration file changes; stopping when asked or on SIGINT/SIGTERM; and telling a
/// service manager it is ready, alive (the output loop pings its watchdog) and stopping; and answering
/// `matte ctl` on its control socket. All of it happens on the thread that calls `run`, in one `poll` loop,
/// so every change of settings or state has one author and needs no further lock.
public final class LiveSession {
    public enum Request: Sendable {
        /// Read the settings again and apply them at the next frame.
        case reload
        case stop
    }

    /// How long processing goes on after the last reader left (ms).
    public static let linger = 1500.0

    private let pipeline: LivePipeline
    private let readers: ReaderCount?
    private let alwaysOn: Bool
    private let settings: () throws -> ProcessingSettings
    private let logger: Logger
    private let watcher: FileWatcher?
    private let notifier: ServiceNotifier?
    private let controlServer: ControlServer?
    private let editor: SettingsEditor?
    private let identity: Identity
    private var meter = RateMeter()
    private var readerCount = 0
    /// How long after a configuration file changes it is read (ms): editors write in several steps.
    static let settleTime = 150.0
    /// Takes requests from any thread.
    public let control: Control

    /// Queues requests and announces them on a descriptor, so `run` sleeps in one `poll` for everything.
    public final class Control: Sendable {
        private let requests = Mutex<[Request]>([])
        let fd: Int32

        init() throws(PipelineError) {
            fd = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
            guard fd >= 0 else {
                throw PipelineError("cannot make an event descriptor: \(String(cString: strerror(errno)))")
            }
        }

        deinit { close(fd) }

        /// Asks `run` to reload or stop.
        public func request(_ request: Request) {
            requests.withLock { $0.append(request) }
            var one: UInt64 = 1
            _ = write(fd, &one, 8)
        }

        func take() -> [Request] {
            var count: UInt64 = 0
            _ = read(fd, &count, 8)
            return requests.withLock { queued in
                defer { queued.removeAll() }
                return queued
            }
        }
    }

    /// How the session describes itself in `status`.
    public struct Identity: Sendable {
        public var version: String
        /// The sink: `/dev/video10 (yuyv 1280x720)`.
        public var output: String
        /// What `pause` shows when no picture is named; nil blurs the last frame.
        public var pausePicture: String?
        /// The model that finds the person: `landscape`, `rvm`, a path.
        public var model: String

        public init(version: String, output: String, pausePicture: String? = nil, model: String = "") {
            self.version = version
            self.output = output
            self.pausePicture = pausePicture
            self.model = model
        }
    }

    /// - Parameters:
    ///   - readers: counts the output's readers; nil runs always (as with `alwaysOn`).
    ///   - settings: the settings to apply on `.reload`; a failure keeps the current ones and is logged.
    ///   - watching: files whose changes reload the settings (the configuration files).
    ///   - notifier: the service manager to keep informed, if Matte runs under one.
    ///   - controlServer: the control socket to answer, and `editor` for its requests that change settings.
    public init(
        pipeline: LivePipeline,
        readers: ReaderCount?,
        alwaysOn: Bool,
        settings: @escaping () throws -> ProcessingSettings,
        watching files: [String] = [],
        notifier: ServiceNotifier? = nil,
        controlServer: ControlServer? = nil,
        editor: SettingsEditor? = nil,
        identity: Identity = Identity(version: "", output: ""),
        logger: Logger
    ) throws(PipelineError) {
        self.pipeline = pipeline
        self.readers = readers
        self.alwaysOn = alwaysOn
        self.settings = settings
        self.logger = logger
        watcher = files.isEmpty ? nil : try FileWatcher(paths: files)
        self.notifier = notifier
        self.controlServer = controlServer
        self.editor = editor
        self.identity = identity
        control = try Control()
    }

    /// Whether the pipeline should process now.
    public static func wantsProcessing(alwaysOn: Bool, readers: Int, millisecondsSinceLastReader: Double) -> Bool {
        alwaysOn || readers > 0 || millisecondsSinceLastReader < linger
    }

    /// Starts the pipeline and runs it until a `.stop` request (or a stop signal from `signals`; SIGHUP there
    /// reloads), then stops it. `everySecond` gets the status, for a status line.
    public func run(signals: SignalInbox? = nil, everySecond: (LiveStatus) -> Void = { _ in }) {
        signals?.startUpFinished()
        if let notifier, let pinger = WatchdogPinger(notifier: notifier) { pipeline.outputHeartbeat = pinger.ping }
        // Ready before the output thread's first watchdog ping, so a service manager hears them in order.
        notifier?.send("READY=1")
        pipeline.start()
        defer {
            notifier?.send("STOPPING=1")
            pipeline.stop()
        }
        readerCount = readers?.update() ?? 0
        var lastReaderSeen = -Double.infinity
        var lastTick = 0.0
        var reloadDue: Double?
        while true {
            if readerCount > 0 { lastReaderSeen = monotonicMilliseconds() }
            let wanted = Self.wantsProcessing(
                alwaysOn: alwaysOn || readers == nil,
                readers: readerCount,
                millisecondsSinceLastReader: monotonicMilliseconds() - lastReaderSeen
            )
            if wanted != pipeline.isActive {
                pipeline.setActive(wanted)
                if wanted { logger.info("a reader appeared: processing") }
            }
            var polled = [
                pollfd(fd: control.fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: signals?.fd ?? -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: readers?.fd ?? -1, events: readers?.events ?? 0, revents: 0),
                pollfd(fd: watcher?.fd ?? -1, events: Int16(POLLIN), revents: 0),
            ]
            polled += controlServer?.descriptors() ?? []
            let now = monotonicMilliseconds()
            let waits = [250, reloadDue.map { $0 - now }, controlServer?.millisecondsToNextDeadline(now: now)]
            _ = poll(&polled, nfds_t(polled.count), Int32(max(0, waits.compactMap { $0 }.min() ?? 250)))
            var pending = polled[0].revents != 0 ? control.take() : []
            if polled[1].revents & Int16(POLLIN) != 0, let signals {
                while let signal = signals.take() {
                    switch signal {
                    case .reload:
                        logger.info("SIGHUP: reloading the settings")
                        pending.append(.reload)
                    case .stop: pending.append(.stop)
                    }
                }
            }
            if polled[3].revents != 0, let watcher, watcher.changes() {
                reloadDue = monotonicMilliseconds() + Self.settleTime
            }
            if let due = reloadDue, monotonicMilliseconds() >= due {
                reloadDue = nil
                logger.info("the configuration changed: reloading")
                pending.append(.reload)
            }
            for request in pending {
                switch request {
                case .stop: return
                case .reload:
                    do { pipeline.reload(try settings()) } catch {
                        logger.error("\(error); keeping the current settings")
                    }
                }
            }
            if polled[2].revents != 0, let readers { readerCount = readers.update() }
            if monotonicMilliseconds() - lastTick >= 1000 {
                meter.update(pipeline.statistics.snapshot())
                everySecond(status)
                lastTick = monotonicMilliseconds()
            }
            if let controlServer {
                controlServer.service(polled[4...], respond: respond(to:))
            }
        }
    }

    // MARK: Control requests

    /// The session as `status` reports it.
    public var status: LiveStatus {
        LiveStatus(
            version: identity.version,
            state: pipeline.liveState.rawValue,
            camera: pipeline.sourceDescription,
            output: identity.output,
            model: identity.model,
            outputProblem: pipeline.outputOutage,
            readers: readerCount,
            droppedFrames: pipeline.statistics.dropped,
            rates: meter.rates,
            milliseconds: meter.stages,
            latency: meter.latency,
            cpuPercent: meter.cpuPercent,
            settings: LiveStatus.Settings(pipeline.settings),
            crop: Self.fractions(pipeline.crop, width: pipeline.width, height: pipeline.height),
            overrides: editor?.overrides ?? []
        )
    }

    /// A crop as fractions of the frame, to 4 decimals (a tenth of a pixel at 1080p is 5e-5 of the height).
    static func fractions(_ crop: CropRect, width: Int, height: Int) -> [Double] {
        let (frameWidth, frameHeight) = (Double(width), Double(height))
        let fractions: [Double] = [
            crop.x / frameWidth, crop.y / frameHeight, crop.width / frameWidth, crop.height / frameHeight,
        ]
        return fractions.map { ($0 * 10_000).rounded() / 10_000 }
    }

    /// How long `snapshot` waits for the output thread's next write (s): longer than a frame at 1 fps.
    static let snapshotTimeout = 2.0

    func respond(to request: ControlRequest) -> ControlResponse {
        switch request {
        case .ping: return .ok("pong")
        case .quit: return .goodbye("bye")
        case .status: return .ok("status " + status.json)
        case .snapshot:
            guard pipeline.isActive else { return .failure(Self.nothingWritten) }
            guard let frame = pipeline.snapshot(timeout: Self.snapshotTimeout) else {
                return .failure(Self.nothingWritten)
            }
            return .picture(
                PictureHeader(kind: .snapshot, width: frame.width, height: frame.height),
                bytes: frame.array
            )
        case .mask:
            let mask = pipeline.newestMask()
            return .picture(PictureHeader(kind: .mask, width: mask.width, height: mask.height), bytes: mask.bytes)
        case let .pause(picture): return pause(picture: picture)
        case .resume: return resume()
        case .togglePause: return pipeline.isPaused ? resume() : pause(picture: nil)
        case .background, .effect, .set, .next, .previous:
            guard let editor else { return .failure(ControlError(.state, "this matte takes no setting changes")) }
            do {
                let proposal = try editor.propose(request, current: pipeline.settings)
                try pipeline.apply(proposal.settings)
                proposal.keep()
                logger.notice("ctl: \(proposal.summary)")
                return .ok(proposal.summary)
            } catch let error as ControlError {
                return .failure(error)
            } catch {
                return .failure(ControlError(.value, "\(error)"))
            }
        }
    }

    private static let nothingWritten = ControlError(
        .state,
        "nothing is being written to the virtual camera (no application reads it); open it in an app first"
    )

    private func pause(picture: String?) -> ControlResponse {
        var still = LivePipeline.PauseStill.blurredLastFrame
        if let path = picture ?? identity.pausePicture {
            if let problem = ControlFile.problem(path) {
                return .failure(ControlError(.value, "pause picture \(path): \(problem)"))
            }
            do {
                still = .picture(try pipeline.still(fromPicture: path))
            } catch {
                return .failure(ControlError(.value, "\(error)"))
            }
        }
        let wasPaused = pipeline.isPaused
        pipeline.setPaused(still)
        logger.notice(wasPaused ? "ctl: pause picture changed" : "ctl: paused; the camera is released")
        return .ok("paused")
    }

    private func resume() -> ControlResponse {
        guard pipeline.isPaused else { return .ok("not paused") }
        pipeline.setPaused(nil)
        logger.notice("ctl: resumed")
        return .ok("resumed")
    }
}
