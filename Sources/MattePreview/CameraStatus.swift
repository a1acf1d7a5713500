import Foundation

/// The part of matte's `status` reply (`ok status {json}`, docs/design/control-preview-framing.md) the preview
/// shows or toggles from. Every field is optional: a matte that reports less still gets a preview.
public struct CameraStatus: Decodable, Equatable, Sendable {
    public struct Settings: Decodable, Equatable, Sendable {
        public var mirror: Bool?
        public var effects: [String]?
        public var background: String?
        public var framing: String?

        public init(mirror: Bool? = nil, effects: [String]? = nil, background: String? = nil, framing: String? = nil) {
            (self.mirror, self.effects, self.background, self.framing) = (mirror, effects, background, framing)
        }
    }

    public struct Rates: Decodable, Equatable, Sendable {
        public var `in`: Double?
        public var out: Double?
    }

    public struct Timings: Decodable, Equatable, Sendable {
        public var inference: Double?
        public var compositing: Double?
    }

    public var state: String?
    public var settings: Settings?
    public var rates: Rates?
    public var ms: Timings?
    public var cpuPercent: Double?
    /// The part of the frame auto-framing shows: x, y, width, height as fractions of the frame.
    public var crop: [Double]?

    enum CodingKeys: String, CodingKey {
        case state, settings, rates, ms, crop
        case cpuPercent = "cpu_percent"
    }

    /// The status in a reply's text (`status {json}`), or nil when it is not one.
    public static func parse(reply text: String) -> CameraStatus? {
        guard text.hasPrefix("status ") else { return nil }
        return try? JSONDecoder().decode(CameraStatus.self, from: Data(text.dropFirst(7).utf8))
    }

    /// The overlay's lines about the camera.
    public var lines: [String] {
        func number(_ value: Double?, _ unit: String) -> String {
            value.map { String(format: "%.1f", $0) + unit } ?? "-"
        }
        let effects = settings?.effects.map { $0.isEmpty ? "none" : $0.joined(separator: ",") } ?? "-"
        return [
            "\((state ?? "?").uppercased())  in \(number(rates?.in, " fps"))  out \(number(rates?.out, " fps"))"
                + "  cpu \(number(cpuPercent, "%"))",
            "inference \(number(ms?.inference, " ms"))  compositing \(number(ms?.compositing, " ms"))",
            "background \(settings?.background ?? "-")  effects \(effects)"
                + "  mirror \(settings?.mirror.map { $0 ? "on" : "off" } ?? "-")  framing \(settings?.framing ?? "-")",
        ]
    }
}
