extension TFLiteModel {
    /// Model files larger than this are refused before reading (the selfie models are ~250 KB).
    public static let maxFileSize = 256 << 20

    /// Reads and parses a .tflite file.
    public init(contentsOf path: String) throws(TFLiteError) {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path, limit: Self.maxFileSize)
        } catch {
            throw .unreadable(error.path, error.reason)
        }
        try self.init(bytes: bytes)
    }
}
