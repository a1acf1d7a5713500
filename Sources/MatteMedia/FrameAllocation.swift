import MatteImaging
import MatteMemory

extension PixelBuffer {
    /// A frame for the file at `path`; when memory runs out, a `MediaError` that names the file and the frame.
    public static func allocate(
        width: Int,
        height: Int,
        format: PixelFormat,
        for path: String
    ) throws(MediaError)
        -> PixelBuffer
    {
        do {
            return try allocate(width: width, height: height, format: format)
        } catch {
            throw MediaError(path, error.description)
        }
    }
}
