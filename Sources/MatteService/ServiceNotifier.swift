import CLinux
import MatteControl
import MatteCore

#if canImport(Glibc)
import Glibc
#endif

/// Tells the service manager (systemd, as `Type=notify` with `WatchdogSec=`) how Matte is doing, over the
/// datagram socket named by `$NOTIFY_SOCKET`: `READY=1` once the virtual camera is up, `WATCHDOG=1` from the
/// output loop, so a stalled pipeline gets restarted, and `STOPPING=1`. It does nothing when Matte was not
/// started by a service manager. The protocol is sd_notify(3)'s, spoken directly: no libsystemd.
public final class ServiceNotifier: Sendable {
    private let address: UnixSocketAddress?
    /// How often to ping the watchdog, in ms (nil: no watchdog for this process): a quarter of its timeout, so
    /// that a ping due while the output loop waits out one turn (up to 0.25 s) still comes within half the
    /// timeout, as sd_watchdog_enabled(3) advises.
    public let watchdogInterval: Double?
    private let fd: Int32

    /// - Parameter environment: the process environment (`UserDirectories.currentEnvironment()` in practice).
    public init(environment: [String: String]) {
        let path = environment["NOTIFY_SOCKET"] ?? ""
        // An abstract socket is written with a leading @ and addressed with a leading NUL byte.
        let bytes = Array(path.utf8)
        address = try? UnixSocketAddress(bytes: bytes.first == UInt8(ascii: "@") ? [0] + bytes.dropFirst() : bytes)
        let microseconds = environment["WATCHDOG_USEC"].flatMap { Double($0) } ?? 0
        // WATCHDOG_PID names the process the watchdog is for: when it is another one, this one must not ping.
        let forThisProcess = environment["WATCHDOG_PID"].map { $0 == String(getpid()) } ?? true
        watchdogInterval = address != nil && microseconds > 0 && forThisProcess ? microseconds / 4000 : nil
        fd = address == nil ? -1 : socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    deinit { if fd >= 0 { close(fd) } }

    public var isActive: Bool { fd >= 0 }

    /// Sends one state message such as `READY=1`; a service manager that went away is not an error.
    public func send(_ state: String) {
        guard let address, fd >= 0 else { return }
        var message = state
        message.withUTF8 { text in
            address.withSockaddr { _ = sendto(fd, text.baseAddress, text.count, Int32(MSG_NOSIGNAL), $0, $1) }
        }
    }
}

/// Pings the watchdog from one thread (the output loop) at most every `interval`.
public final class WatchdogPinger {
    private let notifier: ServiceNotifier
    private let interval: Double
    private var last = -Double.infinity

    public init?(notifier: ServiceNotifier) {
        guard let interval = notifier.watchdogInterval else { return nil }
        self.notifier = notifier
        self.interval = interval
    }

    public func ping() {
        let now = monotonicMilliseconds()
        guard now - last >= interval else { return }
        last = now
        notifier.send("WATCHDOG=1")
    }
}
