import Foundation
import MatteControl
import MatteCore

/// What `matte ctl status` reports (one JSON object) and the terminal's status line shows: rates and stage
/// times over the last second, not since start, so a change shows at once.
public struct LiveStatus: Encodable, Sendable {
    public struct Rates: Encodable, Sendable {
        public var framesIn = 0.0, framesOut = 0.0, inferences = 0.0
        enum CodingKeys: String, CodingKey {
            case framesIn = "in"
            case framesOut = "out"
            case inferences
        }
    }
    public struct Stages: Encodable, Sendable {
        public var capture = 0.0, inference = 0.0, compositing = 0.0
    }
    public struct Latency: Encodable, Sendable {
        public var p50 = 0.0, p99 = 0.0
    }
    /// Each declared setting under its status key (`SettingDeclarations`).
    public struct Settings: Encodable, Sendable {
        public var processing: ProcessingSettings

        init(_ settings: ProcessingSettings) { processing = settings }

        public func encode(to encoder: any Encoder) throws {
            try SettingDeclarations.encodeStatus(of: processing, to: encoder)
        }
    }

    public var protocolVersion = ControlProtocol.version
    public var version: String
    /// `idle`, `waiting`, `live` or `paused`, or `no-output` while the virtual camera itself is gone
    /// (`outputProblem` says why): a `LiveState`.
    public var state: String
    public var camera: String?
    public var output: String
    /// The model that finds the person (`landscape`, `rvm`, a path).
    public var model: String
    public var outputProblem: String?
    public var readers: Int
    /// Frames the virtual camera dropped since Matte started, because its consumer had no buffer ready.
    public var droppedFrames = 0
    public var rates = Rates()
    public var milliseconds = Stages()
    public var latency = Latency()
    public var cpuPercent = 0.0
    public var settings: Settings
    /// The part of the picture auto-framing shows, as fractions of the frame: x, y, width, height.
    public var crop: [Double]
    /// Options changed through the control socket, which configuration reloads keep.
    public var overrides: [String]

    enum CodingKeys: String, CodingKey {
        case version, state, camera, output, model, readers, rates, settings, crop, overrides
        case outputProblem = "output_problem"
        case droppedFrames = "dropped_frames"
        case protocolVersion = "protocol"
        case milliseconds = "ms"
        case latency = "latency_ms"
        case cpuPercent = "cpu_percent"
    }

    /// One line of JSON, keys in a fixed order.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every field is a plain number, string or list: encoding cannot fail.
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// Turns the pipeline's running totals into per-second figures, once a second.
struct RateMeter {
    private var last: PipelineStatistics.Snapshot?
    private var lastTime = monotonicMilliseconds()
    private var lastCPU = processCPUMilliseconds()
    private(set) var rates = LiveStatus.Rates()
    private(set) var stages = LiveStatus.Stages()
    private(set) var latency = LiveStatus.Latency()
    private(set) var cpuPercent = 0.0

    mutating func update(_ snapshot: PipelineStatistics.Snapshot) {
        let now = monotonicMilliseconds()
        let cpu = processCPUMilliseconds()
        let elapsed = max(now - lastTime, 1)
        let framesIn = snapshot.framesIn - (last?.framesIn ?? 0)
        let framesOut = snapshot.framesOut - (last?.framesOut ?? 0)
        let inferences = snapshot.inferences - (last?.inferences ?? 0)
        func mean(_ total: Double, _ previous: Double?, _ count: Int) -> Double {
            count > 0 ? (total - (previous ?? 0)) / Double(count) : 0
        }
        rates = LiveStatus.Rates(
            framesIn: Double(framesIn) * 1000 / elapsed,
            framesOut: Double(framesOut) * 1000 / elapsed,
            inferences: Double(inferences) * 1000 / elapsed
        )
        stages = LiveStatus.Stages(
            capture: mean(snapshot.captureTotal, last?.captureTotal, framesIn),
            inference: mean(snapshot.inferenceTotal, last?.inferenceTotal, inferences),
            compositing: mean(snapshot.compositeTotal, last?.compositeTotal, framesOut)
        )
        latency = LiveStatus.Latency(p50: snapshot.latencyP50, p99: snapshot.latencyP99)
        cpuPercent = (cpu - lastCPU) / elapsed * 100
        (last, lastTime, lastCPU) = (snapshot, now, cpu)
    }
}
