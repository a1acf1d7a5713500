import Foundation
import Logging
import MatteCore
import MatteImaging
import MattePipeline
import MatteService
import MatteTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A sink the test can stall, as a wedged driver would stall the output thread.
final class StallableSink: FrameSink, Sendable {
    let stalled = Locked(false)
    func write(_ frame: PixelBuffer, captureTime: Double) throws(PipelineError) -> SinkResult {
        while stalled.withLock({ $0 }) { usleep(5000) }
        return .written
    }
}

@Suite struct WatchdogTests {
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
