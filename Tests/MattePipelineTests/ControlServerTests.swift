import Foundation
import Logging
import MatteControl
import MatteCore
import MatteImaging
import MattePipeline
import MatteSegmentation
import MatteTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The tests' logger: warnings only, so hundreds of logged requests do not bury the results.
let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return logger
}()

/// Records when each frame is written, to show frames keep flowing whatever the clients do.
final class TimedSink: FrameSink, Sendable {
    private let log = Locked((times: [Double](), newest: [UInt8]()))
    func write(_ frame: PixelBuffer, captureTime: Double) throws(PipelineError) -> SinkResult {
        let bytes = frame.array
        log.withLock {
            $0.times.append(monotonicMilliseconds())
            $0.newest = bytes
        }
        return .written
    }
    var newest: [UInt8] { log.withLock { $0.newest } }
    var count: Int { log.withLock { $0.times.count } }

    /// Frames written since `start` (ms), and the longest gap between two of them.
    func flow(since start: Double) -> (frames: Int, longestGap: Double) {
        let times = log.withLock { $0.times }.filter { $0 >= start }
        return (times.count, zip(times, times.dropFirst()).map { $1 - $0 }.max() ?? .infinity)
    }
}

/// Accepts `background` and `set threshold` as the real editor (the command line's) would, enough to drive
/// the session's side of the protocol.
final class TestEditor: SettingsEditor {
    var overrides: [String] = []
    func propose(_ request: ControlRequest, current: ProcessingSettings) throws(ControlError) -> SettingsProposal {
        var settings = current
        switch request {
        case let .background(value):
            guard let choice = BackgroundChoice(argument: value) else { throw ControlError(.value, "bad background") }
            settings.background = choice
        case let .set("threshold", value):
            guard let number = Float(value), (0...1).contains(number) else {
                throw ControlError(.value, "--threshold must be between 0 and 1")
            }
            settings.mask.threshold = number
        default: throw ControlError(.usage, "not in this test")
        }
        return SettingsProposal(settings: settings, summary: ControlProtocol.render(request)) { [self] in
            overrides.append(ControlProtocol.render(request))
        }
    }
}

/// A raw client, to behave as well or as badly as a test needs.
final class RawClient {
    let fd: Int32
    private var received: [UInt8] = []

    init(_ socketPath: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let result = try UnixSocketAddress(path: socketPath).withSockaddr { connect(fd, $0, $1) }
        guard result == 0 else {
            close(fd)
            throw PipelineError("connect: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) { sendBytes(Array(text.utf8)) }
    func sendBytes(_ bytes: [UInt8]) { _ = Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) }

    /// The next line, or nil when the server closed or said nothing within `timeout` ms.
    func line(timeout: Int32 = 5000) -> String? {
        while true {
            if let newline = received.firstIndex(of: 10) {
                defer { received.removeFirst(newline + 1) }
                return String(decoding: received[..<newline], as: UTF8.self)
            }
            guard fillOnce(timeout: timeout) else { return nil }
        }
    }

    /// Whether the server closed the connection within `timeout` ms (reading and dropping anything sent).
    func closedByServer(timeout: Int32) -> Bool {
        let deadline = monotonicMilliseconds() + Double(timeout)
        while monotonicMilliseconds() < deadline {
            var polled = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&polled, 1, 100) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            if recv(fd, &chunk, chunk.count, 0) <= 0 { return true }
        }
        return false
    }

    private func fillOnce(timeout: Int32) -> Bool {
        var polled = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&polled, 1, timeout) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        received += chunk[..<count]
        return true
    }

    /// Says hello and checks the greeting.
    func greet() -> Bool {
        send("matte-ctl 1\n")
        return line()?.hasPrefix("ok matte-ctl 1 matte") == true
    }
}

/// A live session on generated frames with its control socket in a private runtime directory; the tests
/// talk to it as clients would while checking that frames keep flowing.
final class ControlledSession {
    let runtime: TemporaryDirectory
    let sink = TimedSink()
    let pipeline: LivePipeline
    let session: LiveSession
    let socketPath: String
    private let thread: Thread

    init(
        limits: ControlLimits = ControlLimits(),
        allowedUID: uid_t = geteuid(),
        source: (() -> FrameSource)? = nil
    )
        throws
    {
        runtime = try TemporaryDirectory()
        let open = source ?? { SyntheticSource(width: 64, height: 36, frameRate: 30, distinctFrames: 2) }
        var settings = ProcessingSettings()
        settings.background = .color(r: 0, g: 0, b: 255)
        pipeline = try testPipeline(
            source: open(),
            reopen: open,
            sink: sink,
            settings: settings,
            logger: quietLogger
        )
        let directory = try ControlDirectory(runtimeDirectory: runtime.path)
        socketPath = directory.socketPath
        let server = try ControlServer(
            directory: directory,
            allowedUID: allowedUID,
            limits: limits,
            version: "test",
            logger: quietLogger
        )
        session = try LiveSession(
            pipeline: pipeline,
            readers: nil,
            alwaysOn: true,
            settings: { settings },
            controlServer: server,
            editor: TestEditor(),
            identity: LiveSession.Identity(version: "test", output: "test sink", model: "landscape"),
            logger: quietLogger
        )
        // Only this thread runs the session; the test's thread talks to it through its socket and `control`.
        nonisolated(unsafe) let session = session
        thread = Thread { session.run() }
        thread.start()
        #expect(eventually(20) { self.sink.count > 5 }, "frames flow before the test starts")
    }

    func client() throws -> RawClient { try RawClient(socketPath) }

    /// Frames kept flowing since `start`: at least half the camera's rate, and no stall longer than 0.5 s
    /// (the machine is shared: the bound is on stalls a client could cause, not on scheduling noise).
    func expectFramesFlowed(since start: Double, _ comment: Comment) {
        let flow = sink.flow(since: start)
        let seconds = (monotonicMilliseconds() - start) / 1000
        if !Sanitizer.thread {
            #expect(Double(flow.frames) >= 15 * seconds, "\(comment): \(flow.frames) frames in \(seconds) s")
        }
        #expect(flow.longestGap < Sanitizer.stretched(500), "\(comment): a \(flow.longestGap) ms stall")
    }

    func stop() {
        session.control.request(.stop)
        _ = eventually(20) { self.thread.isFinished }
    }
}

@Suite(.serialized) struct ControlServerTests {
    static func shortLimits() -> ControlLimits {
        var limits = ControlLimits()
        limits.idle = 1000
        limits.partialLine = 1000
        limits.unreadReplies = 1000
        limits.clients = 8
        limits.queuedBytes = 64 << 10
        return limits
    }

    @Test func requestsChangeTheCameraAndRefusalsChangeNothing() throws {
        let harness = try ControlledSession()
        defer { harness.stop() }
        let client = try harness.client()
        #expect(client.greet())
        let start = monotonicMilliseconds()
        client.send("ping\n")
        #expect(client.line() == "ok pong")

        client.send("background #ff0000\n")
        #expect(client.line() == "ok background #ff0000")
        // Red in BT.601 limited range: Y 81, U 90, V 240. With no person in a test pattern, all is background.
        let red = eventually(5) {
            let frame = harness.sink.newest
            return frame.count > 4 && abs(Int(frame[1]) - 90) <= 2 && abs(Int(frame[3]) - 240) <= 2
        }
        #expect(red, "the background turned red from the next frames")

        client.send("set threshold 2\n")
        #expect(client.line() == "err value: --threshold must be between 0 and 1")
        client.send("background blur:500\n")
        #expect(client.line()?.hasPrefix("err value:") == true)
        #expect(harness.pipeline.settings.background == .color(r: 255, g: 0, b: 0), "refusals changed nothing")

        client.send("status\n")
        let status = try #require(client.line())
        #expect(status.hasPrefix("ok status {"))
        let json = try JSONSerialization.jsonObject(with: Data(status.dropFirst(10).utf8)) as? [String: Any]
        let settings = json?["settings"] as? [String: Any]
        #expect(json?["model"] as? String == "landscape")
        #expect(json?["state"] as? String == "live")
        #expect(json?["protocol"] as? Int == 1)
        #expect(settings?["background"] as? String == "#ff0000")
        #expect((json?["overrides"] as? [String]) == ["background #ff0000"])
        #expect((json?["crop"] as? [Double]) == [0, 0, 1, 1], "framing off: the whole frame")

        client.send("snapshot\n")
        let header = try #require(client.line())
        #expect(header == "ok snapshot 64 36 yuyv 4608")
        client.send("ping\n")
        // The payload comes before the next line; the line reader skips to it only after 4608 bytes.
        let next = client.line()
        #expect(next?.hasSuffix("ok pong") == true)
        harness.expectFramesFlowed(since: start, "while serving requests")
    }

    @Test func pauseReleasesTheSourceAndShowsAStillUntilResumed() throws {
        let tally = SourceTally()
        let harness = try ControlledSession(source: { CountingSource(tally) })
        defer { harness.stop() }
        let client = try harness.client()
        #expect(client.greet())
        let closedBefore = tally.counts.closed
        client.send("pause\n")
        #expect(client.line() == "ok paused")
        #expect(eventually(5) { tally.counts.closed > closedBefore }, "the camera is released")
        let start = monotonicMilliseconds()
        Thread.sleep(forTimeInterval: 1)
        harness.expectFramesFlowed(since: start, "stills while paused")
        client.send("status\n")
        #expect(client.line()?.contains("\"state\":\"paused\"") == true)
        let openedWhilePaused = tally.counts.opened
        client.send("toggle-pause\n")
        #expect(client.line() == "ok resumed")
        #expect(eventually(5) { tally.counts.opened > openedWhilePaused }, "resume opens the camera again")
        client.send("pause /no/such/picture.png\n")
        #expect(client.line()?.hasPrefix("err value: pause picture /no/such/picture.png") == true)
        client.send("pause away.png\n")
        #expect(client.line() == "err value: pause picture away.png: give an absolute path")
        // A FIFO handed to the decoder would block the control loop for good.
        let fifo = harness.runtime.path + "/away.png"
        mkfifo(fifo, 0o600)
        client.send("pause \(fifo)\n")
        #expect(client.line() == "err value: pause picture \(fifo): not a regular file")
        #expect(!harness.pipeline.isPaused)
    }

    @Test func silentSlowAndVanishingClientsDelayNothing() throws {
        let harness = try ControlledSession(limits: Self.shortLimits())
        defer { harness.stop() }
        let start = monotonicMilliseconds()
        let silent = try harness.client()
        let halfLine = try harness.client()
        halfLine.send("matte-ctl 1\nsta")
        // Gone before reading anything, with a snapshot (a large reply) outstanding: no SIGPIPE, no stall.
        for _ in 0..<5 {
            let vanishing = try harness.client()
            vanishing.send("matte-ctl 1\nsnapshot\nsnapshot\n")
        }
        // One byte every 50 ms is slow but finishes within the partial-line limit.
        let slow = try harness.client()
        for byte in Array("matte-ctl 1\nping\n".utf8) {
            slow.sendBytes([byte])
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(slow.line()?.hasPrefix("ok matte-ctl 1") == true)
        #expect(slow.line() == "ok pong")
        #expect(silent.closedByServer(timeout: 3000), "a silent client is closed after the idle limit")
        #expect(halfLine.closedByServer(timeout: 3000), "an unfinished line is closed after its limit")
        let healthy = try harness.client()
        #expect(healthy.greet())
        healthy.send("ping\n")
        #expect(healthy.line() == "ok pong")
        harness.expectFramesFlowed(since: start, "with silent, slow and vanishing clients")
    }

    @Test func hostileLinesAreAnsweredAndClosed() throws {
        let harness = try ControlledSession(limits: Self.shortLimits())
        defer { harness.stop() }
        let cases: [([UInt8], String)] = [
            (Array("matte-ctl 9\n".utf8), "err version:"),
            (Array("GET / HTTP/1.1\r\n".utf8), "err version:"),
            ([UInt8](repeating: 0x61, count: 5000) + [10], "err toolong:"),
            ([0, 0, 0, 10], "err version:"),
        ]
        for (bytes, expected) in cases {
            let client = try harness.client()
            client.sendBytes(bytes)
            #expect(client.line()?.hasPrefix(expected) == true, "\(expected)")
            #expect(client.closedByServer(timeout: 2000))
        }
        let greeted = try harness.client()
        #expect(greeted.greet())
        greeted.sendBytes(Array("ping\0\nstatus\u{FF}\n".utf8) + [0xC3, 0x28, 10])
        #expect(greeted.line()?.hasPrefix("err usage:") == true)
        #expect(greeted.line()?.hasPrefix("err usage:") == true)
        #expect(greeted.line()?.hasPrefix("err usage:") == true)
        greeted.send("ping\n")
        #expect(greeted.line() == "ok pong", "refused requests leave the connection usable")
    }

    @Test func aClientThatNeverReadsStaysBoundedAndIsClosed() throws {
        let harness = try ControlledSession(limits: Self.shortLimits())
        defer { harness.stop() }
        let start = monotonicMilliseconds()
        let greedy = try harness.client()
        greedy.send("matte-ctl 1\n" + String(repeating: "snapshot\n", count: 400))
        #expect(greedy.closedByServer(timeout: Sanitizer.stretched(6000)), "unread replies close the client")
        harness.expectFramesFlowed(since: start, "with a client that never reads")
    }

    @Test func concurrentClientsAreAnsweredInOrderAndTheOneTooManyIsTurnedAway() throws {
        let harness = try ControlledSession()
        defer { harness.stop() }
        let start = monotonicMilliseconds()
        let failures = Locked([String]())
        let threads = (0..<16).map { index in
            Thread { [socketPath = harness.socketPath] in
                do {
                    let client = try RawClient(socketPath)
                    guard client.greet() else { throw PipelineError("no greeting") }
                    for round in 0..<100 {
                        client.send(round % 2 == 0 ? "ping\n" : "set threshold 0.\(index % 10)\n")
                        let expected = round % 2 == 0 ? "ok pong" : "ok set threshold 0.\(index % 10)"
                        let reply = client.line()
                        if reply != expected { throw PipelineError("round \(round): \(reply ?? "nothing")") }
                    }
                    Thread.sleep(forTimeInterval: 1.5)
                } catch { failures.withLock { $0.append("client \(index): \(error)") } }
            }
        }
        for thread in threads { thread.start() }
        Thread.sleep(forTimeInterval: 1)
        let extra = try harness.client()
        let busy = extra.line()
        #expect(busy == "err busy: 16 clients connected; try again later")
        #expect(extra.closedByServer(timeout: 2000))
        #expect(eventually(60) { threads.allSatisfy(\.isFinished) })
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        harness.expectFramesFlowed(since: start, "with 16 busy clients")
    }
}

@Suite struct ControlDirectoryTests {
    @Test func onlyOneMattePerRuntimeDirectory() throws {
        let runtime = try TemporaryDirectory()
        let first = try ControlDirectory(runtimeDirectory: runtime.path)
        #expect(throws: ControlDirectory.Busy.self) { try ControlDirectory(runtimeDirectory: runtime.path) }
        do { _ = try ControlDirectory(runtimeDirectory: runtime.path) } catch {
            #expect("\(error)".hasPrefix("another matte is running (pid \(getpid()))"))
        }
        _ = first
    }

    @Test func aStaleSocketIsReplacedAndAnythingElseRefused() throws {
        let runtime = try TemporaryDirectory()
        do {
            let directory = try ControlDirectory(runtimeDirectory: runtime.path)
            let server = try ControlServer(directory: directory, version: "t", logger: quietLogger)
            _ = server
        }
        // A crashed matte leaves its socket: the next one replaces it.
        let stale = try ControlDirectory(runtimeDirectory: runtime.path)
        let socketPath = stale.socketPath
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        _ = try UnixSocketAddress(path: socketPath).withSockaddr { bind(fd, $0, $1) }
        close(fd)
        var server: ControlServer? = try ControlServer(directory: stale, version: "t", logger: quietLogger)
        var info = stat()
        #expect(lstat(socketPath, &info) == 0 && info.st_mode & 0o777 == 0o600, "the socket is 0600")
        server = nil
        #expect(lstat(socketPath, &info) != 0, "the socket goes with its server")
        // A file where the socket goes is not ours to remove.
        try runtime.write("matte/control", Array("keep me".utf8))
        #expect(throws: PipelineError.self) { try ControlServer(directory: stale, version: "t", logger: quietLogger) }
        #expect(FileManager.default.contents(atPath: socketPath) == Data("keep me".utf8))
        _ = server
    }

    @Test func unsafeDirectoriesAreRefused() throws {
        let open = try TemporaryDirectory()
        chmod(open.path, 0o755)
        #expect(throws: PipelineError.self) { try ControlDirectory(runtimeDirectory: open.path) }
        let runtime = try TemporaryDirectory()
        let elsewhere = try TemporaryDirectory()
        symlink(elsewhere.path, runtime.path + "/matte")
        #expect(throws: PipelineError.self) { try ControlDirectory(runtimeDirectory: runtime.path) }
        let loose = try TemporaryDirectory()
        mkdir(loose.path + "/matte", 0o755)
        chmod(loose.path + "/matte", 0o755)
        #expect(throws: PipelineError.self) { try ControlDirectory(runtimeDirectory: loose.path) }
        #expect(throws: PipelineError.self) { try ControlDirectory.runtimeDirectory(environment: [:]) }
    }

    @Test func anotherUserIsRefused() throws {
        // The server is told it belongs to another uid, so this process is the stranger.
        let harness = try ControlledSession(allowedUID: geteuid() &+ 12345)
        defer { harness.stop() }
        let stranger = try harness.client()
        stranger.send("matte-ctl 1\n")
        #expect(stranger.closedByServer(timeout: 3000))
        #expect(stranger.line(timeout: 100) == nil, "and told nothing")
    }
}
