import Foundation
import MattePreview
import Testing

@Suite struct KeyBindingsTests {
    static let plain = CameraStatus.Settings(mirror: false, effects: [], background: "blur:16", framing: "off")

    func send(_ key: PreviewKey, _ settings: CameraStatus.Settings? = plain) -> String? {
        guard case .send(let line)? = KeyBindings.action(for: key, settings: settings) else { return nil }
        return line
    }

    @Test func backgroundsStepBothWays() {
        #expect(send(.character("n")) == "next")
        #expect(send(.right) == "next")
        #expect(send(.character("p")) == "previous")
        #expect(send(.left) == "previous")
    }

    @Test func mirrorTogglesFromTheCameraState() {
        #expect(send(.character("m")) == "set mirror on")
        var mirrored = Self.plain
        mirrored.mirror = true
        #expect(send(.character("m"), mirrored) == "set mirror off")
        // Before the first status: the camera's default is unmirrored.
        #expect(send(.character("m"), nil) == "set mirror on")
    }

    @Test func effectsCycleThroughNoneHologramGrayscaleSepia() {
        var settings = Self.plain
        var seen: [String] = []
        for _ in 0..<4 {
            let line = send(.character("e"), settings)!
            seen.append(line)
            let name = String(line.dropFirst("effect ".count))
            settings.effects = name == "none" ? [] : [name]
        }
        #expect(seen == ["effect hologram", "effect grayscale", "effect sepia", "effect none"])
    }

    @Test func effectsOutsideTheCycleGoBackToNone() {
        var settings = Self.plain
        settings.effects = ["hologram", "sepia"]
        #expect(send(.character("e"), settings) == "effect none")
        settings.effects = ["colormap:thermal"]
        #expect(send(.character("e"), settings) == "effect none")
        // The names the camera may report for the cycle's colour maps.
        settings.effects = ["colormap:gray"]
        #expect(send(.character("e"), settings) == "effect sepia")
        settings.effects = ["greyscale"]
        #expect(send(.character("e"), settings) == "effect sepia")
    }

    @Test func framingTogglesFromTheCameraState() {
        #expect(send(.character("f")) == "set framing auto")
        var framed = Self.plain
        framed.framing = "auto"
        #expect(send(.character("f"), framed) == "set framing off")
    }

    @Test func localKeys() {
        #expect(send(.space) == "toggle-pause")
        #expect(KeyBindings.action(for: .character("s"), settings: nil) == .snapshot)
        #expect(KeyBindings.action(for: .character("o"), settings: nil) == .toggleStatusOverlay)
        #expect(KeyBindings.action(for: .character("k"), settings: nil) == .toggleMaskOverlay)
        #expect(KeyBindings.action(for: .character("q"), settings: nil) == .quit)
        #expect(KeyBindings.action(for: .escape, settings: nil) == .quit)
        #expect(KeyBindings.action(for: .character("x"), settings: nil) == nil)
        #expect(KeyBindings.action(for: .character("N"), settings: nil) == nil)
    }
}

@Suite struct CameraStatusTests {
    @Test func readsTheStatusReply() throws {
        let text = """
            status {"protocol":1,"state":"live","settings":{"mirror":true,"effects":["sepia"],\
            "background":"#00c000","framing":"off","threshold":0.5},"rates":{"in":30,"out":29.5},\
            "ms":{"inference":2.7,"compositing":1.7},"cpu_percent":9}
            """
        let status = try #require(CameraStatus.parse(reply: text))
        #expect(status.state == "live")
        #expect(status.settings == .init(mirror: true, effects: ["sepia"], background: "#00c000", framing: "off"))
        #expect(status.lines[0] == "LIVE  in 30.0 fps  out 29.5 fps  cpu 9.0%")
        #expect(status.lines[1] == "inference 2.7 ms  compositing 1.7 ms")
        #expect(status.lines[2] == "background #00c000  effects sepia  mirror on  framing off")
    }

    @Test func refusesOtherReplies() {
        #expect(CameraStatus.parse(reply: "pong") == nil)
        #expect(CameraStatus.parse(reply: "status {not json") == nil)
    }
}

@Suite struct TextImageTests {
    /// "A" as drawn in the font, written out independently of its table.
    static let letterA = [
        ".###.",
        "#...#",
        "#...#",
        "#####",
        "#...#",
        "#...#",
        "#...#",
    ]

    @Test func aGlyphHasItsPixels() {
        for (y, row) in Self.letterA.enumerated() {
            for (x, mark) in row.enumerated() {
                #expect(BitmapFont.isSet("A", x: x, y: y) == (mark == "#"), "pixel (\(x), \(y))")
            }
        }
    }

    @Test func unknownCharactersDrawAsAQuestionMark() {
        for y in 0..<BitmapFont.glyphHeight {
            for x in 0..<BitmapFont.glyphWidth {
                #expect(BitmapFont.isSet("é", x: x, y: y) == BitmapFont.isSet("?", x: x, y: y))
            }
        }
        #expect(!BitmapFont.isSet("A", x: 5, y: 0))
        #expect((0..<7).allSatisfy { y in (0..<5).allSatisfy { !BitmapFont.isSet(" ", x: $0, y: y) } })
    }

    @Test func textIsInkOnAPanel() {
        let scale = 2
        let image = TextImage(lines: ["xA", "A"], scale: scale)
        let padding = TextImage.padding
        #expect(image.width == (2 * padding + 2 * BitmapFont.advance - 1) * scale)
        #expect(image.height == (2 * padding + 2 * TextImage.lineHeight - 2) * scale)
        let ink: [UInt8] = [255, 255, 255, 255]
        let panel: [UInt8] = [0, 0, 0, 170]
        // The second glyph of line 1 and the first of line 2, each font pixel a scale x scale square.
        for (left, top) in [(padding + BitmapFont.advance, padding), (padding, padding + TextImage.lineHeight)] {
            for (y, row) in Self.letterA.enumerated() {
                for (x, mark) in row.enumerated() {
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            let pixel = image.pixel(x: (left + x) * scale + dx, y: (top + y) * scale + dy)
                            #expect(pixel == (mark == "#" ? ink : panel), "glyph at \(left),\(top) pixel \(x),\(y)")
                        }
                    }
                }
            }
        }
        #expect(image.pixel(x: 0, y: 0) == panel)
        #expect(image.pixel(x: image.width - 1, y: image.height - 1) == panel)
    }
}

@Suite struct SnapshotFileTests {
    @Test func picturesDirectory() {
        #expect(SnapshotFile.directory(environment: ["XDG_PICTURES_DIR": "/p", "HOME": "/h"]) == "/p")
        #expect(SnapshotFile.directory(environment: ["XDG_PICTURES_DIR": "", "HOME": "/h"]) == "/h/Pictures")
        #expect(SnapshotFile.directory(environment: ["HOME": "/h"]) == "/h/Pictures")
    }

    @Test func namesDoNotOverwrite() throws {
        var components = DateComponents()
        (components.year, components.month, components.day) = (2025, 3, 4)
        (components.hour, components.minute, components.second) = (5, 6, 7)
        let date = try #require(Calendar.current.date(from: components))
        let taken: Set = ["/p/matte-2025-03-04-050607.png", "/p/matte-2025-03-04-050607-2.png"]
        #expect(SnapshotFile.path(in: "/p", at: date, exists: { _ in false }) == "/p/matte-2025-03-04-050607.png")
        #expect(SnapshotFile.path(in: "/p", at: date, exists: taken.contains) == "/p/matte-2025-03-04-050607-3.png")
    }
}
