import MatteImaging

/// A background picture or looping video from a file, delivered as YUYV at the output size.
public final class BackgroundSource {
    public let path: String
    /// The current background frame (YUYV, output size).
    public let frame: PixelBuffer
    private let fitter: BackgroundFitter
    /// For a video: the decoder, its decoded frame and its pace. A still needs none of them once fitted.
    private var decoder: MediaDecoder?
    private let decoded: PixelBuffer?
    private let pacer: FramePacer?
    private var clipFrame = -1

    /// Opens `path`; a file with one frame is a still image, anything longer a video looped at its own speed.
    public init(path: String, width: Int, height: Int, fit: Fit, outputRate: Double) throws(MediaError) {
        self.path = path
        fitter = BackgroundFitter(width: width, height: height, fit: fit)
        frame = try PixelBuffer.allocate(width: width, height: height, format: .yuyv, for: path)
        let decoder = try MediaDecoder(path: path, format: .rgb24)
        let first = try decoder.makeFrame()
        guard try decoder.decodeNext(into: first) else { throw MediaError(path, "contains no decodable frame") }
        try fitter.fill(frame, from: first, path: path)
        clipFrame = 0
        // A second frame makes it a video.
        if try decoder.decodeNext(into: first) {
            pacer = FramePacer(clipRate: decoder.frameRate ?? outputRate, outputRate: outputRate)
            self.decoder = try MediaDecoder(path: path, format: .rgb24)
            _ = try self.decoder!.decodeNext(into: first)
            decoded = first
        } else {
            pacer = nil
            decoded = nil
        }
    }

    /// Brings `frame` to what shows at output frame `outputFrame` (frames are asked for in increasing order).
    public func advance(toOutputFrame outputFrame: Int) throws(MediaError) {
        guard let pacer, let decoded else { return }
        let wanted = pacer.clipFrame(forOutputFrame: outputFrame)
        guard wanted > clipFrame else { return }
        while clipFrame < wanted {
            if try !decoder!.decodeNext(into: decoded) {
                // End of the clip: start it again.
                decoder = try MediaDecoder(path: path, format: .rgb24)
                guard try decoder!.decodeNext(into: decoded) else {
                    throw MediaError(path, "contains no decodable frame")
                }
            }
            clipFrame += 1
        }
        try fitter.fill(frame, from: decoded, path: path)
    }
}
