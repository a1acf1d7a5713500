import MattePipeline
import MatteTestSupport
import Testing

@testable import matte

@Suite struct ProcessingOptionsTests {
    /// The words that give `text` (as `matte ctl set` types it) to `setting` on the command line.
    static func arguments(_ setting: any DeclaredSetting, _ text: String) -> [String] {
        switch setting.form {
        case .value: return ["--\(setting.name)", text]
        case .list: return SettingForm.values(ofList: text).flatMap { ["--\(setting.name)", $0] }
        case let .flag(negatable):
            return text == "on" ? ["--\(setting.name)"] : negatable ? ["--no-\(setting.name)"] : []
        }
    }

    /// Each setting's option reads a value as its declaration does and sets the field the declaration names:
    /// an option without its property, or a property that does not reach the settings, fails here.
    @Test func everyOptionSetsWhatItsDeclarationReads() throws {
        #expect(try ProcessingOptions.parse([]).settings == ProcessingSettings(), "the defaults are the settings'")
        for setting in SettingDeclarations.all {
            var texts = settingSamples[setting.name] ?? []
            if case .flag = setting.form { texts.append("off") }
            for text in texts {
                var declared = ProcessingSettings()
                try setting.parse(text, into: &declared)
                let arguments = Self.arguments(setting, text)
                #expect(try ProcessingOptions.parse(arguments).settings == declared, "\(arguments)")
            }
        }
    }
}
