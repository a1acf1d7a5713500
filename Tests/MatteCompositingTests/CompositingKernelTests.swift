import MatteImaging
import MatteTestSupport
import Testing

@testable import MatteCompositing

/// Each kernel against a plain reference written from its definition.
@Suite struct CompositingKernelTests {
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func roundedDivision(_ value: Double) -> UInt8 { UInt8(min(max((value).rounded(), 0), 255)) }

    @Test func blendIsRoundedLinearMix() {
        let count = 4099  // not a multiple of any vector width
        let fg = Self.randomBytes(count, seed: 1)
        let bg = Self.randomBytes(count, seed: 2)
        var alpha = Self.randomBytes(count, seed: 3)
        alpha[0] = 0
        alpha[1] = 255
        var out = [UInt8](repeating: 0, count: count)
        BlendKernels.blend(foreground: fg, background: bg, alpha: alpha, into: &out, count: count)
        let reference = (0..<count).map { i in
            Self.roundedDivision((Double(fg[i]) * Double(alpha[i]) + Double(bg[i]) * (255 - Double(alpha[i]))) / 255)
        }
        #expect(out == reference)
        #expect(out[0] == bg[0] && out[1] == fg[1])
    }

    @Test func interpolateBetweenRows() {
        let count = 2562
        let top = Self.randomBytes(count, seed: 5)
        let bottom = Self.randomBytes(count, seed: 6)
        for weight in [0, 64, 200, 256] as [UInt32] {
            var out = [UInt8](repeating: 0, count: count)
            BlendKernels.interpolate(top, bottom, weight: weight, into: &out, count: count)
            let w = Double(weight) / 256
            let worst = (0..<count).map { abs(Double(out[$0]) - (Double(top[$0]) * (1 - w) + Double(bottom[$0]) * w)) }
                .max()!
            #expect(worst <= 0.5)
        }
    }

    @Test func overlayAddsPremultipliedOverKeptBackground() {
        let count = 1000
        let under = Self.randomBytes(count, seed: 8)
        let alpha = Self.randomBytes(count, seed: 9)
        let colour = Self.randomBytes(count, seed: 10)
        let premultiplied = (0..<count).map { UInt8((Double(colour[$0]) * Double(alpha[$0]) / 255).rounded()) }
        var out = under
        BlendKernels.overlay(premultiplied: premultiplied, alpha: alpha, onto: &out, count: count)
        for i in 0..<count {
            let expected = Double(premultiplied[i]) + Double(under[i]) * (255 - Double(alpha[i])) / 255
            #expect(abs(Double(out[i]) - min(expected, 255)) <= 0.51)
        }
    }

    @Test func alphaRowEvaluatesTheGuidedLine() {
        let width = 37
        var generator = SeededGenerator(seed: 12)
        func floats() -> [Float] { (0..<width).map { _ in Float.random(in: -3...3, using: &generator) } }
        let topA = floats()
        let topB = floats()
        let bottomA = floats()
        let bottomB = floats()
        let yuyv = Self.randomBytes(width * 2, seed: 13)
        var out = [UInt8](repeating: 0, count: width)
        AlphaKernels.alphaRow(
            topA: topA,
            topB: topB,
            bottomA: bottomA,
            bottomB: bottomB,
            weight: 0.3,
            luma: yuyv,
            into: &out,
            width: width
        )
        for x in 0..<width {
            let a = Double(topA[x]) * 0.7 + Double(bottomA[x]) * 0.3
            let b = Double(topB[x]) * 0.7 + Double(bottomB[x]) * 0.3
            let expected = min(max(a * (Double(yuyv[x * 2]) - 16) / 219 + b, 0), 1) * 255
            #expect(abs(Double(out[x]) - expected) <= 0.51)
        }
        var spread = [UInt8](repeating: 0, count: width * 2 - 2)
        AlphaKernels.spreadToYUYV(out, into: &spread, pairs: width / 2)
        for pair in 0..<(width / 2) {
            let mean = UInt8((Int(out[2 * pair]) + Int(out[2 * pair + 1]) + 1) / 2)
            #expect(spread[4 * pair..<4 * pair + 4] == [out[2 * pair], mean, out[2 * pair + 1], mean])
        }
    }

    @Test(arguments: [64, 66, 10])
    func quarterRowExpansionIsCentredBilinear(width: Int) {
        let lowWidth = width / 4
        var generator = SeededGenerator(seed: 14)
        func plane() -> [Float] { (0..<lowWidth).map { _ in Float.random(in: 0...255, using: &generator) } }
        let y = plane()
        let u = plane()
        let v = plane()
        func padded(_ row: [Float]) -> [Float] { [row[0]] + row + [row[lowWidth - 1]] }
        let (py, pu, pv) = (padded(y), padded(u), padded(v))
        var out = [UInt8](repeating: 0, count: width * 2)
        py.withUnsafeBufferPointer { yp in
            pu.withUnsafeBufferPointer { up in
                pv.withUnsafeBufferPointer { vp in
                    BlurKernels.expandQuarterRow(
                        y: yp.baseAddress! + 1,
                        u: up.baseAddress! + 1,
                        v: vp.baseAddress! + 1,
                        lowWidth: lowWidth,
                        into: &out,
                        width: width
                    )
                }
            }
        }
        // Cell i is the mean of pixels 4i…4i+3: pixel x sits at cell (x − 1.5) / 4, clamped to the row.
        func sample(_ row: [Float], at position: Double) -> Double {
            let at = min(max((position - 1.5) / 4, 0), Double(lowWidth - 1))
            let lower = Int(at)
            let upper = min(lower + 1, lowWidth - 1)
            let t = at - Double(lower)
            return Double(row[lower]) * (1 - t) + Double(row[upper]) * t
        }
        for x in 0..<width {
            #expect(abs(Double(out[x * 2]) - sample(y, at: Double(x))) <= 0.51, "luma \(x)")
        }
        for pair in 0..<(width / 2) {
            let centre = Double(pair * 2) + 0.5
            #expect(abs(Double(out[pair * 4 + 1]) - sample(u, at: centre)) <= 0.51, "U of pair \(pair)")
            #expect(abs(Double(out[pair * 4 + 3]) - sample(v, at: centre)) <= 0.51, "V of pair \(pair)")
        }
    }

    static func referenceWindow(
        _ plane: [Float],
        width: Int,
        height: Int,
        radius: Int,
        _ combine: ([Float]) -> Float
    ) -> [Float] {
        var out = [Float](repeating: 0, count: plane.count)
        for y in 0..<height {
            for x in 0..<width {
                var window: [Float] = []
                for dy in -radius...radius {
                    for dx in -radius...radius {
                        window.append(plane[min(max(y + dy, 0), height - 1) * width + min(max(x + dx, 0), width - 1)])
                    }
                }
                out[y * width + x] = combine(window)
            }
        }
        return out
    }

    @Test(arguments: [1, 2, 4, 9])  // 9 takes the running-sum path
    func boxMeanMatchesWindowMean(radius: Int) {
        let (width, height) = (41, 23)
        var generator = SeededGenerator(seed: UInt64(radius))
        let plane = (0..<(width * height)).map { _ in Float.random(in: 0...1, using: &generator) }
        var out = plane
        var scratch = plane
        BoxFilter.mean(&out, width: width, height: height, radius: radius, scratch: &scratch)
        let reference = Self.referenceWindow(plane, width: width, height: height, radius: radius) {
            $0.reduce(0, +) / Float($0.count)
        }
        #expect(maxAbsDifference(out, reference) <= 1e-4)
    }

    @Test(arguments: [true, false])
    func extremumMatchesWindowExtremum(maximum: Bool) {
        let (width, height) = (29, 17)
        var generator = SeededGenerator(seed: 21)
        let plane = (0..<(width * height)).map { _ in Float.random(in: 0...1, using: &generator) }
        var out = plane
        var scratch = plane
        BoxFilter.extremum(&out, width: width, height: height, radius: 2, maximum: maximum, scratch: &scratch)
        let reference = Self.referenceWindow(plane, width: width, height: height, radius: 2) {
            maximum ? $0.max()! : $0.min()!
        }
        #expect(out == reference)
    }
}
