import Foundation

/// Counters the threads update and the status line and benchmarks read.
public final class PipelineStatistics: @unchecked Sendable {
    // @unchecked: `counts` is touched only under `lock` (an NSLock, which ThreadSanitizer sees; it does not see
    // Synchronization's futex Mutex, and reported the capture and segmentation threads' updates as a race).
    private struct Counters {
        var framesIn = 0
        var framesOut = 0
        var inferences = 0
        var placeholders = 0
        var dropped = 0
        var inferenceTotal = 0.0
        var compositeTotal = 0.0
        var captureTotal = 0.0
        var latencies: [Double] = []
    }

    private let lock = NSLock()
    private var counts = Counters()

    private func withLock<Result>(_ body: (inout Counters) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&counts)
    }

    func frameIn(processing: Double) {
        withLock {
            $0.framesIn += 1
            $0.captureTotal += processing
        }
    }
    func inference(_ milliseconds: Double) {
        withLock {
            $0.inferences += 1
            $0.inferenceTotal += milliseconds
        }
    }
    func placeholder() { withLock { $0.placeholders += 1 } }
    /// A frame the sink dropped (`SinkResult.dropped`).
    func drop() { withLock { $0.dropped += 1 } }

    /// Frames the sink dropped so far, without the sort a `snapshot` does.
    public var dropped: Int { withLock { $0.dropped } }
    func frameOut(latency: Double, composite: Double) {
        withLock {
            $0.framesOut += 1
            $0.compositeTotal += composite
            $0.latencies.append(latency)
            if $0.latencies.count > 20_000 { $0.latencies.removeFirst(10_000) }
        }
    }

    public struct Snapshot: Sendable {
        public let framesIn, framesOut, inferences, placeholders: Int
        /// Mean time per frame in each stage: capture (conversion, mirror, model-input sampling), inference,
        /// compositing (everything from mask to finished frame).
        public let captureMilliseconds, inferenceMilliseconds, compositeMilliseconds: Double
        /// Capture → write latency percentiles (ms) over recent frames.
        public let latencyP50, latencyP99: Double
        /// Time spent in each stage so far (ms), for means over an interval.
        public let captureTotal, inferenceTotal, compositeTotal: Double
    }

    public func snapshot() -> Snapshot {
        withLock { counts in
            let sorted = counts.latencies.sorted()
            func percentile(_ p: Double) -> Double {
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            }
            func mean(_ total: Double, _ count: Int) -> Double { count == 0 ? 0 : total / Double(count) }
            return Snapshot(
                framesIn: counts.framesIn,
                framesOut: counts.framesOut,
                inferences: counts.inferences,
                placeholders: counts.placeholders,
                captureMilliseconds: mean(counts.captureTotal, counts.framesIn),
                inferenceMilliseconds: mean(counts.inferenceTotal, counts.inferences),
                compositeMilliseconds: mean(counts.compositeTotal, counts.framesOut),
                latencyP50: percentile(0.5),
                latencyP99: percentile(0.99),
                captureTotal: counts.captureTotal,
                inferenceTotal: counts.inferenceTotal,
                compositeTotal: counts.compositeTotal
            )
        }
    }
}
