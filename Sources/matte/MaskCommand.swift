import ArgumentParser
import MatteImaging
import MatteMedia
import MatteSegmentation

struct MaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mask",
        abstract: "Write the person mask of an image as an 8-bit grayscale PNG (255 = person)."
    )

    @Argument(help: "The image to segment (JPEG, PNG or anything FFmpeg reads).")
    var image: String

    @Option(name: .shortAndLong, help: "Where to write the mask PNG.")
    var output: String

    @Option(
        help: "general, landscape, auto (landscape for wide images), or a path to a .tflite model.",
        transform: ModelChoice.parse
    )
    var model: ModelChoice = .automatic

    func validate() throws {
        guard output.lowercased().hasSuffix(".png") else {
            throw ValidationError("-o \(output): the mask is written as a PNG; give a name ending in .png")
        }
    }

    func run() throws {
        let interruption = InterruptionGuard()
        let frame = try ImageFile.load(image)
        if let problem = FrameLimits.frameProblem(width: frame.width, height: frame.height) {
            throw CommandError("\(image): \(problem)")
        }
        let target = try OutputFile(output, inputs: [image])
        interruption.removeOnSecondSignal(target.temporary)
        let maker = try loadMaskMaker(model, frameWidth: frame.width, frameHeight: frame.height)
        var input = ModelInput(width: maker.inputWidth, height: maker.inputHeight)
        let sampler = ModelInputSampler(
            sourceWidth: frame.width,
            sourceHeight: frame.height,
            targetWidth: maker.inputWidth,
            targetHeight: maker.inputHeight
        )
        input.values.withUnsafeMutableBufferPointer { sampler.sample(frame, into: $0.baseAddress!) }
        var personMask = PersonMask(width: maker.maskWidth, height: maker.maskHeight)
        // A recurrent network (rvm) sees the photo as a still video whose state settles over its first frames, as
        // the live camera lets it; a segmentation model gives the same mask each time, so runs once.
        let runs = maker is VideoMatter ? 4 : 1
        do {
            for _ in 0..<runs { try maker.makeMask(from: input, into: &personMask) }
        } catch { throw CommandError(error.description) }
        let mask = try PixelBuffer.allocate(width: frame.width, height: frame.height, format: .gray8, for: image)
        let upscaler = MaskUpscaler(
            sourceWidth: maker.maskWidth,
            sourceHeight: maker.maskHeight,
            targetWidth: frame.width,
            targetHeight: frame.height
        )
        personMask.values.withUnsafeBufferPointer { upscaler.upscale($0.baseAddress!, into: mask) }
        let png = try ImageFile.encodePNG(mask, path: output)
        try interruption.stopIfInterrupted("\(output) was not written")
        try target.write(png)
    }
}
