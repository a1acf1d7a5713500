/// An axis-aligned pixel rectangle.
public struct PixelRect: Equatable, Sendable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }
    public var description: String { "\(width)×\(height)+\(x)+\(y)" }
}

/// How a background picture fills a frame of another shape.
public enum Fit: String, CaseIterable, Sendable {
    /// Scale to cover the frame, cropping the overflow evenly (no bars, no distortion).
    case cover
    /// Scale to fit inside the frame, centred, black bars around.
    case contain
    /// Scale each axis to the frame (distorts).
    case stretch
    /// Repeat the picture at its own size from the top-left corner.
    case tile

    /// Which part of the source is scaled onto which part of the target. For `tile` the destination is
    /// the first tile; the caller repeats it. Destination x and width are even, as YUYV needs.
    public func layout(
        sourceWidth: Int,
        sourceHeight: Int,
        targetWidth: Int,
        targetHeight: Int
    )
        -> (crop: PixelRect, destination: PixelRect)
    {
        let whole = PixelRect(x: 0, y: 0, width: sourceWidth, height: sourceHeight)
        let frame = PixelRect(x: 0, y: 0, width: targetWidth, height: targetHeight)
        let scaleX = Double(targetWidth) / Double(sourceWidth)
        let scaleY = Double(targetHeight) / Double(sourceHeight)
        switch self {
        case .stretch:
            return (whole, frame)
        case .cover:
            let scale = max(scaleX, scaleY)
            let width = min(sourceWidth, max(1, Int((Double(targetWidth) / scale).rounded())))
            let height = min(sourceHeight, max(1, Int((Double(targetHeight) / scale).rounded())))
            return (
                PixelRect(x: (sourceWidth - width) / 2, y: (sourceHeight - height) / 2, width: width, height: height),
                frame
            )
        case .contain:
            let scale = min(scaleX, scaleY)
            let width = min(targetWidth, max(2, Int((Double(sourceWidth) * scale).rounded()) & ~1))
            let height = min(targetHeight, max(1, Int((Double(sourceHeight) * scale).rounded())))
            return (
                whole,
                PixelRect(
                    x: ((targetWidth - width) / 2) & ~1,
                    y: (targetHeight - height) / 2,
                    width: width,
                    height: height
                )
            )
        case .tile:
            // YUYV tiles are an even number of pixels wide: an odd-width picture is squeezed by one column.
            let width = max(2, sourceWidth & ~1)
            return (whole, PixelRect(x: 0, y: 0, width: width, height: sourceHeight))
        }
    }
}

/// Which frame of a looping clip shows at each output frame, so a clip plays at its own speed whatever the
/// output rate: output frame n shows the clip frame whose time n / outputRate has reached.
public struct FramePacer: Sendable {
    public let clipRate: Double
    public let outputRate: Double

    public init(clipRate: Double, outputRate: Double) {
        precondition(clipRate > 0 && outputRate > 0, "frame rates must be positive")
        self.clipRate = clipRate
        self.outputRate = outputRate
    }

    /// The clip frame (counted across loops) for output frame `outputFrame`.
    public func clipFrame(forOutputFrame outputFrame: Int) -> Int {
        // The small epsilon keeps exact ratios (10 fps in 30 fps) from landing just below an integer.
        Int((Double(outputFrame) * clipRate / outputRate + 1e-9).rounded(.down))
    }
}
