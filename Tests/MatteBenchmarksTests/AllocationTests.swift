import CAllocationCounter
import MatteBenchmarks
import Testing

#if DEBUG
private let optimised = false
#else
private let optimised = true
#endif

/// The per-frame work the benchmarks time must allocate nothing: an allocation per frame is a cost the
/// timings hide on a quiet machine and a laptop pays for in a long call. A debug build allocates where the
/// optimiser would not (unspecialised generics), so the count is taken on a release build
/// (`swift test -c release --filter AllocationTests`, run by scripts/test.sh).
@Suite struct AllocationTests {
    /// Heap allocations the calling thread makes in `body`.
    static func allocations(_ body: () -> Void) -> Int {
        matte_allocations_start()
        body()
        return matte_allocations_stop()
    }

    @Test func theCounterSeesAnAllocation() {
        // Without this the zero below could come from a counter that never counts.
        let count = Self.allocations { _ = [Int](repeating: 1, count: 1000 + Int.random(in: 0..<2)) }
        #expect(count >= 1)
    }

    @Test(.enabled(if: optimised, "allocation counts are a property of the optimised build"))
    func compositingAFrameAllocatesNothing() throws {
        let benchmark = CompositeBenchmark(width: 1280, height: 720, runs: 10)
        for workload in try benchmark.compositeWorkloads() + benchmark.stageWorkloads() {
            // The first frames set up per-size state (smoothing history, blur planes); later ones must not.
            for _ in 0..<3 { workload.run() }
            let count = Self.allocations { for _ in 0..<10 { workload.run() } }
            #expect(count == 0, "\(workload.name): \(count) allocations in 10 frames")
        }
    }

    @Test(.enabled(if: optimised, "allocation counts are a property of the optimised build"))
    func framingAFrameAllocatesNothing() throws {
        // Named, so that the framing workloads cannot drop out of the loop above unnoticed; the crop moves every
        // frame, so the scaler's tables are rebuilt in each.
        let benchmark = CompositeBenchmark(width: 1280, height: 720, runs: 10)
        let names = [
            "image + moving framing", "framing: measure", "framing: scale 1.10×", "framing: scale 1.60×",
        ]
        let workloads = (try benchmark.compositeWorkloads() + benchmark.stageWorkloads()).filter {
            names.contains($0.name)
        }
        #expect(workloads.map(\.name).sorted() == names.sorted())
        for workload in workloads {
            for _ in 0..<3 { workload.run() }
            let count = Self.allocations { for _ in 0..<10 { workload.run() } }
            #expect(count == 0, "\(workload.name): \(count) allocations in 10 frames")
        }
    }
}
