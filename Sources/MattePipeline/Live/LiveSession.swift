import CLinux
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs a `LivePipeline` for as long as the user wants the virtual camera: processing only while an
/// application reads the output (and `linger` after the last one leaves, so an app reopening the device does
/// not flap the camera) or always with `alwaysOn`; reloading the settings and stopping when asked, by
/// `request(_:)` from any thread or by a signal.
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
    public init(
        pipeline: LivePipeline,
        readers: ReaderCount?,
        alwaysOn: Bool,
        settings: @escaping () throws -> ProcessingSettings,
        logger: Logger
    ) throws(PipelineError) {
        self.pipeline = pipeline
        self.readers = readers
        self.alwaysOn = alwaysOn
        self.settings = settings
        self.logger = logger
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

        pipeline.start()
        defer { pipeline.stop() }
        var readerCount = readers?.update() ?? 0
        var lastReaderSeen = -Double.infinity
        var lastTick = 0.0
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
            ]
            _ = poll(&polled, nfds_t(polled.count), 250)
            var pending = polled[0].revents != 0 ? control.take() : []
            if polled[1].revents & Int16(POLLIN) != 0 {
                var info = signalfd_siginfo()
                if read(signalFD, &info, MemoryLayout<signalfd_siginfo>.size) > 0 {
                    let signal = Int32(info.ssi_signo)
                    pending.append(signal == Self.reloadSignal ? .reload : .stop)
                    if signal == Self.reloadSignal { logger.info("SIGHUP: reloading the settings") }
                }
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
