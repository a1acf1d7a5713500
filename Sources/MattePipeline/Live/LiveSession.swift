import CLinux
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs a `LivePipeline` for as long as the user wants the virtual camera: processing only while an
/// application reads the output (and `linger` after the last one leaves, so an app reopening the device does
/// not flap the camera) or always with `alwaysOn`; reloading the settings when asked (`control`, SIGHUP) or
/// when a watched configuration file changes; stopping when asked or on SIGINT/SIGTERM; and telling a
/// service manager it is ready, alive (the output loop pings its watchdog) and stopping.
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

    /// - Parameters:
    ///   - readers: counts the output's readers; nil runs always (as with `alwaysOn`).
    ///   - settings: the settings to apply on `.reload`; a failure keeps the current ones and is logged.
    ///   - watching: files whose changes reload the settings (the configuration files).
    ///   - notifier: the service manager to keep informed, if Matte runs under one.
    public init(
        pipeline: LivePipeline,
        readers: ReaderCount?,
        alwaysOn: Bool,
        settings: @escaping () throws -> ProcessingSettings,
        watching files: [String] = [],
        notifier: ServiceNotifier? = nil,
        logger: Logger
    ) throws(PipelineError) {
        self.pipeline = pipeline
        self.readers = readers
        self.alwaysOn = alwaysOn
        self.settings = settings
        self.logger = logger
        watcher = files.isEmpty ? nil : try FileWatcher(paths: files)
        self.notifier = notifier
        control = try Control()
    }

    /// Whether the pipeline should process now.
    public static func wantsProcessing(alwaysOn: Bool, readers: Int, millisecondsSinceLastReader: Double) -> Bool {
        alwaysOn || readers > 0 || millisecondsSinceLastReader < linger
    }

    /// The signals that stop the session, and the one that reloads it.
    public static let stopSignals = [SIGINT, SIGTERM]
    public static let reloadSignal = SIGHUP

    /// Starts the pipeline and runs it until a `.stop` request (or, with `handlingSignals`, SIGINT or SIGTERM;
    /// SIGHUP reloads), then stops it. `everySecond` gets the current reader count, for a status line.
    ///
    /// With `handlingSignals` the signals are blocked in the calling thread before the pipeline's threads
    /// start (they inherit the mask) and read from a descriptor, so no thread is ever interrupted by one.
    public func run(handlingSignals: Bool, everySecond: (_ readers: Int) -> Void = { _ in }) throws(PipelineError) {
        var signalFD: Int32 = -1
        if handlingSignals {
            var signals = sigset_t()
            sigemptyset(&signals)
            for signal in Self.stopSignals + [Self.reloadSignal] { sigaddset(&signals, signal) }
            pthread_sigmask(SIG_BLOCK, &signals, nil)
            signalFD = signalfd(-1, &signals, Int32(SFD_CLOEXEC))
            guard signalFD >= 0 else {
                // Blocked and unread, these signals could not stop Matte at all.
                pthread_sigmask(SIG_UNBLOCK, &signals, nil)
                throw PipelineError("cannot watch for signals (signalfd: \(String(cString: strerror(errno))))")
            }
        }
        defer { if signalFD >= 0 { close(signalFD) } }

        if let notifier, let pinger = WatchdogPinger(notifier: notifier) { pipeline.outputHeartbeat = pinger.ping }
        pipeline.start()
        defer {
            notifier?.send("STOPPING=1")
            pipeline.stop()
        }
        notifier?.send("READY=1")
        var readerCount = readers?.update() ?? 0
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
                pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: readers?.fd ?? -1, events: readers?.events ?? 0, revents: 0),
                pollfd(fd: watcher?.fd ?? -1, events: Int16(POLLIN), revents: 0),
            ]
            let timeout = reloadDue.map { Int32(max(0, min(250, $0 - monotonicMilliseconds()))) } ?? 250
            _ = poll(&polled, nfds_t(polled.count), timeout)
            var pending = polled[0].revents != 0 ? control.take() : []
            if polled[1].revents & Int16(POLLIN) != 0 {
                var info = signalfd_siginfo()
                if read(signalFD, &info, MemoryLayout<signalfd_siginfo>.size) > 0 {
                    let signal = Int32(info.ssi_signo)
                    pending.append(signal == Self.reloadSignal ? .reload : .stop)
                    if signal == Self.reloadSignal { logger.info("SIGHUP: reloading the settings") }
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
            let now = monotonicMilliseconds()
            if now - lastTick >= 1000 {
                everySecond(readerCount)
                lastTick = now
            }
        }
    }
}
