#if canImport(Glibc)
import Glibc
#endif

/// File names are bytes; Swift strings are Unicode. A name that is not valid UTF-8 (`bad\xff.png`, written by
/// an old Latin-1 tool) must still reach the system byte for byte, so Matte keeps every path in a String that
/// maps each byte which is not part of valid UTF-8 to one private-use character of plane 16, U+10FF00 + byte
/// (U+10FF80…U+10FFFF; real names do not use them), and maps those characters back to their bytes wherever a
/// path meets the system. Bytes in, same bytes out: the decoding is lossless for every byte string.
///
/// The three doors: `FileName.string(bytes)` for bytes the system gives (argv, readdir, the environment,
/// files of options), `FileName.withCString(path)` for every call that hands a path to the system (open,
/// stat, rename, FFmpeg…), and `FileName.printable(text)` for the one place messages are printed.
public enum FileName {
    /// U+10FF00 + byte stands for a byte that is not part of valid UTF-8 (only bytes 0x80…0xFF can be).
    static let escapeBase: UInt32 = 0x10FF00
    static let escapes: ClosedRange<UInt32> = 0x10FF80...0x10FFFF

    /// The path for the bytes of a name as the system gives them. Valid UTF-8 decodes as usual; every other
    /// byte becomes U+10FF00 + byte. A name that really contains one of those characters (valid UTF-8 for
    /// U+10FF80…U+10FFFF) is taken byte by byte too, so that it comes back exactly as well.
    public static func string<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        // Fast path: plain ASCII, nearly every name.
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        let all = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var parser = Unicode.UTF8.ForwardParser()
        var input = all.makeIterator()
        var position = 0
        func escape(_ count: Int) {
            for byte in all[position..<(position + count)] {
                scalars.append(Unicode.Scalar(escapeBase + UInt32(byte))!)
            }
        }
        while true {
            switch parser.parseScalar(from: &input) {
            case let .valid(encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                if escapes.contains(scalar.value) { escape(encoded.count) } else { scalars.append(scalar) }
                position += encoded.count
            case let .error(length):
                escape(length)
                position += length
            case .emptyInput:
                return String(scalars)
            }
        }
    }

    /// The path for a C string the system gave (argv, realpath, mkdtemp, getenv).
    public static func string(cString: UnsafePointer<CChar>) -> String {
        string(UnsafeRawBufferPointer(start: cString, count: strlen(cString)))
    }

    /// The exact bytes of a path, without a terminating NUL: the inverse of `string(_:)`.
    public static func bytes(_ path: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(path.utf8.count)
        for scalar in path.unicodeScalars {
            if escapes.contains(scalar.value) {
                bytes.append(UInt8(scalar.value - escapeBase))
            } else {
                bytes.append(contentsOf: UTF8.encode(scalar)!)
            }
        }
        return bytes
    }

    /// Calls `body` with the path as the system must see it, as a NUL-terminated C string. Every call that
    /// hands a path to the system goes through here. A path with a NUL inside names no file (the system would
    /// cut it short and reach another one): it is given as the empty path, which every call refuses (ENOENT).
    public static func withCString<Result>(
        _ path: String,
        _ body: (UnsafePointer<CChar>) throws -> Result
    ) rethrows -> Result {
        var bytes = path.utf8.allSatisfy({ $0 < 0x80 }) ? Array(path.utf8) : bytes(path)
        if bytes.contains(0) { bytes = [] }
        bytes.append(0)
        return try bytes.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// `text` fit for a terminal or a log, one line: a byte that is not UTF-8 as `\xff`, control characters
    /// (NUL, newline, escape…) and DEL as `\x00`…`\x1f`, `\x7f`, so a hostile name cannot forge or hide lines.
    /// With a `limit`, only the first `limit` characters, then `…`: a quote of untrusted text stays short.
    public static func printable(_ text: Substring, limit: Int = .max) -> String {
        let shown = text.count > limit ? text.prefix(limit) : text
        let more = shown.endIndex < text.endIndex ? "…" : ""
        guard shown.unicodeScalars.contains(where: needsEscaping) else { return String(shown) + more }
        var result = ""
        for scalar in shown.unicodeScalars {
            guard needsEscaping(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            let byte = escapes.contains(scalar.value) ? scalar.value - escapeBase : scalar.value
            result += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
        }
        return result + more
    }

    public static func printable(_ text: String, limit: Int = .max) -> String { printable(text[...], limit: limit) }

    private static func needsEscaping(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || escapes.contains(scalar.value)
    }
}

extension FileName {
    /// The program's arguments after its name, exactly as given: `CommandLine.arguments` replaces bytes that
    /// are not UTF-8 with U+FFFD, which would send `bad\xff.png` to another file.
    public static func commandLineArguments() -> [String] {
        (1..<Int(CommandLine.argc)).map { index in CommandLine.unsafeArgv[index].map { string(cString: $0) } ?? "" }
    }

    /// A copy of the path's C string that the caller frees: an argument for a program to run (`execv`), or a
    /// name a signal handler must be able to reach.
    public static func duplicateCString(_ path: String) -> UnsafeMutablePointer<CChar>? {
        withCString(path) { strdup($0) }
    }

    /// The name of a directory entry `readdir` returned, decoded as every name is.
    public static func directoryEntryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: entry.pointee.d_name) { string($0.prefix { $0 != 0 }) }
    }
}
