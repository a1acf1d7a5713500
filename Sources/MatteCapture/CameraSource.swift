import MatteCore
import MatteImaging
import MatteV4L2

/// A camera as the pipeline's frame source.
public final class CameraSource: FrameSource {
    public let camera: Camera
    public var width: Int { camera.mode.width }
    public var height: Int { camera.mode.height }
    public var frameRate: Double { camera.mode.frameRate }
    public var description: String { "\(camera.device.path) (\(camera.mode))" }
    public var corruptFrames: Int { camera.corruptFrames }
    public var lastCorruption: String? { camera.lastCorruption }

    public init(path: String, width: Int, height: Int, frameRate: Double) throws(DeviceError) {
        camera = try Camera(path: path, width: width, height: height, frameRate: frameRate)
    }

    public func next(into out: PixelBuffer, timeout: Int32) throws(PipelineError) -> Double? {
        do {
            switch try camera.next(into: out, timeout: timeout) {
            case let .frame(timestamp): return timestamp
            case .none: return nil
            }
        } catch { throw PipelineError(error.description) }
    }
}
