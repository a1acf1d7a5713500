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

    @Option(help: "general, landscape, auto (landscape for wide images), or a path to a .tflite model.")
    var model: ModelChoice = .automatic

    func run() throws {
        let frame: PixelBuffer
        do { frame = try ImageFile.load(image) } catch { throw fail(error.description) }
        let segmenter = try loadSegmenter(model, frameWidth: frame.width, frameHeight: frame.height)
        let probabilities: UnsafeMutableBufferPointer<Float>
        do { probabilities = try segmenter.segment(frame) } catch { throw fail(error.description) }
        let mask = PixelBuffer(width: frame.width, height: frame.height, format: .gray8)
        MaskUpscaler(sourceWidth: segmenter.modelWidth, sourceHeight: segmenter.modelHeight,
                     targetWidth: frame.width, targetHeight: frame.height)
            .upscale(probabilities.baseAddress!, into: mask)
        do { try ImageFile.savePNG(mask, to: output) } catch { throw fail(error.description) }
    }
}
