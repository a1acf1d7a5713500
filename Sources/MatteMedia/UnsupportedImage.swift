/// Image kinds FFmpeg opens but cannot decode, recognised from their first bytes so the user hears what the
/// file is rather than "damaged": FFmpeg 5's WebP decoder has no animation, and its TIFF decoder neither
/// CIE/ICC/ITU Lab nor floating-point samples.
enum UnsupportedImage {
    /// Enough of the file for a TIFF's first directory in the usual layout (it follows the header).
    static let prefixBytes = 64 * 1024

    /// Why the file cannot be read, when its header says it is one of those kinds.
    static func kind(of header: [UInt8]) -> String? {
        if isAnimatedWebP(header) {
            return "is an animated WebP, which is not supported (FFmpeg cannot decode it); "
                + "use a GIF, an animated PNG or a video instead"
        }
        if let tiff = tiffColour(header) {
            return "is a TIFF in \(tiff) colour, which is not supported; save it as 8- or 16-bit RGB"
        }
        return nil
    }

    /// RIFF/WEBP with an extended header (VP8X) whose flags say "animation".
    static func isAnimatedWebP(_ header: [UInt8]) -> Bool {
        header.count >= 21 && header[0..<4].elementsEqual("RIFF".utf8) && header[8..<12].elementsEqual("WEBP".utf8)
            && header[12..<16].elementsEqual("VP8X".utf8) && header[20] & 0x02 != 0
    }

    /// "Lab" or "floating-point" when the first directory of a TIFF says so (every offset checked: the
    /// bytes are untrusted), nil otherwise.
    static func tiffColour(_ header: [UInt8]) -> String? {
        guard header.count >= 8 else { return nil }
        let little: Bool
        switch (header[0], header[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func read(_ offset: Int, _ size: Int) -> Int? {
            guard offset >= 0, offset + size <= header.count else { return nil }
            let bytes = header[offset..<(offset + size)]
            return (little ? bytes.reversed() : Array(bytes)).reduce(0) { $0 << 8 | Int($1) }
        }
        guard read(2, 2) == 42, let directory = read(4, 4), let count = read(directory, 2) else { return nil }
        for index in 0..<count {
            let entry = directory + 2 + index * 12
            guard let tag = read(entry, 2), let type = read(entry + 2, 2) else { return nil }
            // Both tags are SHORTs, one per sample: up to two fit in the entry, more sit at the offset it holds.
            guard type == 3, let values = read(entry + 4, 4) else { continue }
            guard let at = values <= 2 ? entry + 8 : read(entry + 8, 4), let value = read(at, 2) else { continue }
            // PhotometricInterpretation 8, 9, 10: CIE L*a*b*, ICC L*a*b*, ITU L*a*b*.
            if tag == 262, (8...10).contains(value) { return "Lab" }
            // SampleFormat 3: IEEE floating point.
            if tag == 339, value == 3 { return "floating-point" }
        }
        return nil
    }
}
