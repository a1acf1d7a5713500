import Foundation

/// Whether the tests run under ThreadSanitizer (scripts/tsan-tests.sh sets MATTE_TSAN=1): a debug build there is
/// 5–15× slower, as every memory access is checked. Checks of throughput (frames a second) measure the
/// instrumentation there, not the code, and are skipped; time limits on work are stretched. Checks of behaviour
/// stay as they are.
public enum Sanitizer {
    public static let thread = ProcessInfo.processInfo.environment["MATTE_TSAN"] == "1"

    /// A time limit, ten times longer under ThreadSanitizer.
    public static func stretched<T: Numeric>(_ limit: T) -> T { thread ? limit * 10 : limit }
}
