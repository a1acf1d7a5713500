import Foundation
import MatteDoctor
import MatteSegmentation
import MatteTestSupport
import Testing

@Suite struct DoctorTests {
    /// `sha256sum`'s answer for a file, the independent reference.
    static func sha256sum(_ path: String) throws -> String {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", path]
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: output, as: UTF8.self).prefix(64))
    }

    @Test(arguments: ["astronaut.png", "README.md"])
    func sha256MatchesSha256sum(name: String) throws {
        let path = Fixtures.path(name)
        #expect(SHA256.hexDigest(ofFile: path) == (try Self.sha256sum(path)))
    }

    @Test func sha256OfShortInputsAcrossTheBlockBoundary() throws {
        let directory = NSTemporaryDirectory() + "matte-sha-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Lengths around the 56- and 64-byte padding edges, where implementations go wrong.
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000] {
            let path = "\(directory)/\(length)"
            _ = FileManager.default.createFile(atPath: path, contents: Data((0..<length).map { UInt8($0 % 251) }))
            #expect(SHA256.hexDigest(ofFile: path) == (try Self.sha256sum(path)), "length \(length)")
        }
    }

    @Test func modelDigestsAreTheOnesSetupModelsChecks() throws {
        let script = try String(
            contentsOf: Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("scripts/setup-models.sh"),
            encoding: .utf8
        )
        for digest in ModelLocator.publishedSHA256.values { #expect(script.contains("_SHA256=\(digest)")) }
        #expect(ModelLocator.publishedSHA256.count == 3)
    }

    /// dbus-send's reply to the portal's Properties.GetAll (xdg-desktop-portal 1.16 on this machine), and replies
    /// that lack a property or are an error.
    @Test func portalPropertiesAreReadFromDBusSendsReply() {
        let reply = """
            method return time=1796634886.642492 sender=:1.3 -> destination=:1.2 serial=130 reply_serial=2
               array [
                  dict entry(
                     string "IsCameraPresent"
                     variant             boolean false
                  )
                  dict entry(
                     string "version"
                     variant             uint32 1
                  )
               ]
            """
        #expect(Doctor.propertyValue("version", inReply: reply) == "1")
        #expect(Doctor.propertyValue("IsCameraPresent", inReply: reply) == "false")
        #expect(Doctor.propertyValue("Version", inReply: reply) == nil)
        #expect(Doctor.propertyValue("version", inReply: "") == nil)
        #expect(Doctor.propertyValue("version", inReply: "      string \"version\"") == nil)
        #expect(Doctor.propertyValue("version", inReply: "string \"version\"\nstring \"other\"") == nil)
    }

    @Test func aProcessHoldingAFileIsNamed() throws {
        let path = NSTemporaryDirectory() + "matte-holder-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec sleep 30 < \"$0\"", path]
        try process.run()
        defer { process.terminate() }
        var holders: [ProcessScan.Holder] = []
        for _ in 0..<50 where holders.isEmpty {
            holders = ProcessScan.holders(of: path)
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(holders.map(\.pid) == [process.processIdentifier])
        #expect(holders.first?.name == "sleep")
        #expect(ProcessScan.holders(of: path + ".none").isEmpty)
    }
}
