import CTurboJPEG
import MatteImaging

/// JPEG photos, decoded by libjpeg-turbo with its defaults (accurate DCT, smooth chroma upsampling): the
/// decode PIL, OpenCV and MediaPipe see, so masks match theirs. FFmpeg's MJPEG decoder upsamples chroma
/// differently, which moved mask edges measurably.
enum JPEGStill {
    /// Files above this are not read into memory as one JPEG (a 8192×8192 photo is far smaller).
    static let maximumFileBytes = 256 << 20

    static func isJPEG(_ header: [UInt8]) -> Bool {
        header.count >= 3 && header[0] == 0xFF && header[1] == 0xD8 && header[2] == 0xFF
    }

    struct Decoded {
        /// RGB24 as stored (before orientation).
        let picture: PixelBuffer
        let orientation: Orientation
        /// libjpeg-turbo's warning when the data is damaged or cut short (the picture is still usable).
        let damage: String?
    }

    /// Nil when libjpeg-turbo cannot decode it to RGB (CMYK and other rare kinds): FFmpeg gets a try.
    static func decode(_ data: [UInt8], path: String) throws(MediaError) -> Decoded? {
        guard let handle = tjInitDecompress() else { throw MediaError(path, MediaError.notEnoughMemory) }
        defer { tjDestroy(handle) }
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, data, UInt(data.count), &width, &height, &subsampling, &colorspace) == 0
        else {
            return nil
        }
        if let problem = FrameLimits.pictureProblem(width: Int(width), height: Int(height)) {
            throw MediaError(path, problem)
        }
        let picture = try PixelBuffer.allocate(width: Int(width), height: Int(height), format: .rgb24, for: path)
        var damage: String? = nil
        if tjDecompress2(
            handle,
            data,
            UInt(data.count),
            picture.base,
            width,
            Int32(picture.rowBytes),
            height,
            Int32(TJPF_RGB.rawValue),
            0
        ) != 0 {
            guard tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) else { return nil }
            damage =
                "is damaged or cut short (\(String(cString: tjGetErrorStr2(handle)))); what could be decoded was used"
        }
        return Decoded(picture: picture, orientation: ExifOrientation.find(inJPEG: data), damage: damage)
    }
}

/// The EXIF orientation tag of a JPEG, read with every offset checked: the bytes are untrusted.
enum ExifOrientation {
    static func find(inJPEG bytes: [UInt8]) -> Orientation {
        var at = 2
        while at + 4 <= bytes.count, bytes[at] == 0xFF {
            let marker = bytes[at + 1]
            if marker == 0xFF {
                at += 1
                continue
            }  // fill byte
            if marker == 0xD9 || marker == 0xDA { break }  // end of image, start of scan: no metadata after this
            if (0xD0...0xD8).contains(marker) || marker == 0x01 {
                at += 2
                continue
            }  // markers without a length
            let length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            guard length >= 2, at + 2 + length <= bytes.count else { break }
            if marker == 0xE1, let orientation = fromExif(bytes[(at + 4)..<(at + 2 + length)]) { return orientation }
            at += 2 + length
        }
        return .upright
    }

    /// The orientation in an APP1 payload (`Exif\0\0` then a TIFF structure), if it has one.
    static func fromExif(_ payload: ArraySlice<UInt8>) -> Orientation? {
        let exif = Array(payload)
        guard exif.count >= 14, exif[0..<6].elementsEqual([0x45, 0x78, 0x69, 0x66, 0, 0]) else { return nil }
        let tiff = Array(exif[6...])
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 2 <= tiff.count else { return nil }
            return little
                ? Int(tiff[offset]) | Int(tiff[offset + 1]) << 8 : Int(tiff[offset]) << 8 | Int(tiff[offset + 1])
        }
        func u32(_ offset: Int) -> Int? {
            guard let low = u16(little ? offset : offset + 2), let high = u16(little ? offset + 2 : offset) else {
                return nil
            }
            return high << 16 | low
        }
        guard u16(2) == 42, let directory = u32(4), let entries = u16(directory) else { return nil }
        for entry in 0..<entries {
            let start = directory + 2 + entry * 12
            guard let tag = u16(start), let type = u16(start + 2) else { return nil }
            if tag == 0x0112 {
                guard type == 3, let value = u16(start + 8) else { return nil }
                return Orientation(rawValue: value)
            }
        }
        return nil
    }
}
