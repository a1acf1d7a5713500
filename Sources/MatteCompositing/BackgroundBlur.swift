import MatteImaging
import MatteMemory

/// Blurs the background of a YUYV frame at quarter resolution, handing it out row by row.
///
/// The blur is weighted by how much of each pixel is background (1 − alpha), so the person's colours do not
/// bleed into the blurred background as a halo. Alpha for the weights is evaluated at quarter resolution
/// from the mask coefficients, so no full-resolution alpha is needed up front. Downsampling 4 × 4, three box
/// passes (close to a Gaussian), and widening each quarter row once keep it near memory speed.
package final class BackgroundBlur {
    public let width: Int, height: Int
    /// Quarter-resolution size (whole 4 × 4 blocks).
    let lowWidth: Int, lowHeight: Int
    public var radius: Int
    private let planes: [Plane<Float>]  // Y·w, U·w, V·w, w
    private let scratch: Plane<Float>
    private let rows: [Plane<Float>]  // one interpolated row each of Y, U, V
    /// Two quarter-resolution rows of the blurred background widened to full YUYV rows, and which rows they are.
    private let backgroundRows: [Plane<UInt8>]
    private var widenedRows = [-1, -1]
    /// The model-resolution cell nearest each quarter cell's centre, per column and per row.
    private var modelColumns: [Int] = []
    private var modelRows: [Int] = []
    private var modelSize = (0, 0)

    /// Weight the person's own pixels keep, so deep inside a large person the blur still has something to average.
    static let personWeight: Float = 0.02

    /// - Parameter strength: blur radius in 720p pixels (larger is blurrier).
    public init(width: Int, height: Int, strength: Int) throws(OutOfMemory) {
        precondition(width >= 8 && height >= 4 && width % 2 == 0, "frame too small to blur")
        self.width = width
        self.height = height
        let lowWidth = width / 4
        let lowHeight = height / 4
        self.lowWidth = lowWidth
        self.lowHeight = lowHeight
        radius = Self.radius(strength: strength, height: height)
        let count = lowWidth * lowHeight
        // Five quarter-resolution planes: 10 MB at 4K, worth failing cleanly over.
        func plane() throws(OutOfMemory) -> Plane<Float> {
            try Plane(count: count, repeating: 0, for: "the blur of a \(width)×\(height) frame")
        }
        planes = [try plane(), try plane(), try plane(), try plane()]
        scratch = try plane()
        rows = (0..<3).map { _ in Plane(count: lowWidth + 2, repeating: 0) }
        backgroundRows = (0..<2).map { _ in Plane(count: width * 2, repeating: 0) }
    }

    /// Box radius at quarter resolution; three passes of radius r blur about as much as a Gaussian of σ ≈ r.
    static func radius(strength: Int, height: Int) -> Int {
        max(1, Int((Double(strength) * Double(height) / 720 / 4).rounded()))
    }

    /// Builds the blurred background of `frame`. `a` and `b` are the mask coefficients at model resolution
    /// (alpha = a · luma + b), as `MaskRefiner` makes them. Then ask for rows 0, 1, 2, … in order.
    public func prepare(
        frame: PixelBuffer,
        a: UnsafePointer<Float>,
        b: UnsafePointer<Float>,
        modelWidth: Int,
        modelHeight: Int
    ) {
        precondition(
            frame.format == .yuyv && frame.width == width && frame.height == height,
            "frame must be YUYV at the blur's size"
        )
        if modelSize != (modelWidth, modelHeight) {
            // Quarter cell i is centred on frame pixel 4i + 1.5, which lies at model position (4i + 1.5) · model / frame.
            modelColumns = (0..<lowWidth).map {
                min(Int(((Double(4 * $0) + 1.5) * Double(modelWidth) / Double(width)).rounded()), modelWidth - 1)
            }
            modelRows = (0..<lowHeight).map {
                min(Int(((Double(4 * $0) + 1.5) * Double(modelHeight) / Double(height)).rounded()), modelHeight - 1)
            }
            modelSize = (modelWidth, modelHeight)
        }
        downsample(frame.base, frame.rowBytes, a, b, modelWidth)
        let count = lowWidth * lowHeight
        for plane in planes {
            for _ in 0..<3 {
                BoxFilter.mean(
                    plane.pointer,
                    width: lowWidth,
                    height: lowHeight,
                    radius: radius,
                    scratch: scratch.pointer
                )
            }
        }
        let yw = planes[0].pointer
        let uw = planes[1].pointer
        let vw = planes[2].pointer
        let w = planes[3].pointer
        for index in 0..<count {
            let inverse = 1 / w[index]
            yw[index] *= inverse
            uw[index] *= inverse
            vw[index] *= inverse
        }
        // In place: assigning a new array literal would allocate every frame.
        widenedRows[0] = -1
        widenedRows[1] = -1
    }

    /// Writes row `y` of the blurred background (YUYV). Rows 0, 1, 2, … are asked for in order.
    public func backgroundRow(_ y: Int, into out: UnsafeMutablePointer<UInt8>) {
        let at = min(max((Double(y) - 1.5) / 4, 0), Double(lowHeight - 1))
        let lower = Int(at)
        let upper = min(lower + 1, lowHeight - 1)
        let top = widened(lower, keeping: upper)
        let bottom = widened(upper, keeping: lower)
        BlendKernels.interpolate(top, bottom, weight: UInt32((at - Double(lower)) * 256), into: out, count: width &* 2)
    }

    /// 4 × 4 block means of Y, U, V premultiplied by background weight, and the weight itself.
    private func downsample(
        _ frame: UnsafePointer<UInt8>,
        _ rowBytes: Int,
        _ a: UnsafePointer<Float>,
        _ b: UnsafePointer<Float>,
        _ modelWidth: Int
    ) {
        let yw = planes[0].pointer
        let uw = planes[1].pointer
        let vw = planes[2].pointer
        let w = planes[3].pointer
        for ly in 0..<lowHeight {
            let modelRow = modelRows[ly] &* modelWidth
            for lx in 0..<lowWidth {
                var ySum: UInt32 = 0
                var uSum: UInt32 = 0
                var vSum: UInt32 = 0
                for row in 0..<4 {
                    let p = frame + ((ly &* 4 &+ row) &* rowBytes &+ lx &* 8)
                    ySum &+= UInt32(p[0]) &+ UInt32(p[2]) &+ UInt32(p[4]) &+ UInt32(p[6])
                    uSum &+= UInt32(p[1]) &+ UInt32(p[5])
                    vSum &+= UInt32(p[3]) &+ UInt32(p[7])
                }
                // The nearest model cell is enough: the weights are blurred right after.
                let cell = modelRow &+ modelColumns[lx]
                let luma = (Float(ySum) * (1 / 16) - 16) * (1 / 219)
                let alpha = min(max(a[cell] * luma + b[cell], 0), 1)
                let index = ly &* lowWidth &+ lx
                let weight = 1 - alpha * (1 - Self.personWeight)
                w[index] = weight
                yw[index] = Float(ySum) * (1 / 16) * weight
                uw[index] = Float(uSum) * (1 / 8) * weight
                vw[index] = Float(vSum) * (1 / 8) * weight
            }
        }
    }

    /// The slot holding quarter-resolution row `row` widened to a YUYV row, widening it into the other slot.
    private func widened(_ row: Int, keeping other: Int) -> UnsafePointer<UInt8> {
        if widenedRows[0] == row { return UnsafePointer(backgroundRows[0].pointer) }
        if widenedRows[1] == row { return UnsafePointer(backgroundRows[1].pointer) }
        let slot = widenedRows[0] == other ? 1 : 0
        // The padded rows repeat the edge cells, so the expansion needs no branches.
        for (plane, padded) in zip(planes.prefix(3), rows) {
            let source = plane.pointer + row &* lowWidth
            let target = padded.pointer + 1
            target.update(from: source, count: lowWidth)
            target[-1] = source[0]
            target[lowWidth] = source[lowWidth &- 1]
        }
        BlurKernels.expandQuarterRow(
            y: rows[0].pointer + 1,
            u: rows[1].pointer + 1,
            v: rows[2].pointer + 1,
            lowWidth: lowWidth,
            into: backgroundRows[slot].pointer,
            width: width
        )
        widenedRows[slot] = row
        return UnsafePointer(backgroundRows[slot].pointer)
    }
}

/// The quarter-resolution background's way back to full resolution.
package enum BlurKernels {
    /// Expands one quarter-resolution row (planar Y, U, V floats, padded by one cell each side) to a YUYV
    /// row of `width` pixels. Cell i is the mean of pixels 4i…4i+3 (centre 4i + 1.5), so pixel 4i + k sits
    /// at cell i + (k − 1.5) / 4 and a pair's chroma at its centre: fixed weights, a branch-free loop.
    public static func expandQuarterRow(
        y: UnsafePointer<Float>,
        u: UnsafePointer<Float>,
        v: UnsafePointer<Float>,
        lowWidth: Int,
        into out: UnsafeMutablePointer<UInt8>,
        width: Int
    ) {
        @inline(__always) func byte(_ a: Float, _ b: Float, _ t: Float) -> UInt8 {
            FloatKernels.roundedByte(a + (b - a) * t)
        }
        for i in 0..<lowWidth {
            let o = out + i &* 8
            let yl = y[i &- 1]
            let yc = y[i]
            let yr = y[i &+ 1]
            let ul = u[i &- 1]
            let uc = u[i]
            let ur = u[i &+ 1]
            let vl = v[i &- 1]
            let vc = v[i]
            let vr = v[i &+ 1]
            o[0] = byte(yl, yc, 0.625)
            o[1] = byte(ul, uc, 0.75)
            o[2] = byte(yl, yc, 0.875)
            o[3] = byte(vl, vc, 0.75)
            o[4] = byte(yc, yr, 0.125)
            o[5] = byte(uc, ur, 0.25)
            o[6] = byte(yc, yr, 0.375)
            o[7] = byte(vc, vr, 0.25)
        }
        // Columns past the last whole block (widths not divisible by 4) repeat the last cell.
        let last = lowWidth &- 1
        var index = lowWidth &* 8
        while index < width &* 2 {
            out[index] = byte(y[last], y[last], 0)
            out[index &+ 1] = byte(u[last], u[last], 0)
            out[index &+ 2] = byte(y[last], y[last], 0)
            out[index &+ 3] = byte(v[last], v[last], 0)
            index &+= 4
        }
    }
}
