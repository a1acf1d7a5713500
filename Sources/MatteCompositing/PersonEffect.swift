import MatteImaging

/// Looks applied to the person (the foreground) before it is blended over the background.
public enum PersonEffect: Equatable, Sendable {
    /// Blue tint, dark scan lines and a double ghost, after the open-source virtual background post.
    case hologram
    /// Recolour by brightness through a named map (`gray`, `sepia`, `winter`, `thermal`, `ocean`).
    case colorMap(ColorMap)
    /// Multiply brightness (1 = unchanged).
    case brightness(Float)
    /// See-through person: 0 invisible … 1 opaque.
    case opacity(Float)

    /// Parses `hologram`, `grayscale`, `sepia`, `colormap:NAME`, `brightness:F`, `opacity:F`.
    public init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let value = parts.count > 1 ? parts[1] : nil
        switch (name, value) {
        case ("hologram", nil): self = .hologram
        case ("grayscale", nil), ("greyscale", nil): self = .colorMap(.gray)
        case ("sepia", nil): self = .colorMap(.sepia)
        case let ("colormap", map?):
            guard let map = ColorMap(rawValue: map) else { return nil }
            self = .colorMap(map)
        case let ("brightness", number?):
            guard let factor = Float(number), factor >= 0, factor <= 4 else { return nil }
            self = .brightness(factor)
        case let ("opacity", number?):
            guard let factor = Float(number), factor >= 0, factor <= 1 else { return nil }
            self = .opacity(factor)
        default: return nil
        }
    }

    /// The effect as `init(argument:)` reads it.
    public var argument: String {
        switch self {
        case .hologram: return "hologram"
        case .colorMap(.gray): return "grayscale"
        case .colorMap(.sepia): return "sepia"
        case let .colorMap(map): return "colormap:\(map.rawValue)"
        case let .brightness(factor): return "brightness:\(factor)"
        case let .opacity(factor): return "opacity:\(factor)"
        }
    }
}

/// Colour maps from brightness t ∈ 0…1 to RGB, sampled into YUV lookup tables.
public enum ColorMap: String, CaseIterable, Sendable {
    case gray, sepia, winter, thermal, ocean

    /// Control points (t, r, g, b), linearly interpolated.
    var stops: [(Double, Double, Double, Double)] {
        switch self {
        case .gray: return [(0, 0, 0, 0), (1, 255, 255, 255)]
        case .sepia: return [(0, 0, 0, 0), (0.5, 150, 108, 66), (1, 255, 236, 196)]
        // OpenCV's COLORMAP_WINTER: blue to green.
        case .winter: return [(0, 0, 0, 255), (1, 0, 255, 128)]
        case .thermal:
            return [(0, 0, 0, 40), (0.3, 120, 0, 140), (0.6, 230, 60, 20), (0.85, 255, 190, 0), (1, 255, 255, 220)]
        case .ocean: return [(0, 0, 20, 40), (0.5, 0, 110, 160), (1, 180, 255, 255)]
        }
    }

    func rgb(at t: Double) -> (UInt8, UInt8, UInt8) {
        let stops = self.stops
        var index = 0
        while index + 2 < stops.count && t > stops[index + 1].0 { index += 1 }
        let (t0, r0, g0, b0) = stops[index]
        let (t1, r1, g1, b1) = stops[index + 1]
        let f = min(max((t - t0) / (t1 - t0), 0), 1)
        func byte(_ a: Double, _ b: Double) -> UInt8 { UInt8((a + (b - a) * f).rounded()) }
        return (byte(r0, r1), byte(g0, g1), byte(b0, b1))
    }

    /// Y, U and V for each input luma byte (limited-range luma 16…235 spans t = 0…1).
    func lookupTables() -> (y: [UInt8], u: [UInt8], v: [UInt8]) {
        var y = [UInt8](repeating: 0, count: 256)
        var u = y
        var v = y
        for luma in 0..<256 {
            let (r, g, b) = rgb(at: min(max((Double(luma) - 16) / 219, 0), 1))
            (y[luma], u[luma], v[luma]) = BT601.yuv(r: r, g: g, b: b)
        }
        return (y, u, v)
    }
}
