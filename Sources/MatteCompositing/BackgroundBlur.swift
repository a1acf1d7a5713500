import MatteImaging

/// Blurs the background of a YUYV frame at quarter resolution and blends the person over it.
///
/// The blur is weighted by how much of each pixel is background (1 − alpha), so the person's colours do not
/// bleed into the blurred background as a halo. Downsampling 4 × 4, three box passes (close to a Gaussian)
/// and one fused upsample-and-blend pass keep it near memory speed.
public final class BackgroundBlur: @unchecked Sendable {
    public let width: Int, height: Int
    /// Quarter-resolution size (whole 4 × 4 blocks).
    let lowWidth: Int, lowHeight: Int
    public var radius: Int
    private let planes: [UnsafeMutableBufferPointer<Float>]  // Y·w, U·w, V·w, w
    private let scratch: UnsafeMutableBufferPointer<Float>
    private let rows: [UnsafeMutableBufferPointer<Float>]  // one interpolated row each of Y, U, V
    private let columnFirst: UnsafeMutableBufferPointer<Int32>
    private let columnWeight: UnsafeMutableBufferPointer<Float>
    private let pairFirst: UnsafeMutableBufferPointer<Int32>
    private let pairWeight: UnsafeMutableBufferPointer<Float>

    /// Weight the person's own pixels keep, so deep inside a large person the blur still has something to average.
    static let personWeight: Float = 0.02

    /// - Parameter strength: blur radius in 720p pixels (larger is blurrier).
    public init(width: Int, height: Int, strength: Int) {
        precondition(width >= 8 && height >= 4 && width % 2 == 0, "frame too small to blur")
        self.width = width
        self.height = height
        let lowWidth = width / 4, lowHeight = height / 4
        self.lowWidth = lowWidth
        self.lowHeight = lowHeight
        radius = Self.radius(strength: strength, height: height)
        let count = lowWidth * lowHeight
        planes = (0..<4).map { _ in
            let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            p.initialize(repeating: 0)
            return p
        }
        scratch = .allocate(capacity: count)
        scratch.initialize(repeating: 0)
        rows = (0..<3).map { _ in
            let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: lowWidth + 1)
            p.initialize(repeating: 0)
            return p
        }
        // Low pixel i covers frame columns 4i…4i+3 (centre 4i + 1.5); a pair's chroma sits at its centre.
        (columnFirst, columnWeight) = Self.centredTable(count: width, lowCount: lowWidth) { Double($0) }
        (pairFirst, pairWeight) = Self.centredTable(count: width / 2, lowCount: lowWidth) { Double($0) * 2 + 0.5 }
    }

    deinit {
        (planes + rows + [scratch, columnWeight, pairWeight]).forEach { $0.deallocate() }
        columnFirst.deallocate()
        pairFirst.deallocate()
    }

    /// Box radius at quarter resolution; three passes of radius r blur about as much as a Gaussian of σ ≈ r.
    static func radius(strength: Int, height: Int) -> Int {
        max(1, Int((Double(strength) * Double(height) / 720 / 4).rounded()))
    }

    static func centredTable(count: Int, lowCount: Int, position: (Int) -> Double)
        -> (UnsafeMutableBufferPointer<Int32>, UnsafeMutableBufferPointer<Float>)
    {
        let first = UnsafeMutableBufferPointer<Int32>.allocate(capacity: count)
        let weight = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        for index in 0..<count {
            let at = min(max((position(index) - 1.5) / 4, 0), Double(lowCount - 1))
            let lower = Int(at)
            first[index] = Int32(lower)
            weight[index] = lower == lowCount - 1 ? 0 : Float(at - Double(lower))
        }
        return (first, weight)
    }

    /// Blurs `frame`'s background and writes `person` over it into `out` (which may be `person`). `person` is
    /// the frame itself or a recoloured copy; alpha is per byte, as from `AlphaExpander`.
    public func composite(frame: PixelBuffer, person: PixelBuffer, alpha: PixelBuffer, into out: PixelBuffer) {
        precondition(frame.format == .yuyv && frame.width == width && frame.height == height && person.bytes.count == frame.bytes.count
                     && alpha.bytes.count == frame.bytes.count && out.bytes.count == frame.bytes.count, "sizes differ")
        downsample(frame.base, frame.rowBytes, alpha.base)
        let count = lowWidth * lowHeight
        for plane in planes {
            for _ in 0..<3 {
                BoxFilter.mean(plane.baseAddress!, width: lowWidth, height: lowHeight, radius: radius, scratch: scratch.baseAddress!)
            }
        }
        let yw = planes[0].baseAddress!, uw = planes[1].baseAddress!, vw = planes[2].baseAddress!, w = planes[3].baseAddress!
        for index in 0..<count {
            let inverse = 1 / w[index]
            yw[index] *= inverse
            uw[index] *= inverse
            vw[index] *= inverse
        }
        upsampleAndBlend(person.base, frame.rowBytes, alpha.base, out.base)
    }

    /// 4 × 4 block means of Y, U, V premultiplied by background weight, and the weight itself.
    private func downsample(_ frame: UnsafePointer<UInt8>, _ rowBytes: Int, _ alpha: UnsafePointer<UInt8>) {
        let yw = planes[0].baseAddress!, uw = planes[1].baseAddress!, vw = planes[2].baseAddress!, w = planes[3].baseAddress!
        for ly in 0..<lowHeight {
            for lx in 0..<lowWidth {
                var ySum: UInt32 = 0, uSum: UInt32 = 0, vSum: UInt32 = 0, aSum: UInt32 = 0
                for row in 0..<4 {
                    let offset = (ly &* 4 &+ row) &* rowBytes &+ lx &* 8
                    let p = frame + offset, a = alpha + offset
                    ySum &+= UInt32(p[0]) &+ UInt32(p[2]) &+ UInt32(p[4]) &+ UInt32(p[6])
                    uSum &+= UInt32(p[1]) &+ UInt32(p[5])
                    vSum &+= UInt32(p[3]) &+ UInt32(p[7])
                    aSum &+= UInt32(a[0]) &+ UInt32(a[2]) &+ UInt32(a[4]) &+ UInt32(a[6])
                }
                let index = ly &* lowWidth &+ lx
                let weight = 1 - Float(aSum) * (1 / (16 * 255)) * (1 - Self.personWeight)
                w[index] = weight
                yw[index] = Float(ySum) * (1 / 16) * weight
                uw[index] = Float(uSum) * (1 / 8) * weight
                vw[index] = Float(vSum) * (1 / 8) * weight
            }
        }
    }

    private func upsampleAndBlend(_ person: UnsafePointer<UInt8>, _ rowBytes: Int, _ alpha: UnsafePointer<UInt8>,
                                  _ out: UnsafeMutablePointer<UInt8>) {
        let ry = rows[0].baseAddress!, ru = rows[1].baseAddress!, rv = rows[2].baseAddress!
        let py = planes[0].baseAddress!, pu = planes[1].baseAddress!, pv = planes[2].baseAddress!
        for y in 0..<height {
            let at = min(max((Double(y) - 1.5) / 4, 0), Double(lowHeight - 1))
            let lower = Int(at), upper = min(lower + 1, lowHeight - 1), t = Float(at - Double(lower))
            let top = lower &* lowWidth, bottom = upper &* lowWidth
            for x in 0..<lowWidth {
                ry[x] = py[top &+ x] + (py[bottom &+ x] - py[top &+ x]) * t
                ru[x] = pu[top &+ x] + (pu[bottom &+ x] - pu[top &+ x]) * t
                rv[x] = pv[top &+ x] + (pv[bottom &+ x] - pv[top &+ x]) * t
            }
            ry[lowWidth] = ry[lowWidth &- 1]; ru[lowWidth] = ru[lowWidth &- 1]; rv[lowWidth] = rv[lowWidth &- 1]

            let f = person + y &* rowBytes, a = alpha + y &* rowBytes, o = out + y &* rowBytes
            for pair in 0..<(width &>> 1) {
                @inline(__always) func sample(_ row: UnsafePointer<Float>, _ index: Int32, _ weight: Float) -> UInt32 {
                    let i = Int(index)
                    let value = row[i] + (row[i &+ 1] - row[i]) * weight
                    return UInt32(truncatingIfNeeded: (min(max(value, 0), 255) + 12_582_912.0).bitPattern & 0xFF)
                }
                let x0 = pair &* 2
                let background: (UInt32, UInt32, UInt32, UInt32) = (
                    sample(ry, columnFirst[x0], columnWeight[x0]),
                    sample(ru, pairFirst[pair], pairWeight[pair]),
                    sample(ry, columnFirst[x0 &+ 1], columnWeight[x0 &+ 1]),
                    sample(rv, pairFirst[pair], pairWeight[pair]))
                @inline(__always) func blend(_ i: Int, _ bg: UInt32) {
                    let alphaByte = UInt32(a[i])
                    let t = UInt32(f[i]) &* alphaByte &+ bg &* (255 &- alphaByte) &+ 128
                    o[i] = UInt8(truncatingIfNeeded: (t &+ (t &>> 8)) &>> 8)
                }
                let base = pair &* 4
                blend(base, background.0); blend(base &+ 1, background.1)
                blend(base &+ 2, background.2); blend(base &+ 3, background.3)
            }
        }
    }
}
