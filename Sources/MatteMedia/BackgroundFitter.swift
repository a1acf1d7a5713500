import MatteImaging

/// Lays a decoded picture onto an output-sized YUYV background with a `Fit`.
public final class BackgroundFitter {
    public let width: Int, height: Int, fit: Fit
    private let resampler = Resampler()
    private var tile: PixelBuffer?

    public init(width: Int, height: Int, fit: Fit) {
        self.width = width
        self.height = height
        self.fit = fit
    }

    /// Throws when the picture cannot be scaled to the frame (a shape so extreme that swscale refuses it).
    public func fill(_ destination: PixelBuffer, from picture: PixelBuffer, path: String) throws(MediaError) {
        let (crop, target) = fit.layout(
            sourceWidth: picture.width,
            sourceHeight: picture.height,
            targetWidth: width,
            targetHeight: height
        )
        var scaled = true
        switch fit {
        case .cover, .stretch:
            scaled = resampler.scale(picture, crop: crop, into: destination, at: target)
        case .contain:
            YUYVKernels.fill(destination, y: 16, u: 128, v: 128)
            scaled = resampler.scale(picture, crop: crop, into: destination, at: target)
        case .tile:
            if tile == nil || tile!.width != target.width || tile!.height != target.height {
                tile = try PixelBuffer.allocate(width: target.width, height: target.height, format: .yuyv, for: path)
            }
            scaled = resampler.scale(
                picture,
                crop: crop,
                into: tile!,
                at: PixelRect(x: 0, y: 0, width: target.width, height: target.height)
            )
            YUYVKernels.tile(tile!, over: destination)
        }
        guard scaled else {
            throw MediaError(
                path,
                "cannot be scaled to \(width)×\(height) (\(picture.width)×\(picture.height) is too extreme a shape)"
            )
        }
    }
}
