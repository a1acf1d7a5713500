import MatteCore
import MatteImaging

/// One model inference on a fixed input, wall and CPU time: the mask maker's whole call, copying its input in
/// and its mask out included.
public struct InferenceBenchmark {
    public let maker: PersonMaskMaker
    public let runs: Int
    /// XNNPACK threads the maker was made with; CPU time is then the whole process's.
    public let threads: Int

    public init(maker: PersonMaskMaker, runs: Int, threads: Int = 1) {
        self.maker = maker
        self.runs = runs
        self.threads = threads
    }

    public func run(label: String, report: (String) -> Void) throws(PipelineError) {
        var input = ModelInput(width: maker.inputWidth, height: maker.inputHeight)
        // A smooth gradient: the cost of these convolutions does not depend on the pixel values.
        for index in input.values.indices { input.values[index] = Float(index % 251) / 251 }
        var mask = PersonMask(width: maker.maskWidth, height: maker.maskHeight)
        var wall: [Double] = []
        var cpu: [Double] = []
        wall.reserveCapacity(runs)
        cpu.reserveCapacity(runs)
        do {
            for _ in 0..<10 { try maker.makeMask(from: input, into: &mask) }
            for _ in 0..<runs {
                let cpuNow = threads > 1 ? processCPUMilliseconds : threadCPUMilliseconds
                let (wallStart, cpuStart) = (monotonicMilliseconds(), cpuNow())
                try maker.makeMask(from: input, into: &mask)
                wall.append(monotonicMilliseconds() - wallStart)
                cpu.append(cpuNow() - cpuStart)
            }
        } catch { throw PipelineError(error.description) }
        wall.sort()
        cpu.sort()
        report(
            "\(label) (\(maker.inputWidth)×\(maker.inputHeight)): median \(format(wall[runs / 2])) ms, "
                + "p10 \(format(wall[runs / 10])) ms, cpu \(format(cpu[runs / 2])) ms per inference "
                + "(\(runs) runs, \(threads) thread\(threads == 1 ? "" : "s"))"
        )
    }
}
