import CTurboJPEG
import MatteImaging
import MatteMemory

/// Decodes MJPEG camera frames straight into YUYV with libjpeg-turbo: JPEG's own YUV planes, repacked and
/// range-converted, with no RGB step.
public final class MJPEGDecoder {
    public let width: Int, height: Int
    private let handle: tjhandle
    private var planes: [Plane<UInt8>] = []
    /// TurboJPEG's arguments for the planes, kept so that decoding a frame allocates nothing.
    private var planePointers: [UnsafeMutablePointer<UInt8>?] = []
    private var planeStrides: [Int32] = []
    private var planeSubsampling: Int32 = -1

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        handle = tjInitDecompress()
    }

    deinit {
        tjDestroy(handle)
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case corrupt(String)
        case wrongSize(Int, Int)

        public var description: String {
            switch self {
            case let .corrupt(reason): return "corrupt JPEG frame: \(reason)"
            case let .wrongSize(width, height): return "a JPEG frame of \(width)×\(height), not the size the camera set"
            }
        }
    }

    /// Decodes one frame into `out` (YUYV, width × height). A corrupt frame throws and leaves `out` as it was
    /// wherever decoding had not reached.
    public func decode(_ jpeg: UnsafeRawBufferPointer, into out: PixelBuffer) throws(Failure) {
        precondition(
            out.format == .yuyv && out.width == width && out.height == height,
            "decoder output must be YUYV at its size"
        )
        guard let base = jpeg.baseAddress, jpeg.count > 4 else { throw .corrupt("empty frame") }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var w: Int32 = 0
        var h: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, bytes, UInt(jpeg.count), &w, &h, &subsampling, &colorspace) == 0 else {
            throw .corrupt(String(cString: tjGetErrorStr2(handle)))
        }
        guard Int(w) == width, Int(h) == height else { throw .wrongSize(Int(w), Int(h)) }
        let (shiftX, shiftY): (Int, Int)
        switch Int(subsampling) {
        case Int(TJSAMP_444.rawValue): (shiftX, shiftY) = (0, 0)
        case Int(TJSAMP_422.rawValue): (shiftX, shiftY) = (1, 0)
        case Int(TJSAMP_420.rawValue): (shiftX, shiftY) = (1, 1)
        case Int(TJSAMP_440.rawValue): (shiftX, shiftY) = (0, 1)
        case Int(TJSAMP_411.rawValue): (shiftX, shiftY) = (2, 0)
        default: throw .corrupt("unsupported JPEG subsampling \(subsampling)")
        }
        if planeSubsampling != subsampling {
            planes = (0..<3).map { component in
                let size =
                    Int(tjPlaneWidth(Int32(component), w, subsampling))
                    * Int(tjPlaneHeight(Int32(component), h, subsampling))
                return Plane(count: max(size, 1), repeating: 128)
            }
            planePointers = planes.map { $0.pointer }
            planeStrides = (0..<3).map { tjPlaneWidth(Int32($0), w, subsampling) }
            planeSubsampling = subsampling
        }
        if tjDecompressToYUVPlanes(handle, bytes, UInt(jpeg.count), &planePointers, w, &planeStrides, h, TJFLAG_FASTDCT)
            != 0,
            tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue)
        {
            // Warnings (a few missing bytes) still give a usable picture; fatal errors do not.
            throw .corrupt(String(cString: tjGetErrorStr2(handle)))
        }
        let strides = planeStrides
        FrameConversion.fullToLimitedLuma.withUnsafeBufferPointer { luma in
            FrameConversion.fullToLimitedChroma.withUnsafeBufferPointer { chroma in
                FrameConversion.planarToYUYV(
                    y: planes[0].pointer,
                    yStride: Int(strides[0]),
                    u: planes[1].pointer,
                    v: planes[2].pointer,
                    chromaStride: Int(strides[1]),
                    chromaShiftX: shiftX,
                    chromaShiftY: shiftY,
                    lumaTable: luma.baseAddress!,
                    chromaTable: chroma.baseAddress!,
                    into: out.base,
                    outStride: out.rowBytes,
                    width: width,
                    height: height
                )
            }
        }
    }
}
