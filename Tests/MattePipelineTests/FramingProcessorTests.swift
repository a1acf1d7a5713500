import MatteCompositing
import MatteImaging
import MattePipeline
import Testing

/// Framing as FrameProcessor applies it: off changes nothing, on crops the composite but not the overlay.
@Suite struct FramingProcessorTests {
    static let width = 320, height = 180
    static let modelWidth = 64, modelHeight = 36

    static func processor(_ framing: Framing) throws -> FrameProcessor {
        var settings = ProcessingSettings()
        settings.background = .color(r: 30, g: 90, b: 200)
        settings.framing = framing
        return try FrameProcessor(
            width: width,
            height: height,
            modelWidth: modelWidth,
            modelHeight: modelHeight,
            settings: settings,
            outputRate: 30
        )
    }

    /// A small person (head and shoulders) low in the frame, which framing zooms in on.
    static let person: [Float] = (0..<(modelWidth * modelHeight)).map { index in
        let x = index % modelWidth
        let y = index / modelWidth
        return abs(x - 30) <= 3 && y >= 26 ? 1 : 0
    }

    /// An opaque white square at (140…159, 110…129), inside the crop framing chooses, on a transparent overlay.
    static func overlay() throws -> Overlay {
        let rgba = PixelBuffer(width: width, height: height, format: .rgba32)
        for y in 110..<130 {
            for x in 140..<160 {
                for channel in 0..<4 { rgba.bytes[y * rgba.rowBytes + x * 4 + channel] = 255 }
            }
        }
        return try Overlay(rgba: rgba, opacity: 1)
    }

    static func composite(_ processor: FrameProcessor, _ frame: PixelBuffer, mask: [Float]) -> [UInt8] {
        processor.composite(frame, mask: personMask(mask)).array
    }

    /// `values` as the mask of one frame.
    static func personMask(_ values: [Float]) -> PersonMask {
        var mask = PersonMask(width: modelWidth, height: modelHeight)
        mask.values = values
        mask.stamp.sequence = 1
        return mask
    }

    /// Where two pictures first differ (a failure message, not a megabyte of bytes).
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
        a.count != b.count ? -1 : a.indices.first { a[$0] != b[$0] }
    }

    @Test func framingOffIsTheCompositorsPictureByteForByte() throws {
        let frame = YUYVKernels.testPattern(width: Self.width, height: Self.height)
        let processor = try Self.processor(.off)
        processor.compositor.overlay = try Self.overlay()
        let compositor = try Compositor(
            width: Self.width,
            height: Self.height,
            modelWidth: Self.modelWidth,
            modelHeight: Self.modelHeight
        )
        compositor.overlay = try Self.overlay()
        let expected = PixelBuffer(width: Self.width, height: Self.height, format: .yuyv)
        let colour = BT601.yuv(r: 30, g: 90, b: 200)
        for _ in 0..<3 {
            compositor.composite(
                frame: frame,
                mask: Self.personMask(Self.person),
                background: .color(y: colour.y, u: colour.u, v: colour.v),
                into: expected
            )
            #expect(Self.firstDifference(Self.composite(processor, frame, mask: Self.person), expected.array) == nil)
            #expect(processor.crop == .whole(width: Self.width, height: Self.height))
        }
    }

    @Test func withNobodyFramingChangesNothing() throws {
        let frame = YUYVKernels.testPattern(width: Self.width, height: Self.height)
        let off = try Self.processor(.off)
        let on = try Self.processor(.auto(maxZoom: 2))
        #expect(on.needsMask)
        for processor in [off, on] { processor.compositor.overlay = try Self.overlay() }
        let nobody = [Float](repeating: 0, count: Self.modelWidth * Self.modelHeight)
        for _ in 0..<45 {
            #expect(
                Self.firstDifference(Self.composite(on, frame, mask: nobody), Self.composite(off, frame, mask: nobody))
                    == nil
            )
        }
    }

    @Test func framingZoomsThePictureButNotTheOverlay() throws {
        let frame = YUYVKernels.testPattern(width: Self.width, height: Self.height)
        let processor = try Self.processor(.auto(maxZoom: 2))
        let bare = try Self.processor(.auto(maxZoom: 2))
        let overlay = try Self.overlay()
        processor.compositor.overlay = overlay
        var framed: [UInt8] = []
        var framedBare: [UInt8] = []
        for _ in 0..<90 {
            framed = Self.composite(processor, frame, mask: Self.person)
            framedBare = Self.composite(bare, frame, mask: Self.person)
        }
        #expect(abs(Double(Self.height) / processor.crop.height - 2) < 1e-9, "\(processor.crop)")
        // The overlay is drawn once, at its own size, on the framed picture.
        let expected = PixelBuffer(width: Self.width, height: Self.height, format: .yuyv, copying: framedBare)
        overlay.draw(onto: expected)
        #expect(Self.firstDifference(framed, expected.array) == nil)
        let unframed = try Self.processor(.off)
        unframed.compositor.overlay = overlay
        let whole = Self.composite(unframed, frame, mask: Self.person)
        #expect(Self.firstDifference(framed, whole) != nil)
        // Turned off again, the output is the whole picture at once.
        var settings = processor.settings
        settings.framing = .off
        try processor.apply(settings)
        processor.compositor.overlay = overlay
        #expect(Self.firstDifference(Self.composite(processor, frame, mask: Self.person), whole) == nil)
    }
}
