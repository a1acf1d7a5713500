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

    @Test(arguments: [(64, 36), (320, 180), (1280, 720), (642, 362)])
    func sceneThumbnailIsTheMeanOfEachCellsBlock(width: Int, height: Int) {
        let frame = YUYVKernels.testPattern(width: width, height: height, seed: 3)
        var thumbnail = SceneThumbnail()
        thumbnail.measure(frame)
        // The definition, in Double: 4×4 pixels from evenly spread top-left corners, first and last at the edges.
        for row in 0..<SceneThumbnail.rows {
            for column in 0..<SceneThumbnail.columns {
                let top = Int((Double(height - 4) * Double(row) / Double(SceneThumbnail.rows - 1)).rounded(.down))
                let left = Int((Double(width - 4) * Double(column) / Double(SceneThumbnail.columns - 1)).rounded(.down))
                var sum = 0.0
                for y in top..<top + 4 {
                    for x in left..<left + 4 { sum += Double(frame.bytes[y * frame.rowBytes + x * 2]) }
                }
                let measured = Double(thumbnail.values[row * SceneThumbnail.columns + column])
                #expect(abs(measured - sum / 16 / 255) < 1e-6, "cell \(column), \(row)")
            }
        }
    }

    @Test func sceneThumbnailsTellMotionFromSensorNoise() {
        var generator = SeededGenerator(seed: 5)
        let frame = YUYVKernels.testPattern(width: 1280, height: 720, seed: 1)
        // A bright block (a head and shoulders, 320×360) over the pattern.
        func withBlock(at left: Int) -> PixelBuffer {
            let picture = PixelBuffer(width: 1280, height: 720, format: .yuyv, copying: frame.array)
            for row in 180..<540 {
                for x in left..<left + 320 { picture.bytes[row * picture.rowBytes + x * 2] = 200 }
            }
            return picture
        }
        let original = withBlock(at: 400)
        // Sensor noise: every luma byte off by up to ±4 levels (σ 2.6).
        let noisy = withBlock(at: 400)
        for at in stride(from: 0, to: noisy.bytes.count, by: 2) {
            noisy.bytes[at] = UInt8(clamping: Int(noisy.bytes[at]) + Int.random(in: -4...4, using: &generator))
        }
        // Motion: the block moved 80 pixels to the side (within the still interval of 0.2 s: a head turning).
        let moved = withBlock(at: 480)
        var (still, shaken, shifted) = (SceneThumbnail(), SceneThumbnail(), SceneThumbnail())
        still.measure(original)
        shaken.measure(noisy)
        shifted.measure(moved)
        let threshold: Float = 8 / 255
        #expect(shaken.changedCells(from: still, threshold: threshold) == 0, "noise")
        // The block's left and right edges cross 4 cell columns each, over 18 cell rows.
        #expect(shifted.changedCells(from: still, threshold: threshold) >= 100, "motion")
        #expect(still.changedCells(from: still, threshold: 0) == 0)
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
