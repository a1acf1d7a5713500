import MatteCore
import MatteImaging
import MatteV4L2

#if canImport(Glibc)
import Glibc
#endif

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
        } catch { throw PipelineError(error) }
    }
}

extension PipelineError {
    /// A device failure, with what it means for trying again.
    public init(_ failure: DeviceError) {
        let kind: Kind
        switch failure.code {
        case _ where failure.unsupported: kind = .unsupported
        case ENOENT, ENODEV, ENXIO: kind = .gone
        case EBUSY: kind = .busy
        default: kind = .transient
        }
        self.init(failure.description, kind: kind)
    }
}
