import MatteCompositing
import MatteImaging

/// Compositing one frame for each background mode (no inference), timed against a memcpy of the frame.
public struct CompositeBenchmark {
    public let width: Int, height: Int, runs: Int
    static let modelWidth = 256
    static let modelHeight = 144

    public init(width: Int, height: Int, runs: Int) {
        self.width = width
        self.height = height
        self.runs = runs
    }

    /// One unit of per-frame work: `run` composites (or runs a stage on) one frame.
    public struct Workload {
        public let name: String
        public let run: () -> Void
    }

    /// Person-shaped masks (an ellipse with soft edges), two of them, told apart by their sequence numbers, so
    /// that every composite gets a new mask and pays for refining it (the live pipeline refines each new mask
    /// once).
    static func personMasks() -> [PersonMask] {
        [Float(128), 131].enumerated().map { index, centre in
            var mask = PersonMask(width: modelWidth, height: modelHeight)
            for y in 0..<modelHeight {
                for x in 0..<modelWidth {
                    let dx = (Float(x) - centre) / 60
                    let dy = (Float(y) - 100) / 80
                    mask.values[y * modelWidth + x] = min(max((1.2 - (dx * dx + dy * dy).squareRoot()) * 3, 0), 1)
                }
            }
            mask.stamp.sequence = index + 1
            return mask
        }
    }

    /// A camera frame and a background picture.
    func inputs() -> (frame: PixelBuffer, picture: PixelBuffer) {
        (
            YUYVKernels.testPattern(width: width, height: height),
            YUYVKernels.testPattern(width: width, height: height, seed: 7)
        )
    }

    /// Every background mode with and without edge refinement, each compositing a new frame per call.
    public func compositeWorkloads() throws -> [Workload] {
        let (frame, picture) = inputs()
        let out = PixelBuffer(width: width, height: height, format: .yuyv)
        let masks = Self.personMasks()
        let modes: [(String, BackgroundLayer)] = [
            ("colour", .color(y: 81, u: 90, v: 240)), ("image", .picture(picture)),
            ("blur", .blur(strength: 16)), ("none", .none),
        ]
        let framing = try framingParts()
        var framedCount = 0
        let framed = Workload(name: Self.framedWorkloadName) {
            framedCount += 1
            // What FrameProcessor does with framing on, with a crop that moves every frame (the worst case: the
            // scaler's tables are rebuilt each time).
            framing.compositor.composite(
                frame: frame,
                mask: masks[framedCount % 2],
                background: .picture(picture),
                into: out,
                drawsOverlay: false
            )
            framing.controller.update(mask: masks[framedCount % 2], threshold: 0.5, dt: 1.0 / 30)
            framing.scaler.scale(out, crop: Self.movingCrop(framedCount, zoom: 1.25, of: out), into: framing.framed)
        }
        return try modes.flatMap { name, layer in
            try [true, false].map { guided in
                var settings = MaskSettings()
                settings.guided = guided
                let compositor = try Compositor(
                    width: width,
                    height: height,
                    modelWidth: Self.modelWidth,
                    modelHeight: Self.modelHeight,
                    maskSettings: settings
                )
                var count = 0
                return Workload(name: "\(name)\(guided ? "" : " (bilinear mask)")") {
                    count += 1
                    compositor.composite(
                        frame: frame,
                        mask: masks[count % 2],
                        background: layer,
                        into: out
                    )
                }
            }
        } + [framed]
    }

    static let framedWorkloadName = "image + moving framing"

    /// The parts framing adds to compositing, as FrameProcessor holds them (default mask settings, as the
    /// "image (bilinear mask)" workload it is compared with).
    func framingParts() throws -> (
        compositor: Compositor, controller: FramingController, scaler: YUYVScaler, framed: PixelBuffer
    ) {
        (
            try Compositor(width: width, height: height, modelWidth: Self.modelWidth, modelHeight: Self.modelHeight),
            FramingController(width: width, height: height, maskWidth: Self.modelWidth, maskHeight: Self.modelHeight),
            YUYVScaler(sourceWidth: width, sourceHeight: height, width: width, height: height),
            PixelBuffer(width: width, height: height, format: .yuyv)
        )
    }

    /// A crop zoomed `zoom` times that pans a fraction of a pixel further at every call.
    static func movingCrop(_ call: Int, zoom: Double, of frame: PixelBuffer) -> CropRect {
        let width = Double(frame.width) / zoom
        let height = Double(frame.height) / zoom
        let travel = Double(frame.width) - width
        return CropRect(x: Double(call % 64) * 0.37 / 64 * travel, y: 0.1 * height, width: width, height: height)
    }

    /// Each stage of the compositing path alone, to see where a mode's time goes.
    public func stageWorkloads() throws -> [Workload] {
        let (frame, picture) = inputs()
        let probabilities = Self.personMasks()[0].values
        let refiner = MaskRefiner(width: Self.modelWidth, height: Self.modelHeight)
        var guide = [Float](repeating: 0, count: Self.modelWidth * Self.modelHeight)
        ModelInputSampler(
            sourceWidth: width,
            sourceHeight: height,
            targetWidth: Self.modelWidth,
            targetHeight: Self.modelHeight
        ).sampleLuma(frame, into: &guide)
        let alpha = PixelBuffer(width: width, height: height, format: .yuyv)
        let out = PixelBuffer(width: width, height: height, format: .yuyv)
        let expander = AlphaExpander(
            lowWidth: Self.modelWidth,
            lowHeight: Self.modelHeight,
            width: width,
            height: height
        )
        let blur = try BackgroundBlur(width: width, height: height, strength: 16)
        let (modelWidth, modelHeight, height) = (Self.modelWidth, Self.modelHeight, height)
        let framing = try framingParts()
        let masks = Self.personMasks()
        var measured = 0
        var scaled = 0
        let scaling = [1.1, 1.6].map { zoom in
            Workload(name: "framing: scale \(format(zoom))×") {
                scaled += 1
                framing.scaler.scale(frame, crop: Self.movingCrop(scaled, zoom: zoom, of: frame), into: out)
            }
        }
        return [
            Workload(name: "refine mask (model res)") { refiner.refine(probabilities: probabilities, guide: guide) },
            Workload(name: "expand alpha (full res)") {
                expander.expand(a: refiner.a.pointer, b: refiner.b.pointer, frame: frame, into: alpha)
            },
            Workload(name: "blend over picture") {
                BlendKernels.blend(
                    foreground: frame.base,
                    background: picture.base,
                    alpha: alpha.base,
                    into: out.base,
                    count: frame.bytes.count
                )
            },
            Workload(name: "blur background (prepare)") {
                blur.prepare(
                    frame: frame,
                    a: refiner.a.pointer,
                    b: refiner.b.pointer,
                    modelWidth: modelWidth,
                    modelHeight: modelHeight
                )
            },
            Workload(name: "blur rows") {
                for y in 0..<height { blur.backgroundRow(y, into: out.base + y * out.rowBytes) }
            },
            Workload(name: "framing: measure") {
                measured += 1
                framing.controller.update(mask: masks[measured % 2], threshold: 0.5, dt: 1.0 / 30)
            },
        ] + scaling
    }

    public func run(report: (String) -> Void) throws {
        let frame = YUYVKernels.testPattern(width: width, height: height)
        let copyTarget = PixelBuffer(width: width, height: height, format: .yuyv)
        let copy = measure(runs: runs) { copyTarget.bytes.copyMemory(from: UnsafeRawBufferPointer(frame.bytes)) }
        report(
            "\(width)×\(height) YUYV, median of \(runs) runs, one thread; memcpy of a frame: \(format(copy.median)) ms"
        )
        var medians: [String: Double] = [:]
        for workload in try compositeWorkloads() {
            let time = measure(runs: runs, workload.run)
            medians[workload.name] = time.median
            report(
                "\(workload.name.padded(to: 24)) \(format(time.median)) ms  "
                    + "(\(format(time.median / copy.median))× memcpy, p10 \(format(time.p10)) ms)"
            )
        }
        if let framed = medians[Self.framedWorkloadName], let image = medians["image (bilinear mask)"] {
            report("framing +\(format(framed - image)) ms over image (goal ≤ 0.30)")
        }
        for stage in try stageWorkloads() {
            let time = measure(runs: runs, stage.run)
            report(
                "  stage \(stage.name.padded(to: 26)) \(format(time.median)) ms  "
                    + "(\(format(time.median / copy.median))× memcpy)"
            )
        }
    }
}
