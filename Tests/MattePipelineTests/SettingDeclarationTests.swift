import Foundation
import MatteCompositing
import MatteImaging
import MatteTestSupport
import Testing

@testable import MattePipeline

@Suite struct SettingDeclarationTests {
    /// The `settings` object of `matte ctl status`, as scripts and `matte preview` read it.
    static func statusJSON(_ settings: ProcessingSettings) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(LiveStatus.Settings(settings)), as: UTF8.self)
    }

    /// Byte for byte what the status reported before the settings were declared in one place.
    @Test func statusSettingsKeepTheirKeysAndValues() throws {
        #expect(
            try Self.statusJSON(ProcessingSettings())
                == #"{"background":"blur:16","dilate":0,"edge_refinement":false,"effects":[],"feather":0,"#
                + #""fit":"cover","foreground_opacity":1,"framing":"off","light_wrap":0,"mirror":false,"#
                + #""smoothing":0.6,"softness":0.6,"threshold":0.5}"#
        )
        var settings = ProcessingSettings()
        settings.background = .file("/home/me/My Pictures/beach.jpg")
        settings.fit = .tile
        settings.foreground = "/home/me/logo.png"
        settings.foregroundOpacity = 0.25
        settings.effects = [.hologram, .brightness(1.5)]
        settings.mirror = true
        settings.mask.threshold = 0.7
        settings.mask.softness = 0.1
        settings.mask.dilate = -5
        settings.mask.feather = 12
        settings.mask.smoothing = 1
        settings.mask.guided = true
        settings.mask.lightWrap = 0.3
        settings.framing = .auto(maxZoom: 2.5)
        #expect(
            try Self.statusJSON(settings)
                == #"{"background":"/home/me/My Pictures/beach.jpg","dilate":-5,"edge_refinement":true,"#
                + #""effects":["hologram","brightness:1.5"],"feather":12,"fit":"tile","#
                + #""foreground":"/home/me/logo.png","foreground_opacity":0.25,"framing":"auto:2.5","#
                + #""light_wrap":0.3,"mirror":true,"smoothing":1,"softness":0.1,"threshold":0.7}"#
        )
    }

    /// A value of `setting` in the status JSON as `matte ctl set` takes it back: a flag's `on`/`off`, a list's
    /// words or `none`, no foreground `none`.
    static func typed(_ json: Any?, of setting: any DeclaredSetting) -> String {
        if case .flag = setting.form { return json as? Bool == true ? "on" : "off" }
        switch json {
        case nil: return "none"
        case let list as [String]: return list.isEmpty ? "none" : list.joined(separator: " ")
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        default: return "\(json!)"
        }
    }

    static func status(_ settings: ProcessingSettings) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(try statusJSON(settings).utf8)) as? [String: Any])
    }

    @Test func everySettingRoundTripsThroughTheStatus() throws {
        #expect(Set(settingSamples.keys) == Set(SettingDeclarations.all.map(\.name)), "a sample for every setting")
        for setting in SettingDeclarations.all {
            for text in settingSamples[setting.name] ?? [] {
                var parsed = ProcessingSettings()
                try setting.parse(text, into: &parsed)
                #expect(parsed != ProcessingSettings(), "\(setting.name) \(text) changes the settings")
                var copied = ProcessingSettings()
                setting.copy(from: parsed, to: &copied)
                #expect(copied == parsed, "\(setting.name) \(text): its field alone changed, and copies")
                let shown = try Self.status(parsed)[setting.statusKey]
                var reparsed = ProcessingSettings()
                try setting.parse(Self.typed(shown, of: setting), into: &reparsed)
                #expect(reparsed == parsed, "\(setting.name) \(text) shows as \(Self.typed(shown, of: setting))")
            }
            // Back to the value settings start with, from what status shows of it.
            var reset = ProcessingSettings()
            let start = try Self.status(ProcessingSettings())[setting.statusKey]
            try setting.parse(Self.typed(start, of: setting), into: &reset)
            #expect(reset == ProcessingSettings(), "\(setting.name) round-trips its starting value")
        }
    }

    @Test func namesAndStatusKeysAreUniqueAndAreTheStatusObject() throws {
        let names = SettingDeclarations.all.map(\.name)
        let keys = SettingDeclarations.all.map(\.statusKey)
        #expect(Set(names).count == names.count)
        #expect(Set(keys).count == keys.count)
        #expect(names.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "-" } }, "names are typed as options")
        // Every key is present but the foreground's, which is absent while there is none.
        var settings = ProcessingSettings()
        settings.foreground = "/logo.png"
        #expect(Set(try Self.status(settings).keys) == Set(keys))
        #expect(SettingDeclarations.edgeRefinement.statusKey == "edge_refinement")
        #expect(SettingDeclarations.effect.list.statusKey == "effects")
    }

    @Test func valuesAreCheckedWithTheCommandLinesMessages() {
        func refusal(_ name: String, _ text: String) -> SettingError? {
            var settings = ProcessingSettings()
            do {
                try SettingDeclarations.named(name)?.parse(text, into: &settings)
            } catch {
                #expect(settings == ProcessingSettings(), "a refused \(name) changes nothing")
                return error
            }
            return nil
        }
        #expect(refusal("threshold", "2") == .outOfRange("--threshold must be between 0 and 1"))
        #expect(refusal("threshold", "nan") == .outOfRange("--threshold must be between 0 and 1"))
        #expect(refusal("foreground-opacity", "-0.1") == .outOfRange("--foreground-opacity must be between 0 and 1"))
        #expect(refusal("dilate", "-51") == .outOfRange("--dilate must be between -50 and 50"))
        #expect(refusal("feather", "-1") == .outOfRange("--feather must be between 0 and 50"))
        #expect(refusal("light-wrap", "1.01") == .outOfRange("--light-wrap must be between 0 and 1"))
        #expect(refusal("smoothing", "2") == .outOfRange("--smoothing must be between 0 and 1"))
        #expect(refusal("softness", "2") == .outOfRange("--softness must be between 0 and 1"))
        #expect(refusal("dilate", "1.5") == .unreadable(hint: nil))
        #expect(refusal("fit", "cover!") == .unreadable(hint: nil))
        #expect(
            refusal("background", "blur:0")
                == .unreadable(hint: "use blur, blur:1-100, #RRGGBB (six hex digits), none, or an image or video file")
        )
        #expect(refusal("framing", "auto:9") == .unreadable(hint: "use off, auto or auto:1.1-3.0 (the largest zoom)"))
        #expect(refusal("effect", "hologram sparkles")?.description.hasPrefix("use hologram, grayscale") == true)
        #expect(refusal("mirror", "yes") == .unreadable(hint: "on or off"))
        #expect(refusal("threshold", "0.5") == nil)
        #expect(refusal("dilate", "-5") == nil)
    }

    @Test func theFilesSettingsReadAreNamed() throws {
        var settings = ProcessingSettings()
        #expect(SettingDeclarations.files(in: settings) == [])
        try SettingDeclarations.background.parse("/bg.mp4", into: &settings)
        try SettingDeclarations.foreground.parse("/logo.png", into: &settings)
        #expect(SettingDeclarations.files(in: settings) == ["/bg.mp4", "/logo.png"])
        try SettingDeclarations.background.parse("#102030", into: &settings)
        try SettingDeclarations.foreground.parse("none", into: &settings)
        #expect(SettingDeclarations.files(in: settings) == [])
    }
}
