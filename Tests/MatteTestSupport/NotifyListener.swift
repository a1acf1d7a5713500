import Foundation
import MatteControl
import MatteCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A service manager's end of the notify socket: a datagram socket that records each message and when.
public final class NotifyListener: Sendable {
    public let path: String
    private let fd: Int32
    private let received = Mutex<[(time: Double, message: String)]>([])

    public init() {
        path = NSTemporaryDirectory() + "matte-notify-\(UUID().uuidString.prefix(8))"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let bound = try! UnixSocketAddress(path: path).withSockaddr { bind(fd, $0, $1) }
        precondition(bound == 0, "bind \(path)")
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Receives for `seconds`, recording what arrives.
    public func listen(for seconds: Double) {
        let end = monotonicMilliseconds() + seconds * 1000
        var buffer = [UInt8](repeating: 0, count: 512)
        while monotonicMilliseconds() < end {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 {
                let message = String(decoding: buffer[0..<count], as: UTF8.self)
                received.withLock { $0.append((monotonicMilliseconds(), message)) }
            }
        }
    }

    public var messages: [(time: Double, message: String)] { received.withLock { $0 } }
}
