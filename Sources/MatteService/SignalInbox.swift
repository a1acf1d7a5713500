import CLinux
import Foundation
import MatteCore

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP as readable events of a descriptor (signalfd), for the live session's poll loop.
///
/// A signal is delivered to any thread that does not block it, and the default action of all three ends the
/// process. So they must be blocked in *every* thread, including those libraries start on their own (PipeWire's
/// loop, FFmpeg's decoders): `holdInThisThread` is called first thing in `main`, before any thread exists, and
/// every thread started later inherits the mask. A command that does not read them calls `release` so they
/// act as usual.
public final class SignalInbox {
    /// The signals that stop the session, and the one that reloads it.
    private static let stopSignals = [SIGINT, SIGTERM]
    private static let reloadSignal = SIGHUP

    private static var signals: sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in stopSignals + [reloadSignal] { sigaddset(&signals, signal) }
        return signals
    }

    /// Blocks the signals in the calling thread and in every thread it starts afterwards.
    public static func holdInThisThread() {
        var signals = signals
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// Lets the signals act as usual again in the calling thread (their default action, or a handler).
    public static func release() {
        var signals = signals
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// What a signal read from the inbox asks for.
    public enum Request: Equatable {
        case stop
        case reload
    }

    public let fd: Int32

    /// Opens the descriptor. The signals must already be held (`holdInThisThread`) in every thread.
    public init() throws(PipelineError) {
        var signals = Self.signals
        fd = signalfd(-1, &signals, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard fd >= 0 else {
            throw PipelineError("cannot watch for signals (signalfd: \(String(cString: strerror(errno))))")
        }
    }

    deinit {
        close(fd)
        if startUpDone >= 0 { close(startUpDone) }
    }

    private var startUpDone: Int32 = -1
    private var startUpWatcher: Thread?

    /// Until `startUpFinished`, a stop signal ends the process at once with the usual status (128 + N), after
    /// `farewell` prints why: start-up (opening devices, connecting to PipeWire) may block, and with the signals
    /// held Ctrl-C would otherwise do nothing until it is over. Nothing has been published yet, so there is
    /// nothing to stop cleanly. A SIGHUP meanwhile is dropped: the settings are being read anyway.
    public func watchStartUp(farewell: @escaping @Sendable (Int32) -> Void) {
        startUpDone = eventfd(0, Int32(EFD_CLOEXEC))
        guard startUpDone >= 0 else { return }
        let (signals, done) = (fd, startUpDone)
        let watcher = Thread {
            var polled = [
                pollfd(fd: signals, events: Int16(POLLIN), revents: 0),
                pollfd(fd: done, events: Int16(POLLIN), revents: 0),
            ]
            while polled[1].revents == 0 {
                guard poll(&polled, 2, -1) >= 0 || errno == EINTR else { return }
                guard polled[0].revents != 0, polled[1].revents == 0 else { continue }
                if let signal = Self.nextSignal(from: signals), Self.stopSignals.contains(signal) {
                    farewell(signal)
                    _exit(128 + signal)
                }
            }
        }
        watcher.name = "matte-start-up"
        watcher.start()
        startUpWatcher = watcher
    }

    /// Hands the signals to `take` (the session's loop); returns once the start-up watcher has let go of them.
    public func startUpFinished() {
        guard startUpDone >= 0 else { return }
        var one: UInt64 = 1
        _ = write(startUpDone, &one, 8)
        while startUpWatcher?.isFinished == false { usleep(1000) }
        startUpWatcher = nil
    }

    /// What the next signal that arrived asks for, or nil when none is pending.
    public func take() -> Request? {
        Self.nextSignal(from: fd).map { $0 == Self.reloadSignal ? .reload : .stop }
    }

    /// The number of the next signal pending on a signalfd `fd`, or nil.
    private static func nextSignal(from fd: Int32) -> Int32? {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        return read(fd, &info, size) == size ? Int32(info.ssi_signo) : nil
    }
}
