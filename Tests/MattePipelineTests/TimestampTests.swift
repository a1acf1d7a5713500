import Foundation
import MatteCore
import MatteImaging
import MattePipeline
import MatteTestSupport
import Synchronization
import Testing

/// A source whose frames carry made-up capture times, negative so that no clock reading (a placeholder's) can
/// pass for one: −10⁹ ms plus 1 000 per frame.
final class StampedSource: FrameSource {
    let width = 64, height = 36, frameRate = 30.0
    var description: String { "stamped source" }
    let corruptFrames = 0
    let lastCorruption: String? = nil
    private let inner = SyntheticSource(width: 64, height: 36, frameRate: 30, distinctFrames: 2)
    private var count = 0

    func next(into out: PixelBuffer, timeout: Int32) throws(PipelineError) -> Double? {
        guard try inner.next(into: out, timeout: timeout) != nil else { return nil }
        count += 1
        return Self.captureTime(count)
    }

    static func captureTime(_ frame: Int) -> Double { -1e9 + 1_000 * Double(frame) }
}

/// Keeps the capture time of every frame written.
final class TimestampSink: FrameSink, Sendable {
    private let times = Mutex<[Double]>([])
    var captureTimes: [Double] { times.withLock { $0 } }
    func write(_ frame: PixelBuffer, captureTime: Double) throws(PipelineError) -> SinkResult {
        times.withLock { $0.append(captureTime) }
        return .written
    }
}

@Suite struct TimestampTests {
    @Test func eachFrameReachesTheSinkWithItsOwnCaptureTime() throws {
        let sink = TimestampSink()
        let source = StampedSource()
        let pipeline = try testPipeline(
            source: source,
            sink: sink
        )
        pipeline.start()
        pipeline.setActive(true)
        // A placeholder may go out before the first frame: it is stamped with the clock, which is positive.
        #expect(eventually(20) { sink.captureTimes.filter { $0 < 0 }.count >= 10 })
        pipeline.stop()
        let times = sink.captureTimes.filter { $0 < 0 }
        let captured = Set((1...100_000).map(StampedSource.captureTime))
        #expect(times.allSatisfy(captured.contains), "\(times.prefix(5))")
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "in capture order")
    }
}
