import CLinux
import Foundation
import Logging
import MatteImaging
import MattePipeline
import MatteSegmentation
import MatteTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A service manager's end of the notify socket: a datagram socket that records each message and when.
final class NotifyListener: Sendable {
    let path: String
    private let fd: Int32
    private let received = Mutex<[(time: Double, message: String)]>([])

    init() {
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
    func listen(for seconds: Double) {
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

    var messages: [(time: Double, message: String)] { received.withLock { $0 } }
}

/// A sink the test can stall, as a wedged driver would stall the output thread.
final class StallableSink: FrameSink, Sendable {
    let stalled = Mutex(false)
    func write(_ frame: PixelBuffer, captureTime: Double) throws(PipelineError) -> SinkResult {
        while stalled.withLock({ $0 }) { usleep(5000) }
        return .written
    }
}

@Suite struct ServiceTests {
    @Test func theNotifierSpeaksTheProtocol() {
        let listener = NotifyListener()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "2000000"])
        #expect(notifier.isActive)
        #expect(notifier.watchdogInterval == 500)
        notifier.send("READY=1")
        listener.listen(for: 0.2)
        #expect(listener.messages.map(\.message) == ["READY=1"])
        // The watchdog belongs to another process: no pings from this one.
        let other = ServiceNotifier(
            environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"]
        )
        #expect(other.watchdogInterval == nil)
        #expect(!ServiceNotifier(environment: [:]).isActive)
    }

    @Test func aWatchedFileIsNoticedThroughItsDirectoryAndRenames() throws {
        let root = NSTemporaryDirectory() + "matte-watch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/matte/config"
        let watcher = try FileWatcher(paths: [path])
        func changed() -> Bool {
            var descriptor = pollfd(fd: watcher.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 1000)
            return watcher.changes()
        }
        // The directory does not exist yet: made, then the file written in it.
        try FileManager.default.createDirectory(atPath: root + "/matte", withIntermediateDirectories: true)
        #expect(changed(), "the directory on the way appeared")
        _ = FileManager.default.createFile(atPath: path, contents: Data("--effect sepia\n".utf8))
        #expect(changed(), "the file was written")
        // An editor's save: a new file renamed over the old one.
        _ = FileManager.default.createFile(atPath: path + ".swp", contents: Data("--effect hologram\n".utf8))
        _ = watcher.changes()
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: path + ".swp", toPath: path)
        #expect(changed(), "a rename over the file")
        // Another file in the same directory is not a change.
        _ = FileManager.default.createFile(atPath: root + "/matte/other", contents: Data())
        #expect(!changed(), "an unrelated file")
    }

    @Test func readyThenWatchdogPingsThatStopWhileTheOutputIsStalled() throws {
        let listener = NotifyListener()
        let sink = StallableSink()
        let pipeline = try LiveSessionTests.generatedPipeline(into: sink)
        // A 400 ms watchdog: pings every 100 ms.
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"])
        let session = try LiveSession(
            pipeline: pipeline,
            readers: nil,
            alwaysOn: true,
            settings: { ProcessingSettings() },
            notifier: notifier,
            logger: Logger(label: "test")
        )
        let control = session.control
        let phases = Mutex<[String: Double]>([:])
        let driver = Thread {
            listener.listen(for: 2)
            phases.withLock { $0["stall"] = monotonicMilliseconds() }
            sink.stalled.withLock { $0 = true }
            listener.listen(for: 2)
            phases.withLock { $0["resume"] = monotonicMilliseconds() }
            sink.stalled.withLock { $0 = false }
            listener.listen(for: 2)
            control.request(.stop)
            listener.listen(for: 1)
        }
        driver.start()
        session.run()
        while !driver.isFinished { Thread.sleep(forTimeInterval: 0.05) }

        let messages = listener.messages
        let (stall, resume) = phases.withLock { ($0["stall"] ?? 0, $0["resume"] ?? 0) }
        #expect(messages.first?.message == "READY=1")
        let pings = messages.filter { $0.message == "WATCHDOG=1" }.map(\.time)
        let before = pings.filter { $0 < stall }
        let during = pings.filter { $0 > stall + 250 && $0 < resume }
        let after = pings.filter { $0 > resume }
        #expect(before.count >= 4, "pings while frames flow: \(before.count)")
        // A frame being written when the stall began may still finish; after that, silence.
        #expect(during.isEmpty, "pings while the output thread is stalled: \(during.count)")
        #expect(after.count >= 3, "pings once it moves again: \(after.count)")
        #expect(messages.last?.message == "STOPPING=1")
    }
}
