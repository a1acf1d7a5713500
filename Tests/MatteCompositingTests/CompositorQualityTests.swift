import MatteCompositing
import MatteImaging
import MatteTestSupport
import Testing

/// A synthetic scene with a known alpha: a sharp-edged disc (the "person", bright) over a darker textured
/// background, as a YUYV frame, plus the low-resolution probability a model would give for it.
struct Scene {
    static let width = 640, height = 360, modelWidth = 256, modelHeight = 144
    let frame: PixelBuffer
    let truth: [Float]  // per pixel, 0 or 1
    let probabilities: [Float]

    /// - Parameters:
    ///   - noise: seed of per-frame sensor noise (±3 luma), none when nil.
    ///   - maskShift: where the model thinks the disc is, relative to where it is: network jitter.
    init(
        centreX: Double = 320,
        centreY: Double = 190,
        radius: Double = 110,
        noise: UInt64? = nil,
        maskShift: (x: Double, y: Double) = (0, 0)
    ) {
        var generator = SeededGenerator(seed: noise ?? 1)
        frame = PixelBuffer(width: Self.width, height: Self.height, format: .yuyv)
        var truth = [Float](repeating: 0, count: Self.width * Self.height)
        for y in 0..<Self.height {
            for x in 0..<Self.width {
                let dx = Double(x) - centreX
                let dy = Double(y) - centreY
                let inside = dx * dx + dy * dy <= radius * radius
                truth[y * Self.width + x] = inside ? 1 : 0
                // Texture: fixed stripes, plus sensor noise that changes per frame when a seed is given.
                let texture = ((x / 6 + y / 6) % 2 == 0) ? 12 : -12
                let sensor = noise == nil ? 0 : Int.random(in: -3...3, using: &generator)
                frame.bytes[y * frame.rowBytes + x * 2] = UInt8((inside ? 170 : 70) + texture / 2 + sensor)
                frame.bytes[y * frame.rowBytes + x * 2 + 1] = inside ? 110 : 140
            }
        }
        self.truth = truth
        var seen = truth
        if maskShift != (0, 0) {
            for y in 0..<Self.height {
                for x in 0..<Self.width {
                    let dx = Double(x) - centreX - maskShift.x
                    let dy = Double(y) - centreY - maskShift.y
                    seen[y * Self.width + x] = dx * dx + dy * dy <= radius * radius ? 1 : 0
                }
            }
        }
        // The model's view: the area mean of the truth over each cell, then softened like a network's output.
        var probabilities = [Float](repeating: 0, count: Self.modelWidth * Self.modelHeight)
        let sx = Double(Self.width) / Double(Self.modelWidth)
        let sy = Double(Self.height) / Double(Self.modelHeight)
        for my in 0..<Self.modelHeight {
            for mx in 0..<Self.modelWidth {
                var sum: Float = 0
                var count: Float = 0
                for y in Int(Double(my) * sy)..<min(Int(Double(my + 1) * sy), Self.height) {
                    for x in Int(Double(mx) * sx)..<min(Int(Double(mx + 1) * sx), Self.width) {
                        sum += seen[y * Self.width + x]
                        count += 1
                    }
                }
                probabilities[my * Self.modelWidth + mx] = sum / max(count, 1)
            }
        }
        var softened = probabilities
        for my in 0..<Self.modelHeight {
            for mx in 0..<Self.modelWidth {
                var sum: Float = 0
                for dy in -1...1 {
                    for dx in -1...1 {
                        sum +=
                            probabilities[
                                min(max(my + dy, 0), Self.modelHeight - 1) * Self.modelWidth
                                    + min(max(mx + dx, 0), Self.modelWidth - 1)
                            ]
                    }
                }
                softened[my * Self.modelWidth + mx] = sum / 9
            }
        }
        self.probabilities = softened
    }

    /// `probabilities` (or others) as the mask of frame `sequence`.
    func mask(_ probabilities: [Float]? = nil, sequence: Int = 1) -> PersonMask {
        var mask = PersonMask(width: Self.modelWidth, height: Self.modelHeight)
        mask.values = probabilities ?? self.probabilities
        mask.stamp.sequence = sequence
        return mask
    }

    /// Alpha (0…1 per pixel) the refiner and expander give for this scene.
    func alpha(refiner: MaskRefiner, probabilities: [Float]? = nil) -> [Float] {
        var guide = [Float](repeating: 0, count: Self.modelWidth * Self.modelHeight)
        ModelInputSampler(
            sourceWidth: Self.width,
            sourceHeight: Self.height,
            targetWidth: Self.modelWidth,
            targetHeight: Self.modelHeight
        )
        .sampleLuma(frame, into: &guide)
        refiner.refine(probabilities: probabilities ?? self.probabilities, guide: guide)
        let alpha = PixelBuffer(width: Self.width, height: Self.height, format: .yuyv)
        AlphaExpander(lowWidth: Self.modelWidth, lowHeight: Self.modelHeight, width: Self.width, height: Self.height)
            .expand(a: refiner.a.pointer, b: refiner.b.pointer, frame: frame, into: alpha)
        return (0..<(Self.width * Self.height)).map { Float(alpha.bytes[$0 * 2]) / 255 }
    }

    /// Mean |alpha − truth| over pixels within `band` pixels of the true edge.
    func boundaryError(_ alpha: [Float], band: Int = 6) -> Double {
        var total = 0.0
        var count = 0
        for y in band..<(Self.height - band) {
            for x in band..<(Self.width - band) {
                let here = truth[y * Self.width + x]
                let nearEdge =
                    truth[(y - band) * Self.width + x] != here || truth[(y + band) * Self.width + x] != here
                    || truth[y * Self.width + x - band] != here || truth[y * Self.width + x + band] != here
                guard nearEdge else { continue }
                total += Double(abs(alpha[y * Self.width + x] - here))
                count += 1
            }
        }
        return total / Double(count)
    }
}

@Suite struct CompositorQualityTests {
    @Test func guidedUpsamplingFollowsTheRealEdge() throws {
        let scene = Scene()
        var guided = MaskSettings()
        guided.guided = true
        var plain = MaskSettings()
        plain.guided = false
        let guidedError = scene.boundaryError(
            scene.alpha(refiner: MaskRefiner(width: Scene.modelWidth, height: Scene.modelHeight, settings: guided))
        )
        let plainError = scene.boundaryError(
            scene.alpha(refiner: MaskRefiner(width: Scene.modelWidth, height: Scene.modelHeight, settings: plain))
        )
        #expect(guidedError < plainError * 0.7, "guided \(guidedError) vs bilinear \(plainError)")
    }

    @Test func smoothingKillsFlickerOnAStillScene() throws {
        func flicker(smoothing: Float) -> Double {
            var settings = MaskSettings()
            settings.smoothing = smoothing
            let refiner = MaskRefiner(width: Scene.modelWidth, height: Scene.modelHeight, settings: settings)
            var generator = SeededGenerator(seed: 99)
            var previous: [Float]? = nil
            var total = 0.0
            for frame in 0..<12 {
                // Sensor noise in every frame, and the network's edge wobbling by a few pixels.
                let wobble = (
                    x: Double.random(in: -4...4, using: &generator), y: Double.random(in: -4...4, using: &generator)
                )
                let scene = Scene(noise: UInt64(frame + 1), maskShift: wobble)
                let alpha = scene.alpha(refiner: refiner)
                if let previous {
                    total += zip(alpha, previous).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(alpha.count)
                }
                previous = alpha
            }
            return total / 11
        }
        let raw = flicker(smoothing: 0)
        let smoothed = flicker(smoothing: MaskSettings().smoothing)
        #expect(smoothed < raw * 0.5, "flicker smoothed \(smoothed) vs raw \(raw)")
    }

    @Test func smoothingDoesNotGhostOnMotion() throws {
        func errorAfterMotion(smoothing: Float) -> Double {
            var settings = MaskSettings()
            settings.smoothing = smoothing
            let refiner = MaskRefiner(width: Scene.modelWidth, height: Scene.modelHeight, settings: settings)
            var error = 0.0
            for frame in 0..<8 {
                // The person moves 12 pixels a frame (fast, for 640 wide).
                let scene = Scene(centreX: 260 + Double(frame) * 12)
                let alpha = scene.alpha(refiner: refiner)
                if frame >= 2 { error += scene.boundaryError(alpha) }
            }
            return error / 6
        }
        let still = errorAfterMotion(smoothing: 0)
        let smoothed = errorAfterMotion(smoothing: MaskSettings().smoothing)
        #expect(smoothed < still * 1.25 + 0.01, "moving edge error smoothed \(smoothed) vs none \(still)")
    }

    static func composite(
        _ scene: Scene,
        background: BackgroundLayer,
        effects: [PersonEffect] = [],
        probabilities: [Float]? = nil
    ) throws -> PixelBuffer {
        let compositor = try Compositor(
            width: Scene.width,
            height: Scene.height,
            modelWidth: Scene.modelWidth,
            modelHeight: Scene.modelHeight
        )
        compositor.effects = effects
        let out = PixelBuffer(width: Scene.width, height: Scene.height, format: .yuyv)
        compositor.composite(
            frame: scene.frame,
            mask: scene.mask(probabilities),
            background: background,
            into: out
        )
        return out
    }

    @Test func colourBackgroundReplacesOnlyTheBackground() throws {
        let scene = Scene()
        let green = BT601.yuv(r: 0, g: 255, b: 0)
        let out = try Self.composite(scene, background: .color(y: green.y, u: green.u, v: green.v))
        // Far outside the disc: exactly the colour. Well inside: exactly the frame.
        for (x, y) in [(20, 20), (620, 340), (40, 300)] {
            let at = y * out.rowBytes + (x & ~1) * 2
            #expect(Array(out.bytes[at..<(at + 4)]) == [green.y, green.u, green.y, green.v])
        }
        for (x, y) in [(320, 190), (280, 160), (360, 230)] {
            let at = y * out.rowBytes + (x & ~1) * 2
            #expect(Array(out.bytes[at..<(at + 4)]) == Array(scene.frame.bytes[at..<(at + 4)]))
        }
    }

    @Test func blurSmoothsTheBackgroundAndKeepsThePerson() throws {
        let scene = Scene()
        let out = try Self.composite(scene, background: .blur(strength: 16))
        // The background's stripes (±6 luma) are blurred away; the person's are kept.
        func lumaRange(_ image: PixelBuffer, _ x0: Int, _ y0: Int) -> Int {
            var values: [Int] = []
            for y in y0..<(y0 + 12) {
                for x in x0..<(x0 + 12) { values.append(Int(image.bytes[y * image.rowBytes + x * 2])) }
            }
            return values.max()! - values.min()!
        }
        #expect(lumaRange(scene.frame, 30, 30) >= 10)
        #expect(lumaRange(out, 30, 30) <= 3)
        #expect(lumaRange(out, 314, 184) == lumaRange(scene.frame, 314, 184))
    }

    @Test func effectsShiftColoursAsSpecified() throws {
        let scene = Scene()
        let person = [Float](repeating: 1, count: Scene.modelWidth * Scene.modelHeight)
        func means(_ image: PixelBuffer) -> (y: Double, u: Double, v: Double) {
            var y = 0.0
            var u = 0.0
            var v = 0.0
            let pairs = image.bytes.count / 4
            for pair in 0..<pairs {
                y += Double(image.bytes[pair * 4]) + Double(image.bytes[pair * 4 + 2])
                u += Double(image.bytes[pair * 4 + 1])
                v += Double(image.bytes[pair * 4 + 3])
            }
            return (y / Double(2 * pairs), u / Double(pairs), v / Double(pairs))
        }
        let original = means(scene.frame)
        let grey = try Self.composite(scene, background: .none, effects: [.colorMap(.gray)], probabilities: person)
        #expect(stride(from: 1, to: grey.bytes.count, by: 2).allSatisfy { abs(Int(grey.bytes[$0]) - 128) <= 1 })
        #expect(abs(means(grey).y - original.y) < 2)

        // Sepia is warm: less blue (U below neutral), more red (V above).
        let sepia = means(
            try Self.composite(scene, background: .none, effects: [.colorMap(.sepia)], probabilities: person)
        )
        #expect(sepia.u < 124 && sepia.v > 132)

        // The hologram is blue-green: U well above neutral, V below, and scan lines darken some rows.
        let hologram = try Self.composite(scene, background: .none, effects: [.hologram], probabilities: person)
        let holo = means(hologram)
        #expect(holo.u > 140 && holo.v < 120, "hologram U \(holo.u) V \(holo.v)")
        let rowMeans = (0..<Scene.height).map { row in
            (0..<Scene.width).reduce(0.0) { $0 + Double(hologram.bytes[row * hologram.rowBytes + $1 * 2]) }
                / Double(Scene.width)
        }
        #expect(rowMeans.max()! - rowMeans.min()! > 30)

        let bright = means(
            try Self.composite(scene, background: .none, effects: [.brightness(1.5)], probabilities: person)
        )
        #expect(abs((bright.y - 16) / (original.y - 16) - 1.5) < 0.05)

        // Half opacity over a colour: halfway between the person and the colour.
        let black = BT601.yuv(r: 0, g: 0, b: 0)
        let half = means(
            try Self.composite(
                scene,
                background: .color(y: black.y, u: black.u, v: black.v),
                effects: [.opacity(0.5)],
                probabilities: person
            )
        )
        #expect(abs(half.y - (original.y + Double(black.y)) / 2) < 1.5)
    }

    @Test func lightWrapTintsOnlyThePersonsEdge() throws {
        let scene = Scene()
        func composite(wrap: Float) throws -> PixelBuffer {
            var settings = MaskSettings()
            settings.lightWrap = wrap
            let compositor = try Compositor(
                width: Scene.width,
                height: Scene.height,
                modelWidth: Scene.modelWidth,
                modelHeight: Scene.modelHeight,
                maskSettings: settings
            )
            let out = PixelBuffer(width: Scene.width, height: Scene.height, format: .yuyv)
            compositor.composite(
                frame: scene.frame,
                mask: scene.mask(),
                background: .color(y: 235, u: 128, v: 128),
                into: out
            )
            return out
        }
        let plain = try composite(wrap: 0)
        let wrapped = try composite(wrap: 1)
        func luma(_ image: PixelBuffer, _ x: Int, _ y: Int) -> Int { Int(image.bytes[y * image.rowBytes + x * 2]) }
        // Just inside the disc's left edge (centre 320, radius 110): brightened by the white background.
        #expect(luma(wrapped, 216, 190) > luma(plain, 216, 190) + 20)
        // Its centre and the background far away are untouched.
        #expect(luma(wrapped, 320, 190) == luma(plain, 320, 190))
        #expect(luma(wrapped, 20, 20) == luma(plain, 20, 20))
    }

    @Test func effectNamesParse() throws {
        #expect(PersonEffect(argument: "hologram") == .hologram)
        #expect(PersonEffect(argument: "grayscale") == .colorMap(.gray))
        #expect(PersonEffect(argument: "colormap:thermal") == .colorMap(.thermal))
        #expect(PersonEffect(argument: "brightness:1.2") == .brightness(1.2))
        #expect(PersonEffect(argument: "opacity:0.4") == .opacity(0.4))
        #expect(PersonEffect(argument: "opacity:1.5") == nil)
        #expect(PersonEffect(argument: "colormap:plaid") == nil)
        #expect(PersonEffect(argument: "sparkles") == nil)
    }
}

@Suite struct CompositorSmoothingTests {
    @Test func theFirstRealMaskIsNotAveragedWithAStandIn() throws {
        let scene = Scene()
        let empty = [Float](repeating: 0, count: Scene.modelWidth * Scene.modelHeight)
        let green = BT601.yuv(r: 0, g: 255, b: 0)
        func personPixel(reset: Bool) throws -> [UInt8] {
            let compositor = try Compositor(
                width: Scene.width,
                height: Scene.height,
                modelWidth: Scene.modelWidth,
                modelHeight: Scene.modelHeight
            )
            let out = PixelBuffer(width: Scene.width, height: Scene.height, format: .yuyv)
            let layer = BackgroundLayer.color(y: green.y, u: green.u, v: green.v)
            compositor.composite(
                frame: scene.frame,
                mask: scene.mask(empty, sequence: 1),
                background: layer,
                into: out
            )
            if reset { compositor.resetSmoothing() }
            compositor.composite(
                frame: scene.frame,
                mask: scene.mask(sequence: 2),
                background: layer,
                into: out
            )
            let at = 190 * out.rowBytes + 320 * 2
            return Array(out.bytes[at..<(at + 4)])
        }
        let at = 190 * scene.frame.rowBytes + 320 * 2
        let frame = Array(scene.frame.bytes[at..<(at + 4)])
        // Smoothing blends a new mask with the history...
        #expect(try personPixel(reset: false) != frame)
        // ...so the first real one after a stand-in is taken as it is.
        #expect(try personPixel(reset: true) == frame)
    }
}
