import MatteCore
import MatteSegmentation

/// One model inference (single-threaded XNNPACK) on a fixed input, wall and CPU time.
public struct InferenceBenchmark {
    public let segmenter: Segmenter
    public let runs: Int

    public init(segmenter: Segmenter, runs: Int) {
        self.segmenter = segmenter
        self.runs = runs
    }

    public func run(label: String, report: (String) -> Void) throws(PipelineError) {
        let engine = segmenter.engine
        // A smooth gradient: the cost of these convolutions does not depend on the pixel values.
        for index in 0..<engine.input.count { engine.input[index] = Float(index % 251) / 251 }
        var wall: [Double] = []
        var cpu: [Double] = []
        wall.reserveCapacity(runs)
        cpu.reserveCapacity(runs)
        do {
            for _ in 0..<10 { try engine.run() }
            for _ in 0..<runs {
                let (wallStart, cpuStart) = (monotonicMilliseconds(), threadCPUMilliseconds())
                try engine.run()
                wall.append(monotonicMilliseconds() - wallStart)
                cpu.append(threadCPUMilliseconds() - cpuStart)
            }
        } catch { throw PipelineError("inference failed: \(error.description)") }
        wall.sort()
        cpu.sort()
        report(
            "\(label) (\(segmenter.modelWidth)×\(segmenter.modelHeight)): median \(format(wall[runs / 2])) ms, "
                + "p10 \(format(wall[runs / 10])) ms, cpu \(format(cpu[runs / 2])) ms per inference "
                + "(\(runs) runs, 1 thread)"
        )
    }
}
