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

extension PixelBuffer {
    /// Fills a YUYV picture with one colour.
    public func fillYUYV(y: UInt8, u: UInt8, v: UInt8) {
        precondition(format == .yuyv, "fillYUYV needs a YUYV picture")
        for index in stride(from: 0, to: bytes.count, by: 4) {
            bytes[index] = y
            bytes[index + 1] = u
            bytes[index + 2] = y
            bytes[index + 3] = v
        }
    }
}

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
            destination.fillYUYV(y: 16, u: 128, v: 128)
            scaled = resampler.scale(picture, crop: crop, into: destination, at: target)
        case .tile:
            if tile == nil || tile!.width != target.width || tile!.height != target.height {
                tile = PixelBuffer(width: target.width, height: target.height, format: .yuyv)
            }
            scaled = resampler.scale(
                picture,
                crop: crop,
                into: tile!,
                at: PixelRect(x: 0, y: 0, width: target.width, height: target.height)
            )
            let tileBytes = tile!.rowBytes
            for row in 0..<height {
                let source = tile!.base + (row % target.height) * tileBytes
                let out = destination.base + row * destination.rowBytes
                var column = 0
                while column < destination.rowBytes {
                    let count = min(tileBytes, destination.rowBytes - column)
                    (out + column).update(from: source, count: count)
                    column += count
                }
            }
        }
        guard scaled else {
            throw MediaError(
                path,
                "cannot be scaled to \(width)×\(height) (\(picture.width)×\(picture.height) is too extreme a shape)"
            )
        }
    }
}
