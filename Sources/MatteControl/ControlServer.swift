import CLinux
import Logging
import MatteCore
import MatteFileNames

#if canImport(Glibc)
import Glibc
#endif

/// What the server sends back for one request.
public enum ControlResponse: Sendable {
    case ok(String)
    case failure(ControlError)
    /// A picture: its header line, then its bytes (`header.count` of them).
    case picture(PictureHeader, bytes: [UInt8])
    /// A last `ok` line, then the connection is closed.
    case goodbye(String)
}

/// The listening end of `matte-ctl 1`: a Unix socket that only the same user can reach, served without threads
/// from the owner's `poll` loop. Every socket is non-blocking and every client is bounded (`ControlLimits`), so
/// a silent, slow, hostile or vanished client can delay nothing but itself.
public final class ControlServer {
    public let directory: ControlDirectory
    private let listener: Int32
    /// The socket file we made, so that `deinit` never removes one that replaced it.
    private let socketIdentity: (device: UInt, inode: UInt)
    private let allowedUID: uid_t
    private let limits: ControlLimits
    private let greeting: String
    private let logger: Logger
    private var clients: [Client] = []
    /// The clients behind the descriptors last handed out by `descriptors()`, in order.
    private var polledClients: [Client] = []
    private var lastRefusalLog = -Double.infinity

    private final class Client {
        let fd: Int32
        let pid: Int32
        var input: LineBuffer
        var output: [UInt8] = []
        var sent = 0
        var greeted = false
        var lastReceived: Double
        var lineStarted: Double?
        var unreadSince: Double?
        var closing = false
        var closed = false

        init(fd: Int32, pid: Int32, lineLimit: Int, now: Double) {
            self.fd = fd
            self.pid = pid
            input = LineBuffer(limit: lineLimit)
            lastReceived = now
        }

        var queued: Int { output.count - sent }
    }

    /// Listens in `directory` (claimed by this process). `allowedUID` is the only user served.
    public init(
        directory: ControlDirectory,
        allowedUID: uid_t = geteuid(),
        limits: ControlLimits = ControlLimits(),
        version: String,
        logger: Logger
    ) throws(PipelineError) {
        self.directory = directory
        self.allowedUID = allowedUID
        self.limits = limits
        self.logger = logger
        greeting = "\(ControlProtocol.hello) matte \(version)"
        let path = directory.socketPath
        let address = try UnixSocketAddress(path: path)
        // We hold the directory's lock, so a socket left there is a dead Matte's; anything else is refused.
        var info = stat()
        if FileName.withCString(path, { lstat($0, &info) }) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw PipelineError("\(path) exists and is not a socket; remove it and start again")
            }
            _ = FileName.withCString(path) { unlink($0) }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw PipelineError("cannot make the control socket: \(ControlDirectory.errorText())") }
        // The directory is already 0700; the mask makes the socket 0600 from its first moment, not after a chmod.
        let previousMask = umask(0o177)
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        umask(previousMask)
        guard bound == 0, listen(fd, 16) == 0, FileName.withCString(path, { stat($0, &info) }) == 0 else {
            let reason = ControlDirectory.errorText()
            close(fd)
            throw PipelineError("cannot listen on \(path): \(reason)")
        }
        listener = fd
        socketIdentity = (UInt(info.st_dev), UInt(info.st_ino))
    }

    deinit {
        for client in clients { close(client.fd) }
        close(listener)
        var info = stat()
        if FileName.withCString(directory.socketPath, { lstat($0, &info) }) == 0,
            UInt(info.st_dev) == socketIdentity.device, UInt(info.st_ino) == socketIdentity.inode
        {
            _ = FileName.withCString(directory.socketPath) { unlink($0) }
        }
    }

    public var clientCount: Int { clients.count }

    /// The descriptors to poll: the listener, then one per client. Pass the results to `service`.
    public func descriptors() -> [pollfd] {
        polledClients = clients
        return [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            + clients.map { client in
                var events: Int16 = 0
                if !client.closing && client.queued < limits.queuedBytes { events |= Int16(POLLIN) }
                if client.queued > 0 { events |= Int16(POLLOUT) }
                return pollfd(fd: client.fd, events: events, revents: 0)
            }
    }

    /// Milliseconds until the earliest client deadline, if any.
    public func millisecondsToNextDeadline(now: Double) -> Double? {
        clients.compactMap { deadline(of: $0) }.min().map { max(0, $0 - now) }
    }

    /// Accepts, reads, answers and writes, after `poll` on `descriptors()`. `respond` runs each request.
    public func service(_ polled: ArraySlice<pollfd>, respond: (ControlRequest) -> ControlResponse) {
        let now = monotonicMilliseconds()
        if let first = polled.first, first.revents & Int16(POLLIN) != 0 { acceptAll(now: now) }
        for (client, entry) in zip(polledClients, polled.dropFirst()) where !client.closed {
            if entry.revents & Int16(POLLNVAL | POLLERR) != 0 {
                drop(client, "connection error")
                continue
            }
            if entry.revents & Int16(POLLOUT) != 0 { flush(client, now: now) }
            if entry.revents & Int16(POLLIN | POLLHUP) != 0 && !client.closed { receive(client, now: now) }
        }
        for client in clients where !client.closed {
            answer(client, now: now, respond: respond)
            if client.queued > 0 { flush(client, now: now) }
            if let deadline = deadline(of: client), now >= deadline { drop(client, "timed out") }
        }
        clients.removeAll { $0.closed }
    }

    private func deadline(of client: Client) -> Double? {
        [
            client.lastReceived + limits.idle,
            client.lineStarted.map { $0 + limits.partialLine },
            client.unreadSince.map { $0 + limits.unreadReplies },
        ].compactMap { $0 }.min()
    }

    private func acceptAll(now: Double) {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            // accept4 is a GNU name Swift's Glibc module hides; nothing execs between these two calls.
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var pid: Int32 = 0
            var uid: UInt32 = 0
            guard matte_peer_credentials(fd, &pid, &uid) == 0, uid == allowedUID else {
                close(fd)
                // Logged at most once a minute: a foreign process must not be able to flood the journal.
                if now - lastRefusalLog > 60_000 {
                    logger.warning(
                        "control: refused a connection from uid \(uid) (pid \(pid)): only uid \(allowedUID) may control Matte"
                    )
                    lastRefusalLog = now
                }
                continue
            }
            guard clients.count < limits.clients else {
                let line = Array(
                    ControlProtocol.errorLine(
                        ControlError(.busy, "\(limits.clients) clients connected; try again later")
                    ).utf8
                )
                _ = send(fd, line, line.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                close(fd)
                continue
            }
            clients.append(Client(fd: fd, pid: pid, lineLimit: limits.lineBytes, now: now))
        }
    }

    private func receive(_ client: Client, now: Double) {
        var chunk = [UInt8](repeating: 0, count: limits.lineBytes)
        let room = min(chunk.count, client.input.room)
        guard room > 0 else { return }
        let count = recv(client.fd, &chunk, room, Int32(MSG_DONTWAIT))
        if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
            drop(client, nil)
            return
        }
        guard count > 0 else { return }
        client.input.append(chunk[..<count])
        client.lastReceived = now
    }

    private func answer(_ client: Client, now: Double, respond: (ControlRequest) -> ControlResponse) {
        while !client.closing && client.queued < limits.queuedBytes, let item = client.input.next() {
            guard case let .line(line) = item else {
                let limit = limits.lineBytes
                queue(
                    .failure(ControlError(.toolong, "a request line is at most \(limit) bytes")),
                    to: client,
                    now: now
                )
                client.closing = true
                break
            }
            guard client.greeted else {
                if let refusal = ControlProtocol.parseHello(line) {
                    queue(.failure(refusal), to: client, now: now)
                    client.closing = true
                } else {
                    client.greeted = true
                    queue(.ok(greeting), to: client, now: now)
                }
                continue
            }
            switch ControlProtocol.parse(line) {
            case let .failure(error): queue(.failure(error), to: client, now: now)
            case let .success(request): queue(respond(request), to: client, now: now)
            }
        }
        client.lineStarted = client.input.pending > 0 ? (client.lineStarted ?? now) : nil
    }

    private func queue(_ response: ControlResponse, to client: Client, now: Double) {
        switch response {
        case let .ok(text): client.output += ControlProtocol.okLine(text).utf8
        case let .failure(error): client.output += ControlProtocol.errorLine(error).utf8
        case let .picture(header, bytes):
            client.output += header.line.utf8
            client.output += bytes
        case let .goodbye(text):
            client.output += ControlProtocol.okLine(text).utf8
            client.closing = true
        }
        if client.unreadSince == nil { client.unreadSince = now }
    }

    private func flush(_ client: Client, now: Double) {
        while client.queued > 0 {
            let count = client.output[client.sent...].withUnsafeBytes {
                send(client.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { break }
                drop(client, nil)
                return
            }
            client.sent += count
            client.unreadSince = now
        }
        if client.queued == 0 {
            client.output.removeAll(keepingCapacity: client.output.count <= 1 << 16)
            client.sent = 0
            client.unreadSince = nil
            if client.closing { drop(client, nil) }
        } else if client.sent > client.output.count / 2 {
            client.output.removeFirst(client.sent)
            client.sent = 0
        }
    }

    private func drop(_ client: Client, _ reason: String?) {
        guard !client.closed else { return }
        if let reason { logger.debug("control: closed client pid \(client.pid): \(reason)") }
        close(client.fd)
        client.closed = true
    }
}
