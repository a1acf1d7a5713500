import MatteCompositing
import MatteImaging
import MatteTestSupport
import Testing

/// Auto-framing on synthetic person masks (no model): following, stillness, nobody, and the limits.
@Suite struct FramingTests {
    static let width = 1280, height = 720
    static let maskWidth = 256, maskHeight = 144
    static let dt = 1.0 / 30
    /// Frame pixels per mask cell.
    static let cell = 5.0

    /// A person seen from the waist up: a round head of `headRadius` cells whose top is at row `top`, and a
    /// body `shoulders` cells either side of `centre` from the chin to the bottom of the frame, with soft
    /// edges two cells wide.
    static func person(centre: Double, top: Double, headRadius: Double = 8, shoulders: Double = 24) -> [Float] {
        var mask = [Float](repeating: 0, count: maskWidth * maskHeight)
        for y in 0..<maskHeight {
            for x in 0..<maskWidth {
                let dx = Double(x) - centre
                let dy = Double(y) - (top + headRadius)
                let head = headRadius - (dx * dx + dy * dy).squareRoot()
                let body = min(shoulders - abs(dx), Double(y) - (top + 2 * headRadius))
                mask[y * maskWidth + x] = Float(min(max(max(head, body) / 2 + 0.5, 0), 1))
            }
        }
        return mask
    }

    static func controller(maxZoom: Double = Framing.defaultMaxZoom) -> FramingController {
        FramingController(width: width, height: height, maskWidth: maskWidth, maskHeight: maskHeight, maxZoom: maxZoom)
    }

    static func update(_ controller: FramingController, _ mask: [Float]?) -> CropRect {
        guard let mask else { return controller.update(mask: nil, threshold: 0.5, dt: dt) }
        var person = PersonMask(width: maskWidth, height: maskHeight)
        person.values = mask
        return controller.update(mask: person, threshold: 0.5, dt: dt)
    }

    static func centreX(_ crop: CropRect) -> Double { crop.x + crop.width / 2 }

    /// The crop is inside the frame and has its aspect ratio.
    static func expectWellFormed(_ crop: CropRect, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(crop.x >= 0 && crop.y >= 0, "\(crop)", sourceLocation: sourceLocation)
        #expect(crop.x + crop.width <= Double(width) + 1e-9, "\(crop)", sourceLocation: sourceLocation)
        #expect(crop.y + crop.height <= Double(height) + 1e-9, "\(crop)", sourceLocation: sourceLocation)
        #expect(
            abs(crop.width - crop.height * Double(width) / Double(height)) <= 0.5,
            "\(crop)",
            sourceLocation: sourceLocation
        )
    }

    @Test func settingsParseAndPrintBack() {
        #expect(Framing(argument: "off") == .off)
        #expect(Framing(argument: "auto") == .auto(maxZoom: 1.6))
        #expect(Framing(argument: "auto:2") == .auto(maxZoom: 2))
        #expect(Framing(argument: "auto:1.1") == .auto(maxZoom: 1.1))
        #expect(Framing(argument: "auto:3.0") == .auto(maxZoom: 3))
        for bad in ["", "on", "Auto", "auto:", "auto:1.09", "auto:3.01", "auto:x", "auto:nan", "auto:inf", "off:2"] {
            #expect(Framing(argument: bad) == nil, "\(bad)")
        }
        for framing in [Framing.off, .auto(maxZoom: 1.6), .auto(maxZoom: 2.25), .auto(maxZoom: 1.1)] {
            #expect(Framing(argument: framing.argument) == framing, "\(framing.argument)")
        }
        #expect(Framing.auto(maxZoom: 1.6).argument == "auto")
    }

    @Test func aMovingPersonIsFollowedAtBoundedSpeedWithoutOvershoot() {
        let controller = Self.controller()
        // Settle on the person at the left, then move 3 cells a frame for 2 s, then stay.
        for _ in 0..<150 { _ = Self.update(controller, Self.person(centre: 60, top: 60)) }
        var centres: [Double] = []
        var crops: [CropRect] = []
        for frame in 0..<(60 + 150) {
            let centre = 60 + 3 * Double(min(frame + 1, 60))
            let crop = Self.update(controller, Self.person(centre: centre, top: 60))
            Self.expectWellFormed(crop)
            crops.append(crop)
            centres.append(Self.centreX(crop))
        }
        let final = centres.last!
        let speedLimit = 0.35 * Double(Self.width) * Self.dt + 1e-6
        var previous = Self.centreX(crops[0])
        var moved = false
        for (frame, centre) in centres.enumerated() {
            #expect(abs(centre - previous) <= speedLimit, "frame \(frame): moved \(abs(centre - previous)) px")
            // Never past where it ends: the crop approaches from one side only.
            #expect(centre <= final + 1e-9, "frame \(frame): \(centre) beyond \(final)")
            moved = moved || centre != previous
            previous = centre
        }
        #expect(moved)
        // 1.5 s after the person stops, the crop is within 2 % of the frame width of where it ends, and it ends
        // on the head (or as near as the frame's edge allows).
        #expect(abs(centres[60 + 45] - final) <= 0.02 * Double(Self.width), "\(centres[60 + 45]) vs \(final)")
        let endCrop = crops.last!
        let head = 240 * Self.cell
        let reachable = min(max(head, endCrop.width / 2), Double(Self.width) - endCrop.width / 2)
        #expect(abs(final - reachable) <= 0.02 * Double(Self.width), "\(final) vs \(reachable)")
    }

    @Test func aStillPersonWithSensorNoiseGivesAStillCrop() {
        var generator = SeededGenerator(seed: 21)
        func noisyPerson() -> [Float] {
            // The edges jitter by up to 2 cells, every cell has noise of σ 0.1, and ten specks appear at random.
            var mask = Self.person(
                centre: 128 + Double.random(in: -2...2, using: &generator),
                top: 50 + Double.random(in: -2...2, using: &generator)
            )
            for index in mask.indices {
                // Sum of three uniforms: close enough to a Gaussian, σ = 0.1.
                let noise =
                    (Double.random(in: -1...1, using: &generator) + Double.random(in: -1...1, using: &generator)
                        + Double.random(in: -1...1, using: &generator)) * 0.1
                mask[index] = Float(min(max(Double(mask[index]) + noise, 0), 1))
            }
            for _ in 0..<10 {
                let x = Int.random(in: 0..<(Self.maskWidth - 1), using: &generator)
                let y = Int.random(in: 0..<(Self.maskHeight - 1), using: &generator)
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] { mask[(y + dy) * Self.maskWidth + x + dx] = 1 }
            }
            return mask
        }
        let controller = Self.controller()
        for _ in 0..<150 { _ = Self.update(controller, noisyPerson()) }
        var previous = controller.crop
        #expect(previous != .whole(width: Self.width, height: Self.height), "the crop zoomed in on the person")
        var largest = 0.0
        for _ in 0..<300 {
            let crop = Self.update(controller, noisyPerson())
            largest = max(largest, abs(crop.x - previous.x), abs(crop.y - previous.y), abs(crop.width - previous.width))
            previous = crop
        }
        // The noise stays inside the dead zone, so the crop should not move at all.
        #expect(largest < 1, "largest move \(largest) px")
        #expect(largest == 0, "largest move \(largest) px")
    }

    @Test func nobodyOrOnlySpecksIsTheWholeFrame() {
        let whole = CropRect.whole(width: Self.width, height: Self.height)
        let controller = Self.controller()
        var specks = [Float](repeating: 0, count: Self.maskWidth * Self.maskHeight)
        for index in stride(from: 1000, to: specks.count, by: 997) { specks[index] = 1 }
        for mask in [nil, [Float](repeating: 0, count: specks.count), specks] {
            for _ in 0..<60 { #expect(Self.update(controller, mask) == whole) }
        }
    }

    @Test func whenThePersonLeavesTheCropWaitsThenReturnsToTheWholeFrame() {
        let controller = Self.controller()
        for _ in 0..<150 { _ = Self.update(controller, Self.person(centre: 128, top: 60)) }
        let zoomed = controller.crop
        #expect(zoomed.height < Double(Self.height) * 0.8)
        var frames = 0
        while controller.crop != .whole(width: Self.width, height: Self.height) && frames < 300 {
            let crop = Self.update(controller, nil)
            frames += 1
            // Half a second of nobody may be a missed mask: nothing moves before that.
            if Double(frames) * Self.dt < 0.5 - 1e-9 { #expect(crop == zoomed, "frame \(frames)") }
            Self.expectWellFormed(crop)
        }
        // 0.5 s of waiting, then about 1 s to get within 2 % and the rest of an exponential approach.
        #expect(Double(frames) * Self.dt <= 2.5, "\(frames) frames to the whole picture")
    }

    @Test func aPersonFillingTheFrameIsNotZoomed() {
        let controller = Self.controller()
        let everywhere = [Float](repeating: 1, count: Self.maskWidth * Self.maskHeight)
        for _ in 0..<90 {
            #expect(Self.update(controller, everywhere) == .whole(width: Self.width, height: Self.height))
        }
        let wide = Self.person(centre: 128, top: 2, headRadius: 20, shoulders: 120)
        for _ in 0..<90 { _ = Self.update(controller, wide) }
        #expect(controller.crop == .whole(width: Self.width, height: Self.height))
    }

    @Test(arguments: [1.6, 2.0, 3.0])
    func aTinyPersonIsZoomedExactlyToTheLimit(maxZoom: Double) {
        let controller = Self.controller(maxZoom: maxZoom)
        let tiny = Self.person(centre: 100, top: 110, headRadius: 4, shoulders: 8)
        for _ in 0..<240 { Self.expectWellFormed(Self.update(controller, tiny)) }
        #expect(abs(Double(Self.height) / controller.crop.height - maxZoom) < 1e-9, "\(controller.crop)")
    }

    @Test func theHeadHasHeadroomAndIsCentred() {
        let controller = Self.controller()
        let top = 50.0
        let mask = Self.person(centre: 128, top: top)
        for _ in 0..<240 { _ = Self.update(controller, mask) }
        let crop = controller.crop
        // The head's top as the design measures it: where the mass (probabilities ≥ 0.5) summed row by row
        // reaches 1 %, a cell's mass spread over ±half a cell around its row.
        let rows = (0..<Self.maskHeight).map { y in
            (0..<Self.maskWidth).reduce(0.0) { sum, x in
                let p = Double(mask[y * Self.maskWidth + x])
                return sum + (p >= 0.5 ? p : 0)
            }
        }
        let wanted = 0.01 * rows.reduce(0, +)
        var cumulative = 0.0
        var measuredTop = 0.0
        for (y, mass) in rows.enumerated() where mass > 0 {
            if cumulative + mass >= wanted {
                measuredTop = (Double(y) - 0.5 + (wanted - cumulative) / mass) * Self.cell
                break
            }
            cumulative += mass
        }
        let headroom = (measuredTop - crop.y) / crop.height
        #expect(abs(headroom - 0.10) <= 0.02, "headroom \(headroom) of \(crop)")
        // That top lies a few cells inside the head; the head itself still has room above it.
        #expect(crop.y < top * Self.cell - 0.03 * crop.height, "\(crop)")
        #expect(abs(Self.centreX(crop) - 128 * Self.cell) <= 0.02 * crop.width, "\(crop)")
    }

    @Test func cropsStayInsideTheFrameWherever() {
        var generator = SeededGenerator(seed: 8)
        let controller = Self.controller(maxZoom: 3)
        for _ in 0..<40 {
            let mask = Self.person(
                centre: Double.random(in: -20...276, using: &generator),
                top: Double.random(in: -10...130, using: &generator),
                headRadius: Double.random(in: 2...40, using: &generator),
                shoulders: Double.random(in: 3...140, using: &generator)
            )
            for _ in 0..<20 { Self.expectWellFormed(Self.update(controller, mask)) }
        }
    }

    @Test func theSameMasksGiveTheSameCrops() {
        let first = Self.controller()
        let second = Self.controller()
        for frame in 0..<120 {
            let mask = Self.person(centre: 40 + Double(frame), top: 55)
            #expect(Self.update(first, mask) == Self.update(second, mask))
        }
    }
}
