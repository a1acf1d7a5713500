import CLinux

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
    public static let stopSignals = [SIGINT, SIGTERM]
    public static let reloadSignal = SIGHUP

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
        case stop(signal: Int32)
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

    deinit { close(fd) }

    /// The next signal that arrived, or nil when none is pending.
    public func take() -> Request? {
        var info = signalfd_siginfo()
        guard read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size else {
            return nil
        }
        let signal = Int32(info.ssi_signo)
        return signal == Self.reloadSignal ? .reload : .stop(signal: signal)
    }
}
