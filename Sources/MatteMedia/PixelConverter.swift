import CFFmpeg
import MatteImaging

/// One swscale context, kept while sizes and formats stay the same, so per-frame use allocates nothing.
///
/// Every conversion Matte makes goes through here, with the flags that keep colours faithful: swscale's
/// defaults subsample chroma by dropping samples and round inaccurately, which darkened a grey ramp by up
/// to 3 levels on a round trip through YUYV. With accurate rounding and full chroma interpolation on both
/// sides the round trip is within ±1 level and unbiased.
final class PixelConverter {
    struct Endpoint: Equatable {
        var width: Int32, height: Int32, format: AVPixelFormat, fullRange: Bool
        /// swscale's YUV matrix (`SWS_CS_ITU601`, `SWS_CS_ITU709`); Matte's own YUV is BT.601.
        var matrix: Int32 = SWS_CS_ITU601
    }

    private var context: OpaquePointer?
    private var key: (Endpoint, Endpoint)?

    deinit { sws_freeContext(context) }

    static let flags = SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP

    /// Converts (and scales) one picture given as plane pointers and strides. Returns false when swscale
    /// cannot convert between the two formats.
    func convert(
        from source: Endpoint,
        planes: UnsafePointer<UnsafePointer<UInt8>?>,
        strides: UnsafePointer<Int32>,
        to destination: Endpoint,
        planes destinationPlanes: UnsafePointer<UnsafeMutablePointer<UInt8>?>,
        strides destinationStrides: UnsafePointer<Int32>
    ) -> Bool {
        if key == nil || key!.0 != source || key!.1 != destination {
            sws_freeContext(context)
            context = sws_getContext(
                source.width,
                source.height,
                source.format,
                destination.width,
                destination.height,
                destination.format,
                Self.flags,
                nil,
                nil,
                nil
            )
            key = (source, destination)
            if let context {
                sws_setColorspaceDetails(
                    context,
                    sws_getCoefficients(source.matrix),
                    source.fullRange ? 1 : 0,
                    sws_getCoefficients(destination.matrix),
                    destination.fullRange ? 1 : 0,
                    0,
                    1 << 16,
                    1 << 16
                )
            }
        }
        guard let context else { return false }
        _ = sws_scale(context, planes, strides, 0, source.height, destinationPlanes, destinationStrides)
        return true
    }

    /// Converts a packed picture region to another packed picture region.
    func convert(_ source: PixelBuffer, crop: PixelRect, into destination: PixelBuffer, at target: PixelRect) -> Bool {
        var sourcePlanes: [UnsafePointer<UInt8>?] = [
            UnsafePointer(
                source.base + crop.y * source.rowBytes
                    + crop.x * source.format.packedRowBytes(width: 1)
            ), nil, nil, nil,
        ]
        var sourceStrides: [Int32] = [Int32(source.rowBytes), 0, 0, 0]
        var destinationPlanes: [UnsafeMutablePointer<UInt8>?] = [
            destination.base + target.y * destination.rowBytes
                + target.x * destination.format.packedRowBytes(width: 1), nil, nil, nil,
        ]
        var destinationStrides: [Int32] = [Int32(destination.rowBytes), 0, 0, 0]
        return convert(
            from: source.format.endpoint(width: crop.width, height: crop.height),
            planes: &sourcePlanes,
            strides: &sourceStrides,
            to: destination.format.endpoint(width: target.width, height: target.height),
            planes: &destinationPlanes,
            strides: &destinationStrides
        )
    }
}

extension PixelFormat {
    /// YUYV is limited range, as cameras send it; RGB and grey are full range.
    func endpoint(width: Int, height: Int) -> PixelConverter.Endpoint {
        .init(width: Int32(width), height: Int32(height), format: ffmpegFormat, fullRange: self != .yuyv)
    }
}
