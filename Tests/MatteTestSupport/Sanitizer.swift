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

/// A value behind an NSLock, for what test doubles share between threads. Synchronization's Mutex would do,
/// but on Linux it locks with atomics and a futex inside the standard library, which ThreadSanitizer does not
/// see, so the TSan step reported races on values it guards; TSan intercepts the pthread mutex under NSLock.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
