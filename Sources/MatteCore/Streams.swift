import MatteImaging

#if canImport(Glibc)
import Glibc
#endif

/// Why a stage of the pipeline could not go on; `description` is the one line a user is shown.
public struct PipelineError: Error, CustomStringConvertible, Equatable {
    /// What a failure means for trying again: the live camera retries each kind at its own pace.
    public enum Kind: Sendable, Equatable {
        /// The device is not there (unplugged, never plugged): it may come back.
        case gone
        /// Another program holds it.
        case busy
        /// It is there but cannot serve (not a camera, no format Matte reads): only a change of device helps.
        case unsupported
        /// Anything else: worth trying again soon.
        case transient
    }

    public let kind: Kind
    public let description: String
    public init(_ description: String, kind: Kind = .transient) {
        self.kind = kind
        self.description = description
    }
}

/// Where live frames come from: a camera, a looping file, or generated frames. The pipeline knows sources
/// only through this protocol; each device module brings its own adapter (like a GStreamer element's pad).
public protocol FrameSource: AnyObject {
    var width: Int { get }
    var height: Int { get }
    var frameRate: Double { get }
    var description: String { get }
    /// Waits up to `timeout` ms for the next frame, writes it into `out` (YUYV, width × height) and returns its
    /// capture time (CLOCK_MONOTONIC ms), or nil when none came. Throws when the source is gone.
    func next(into out: PixelBuffer, timeout: Int32) throws(PipelineError) -> Double?
    /// Frames dropped as undecodable so far, and why the last one was.
    var corruptFrames: Int { get }
    var lastCorruption: String? { get }
}

/// What became of a frame handed to a sink, as a GStreamer flow return says it.
public enum SinkResult: Sendable, Equatable {
    case written
    /// Not written, for a reason that passes by itself (the consumer has no free buffer yet, or nobody
    /// streams); the pipeline counts these for `status`.
    case dropped
}

/// Where finished frames go: a virtual camera, or nowhere (benchmarks).
public protocol FrameSink: AnyObject {
    /// Writes one frame captured at `captureTime` (CLOCK_MONOTONIC ms; sinks that carry timestamps stamp it).
    func write(_ frame: PixelBuffer, captureTime: Double) throws(PipelineError) -> SinkResult
    /// Why the output itself is gone for now, so that no application can read it (the PipeWire daemon stopped),
    /// or nil. Frames written meanwhile are dropped; the sink comes back on its own. Read from any thread.
    var outage: String? { get }
}

extension FrameSink {
    public var outage: String? { nil }
}

/// How many applications read a sink, for running on demand.
public protocol ReaderCount: AnyObject {
    /// A descriptor that becomes ready (for `events`, as `poll` takes them) when the count may have changed.
    var fd: Int32 { get }
    var events: Int16 { get }
    /// Reads the count again (after `fd` became ready, or at any time).
    func update() -> Int
}

public final class NullSink: FrameSink {
    public init() {}
    public func write(_ frame: PixelBuffer, captureTime: Double) throws(PipelineError) -> SinkResult { .written }
}

/// CLOCK_MONOTONIC in milliseconds, the clock V4L2 timestamps frames with.
public func monotonicMilliseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
}

/// CPU time of the whole process (all threads), in milliseconds.
public func processCPUMilliseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000
}
