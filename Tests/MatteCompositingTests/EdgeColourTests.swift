import MatteImaging
import MatteTestSupport
import Testing

@testable import MatteCompositing

/// The person's own colour at see-through edges (`EdgeColour`, `PersonMask.colourShift`).
@Suite struct EdgeColourTests {
    /// Shift planes upsampled with half-pixel centres and added where alpha is strictly between 0 and 255,
    /// against the same rule written out in Double, on random rows.
    @Test func aRowIsShiftedInTheEdgeBandOnly() {
        var generator = SeededGenerator(seed: 11)
        let (maskWidth, maskHeight, width, height) = (7, 5, 30, 20)
        let colour = EdgeColour(width: width, height: height, maskWidth: maskWidth, maskHeight: maskHeight)
        let shift = (0..<maskWidth * maskHeight * 3).map { _ in Float.random(in: -40...40, using: &generator) }
        for y in 0..<height {
            let frame = (0..<width * 2).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let alpha = (0..<width * 2).map { _ in
                [0, 255, UInt8.random(in: 1...254, using: &generator)][Int.random(in: 0..<3, using: &generator)]
            }
            let out = Array(
                UnsafeBufferPointer(
                    start: colour.correct(row: y, frame: frame, alpha: alpha, shift: shift),
                    count: width * 2
                )
            )
            func sample(_ x: Int, _ channel: Int) -> Double {
                func axis(_ index: Int, _ cells: Int, _ pixels: Int) -> (Int, Int, Double) {
                    let source = min(
                        max((Double(index) + 0.5) * Double(cells) / Double(pixels) - 0.5, 0),
                        Double(cells - 1)
                    )
                    let low = Int(source.rounded(.down))
                    return (low, min(low + 1, cells - 1), source - Double(low))
                }
                let (x0, x1, wx) = axis(x, maskWidth, width)
                let (y0, y1, wy) = axis(y, maskHeight, height)
                func cell(_ cx: Int, _ cy: Int) -> Double { Double(shift[(cy * maskWidth + cx) * 3 + channel]) }
                let top = cell(x0, y0) * (1 - wx) + cell(x1, y0) * wx
                let bottom = cell(x0, y1) * (1 - wx) + cell(x1, y1) * wx
                return top * (1 - wy) + bottom * wy
            }
            for byte in 0..<width * 2 {
                guard alpha[byte] != 0 && alpha[byte] != 255 else {
                    #expect(out[byte] == frame[byte], "row \(y) byte \(byte): outside the band the frame is kept")
                    continue
                }
                let pixel = byte / 4 * 2 + (byte % 4 == 2 ? 1 : 0)
                let channel = byte % 2 == 0 ? 0 : (byte % 4 == 1 ? 1 : 2)
                let expected = min(max(Double(frame[byte]) + sample(pixel, channel), 0), 255)
                #expect(abs(Double(out[byte]) - expected) <= 0.51, "row \(y) byte \(byte)")
            }
        }
    }

    /// Through the compositor: a half-transparent person whose colour is estimated 40 levels of Y brighter
    /// than the frame comes out 20 levels brighter over a black background than without the estimate; effects
    /// (which recolour the person whole) and an opaque interior are left alone.
    @Test func theCompositorAddsTheShiftAtSeeThroughEdges() throws {
        let (width, height, cells) = (64, 36, 16 * 9)
        let grey = BT601.yuv(r: 128, g: 128, b: 128)
        let frame = PixelBuffer(width: width, height: height, format: .yuyv)
        for at in stride(from: 0, to: frame.bytes.count, by: 4) {
            frame.bytes[at] = grey.y
            frame.bytes[at + 1] = grey.u
            frame.bytes[at + 2] = grey.y
            frame.bytes[at + 3] = grey.v
        }
        func composite(alpha: Float, shift: [Float], effects: [PersonEffect] = []) throws -> [UInt8] {
            var settings = MaskSettings()
            settings.smoothing = 0
            let compositor = try Compositor(
                width: width,
                height: height,
                modelWidth: 16,
                modelHeight: 9,
                maskSettings: settings
            )
            compositor.effects = effects
            var mask = PersonMask(width: 16, height: 9)
            mask.values = [Float](repeating: alpha, count: cells)
            mask.isAlpha = true
            mask.colourShift = shift
            mask.stamp.sequence = 1
            let out = PixelBuffer(width: width, height: height, format: .yuyv)
            let black = BT601.yuv(r: 0, g: 0, b: 0)
            compositor.composite(
                frame: frame,
                mask: mask,
                background: .color(y: black.y, u: black.u, v: black.v),
                into: out
            )
            return out.array
        }
        let brighter: [Float] = (0..<cells * 3).map { $0 % 3 == 0 ? 40 : 0 }
        let plain = try composite(alpha: 0.5, shift: [])
        let shifted = try composite(alpha: 0.5, shift: brighter)
        let lumas = stride(from: 0, to: plain.count, by: 2)
        let gain = lumas.map { Int(shifted[$0]) - Int(plain[$0]) }
        #expect(gain.allSatisfy { (19...21).contains($0) }, "Y gained \(Set(gain)), not half of 40")
        #expect(try composite(alpha: 1, shift: brighter) == composite(alpha: 1, shift: []), "opaque: the frame itself")
        #expect(
            try composite(alpha: 0.5, shift: brighter, effects: [.colorMap(.gray)])
                == composite(alpha: 0.5, shift: [], effects: [.colorMap(.gray)])
        )
    }
}
