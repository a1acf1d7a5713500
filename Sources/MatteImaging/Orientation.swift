/// How a stored picture must be turned to be shown upright: the eight EXIF orientations (TIFF tag 274),
/// which also cover a video's display-matrix rotations and flips.
public enum Orientation: Int, Sendable, CaseIterable {
    case upright = 1
    case mirrored = 2
    case upsideDown = 3
    case flipped = 4
    /// Transposed: the stored rows become displayed columns.
    case transposed = 5
    /// Stored picture is rotated 90° anticlockwise; shown turned 90° clockwise.
    case rotatedClockwise = 6
    case transverse = 7
    /// Shown turned 90° anticlockwise.
    case rotatedAnticlockwise = 8

    /// Whether width and height swap.
    public var swapsSides: Bool { rawValue >= 5 }

    public func displayedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        swapsSides ? (height, width) : (width, height)
    }

    /// The stored pixel shown at displayed (x, y), for a stored picture of `width` × `height`.
    @inline(__always)
    public func storedPosition(x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
        switch self {
        case .upright: return (x, y)
        case .mirrored: return (width &- 1 &- x, y)
        case .upsideDown: return (width &- 1 &- x, height &- 1 &- y)
        case .flipped: return (x, height &- 1 &- y)
        case .transposed: return (y, x)
        case .rotatedClockwise: return (y, height &- 1 &- x)
        case .transverse: return (width &- 1 &- y, height &- 1 &- x)
        case .rotatedAnticlockwise: return (width &- 1 &- y, x)
        }
    }

    /// Writes `source` (packed pixels of `bytesPerPixel`) shown upright into `destination`, which has the
    /// displayed size. Runs once per decoded picture, so plain per-pixel copies are fast enough.
    public func apply(
        _ source: UnsafePointer<UInt8>,
        width: Int,
        height: Int,
        rowBytes: Int,
        bytesPerPixel: Int,
        into destination: UnsafeMutablePointer<UInt8>,
        destinationRowBytes: Int
    ) {
        let shown = displayedSize(width: width, height: height)
        for y in 0..<shown.height {
            let out = destination + y &* destinationRowBytes
            for x in 0..<shown.width {
                let stored = storedPosition(x: x, y: y, width: width, height: height)
                let from = source + (stored.y &* rowBytes &+ stored.x &* bytesPerPixel)
                for channel in 0..<bytesPerPixel { out[x &* bytesPerPixel &+ channel] = from[channel] }
            }
        }
    }

    /// Turns an upright picture by the display matrix of a video stream: `rotation` is the angle in degrees
    /// anticlockwise that FFmpeg's `av_display_rotation_get` returns, `flipped` whether the matrix mirrors.
    public init(displayRotation rotation: Double, mirrored: Bool) {
        // av_display_rotation_get gives the anticlockwise angle that undoes the stored rotation.
        let quarter = ((Int((-rotation / 90).rounded()) % 4) + 4) % 4
        switch (quarter, mirrored) {
        case (0, false): self = .upright
        case (1, false): self = .rotatedClockwise
        case (2, false): self = .upsideDown
        case (3, false): self = .rotatedAnticlockwise
        case (0, true): self = .mirrored
        case (1, true): self = .transverse
        case (2, true): self = .flipped
        default: self = .transposed
        }
    }
}
