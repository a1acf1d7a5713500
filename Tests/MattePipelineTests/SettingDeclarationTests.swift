import Foundation
import MatteCompositing
import MatteImaging
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
}
