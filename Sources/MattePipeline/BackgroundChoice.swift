import MatteImaging

/// The `--background` value: what replaces the background.
public enum BackgroundChoice: Equatable, Sendable, CustomStringConvertible {
    /// Blur of the camera frame; strength is the radius in 720p pixels.
    case blur(strength: Int)
    case color(r: UInt8, g: UInt8, b: UInt8)
    /// An image or a video file.
    case file(String)
    case none

    public static let defaultBlurStrength = 16

    /// Parses `blur`, `blur:STRENGTH` (1…100), `#RRGGBB`, `none`, or a file path. Nil for a malformed
    /// blur or colour value (paths are checked when opened).
    public init?(argument: String) {
        if argument == "none" {
            self = .none
        } else if argument == "blur" {
            self = .blur(strength: Self.defaultBlurStrength)
        } else if argument.hasPrefix("blur:") {
            guard let strength = Int(argument.dropFirst(5)), (1...100).contains(strength) else { return nil }
            self = .blur(strength: strength)
        } else if argument.hasPrefix("#") {
            let hex = argument.dropFirst()
            guard hex.count == 6, let value = UInt32(hex, radix: 16) else { return nil }
            self = .color(r: UInt8(value >> 16), g: UInt8((value >> 8) & 0xFF), b: UInt8(value & 0xFF))
        } else {
            self = .file(argument)
        }
    }

    public var description: String {
        switch self {
        case let .blur(strength): return "blur:\(strength)"
        case let .color(r, g, b):
            let hex = String(UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b), radix: 16)
            return "#" + String(repeating: "0", count: 6 - hex.count) + hex
        case let .file(path): return path
        case .none: return "none"
        }
    }
}
