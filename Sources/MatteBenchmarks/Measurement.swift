import MatteCore

#if canImport(Glibc)
import Glibc
#endif

/// Two decimals, without Foundation.
public func format(_ value: Double) -> String {
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

/// CPU time of the calling thread, in milliseconds.
func threadCPUMilliseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
}

/// The most resident memory the process has used so far (VmHWM), in MB.
public func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

extension String {
    func padded(to length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }
}
