import Foundation
import Logging
import MatteCore
import MatteImaging
import MattePipeline
import MatteSegmentation
import MatteTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A reader count the test sets, announcing each change on a pipe as the v4l2loopback event would.
final class SettableReaders: ReaderCount, Sendable {
    private let count = Locked(0)
    private let pipe: (read: Int32, write: Int32)
    var fd: Int32 { pipe.read }
    var events: Int16 { Int16(POLLIN) }

    init() {
        var ends: [Int32] = [0, 0]
        precondition(Glibc.pipe(&ends) == 0, "pipe")
        _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
        pipe = (ends[0], ends[1])
    }

    deinit {
        close(pipe.read)
        close(pipe.write)
    }

    func set(_ value: Int) {
        count.withLock { $0 = value }
        var byte: UInt8 = 1
        _ = write(pipe.write, &byte, 1)
    }

    func update() -> Int {
        var drain = [UInt8](repeating: 0, count: 64)
        while read(pipe.read, &drain, drain.count) > 0 {}
        return count.withLock { $0 }
    }
}

@Suite struct LiveSessionTests {
    /// A live pipeline on small generated frames (reopened the same way) into `sink`.
    static func generatedPipeline(into sink: FrameSink) throws -> LivePipeline {
        func source() -> FrameSource { SyntheticSource(width: 64, height: 36, frameRate: 30, distinctFrames: 2) }
        return try testPipeline(
            source: source(),
            reopen: source,
            sink: sink
        )
    }

    @Test func processingFollowsReadersWithALinger() {
        #expect(!LiveSession.wantsProcessing(alwaysOn: false, readers: 0, millisecondsSinceLastReader: .infinity))
        #expect(LiveSession.wantsProcessing(alwaysOn: false, readers: 1, millisecondsSinceLastReader: .infinity))
        #expect(LiveSession.wantsProcessing(alwaysOn: true, readers: 0, millisecondsSinceLastReader: .infinity))
        #expect(LiveSession.wantsProcessing(alwaysOn: false, readers: 0, millisecondsSinceLastReader: 200))
        #expect(
            !LiveSession.wantsProcessing(alwaysOn: false, readers: 0, millisecondsSinceLastReader: LiveSession.linger)
        )
    }

    /// What the driving thread saw, checked once the session has returned.
    struct Observations: Sendable {
        var idleWithoutReader = false
        var processingWithReader = false
        var reloaded = false
        var lingered = false
        var idleAfterReaderLeft = false
    }

    @Test func aSessionRunsOnDemandReloadsAndStops() throws {
        let sink = CountingSink()
        let pipeline = try LiveSessionTests.generatedPipeline(into: sink)
        let readers = SettableReaders()
        let reloads = Locked(0)
        let session = try LiveSession(
            pipeline: pipeline,
            readers: readers,
            alwaysOn: false,
            settings: {
                reloads.withLock { $0 += 1 }
                return ProcessingSettings()
            },
            logger: Logger(label: "test")
        )
        let control = session.control
        let seen = Locked(Observations())
        let driver = Thread {
            Thread.sleep(forTimeInterval: 0.8)
            let idle = !pipeline.isActive && sink.frames == 0
            readers.set(1)
            let processing = eventually(20) { pipeline.isActive && sink.frames > 3 }
            control.request(.reload)
            let reloaded = eventually(10) { reloads.withLock { $0 } == 1 }
            readers.set(0)
            Thread.sleep(forTimeInterval: 0.5)
            let lingered = pipeline.isActive
            let idleAgain = eventually(20) { !pipeline.isActive }
            seen.withLock {
                $0 = Observations(
                    idleWithoutReader: idle,
                    processingWithReader: processing,
                    reloaded: reloaded,
                    lingered: lingered,
                    idleAfterReaderLeft: idleAgain
                )
            }
            control.request(.stop)
        }
        driver.start()
        let start = Date()
        session.run()
        let observed = seen.withLock { $0 }
        #expect(observed.idleWithoutReader, "no reader: the pipeline stays idle and writes nothing")
        #expect(observed.processingWithReader, "a reader starts processing")
        #expect(observed.reloaded, "a reload request reads the settings again")
        #expect(observed.lingered, "processing goes on a moment after the last reader leaves")
        #expect(observed.idleAfterReaderLeft, "then the pipeline goes idle")
        #expect(Date().timeIntervalSince(start) < 60)
        #expect(!pipeline.isActive || sink.frames > 0)
    }
}
