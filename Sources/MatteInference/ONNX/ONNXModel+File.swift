extension ONNXModel {
    /// Model files larger than this are refused before reading (Robust Video Matting's is 15 MB).
    public static let maxFileSize = 256 << 20

    /// Reads and parses an .onnx file.
    public init(contentsOf path: String) throws(ONNXError) {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path, limit: Self.maxFileSize)
        } catch {
            throw .unreadable(error.path, error.reason)
        }
        try self.init(bytes: bytes)
    }
}
