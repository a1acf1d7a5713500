import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import MatteInference
import MatteSegmentation

/// Ends the command with a one-line reason on stderr and exit status 1.
func fail(_ message: String) -> ExitCode {
    writeStderr("matte: " + message + "\n")
    return ExitCode.failure
}

/// Loads the segmenter for a `--model` value, resolving `auto` against the frame size.
func loadSegmenter(_ choice: ModelChoice, frameWidth: Int, frameHeight: Int) throws -> Segmenter {
    let path: String
    do {
        path = try ModelLocator.path(for: choice.resolved(frameWidth: frameWidth, frameHeight: frameHeight))
    } catch {
        throw fail(error.description)
    }
    do {
        return try Segmenter(contentsOf: path)
    } catch {
        throw fail("model \(path): \(error.description)")
    }
}

extension ModelChoice: ExpressibleByArgument {}

/// CPU time of the calling thread, in milliseconds.
func threadCPUMilliseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
}

/// Wall-clock monotonic time, in milliseconds.
func monotonicMilliseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
}
