import CLinux
import MatteCore
import MatteImaging

#if canImport(Glibc)
import Glibc
#endif

/// One reply from a running Matte.
public struct ControlReply: Sendable {
    public let ok: Bool
    /// The line after `ok ` or `err `.
    public let text: String
    /// The bytes a `snapshot` or `mask` reply carries.
    public let payload: [UInt8]

    public init(ok: Bool, text: String, payload: [UInt8] = []) {
        (self.ok, self.text, self.payload) = (ok, text, payload)
    }

    /// The frame a `snapshot` reply carries, as RGB for saving; nil when this is not a well-formed one.
    public var snapshotImage: PixelBuffer? {
        guard let header = PictureHeader(replyText: text), header.kind == .snapshot, header.width % 2 == 0,
            FrameLimits.frameProblem(width: header.width, height: header.height) == nil,
            payload.count == header.count
        else { return nil }
        let frame = PixelBuffer(width: header.width, height: header.height, format: .yuyv, copying: payload)
        let image = PixelBuffer(width: header.width, height: header.height, format: .rgb24)
        BT601.yuyvToRGB24(frame, into: image)
        return image
    }

    /// The person mask a `mask` reply carries, one byte a cell; nil when this is not a well-formed one.
    public var mask: (width: Int, height: Int, bytes: [UInt8])? {
        guard let header = PictureHeader(replyText: text), header.kind == .mask, payload.count == header.count else {
            return nil
        }
        return (header.width, header.height, payload)
    }
}

/// Talks `matte-ctl 1` to the running Matte of this user, for `matte ctl` and `matte preview`. Every wait is
/// bounded, so a Matte that hangs cannot hang its client.
public final class ControlClient {
    private let fd: Int32
    private let timeout: Int32
    private var buffered: [UInt8] = []
    /// The greeting: `matte-ctl 1 matte VERSION`.
    public private(set) var greeting = ""

    /// Connects and says hello. `timeout` bounds each wait for the server (ms).
    public init(runtimeDirectory: String, timeout: Int32 = 5000) throws(PipelineError) {
        let path = ControlDirectory.path(runtimeDirectory: runtimeDirectory) + "/control"
        self.timeout = timeout
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw PipelineError("cannot make a socket: \(ControlDirectory.errorText())") }
        let address: UnixSocketAddress
        do { address = try UnixSocketAddress(path: path) } catch {
            close(fd)
            throw error
        }
        let connected = address.withSockaddr { connect(fd, $0, $1) }
        guard connected == 0 else {
            let reason = errno
            close(fd)
            throw PipelineError(
                reason == ENOENT || reason == ECONNREFUSED
                    ? "no matte is running (nothing listens on \(path)); start it with: matte live (or systemctl --user start matte)"
                    : "cannot reach matte at \(path): \(String(cString: strerror(reason)))"
            )
        }
        let hello = try exchange(ControlProtocol.hello)
        guard hello.ok else {
            close(fd)
            throw PipelineError("matte refused this client: \(hello.text)")
        }
        greeting = hello.text
    }

    deinit { close(fd) }

    /// Sends one request line and waits for its reply.
    public func request(_ line: String) throws(PipelineError) -> ControlReply {
        guard !line.contains("\n") else { throw PipelineError("a request is one line") }
        return try exchange(line)
    }

    private func exchange(_ line: String) throws(PipelineError) -> ControlReply {
        try sendAll(Array((line + "\n").utf8))
        let header = try readLine()
        if header.hasPrefix("err ") { return ControlReply(ok: false, text: String(header.dropFirst(4)), payload: []) }
        guard header == "ok" || header.hasPrefix("ok ") else { throw PipelineError("matte sent an unexpected reply") }
        let text = String(header.dropFirst(3))
        if let picture = PictureHeader(replyText: text), picture.count <= 64 << 20 {
            return ControlReply(ok: true, text: text, payload: try read(picture.count))
        }
        return ControlReply(ok: true, text: text, payload: [])
    }

    private func sendAll(_ bytes: [UInt8]) throws(PipelineError) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else {
                if count < 0 && errno == EINTR { continue }
                throw PipelineError("matte closed the connection")
            }
            sent += count
        }
    }

    private func fill() throws(PipelineError) {
        var polled = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&polled, 1, timeout) > 0 else {
            throw PipelineError("matte did not answer within \(timeout / 1000) s")
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { throw PipelineError("matte closed the connection") }
        buffered += chunk[..<count]
    }

    private func readLine() throws(PipelineError) -> String {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                defer { buffered.removeFirst(newline + 1) }
                return String(decoding: buffered[..<newline], as: UTF8.self)
            }
            guard buffered.count < 1 << 20 else { throw PipelineError("matte sent a line that does not end") }
            try fill()
        }
    }

    private func read(_ count: Int) throws(PipelineError) -> [UInt8] {
        while buffered.count < count { try fill() }
        defer { buffered.removeFirst(count) }
        return Array(buffered[..<count])
    }
}
