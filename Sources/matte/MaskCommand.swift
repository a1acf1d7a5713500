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
        let segmenter = try loadSegmenter(model, frameWidth: frame.width, frameHeight: frame.height)
        let probabilities = try segmenter.segment(frame)
        let mask = try PixelBuffer.allocate(width: frame.width, height: frame.height, format: .gray8, for: image)
        MaskUpscaler(
            sourceWidth: segmenter.modelWidth,
            sourceHeight: segmenter.modelHeight,
            targetWidth: frame.width,
            targetHeight: frame.height
        )
        .upscale(probabilities.baseAddress!, into: mask)
        let png = try ImageFile.encodePNG(mask, path: output)
        try interruption.stopIfInterrupted("\(output) was not written")
        try target.write(png)
    }
}
