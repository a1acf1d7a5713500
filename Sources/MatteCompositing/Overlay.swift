import MatteImaging
import MatteMemory

/// A foreground image (logo, podium) drawn over everything, prepared once as premultiplied YUYV with
/// per-byte alpha so drawing it is one pass.
public final class Overlay {
    public let premultiplied: PixelBuffer
    public let alpha: PixelBuffer

    /// - Parameters:
    ///   - rgba: straight-alpha RGBA at the output size.
    ///   - opacity: 0…1, multiplies the image's own alpha.
    public init(rgba: PixelBuffer, opacity: Float) throws(OutOfMemory) {
        precondition(rgba.format == .rgba32 && rgba.width % 2 == 0, "an overlay is RGBA with an even width")
        premultiplied = try PixelBuffer.allocate(width: rgba.width, height: rgba.height, format: .yuyv)
        alpha = try PixelBuffer.allocate(width: rgba.width, height: rgba.height, format: .yuyv)
        let scale = min(max(opacity, 0), 1)
        for y in 0..<rgba.height {
            let source = rgba.base + y * rgba.rowBytes
            let out = premultiplied.base + y * premultiplied.rowBytes
            let a = alpha.base + y * alpha.rowBytes
            for pair in 0..<(rgba.width / 2) {
                let left = source + pair * 8
                let right = left + 4
                let alphaLeft = Float(left[3]) * scale
                let alphaRight = Float(right[3]) * scale
                let yuvLeft = BT601.yuv(r: left[0], g: left[1], b: left[2])
                let yuvRight = BT601.yuv(r: right[0], g: right[1], b: right[2])
                let alphaPair = (alphaLeft + alphaRight) / 2
                // Chroma of the pair weighted by each pixel's alpha, so a transparent half does not tint it.
                let weight = max(alphaLeft + alphaRight, 1e-6)
                let u = (Float(yuvLeft.u) * alphaLeft + Float(yuvRight.u) * alphaRight) / weight
                let v = (Float(yuvLeft.v) * alphaLeft + Float(yuvRight.v) * alphaRight) / weight
                func premultiply(_ value: Float, _ alpha: Float) -> UInt8 {
                    UInt8(min(max((value * alpha / 255).rounded(), 0), 255))
                }
                let o = out + pair * 4
                let m = a + pair * 4
                o[0] = premultiply(Float(yuvLeft.y), alphaLeft)
                o[1] = premultiply(u, alphaPair)
                o[2] = premultiply(Float(yuvRight.y), alphaRight)
                o[3] = premultiply(v, alphaPair)
                m[0] = UInt8(alphaLeft.rounded())
                m[1] = UInt8(alphaPair.rounded())
                m[2] = UInt8(alphaRight.rounded())
                m[3] = m[1]
            }
        }
    }

    public func draw(onto frame: PixelBuffer) {
        precondition(frame.bytes.count == premultiplied.bytes.count, "overlay and frame sizes differ")
        BlendKernels.overlay(
            premultiplied: premultiplied.base,
            alpha: alpha.base,
            onto: frame.base,
            count: frame.bytes.count
        )
    }
}
