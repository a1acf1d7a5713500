import MatteImaging
import MatteTestSupport
import Testing

@testable import MatteCompositing

/// The effect, opacity and overlay kernels against references written from their definitions, on random
/// data of lengths that are no multiple of a vector width.
@Suite struct EffectKernelTests {
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] { CompositingKernelTests.randomBytes(count, seed: seed) }
    static func clampedRound(_ value: Double) -> UInt8 { UInt8(min(max(value.rounded(), 0), 255)) }

    @Test func colorMapLooksUpLumaAndChromaFromThePairsMeanLuma() {
        let pairs = 1027
        let source = Self.bytes(pairs * 4, seed: 21)
        let lutY = Self.bytes(256, seed: 22)
        let lutU = Self.bytes(256, seed: 23)
        let lutV = Self.bytes(256, seed: 24)
        var out = [UInt8](repeating: 0, count: pairs * 4)
        EffectKernels.colorMapYUYV(source, into: &out, pairs: pairs, lutY: lutY, lutU: lutU, lutV: lutV)
        for pair in 0..<pairs {
            let y0 = Int(source[pair * 4])
            let y1 = Int(source[pair * 4 + 2])
            // The pair's mean luma, rounded half up.
            let mean = Int((Double(y0 + y1) / 2).rounded(.up))
            #expect(out[pair * 4] == lutY[y0] && out[pair * 4 + 2] == lutY[y1], "luma of pair \(pair)")
            #expect(out[pair * 4 + 1] == lutU[mean] && out[pair * 4 + 3] == lutV[mean], "chroma of pair \(pair)")
        }
    }

    @Test(arguments: [0, 128, 256, 300, 1024])
    func brightnessScalesLumaAroundBlackAndKeepsChroma(factor: Int32) {
        let pairs = 999
        let source = Self.bytes(pairs * 4, seed: 25)
        var out = [UInt8](repeating: 0, count: pairs * 4)
        EffectKernels.brightnessYUYV(source, into: &out, pairs: pairs, factor: factor)
        let scale = Double(factor) / 256
        for index in 0..<(pairs * 4) {
            if index % 2 == 0 {
                let expected = 16 + (Double(source[index]) - 16) * scale
                #expect(abs(Double(out[index]) - min(max(expected, 0), 255)) <= 0.5, "luma byte \(index)")
            } else {
                #expect(out[index] == source[index], "chroma byte \(index)")
            }
        }
    }

    @Test(arguments: [(256, 0), (0, 256), (128, 128), (200, 100), (-64, 320)] as [(Int32, Int32)])
    func mixIsALinearMixAroundBlackAndGrey(firstWeight: Int32, secondWeight: Int32) {
        let count = 2051
        let first = Self.bytes(count, seed: 26)
        let second = Self.bytes(count, seed: 27)
        var out = [UInt8](repeating: 0, count: count)
        EffectKernels.mixYUYV(first, firstWeight, second, secondWeight, into: &out, count: count)
        for index in 0..<count {
            let offset: Double = index % 2 == 0 ? 16 : 128
            let expected =
                offset
                + ((Double(first[index]) - offset) * Double(firstWeight)
                    + (Double(second[index]) - offset) * Double(secondWeight)) / 256
            #expect(abs(Double(out[index]) - min(max(expected, 0), 255)) <= 0.5, "byte \(index)")
        }
    }

    @Test func scaleAlphaMultipliesByTheFactor() {
        let count = 4097
        let alpha = Self.bytes(count, seed: 28)
        for factor: UInt32 in [0, 1, 128, 255, 256] {
            var scaled = alpha
            BlendKernels.scaleAlpha(&scaled, count: count, factor: factor)
            for index in 0..<count {
                // factor/256 of the alpha, rounded down; 256 keeps it exactly.
                #expect(
                    scaled[index] == UInt8(Int(alpha[index]) * Int(factor) / 256),
                    "byte \(index), factor \(factor)"
                )
            }
        }
    }

    @Test(arguments: [1.0, 0.5, 0.0] as [Float])
    func overlayPremultipliesEachPixelByItsAlpha(opacity: Float) throws {
        let (width, height) = (34, 3)
        let rgba = PixelBuffer(
            width: width,
            height: height,
            format: .rgba32,
            copying: Self.bytes(width * height * 4, seed: 29)
        )
        let overlay = try Overlay(rgba: rgba, opacity: opacity)
        for y in 0..<height {
            for pair in 0..<(width / 2) {
                let left = y * rgba.rowBytes + pair * 8
                let right = left + 4
                func pixel(_ at: Int) -> (yuv: (y: UInt8, u: UInt8, v: UInt8), alpha: Double) {
                    (
                        BT601.yuv(r: rgba.bytes[at], g: rgba.bytes[at + 1], b: rgba.bytes[at + 2]),
                        Double(rgba.bytes[at + 3]) * Double(opacity)
                    )
                }
                let (l, r) = (pixel(left), pixel(right))
                let pairAlpha = (l.alpha + r.alpha) / 2
                // Chroma weighted by each pixel's alpha, so a transparent half does not tint the pair.
                let weight = max(l.alpha + r.alpha, 1e-6)
                let u = (Double(l.yuv.u) * l.alpha + Double(r.yuv.u) * r.alpha) / weight
                let v = (Double(l.yuv.v) * l.alpha + Double(r.yuv.v) * r.alpha) / weight
                let at = y * overlay.premultiplied.rowBytes + pair * 4
                let expected = [
                    Double(l.yuv.y) * l.alpha / 255, u * pairAlpha / 255, Double(r.yuv.y) * r.alpha / 255,
                    v * pairAlpha / 255,
                ]
                for (offset, value) in expected.enumerated() {
                    #expect(
                        abs(Double(overlay.premultiplied.bytes[at + offset]) - value) <= 0.51,
                        "row \(y) pair \(pair) byte \(offset)"
                    )
                }
                #expect(overlay.alpha.bytes[at] == Self.clampedRound(l.alpha))
                #expect(overlay.alpha.bytes[at + 1] == Self.clampedRound(pairAlpha))
                #expect(overlay.alpha.bytes[at + 2] == Self.clampedRound(r.alpha))
                #expect(overlay.alpha.bytes[at + 3] == Self.clampedRound(pairAlpha))
            }
        }
    }
}
