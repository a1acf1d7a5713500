import CLinux
import Foundation
import MatteService
import MatteTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

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
}
