/// The picture sizes Matte accepts. Frames (what is segmented and composited) must be at least
/// `minimumFrameSide` on each side: below that the model sees a few pixels and the quarter-resolution blur
/// has nothing to work on. Every picture, frames and backgrounds alike, is at most `maximumSide` on each
/// side; the limit is checked before a picture is decoded, so a small file declaring a huge size (a
/// decompression bomb) costs nothing.
public enum FrameLimits {
    public static let minimumFrameSide = 16
    public static let maximumSide = 8192

    /// Why a picture of this size cannot be decoded at all, or nil.
    public static func pictureProblem(width: Int, height: Int) -> String? {
        guard width > 0, height > 0 else { return "has no picture size" }
        guard width <= maximumSide, height <= maximumSide else {
            return "too large (\(width)×\(height); the limit is \(maximumSide)×\(maximumSide))"
        }
        return nil
    }

    /// Why a picture of this size cannot be a frame (segmented and composited), or nil.
    public static func frameProblem(width: Int, height: Int) -> String? {
        guard width >= minimumFrameSide, height >= minimumFrameSide else {
            return "too small (\(width)×\(height); Matte needs at least \(minimumFrameSide)×\(minimumFrameSide))"
        }
        return pictureProblem(width: width, height: height)
    }

    /// Parses `WIDTHxHEIGHT` strictly (digits only), for frame sizes: nil when it does not look like one.
    /// `evenWidth` is for sizes that become YUYV buffers as they are (cameras and virtual cameras).
    public static func parseFrameSize(_ text: String, evenWidth: Bool) -> Result<(width: Int, height: Int), SizeError> {
        let parts = text.split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2,
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 6 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let width = Int(parts[0]), let height = Int(parts[1])
        else {
            return .failure(SizeError("\(text) is not a size; write WIDTHxHEIGHT, such as 1280x720"))
        }
        if let problem = frameProblem(width: width, height: height) {
            return .failure(SizeError("\(text) is \(problem)"))
        }
        if evenWidth && width % 2 != 0 {
            return .failure(
                SizeError("\(text) has an odd width; cameras use even widths, such as \(width + 1)x\(height)")
            )
        }
        return .success((width, height))
    }

    public struct SizeError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
