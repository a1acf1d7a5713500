import ArgumentParser
import MatteSegmentation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Matte's stages on this machine.",
        subcommands: [InferenceBench.self, CompositeBench.self, PipelineBench.self]
    )
}

struct InferenceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Time one model inference (single-threaded XNNPACK) on a fixed input."
    )

    @Option(help: "general, landscape, or a path to a .tflite model.", transform: ModelChoice.parse)
    var model: ModelChoice = .landscape

    @Option(help: "Timed runs after 10 warm-up runs.")
    var runs: Int = 200

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        let segmenter = try loadSegmenter(model, frameWidth: 1280, frameHeight: 720)
        let engine = segmenter.engine
        // A smooth gradient: the cost of these convolutions does not depend on the pixel values.
        for index in 0..<engine.input.count { engine.input[index] = Float(index % 251) / 251 }
        for _ in 0..<10 { try engine.run() }
        var wall: [Double] = []
        var cpu: [Double] = []
        wall.reserveCapacity(runs)
        cpu.reserveCapacity(runs)
        for _ in 0..<runs {
            let (wallStart, cpuStart) = (monotonicMilliseconds(), threadCPUMilliseconds())
            try engine.run()
            wall.append(monotonicMilliseconds() - wallStart)
            cpu.append(threadCPUMilliseconds() - cpuStart)
        }
        wall.sort()
        cpu.sort()
        let median = wall[runs / 2]
        let p10 = wall[runs / 10]
        let cpuMedian = cpu[runs / 2]
        print(
            "\(model) (\(segmenter.modelWidth)×\(segmenter.modelHeight)): median \(format(median)) ms, "
                + "p10 \(format(p10)) ms, cpu \(format(cpuMedian)) ms per inference (\(runs) runs, 1 thread)"
        )
    }

}

/// Two decimals, without Foundation.
func format(_ value: Double) -> String {
    guard value.isFinite else { return "\(value)" }
    let hundredths = Int((abs(value) * 100).rounded())
    let fraction = hundredths % 100
    return "\(value < 0 && hundredths > 0 ? "-" : "")\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

/// Median and 10th percentile of wall-clock milliseconds over `runs` calls, after warm-up.
func measure(runs: Int, warmUp: Int = 5, _ body: () throws -> Void) rethrows -> (median: Double, p10: Double) {
    for _ in 0..<warmUp { try body() }
    var times: [Double] = []
    times.reserveCapacity(runs)
    for _ in 0..<runs {
        let start = monotonicMilliseconds()
        try body()
        times.append(monotonicMilliseconds() - start)
    }
    times.sort()
    return (times[runs / 2], times[runs / 10])
}
