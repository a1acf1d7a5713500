import MatteControl
import MatteFileNames
import MatteTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The request parser and line buffer, on every verb and on generated hostile bytes.
@Suite struct ControlProtocolTests {
    static let requests: [ControlRequest] = [
        .background("blur:30"), .background("/home/me/My Pictures/beach.jpg"), .effect([]),
        .effect(["hologram", "opacity:0.5"]), .set(option: "threshold", value: "0.6"),
        .set(option: "background", value: "/a b/c"), .next, .previous, .pause(picture: nil),
        .pause(picture: "/tmp/away.png"), .resume, .togglePause, .status, .snapshot, .mask, .ping, .quit,
    ]

    static func parse(_ text: String) -> Result<ControlRequest, ControlError> {
        ControlProtocol.parse(Array(text.utf8))
    }

    @Test func everyRequestSurvivesRenderAndParse() throws {
        for request in Self.requests {
            #expect(try Self.parse(ControlProtocol.render(request)).get() == request)
            #expect(try Self.parse(ControlProtocol.render(request) + "\r").get() == request, "CRLF clients")
        }
    }

    /// Found by the fuzzer: a trailing space made `none` an effect name that rendered back as no effects.
    @Test func spacingDoesNotChangeARequest() throws {
        #expect(try Self.parse("effect none ").get() == .effect([]))
        #expect(try Self.parse("effect  hologram   sepia").get() == .effect(["hologram", "sepia"]))
        #expect(try Self.parse("effect  ").get() == .effect([]))
    }

    @Test func wrongLinesAreRefusedWithTheirKind() {
        let cases: [(String, ControlError.Code)] = [
            ("", .usage), ("dance", .usage), ("status now", .usage), ("set threshold", .usage),
            ("set  threshold 1", .usage), ("background", .usage), ("background ", .usage), ("effect", .usage),
            ("pause ", .usage), ("next\u{0}", .usage), ("ping\tpong", .usage), ("NEXT", .usage),
        ]
        for (line, code) in cases {
            guard case let .failure(error) = Self.parse(line) else {
                Issue.record("\(line.debugDescription) was accepted")
                continue
            }
            #expect(error.code == code, "\(line.debugDescription)")
        }
        #expect(throws: ControlError.self) { try ControlProtocol.parse([0x62, 0xFF, 0xFE]).get() }
        #expect(ControlProtocol.parseHello(Array("matte-ctl 1".utf8)) == nil)
        #expect(ControlProtocol.parseHello(Array("matte-ctl 2".utf8))?.code == .version)
    }

    /// The client believes a picture header only when its count follows from its size, and hostile sizes
    /// cannot overflow that count.
    @Test func pictureHeadersAreReadOnlyWhenConsistent() {
        let snapshot = PictureHeader(kind: .snapshot, width: 64, height: 36)
        #expect(snapshot.line == "ok snapshot 64 36 yuyv 4608\n")
        #expect(PictureHeader(replyText: "snapshot 64 36 yuyv 4608") == snapshot)
        #expect(
            PictureHeader(replyText: "mask 256 144 gray8 36864") == PictureHeader(kind: .mask, width: 256, height: 144)
        )
        for text in [
            "snapshot 64 36 yuyv 4607", "snapshot 64 36 gray8 2304", "mask 256 144 yuyv 36864", "status {}",
            "snapshot 0 36 yuyv 0", "snapshot -2 -3 yuyv 12", "snapshot 9223372036854775807 2 yuyv 0",
            "snapshot 64 36 yuyv 4608 extra", "snapshot  64 36 yuyv 4608", "picture 64 36 yuyv 4608",
        ] {
            #expect(PictureHeader(replyText: text) == nil, "\(text)")
        }
    }

    @Test func repliesStayOnOneLineWhateverTheyEcho() {
        let hostile = "evil\nok forged\r\u{1B}[2J\u{7F}"
        let line = ControlProtocol.errorLine(ControlError(.value, "background \(hostile)"))
        #expect(line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("\n"))
        #expect(line == "err value: background evil\\x0aok forged\\x0d\\x1b[2J\\x7f\n")
        #expect(ControlProtocol.okLine("") == "ok\n")
    }

    @Test func theLineBufferCutsLinesAndBoundsWhatItHolds() {
        var buffer = LineBuffer(limit: 16)
        buffer.append(Array("ping\nsta".utf8))
        #expect(buffer.next() == .line(Array("ping".utf8)))
        #expect(buffer.next() == nil)
        buffer.append(Array("tus\n".utf8))
        #expect(buffer.next() == .line(Array("status".utf8)))
        buffer.append([UInt8](repeating: 0x61, count: 15))
        #expect(buffer.next() == nil, "15 bytes and no newline yet: under the limit")
        buffer.append([0x61])
        #expect(buffer.next() == .tooLong)
    }

    /// Random chunks of random lines (newlines, NULs, CRs, invalid UTF-8, long runs): the buffer never holds
    /// more than twice its limit, and every line it gives parses to a request or a refusal without trapping.
    @Test func generatedStreamsStayBounded() throws {
        var generator = SeededGenerator(seed: 10)
        let alphabet =
            Array("background blur:5 set threshold 0.5 effect none pause #ff0000 \n\n\r\0".utf8) + [0xFF, 0xC3]
        for _ in 0..<500 {
            var buffer = LineBuffer(limit: 64)
            for _ in 0..<40 {
                let count = Int.random(in: 0...200, using: &generator)
                let chunk = (0..<count).map { _ in alphabet.randomElement(using: &generator)! }
                buffer.append(chunk)
                #expect(buffer.pending <= 128)
                while let item = buffer.next() {
                    guard case let .line(line) = item else { break }
                    #expect(line.count < 64 && !line.contains(UInt8(ascii: "\n")))
                    if case let .success(request) = ControlProtocol.parse(line) {
                        #expect(try ControlProtocol.parse(Array(ControlProtocol.render(request).utf8)).get() == request)
                    }
                }
            }
        }
    }

    @Test func theBackgroundsFolderCyclesInByteOrder() throws {
        let directory = try TemporaryDirectory()
        for name in ["b.png", "a.jpg", "C.mp4", ".hidden.png", "notes.txt", "d.PNG"] {
            try directory.write(name, Array("x".utf8))
        }
        try directory.makeDirectory("folder.png")
        let folder = BackgroundFolder(path: directory.path)
        #expect(folder.files() == ["C.mp4", "a.jpg", "b.png", "d.PNG"].map { directory.path + "/" + $0 })
        #expect(folder.neighbour(of: nil, forward: true) == directory.path + "/C.mp4")
        #expect(folder.neighbour(of: directory.path + "/d.PNG", forward: true) == directory.path + "/C.mp4")
        #expect(folder.neighbour(of: directory.path + "/C.mp4", forward: false) == directory.path + "/d.PNG")
        #expect(BackgroundFolder(path: directory.path + "/none").neighbour(of: nil, forward: true) == nil)
        let dirs = "# written by xdg-user-dirs-update\nXDG_PICTURES_DIR=\"$HOME/Bilder\"\n"
        #expect(BackgroundFolder.defaultPath(environment: ["HOME": "/h"], userDirs: dirs) == "/h/Bilder/Backgrounds")
        #expect(BackgroundFolder.defaultPath(environment: ["HOME": "/h"], userDirs: nil) == "/h/Pictures/Backgrounds")
        #expect(
            BackgroundFolder.defaultPath(environment: ["HOME": "/h", "XDG_PICTURES_DIR": "/p"], userDirs: dirs)
                == "/p/Backgrounds"
        )
    }

    /// Issue 16: names that are not UTF-8 are listed under their own bytes (in byte order), so the path handed
    /// to the decoder opens the file, and the cycle goes on from it.
    @Test func aFolderOfNamesThatAreNotUTF8() throws {
        let directory = try TemporaryDirectory()
        let names: [[UInt8]] = [
            Array("a".utf8) + [0xFF] + Array(".png".utf8), Array("a".utf8) + [0xC3, 0xA9] + Array(".jpg".utf8),
            [0xC0, 0xAF] + Array(".png".utf8), [0xF4, 0x8F, 0xBF, 0xBF] + Array(".png".utf8),
        ]
        for name in names {
            let fd = FileName.withCString(directory.path + "/" + FileName.string(name)) {
                open($0, O_CREAT | O_WRONLY, 0o644)
            }
            #expect(fd >= 0)
            close(fd)
        }
        let folder = BackgroundFolder(path: directory.path)
        let files = folder.files()
        let prefix = FileName.bytes(directory.path + "/")
        #expect(
            files.map { Array(FileName.bytes($0).dropFirst(prefix.count)) }
                == names.sorted { $0.lexicographicallyPrecedes($1) }
        )
        var info = stat()
        for file in files {
            #expect(FileName.withCString(file) { stat($0, &info) } == 0, "\(FileName.printable(file))")
        }
        #expect(folder.neighbour(of: files[0], forward: true) == files[1])
        #expect(folder.neighbour(of: files[3], forward: true) == files[0])
    }

    /// Issue 16: a folder of 5,005 pictures kept the first 1,000 names the directory listed, so `next` never
    /// reached bg0001.png or most of the others. Every file is in the cycle, in byte order.
    @Test func aFolderOfThousandsCyclesThroughEveryFile() throws {
        let directory = try TemporaryDirectory()
        let names = (1...5005).map { "bg" + String(repeating: "0", count: 4 - String($0).count) + String($0) + ".png" }
        // Created last to first, so that no file system's listing order happens to be the sorted one.
        for name in names.reversed() { try directory.write(name, []) }
        let folder = BackgroundFolder(path: directory.path)
        let paths = names.map { directory.path + "/" + $0 }
        let files = folder.files()
        #expect(files.count == 5005)
        // Compared whole only when the count is right, so that a failure prints one short line, not 5,000 names.
        if files.count == 5005 { #expect(files == paths, "in byte order") }
        #expect(folder.neighbour(of: nil, forward: true) == paths[0])
        #expect(folder.neighbour(of: nil, forward: false) == paths[5004])
        #expect(folder.neighbour(of: paths[999], forward: true) == paths[1000])
        #expect(folder.neighbour(of: paths[4005], forward: false) == paths[4004])
        #expect(folder.neighbour(of: paths[5004], forward: true) == paths[0], "wraps round")
        #expect(folder.neighbour(of: paths[0], forward: false) == paths[5004], "wraps round")
    }
}
