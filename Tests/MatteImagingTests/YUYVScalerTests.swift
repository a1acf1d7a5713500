import MatteImaging
import MatteTestSupport
import Testing

/// The crop-and-scale kernel against bilinear sampling computed in Double from its definition.
@Suite struct YUYVScalerTests {
    /// Every output byte of the definition: luma `i` samples `x + (i + 0.5)·w/W − 0.5`, the chroma of pair `j`
    /// samples chroma `(x + (2j + 1)·w/W − 1)/2`, row `r` samples `y + (r + 0.5)·h/H − 0.5`, all clamped.
    static func reference(_ source: PixelBuffer, crop: CropRect, width: Int, height: Int) -> [Double] {
        func axis(_ position: Double, count: Int) -> (Int, Int, Double) {
            let clamped = min(max(position, 0), Double(count - 1))
            let lower = Int(clamped.rounded(.down))
            return (lower, min(lower + 1, count - 1), clamped - Double(lower))
        }
        func value(row: Int, index: Int, byteOf: (Int) -> Int) -> Double {
            Double(source.bytes[row * source.rowBytes + byteOf(index)])
        }
        var out = [Double](repeating: 0, count: width * height * 2)
        let stepX = crop.width / Double(width)
        let stepY = crop.height / Double(height)
        for row in 0..<height {
            let (top, bottom, fy) = axis(crop.y + (Double(row) + 0.5) * stepY - 0.5, count: source.height)
            func sample(_ position: Double, count: Int, byteOf: (Int) -> Int) -> Double {
                let (left, right, fx) = axis(position, count: count)
                func across(_ line: Int) -> Double {
                    value(row: line, index: left, byteOf: byteOf) * (1 - fx)
                        + value(row: line, index: right, byteOf: byteOf) * fx
                }
                return across(top) * (1 - fy) + across(bottom) * fy
            }
            for pixel in 0..<width {
                out[(row * width + pixel) * 2] = sample(
                    crop.x + (Double(pixel) + 0.5) * stepX - 0.5,
                    count: source.width,
                    byteOf: { $0 * 2 }
                )
            }
            for pair in 0..<(width / 2) {
                let chroma = (crop.x + Double(2 * pair + 1) * stepX - 1) / 2
                let at = (row * width + pair * 2) * 2
                out[at + 1] = sample(chroma, count: source.width / 2, byteOf: { $0 * 4 + 1 })
                out[at + 3] = sample(chroma, count: source.width / 2, byteOf: { $0 * 4 + 3 })
            }
        }
        return out
    }

    /// Random bytes: neighbours differ as much as they can, the hardest case for fixed-point weights.
    static func noise(width: Int, height: Int, seed: UInt64) -> PixelBuffer {
        var generator = SeededGenerator(seed: seed)
        let bytes = (0..<(width * height * 2)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return PixelBuffer(width: width, height: height, format: .yuyv, copying: bytes)
    }

    /// Largest and mean absolute difference from the reference.
    static func errors(_ out: PixelBuffer, _ reference: [Double]) -> (max: Double, mean: Double) {
        var largest = 0.0
        var total = 0.0
        for (byte, expected) in zip(out.array, reference) {
            let error = abs(Double(byte) - expected)
            largest = max(largest, error)
            total += error
        }
        return (largest, total / Double(reference.count))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let source: (Int, Int)
        let output: (Int, Int)
        let crop: CropRect
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "sub-pixel 1.25× zoom",
            source: (320, 180),
            output: (320, 180),
            crop: CropRect(x: 13.37, y: 7.25, width: 256, height: 144)
        ),
        Case(
            name: "barely zoomed, fractional size",
            source: (320, 180),
            output: (320, 180),
            crop: CropRect(x: 0.4, y: 0.3, width: 316.8, height: 178.2)
        ),
        Case(
            name: "at the bottom-right edge",
            source: (320, 180),
            output: (320, 180),
            crop: CropRect(x: 320 - 203.3, y: 180 - 114.35625, width: 203.3, height: 114.35625)
        ),
        Case(
            name: "at the top-left corner",
            source: (320, 180),
            output: (320, 180),
            crop: CropRect(x: 0, y: 0, width: 200, height: 112.5)
        ),
        Case(
            name: "maximum zoom 3×",
            source: (320, 180),
            output: (320, 180),
            crop: CropRect(x: 101.1, y: 30.7, width: 320 / 3, height: 60)
        ),
        Case(
            name: "720p, 1.6×",
            source: (1280, 720),
            output: (1280, 720),
            crop: CropRect(x: 211.9, y: 40.05, width: 800, height: 450)
        ),
        Case(
            name: "odd width, not a multiple of 8",
            source: (202, 50),
            output: (202, 50),
            crop: CropRect(x: 5.5, y: 3.3, width: 150.1, height: 37.1)
        ),
        Case(
            name: "whole picture to a smaller size (zoom out)",
            source: (320, 180),
            output: (96, 54),
            crop: CropRect(x: 0, y: 0, width: 320, height: 180)
        ),
        Case(
            name: "whole picture to a larger size",
            source: (96, 54),
            output: (320, 180),
            crop: CropRect(x: 0, y: 0, width: 96, height: 54)
        ),
    ]

    @Test(arguments: cases)
    func scalingMatchesBilinearSampling(_ test: Case) {
        let source = Self.noise(width: test.source.0, height: test.source.1, seed: 3)
        let scaler = YUYVScaler(
            sourceWidth: test.source.0,
            sourceHeight: test.source.1,
            width: test.output.0,
            height: test.output.1
        )
        let out = PixelBuffer(width: test.output.0, height: test.output.1, format: .yuyv)
        scaler.scale(source, crop: test.crop, into: out)
        let errors = Self.errors(out, Self.reference(source, crop: test.crop, width: out.width, height: out.height))
        // Horizontal weights in 1/128 steps (up to 255/256 of a level off), vertical ones in 1/32768 steps, and
        // the final rounding; measured: largest 1.38, mean under 0.30.
        #expect(errors.max <= 1.5, "largest error \(errors.max)")
        #expect(errors.mean < 0.35, "mean error \(errors.mean)")
    }

    @Test func theWholePictureAtItsOwnSizeIsCopiedExactly() {
        let source = Self.noise(width: 64, height: 36, seed: 4)
        let out = PixelBuffer(width: 64, height: 36, format: .yuyv)
        let scaler = YUYVScaler(sourceWidth: 64, sourceHeight: 36, width: 64, height: 36)
        #expect(scaler.isIdentity(.whole(width: 64, height: 36)))
        scaler.scale(source, crop: .whole(width: 64, height: 36), into: out)
        #expect(out.array == source.array)
    }

    @Test func aNewCropRebuildsTheTablesAndAnOldOneGivesTheSamePicture() {
        let source = Self.noise(width: 320, height: 180, seed: 5)
        let crops = [
            CropRect(x: 10.5, y: 3.25, width: 240, height: 135),
            CropRect(x: 50.125, y: 20, width: 200, height: 112.5),
        ]
        let reused = YUYVScaler(sourceWidth: 320, sourceHeight: 180, width: 320, height: 180)
        let out = PixelBuffer(width: 320, height: 180, format: .yuyv)
        for crop in crops + crops {
            reused.scale(source, crop: crop, into: out)
            let fresh = PixelBuffer(width: 320, height: 180, format: .yuyv)
            YUYVScaler(sourceWidth: 320, sourceHeight: 180, width: 320, height: 180).scale(
                source,
                crop: crop,
                into: fresh
            )
            #expect(out.array == fresh.array, "crop \(crop)")
        }
    }

    @Test func aFlatPictureStaysFlat() {
        // Weights of every pair sum to one exactly: no level drifts, whatever the crop.
        let source = PixelBuffer(width: 320, height: 180, format: .yuyv)
        YUYVKernels.fill(source, y: 235, u: 16, v: 240)
        let out = PixelBuffer(width: 320, height: 180, format: .yuyv)
        YUYVScaler(sourceWidth: 320, sourceHeight: 180, width: 320, height: 180).scale(
            source,
            crop: CropRect(x: 33.3, y: 11.1, width: 213.3, height: 120),
            into: out
        )
        #expect(out.array == source.array)
    }
}
