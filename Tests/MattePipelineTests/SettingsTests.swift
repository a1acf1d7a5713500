import Testing
import MattePipeline

@Suite struct SettingsTests {
    @Test func settingsFilesSplitLikeACommandLine() {
        let text = """
        # my call setup
          --background "/home/me/My Pictures/beach.jpg" --fit contain
        --effect sepia
            # an indented comment
        --background #1d3557
        """
        #expect(SettingsFile.arguments(text)
            == ["--background", "/home/me/My Pictures/beach.jpg", "--fit", "contain", "--effect", "sepia", "--background", "#1d3557"])
        #expect(SettingsFile.arguments("") == [])
        #expect(SettingsFile.words("  a  \"\"  b ") == ["a", "", "b"])
    }

    @Test func backgroundValuesParse() {
        #expect(BackgroundChoice(argument: "blur") == .blur(strength: BackgroundChoice.defaultBlurStrength))
        #expect(BackgroundChoice(argument: "blur:40") == .blur(strength: 40))
        #expect(BackgroundChoice(argument: "blur:0") == nil)
        #expect(BackgroundChoice(argument: "blur:x") == nil)
        #expect(BackgroundChoice(argument: "#1D3557") == .color(r: 0x1d, g: 0x35, b: 0x57))
        #expect(BackgroundChoice(argument: "#12345") == nil)
        #expect(BackgroundChoice(argument: "#zzzzzz") == nil)
        #expect(BackgroundChoice(argument: "none") == BackgroundChoice.none)
        #expect(BackgroundChoice(argument: "beach.jpg") == .file("beach.jpg"))
        #expect(BackgroundChoice.color(r: 1, g: 2, b: 255).description == "#0102ff")
    }
}
