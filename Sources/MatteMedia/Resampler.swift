import CFFmpeg
import MatteImaging

/// Scales part of a picture onto part of another (bilinear), converting formats on the way.
/// Per-frame use allocates nothing while sizes and formats stay the same.
public final class Resampler {
    private let converter = PixelConverter()

    public init() {}

    /// False when swscale cannot make this conversion (a degenerate size); the destination is then untouched.
    @discardableResult
    public func scale(
        _ source: PixelBuffer,
        crop: PixelRect,
        into destination: PixelBuffer,
        at target: PixelRect
    ) -> Bool {
        precondition(
            crop.x >= 0 && crop.y >= 0 && crop.x + crop.width <= source.width && crop.y + crop.height <= source.height
                && target.x >= 0 && target.y >= 0 && target.x + target.width <= destination.width
                && target.y + target.height <= destination.height,
            "rectangles must lie inside their pictures"
        )
        precondition(source.format != .yuyv || crop.x % 2 == 0, "YUYV crops start on an even column")
        precondition(
            destination.format != .yuyv || (target.x % 2 == 0 && target.width % 2 == 0),
            "YUYV targets are even"
        )
        return converter.convert(source, crop: crop, into: destination, at: target)
    }
}
