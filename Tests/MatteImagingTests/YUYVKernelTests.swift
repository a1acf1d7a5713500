import MatteImaging
import MatteTestSupport
import Testing

/// The shared YUYV and float kernels against plain references written from their definitions.
@Suite struct YUYVKernelTests {
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test func mirrorReversesPixelsAndKeepsPairsChroma() {
        let width = 10
        let source = PixelBuffer(width: width, height: 2, format: .yuyv, copying: Self.randomBytes(40, seed: 11))
        let once = PixelBuffer(width: width, height: 2, format: .yuyv)
        let twice = PixelBuffer(width: width, height: 2, format: .yuyv)
        YUYVKernels.mirror(source, into: once)
        YUYVKernels.mirror(once, into: twice)
        #expect(twice.array == source.array)
        for row in 0..<2 {
            for x in 0..<width {
                let mirrored = width - 1 - x
                #expect(once.bytes[row * 20 + mirrored * 2] == source.bytes[row * 20 + x * 2], "luma of pixel \(x)")
            }
            for pair in 0..<(width / 2) {
                let mirroredPair = width / 2 - 1 - pair
                #expect(once.bytes[row * 20 + mirroredPair * 4 + 1] == source.bytes[row * 20 + pair * 4 + 1])
                #expect(once.bytes[row * 20 + mirroredPair * 4 + 3] == source.bytes[row * 20 + pair * 4 + 3])
            }
        }
    }

    @Test(arguments: [(2, 1), (10, 3), (642, 5)])
    func fillWritesTheColourToEveryPixel(width: Int, height: Int) {
        let picture = PixelBuffer(
            width: width,
            height: height,
            format: .yuyv,
            copying: Self.randomBytes(width * height * 2, seed: 4)
        )
        YUYVKernels.fill(picture, y: 40, u: 136, v: 124)
        for pair in 0..<(width * height / 2) {
            #expect(Array(picture.bytes[(pair * 4)..<(pair * 4 + 4)]) == [40, 136, 40, 124], "pair \(pair)")
        }
    }

    @Test(arguments: [(4, 3, 10, 7), (6, 2, 6, 2), (8, 4, 2, 1), (2, 5, 14, 11)])
    func tileRepeatsThePictureFromTheCorner(tileWidth: Int, tileHeight: Int, width: Int, height: Int) {
        let tile = PixelBuffer(
            width: tileWidth,
            height: tileHeight,
            format: .yuyv,
            copying: Self.randomBytes(tileWidth * tileHeight * 2, seed: 5)
        )
        let out = PixelBuffer(width: width, height: height, format: .yuyv)
        YUYVKernels.tile(tile, over: out)
        // Byte (x, y) of the output is byte (x mod tile row, y mod tile height) of the tile.
        for y in 0..<height {
            for x in 0..<(width * 2) {
                #expect(
                    out.bytes[y * width * 2 + x] == tile.bytes[(y % tileHeight) * tileWidth * 2 + x % (tileWidth * 2)]
                )
            }
        }
    }

    @Test func testPatternsAreRepeatableAndDifferBySeed() {
        let first = YUYVKernels.testPattern(width: 64, height: 36, seed: 1)
        #expect(first.array == YUYVKernels.testPattern(width: 64, height: 36, seed: 1).array)
        #expect(first.array != YUYVKernels.testPattern(width: 64, height: 36, seed: 2).array)
        // Valid limited-range video: no byte outside 16…240.
        #expect(first.array.allSatisfy { (16...240).contains($0) })
    }

    @Test(arguments: [1, 4, 3])
    func meanAbsoluteDifferenceMatchesTheDefinition(step: Int) {
        var generator = SeededGenerator(seed: 6)
        let count = 1001
        let a = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
        let b = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
        let samples = stride(from: 0, to: (count / step) * step, by: step)
        let expected = samples.map { Double(abs(a[$0] - b[$0])) }.reduce(0, +) / Double(count / step)
        let measured = FloatKernels.meanAbsoluteDifference(a, b, count: count, step: step)
        #expect(abs(Double(measured) - expected) < 1e-5)
        #expect(FloatKernels.meanAbsoluteDifference(a, a, count: count, step: step) == 0)
    }

    @Test func roundedByteRoundsHalvesToEvenAndClamps() {
        var values: [Float] = [-1e9, -300, -0.5, -0.4, 0, 0.5, 1.5, 2.5, 127.5, 254.5, 254.6, 255, 255.4, 256, 1e9]
        var generator = SeededGenerator(seed: 7)
        values += (0..<10_000).map { _ in Float.random(in: -20...280, using: &generator) }
        for value in values {
            let expected = UInt8(min(max(value, 0), 255).rounded(.toNearestOrEven))
            #expect(FloatKernels.roundedByte(value) == expected, "\(value)")
        }
    }
}
