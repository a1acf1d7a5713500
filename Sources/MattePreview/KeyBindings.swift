/// A key as the preview sees it, apart from SDL, so the bindings can be tested without a window.
public enum PreviewKey: Equatable, Sendable {
    case character(Character)
    case left
    case right
    case space
    case escape
}

/// What a key asks for.
public enum PreviewAction: Equatable, Sendable {
    /// A request line for matte's control socket.
    case send(String)
    /// A snapshot of what matte writes, saved as a PNG by the preview.
    case snapshot
    case toggleStatusOverlay
    case toggleMaskOverlay
    case quit
}

/// The preview's keys. Toggles are computed from the running camera's settings (its status), not remembered
/// here, so a change made elsewhere (`matte ctl`, a configuration file) is toggled from where it really is.
public enum KeyBindings {
    /// The effects `e` steps through, after none and before none again.
    public static let effectCycle = ["hologram", "grayscale", "sepia"]

    /// What `key` does given the camera's current `settings` (nil before the first status arrived).
    public static func action(for key: PreviewKey, settings: CameraStatus.Settings?) -> PreviewAction? {
        switch key {
        case .right, .character("n"): return .send("next")
        case .left, .character("p"): return .send("previous")
        case .space: return .send("toggle-pause")
        case .character("m"): return .send("set mirror \(settings?.mirror == true ? "off" : "on")")
        case .character("e"): return .send("effect \(nextEffect(after: settings?.effects ?? []))")
        case .character("f"):
            let framing = settings?.framing ?? "off"
            return .send("set framing \(framing == "off" ? "auto" : "off")")
        case .character("s"): return .snapshot
        case .character("o"): return .toggleStatusOverlay
        case .character("k"): return .toggleMaskOverlay
        case .escape, .character("q"): return .quit
        default: return nil
        }
    }

    /// The effect after `effects` in the cycle; any list outside the cycle (several effects, a colour map of
    /// its own) goes back to none, the cycle's start.
    static func nextEffect(after effects: [String]) -> String {
        guard effects.count == 1 else { return effects.isEmpty ? effectCycle[0] : "none" }
        let name: String
        switch effects[0] {
        case "greyscale", "colormap:gray": name = "grayscale"
        case "colormap:sepia": name = "sepia"
        default: name = effects[0]
        }
        guard let index = effectCycle.firstIndex(of: name) else { return "none" }
        return index + 1 < effectCycle.count ? effectCycle[index + 1] : "none"
    }
}
