import MatteV4L2

#if canImport(Glibc)
import Glibc
#endif

/// The capture mode Matte asks a camera for.
public struct CaptureMode: Equatable, Sendable, CustomStringConvertible {
    public let format: FourCC
    public let width: Int
    public let height: Int
    public let frameRate: Double

    public init(format: FourCC, width: Int, height: Int, frameRate: Double) {
        (self.format, self.width, self.height, self.frameRate) = (format, width, height, frameRate)
    }

    public var description: String { "\(format) \(width)x\(height) at \(Int(frameRate.rounded())) fps" }

    /// Formats Matte can turn into YUYV, in order of preference at equal frame rate: YUYV needs no decoding,
    /// NV12 a cheap repack, MJPEG a JPEG decode.
    public static let supportedFormats: [FourCC] = [.yuyv, .nv12, .mjpeg, .jpeg]

    /// The mode closest to what was asked: the nearest size (by area, then aspect), then YUYV if it reaches
    /// the rate there, else whichever supported format comes closest to the rate (MJPEG usually, as USB 2
    /// cameras cannot send uncompressed 720p at 30 fps).
    public static func choose(from modes: [DeviceInfo.Mode], width: Int, height: Int, frameRate: Double) -> CaptureMode?
    {
        let usable = modes.filter { supportedFormats.contains($0.format) && $0.width % 2 == 0 && !$0.rates.isEmpty }
        guard !usable.isEmpty else { return nil }
        func distance(_ mode: DeviceInfo.Mode) -> (Double, Double) {
            let area = abs(log(Double(mode.width * mode.height) / Double(width * height)))
            let aspect = abs(log(Double(mode.width) / Double(mode.height) * Double(height) / Double(width)))
            return (area + aspect, aspect)
        }
        let best = usable.min { distance($0) < distance($1) }!
        let sameSize = usable.filter { $0.width == best.width && $0.height == best.height }
        // The rate each format can reach at this size, capped at the request (faster than asked gains nothing).
        func reach(_ mode: DeviceInfo.Mode) -> Double { min(mode.rates.max()!, frameRate) }
        let chosen = sameSize.min { a, b in
            let (ra, rb) = (reach(a), reach(b))
            if abs(ra - rb) > 0.5 { return ra > rb }
            return supportedFormats.firstIndex(of: a.format)! < supportedFormats.firstIndex(of: b.format)!
        }!
        // The rate nearest the request that the mode offers (continuous ranges list only their ends).
        let rate = chosen.rates.min { abs($0 - frameRate) < abs($1 - frameRate) }!
        return CaptureMode(format: chosen.format, width: chosen.width, height: chosen.height, frameRate: rate)
    }
}
