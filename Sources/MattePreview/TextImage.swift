/// Lines of text rasterised with `BitmapFont` into straight-alpha RGBA: white text on a translucent dark panel,
/// readable over any picture, each font pixel a `scale`×`scale` square.
public struct TextImage {
    public let width: Int
    public let height: Int
    /// R, G, B, A per pixel, row after row, `width * 4` bytes a row.
    public private(set) var pixels: [UInt8]

    /// Font pixels between the panel's edge and the text.
    public static let padding = 3
    /// Font pixels from one line to the next: the glyph and two rows of space.
    public static let lineHeight = BitmapFont.glyphHeight + 2
    static let panel: [UInt8] = [0, 0, 0, 170]
    static let ink: [UInt8] = [255, 255, 255, 255]

    public init(lines: [String], scale: Int) {
        let columns = lines.map(\.count).max() ?? 0
        let unscaledWidth = 2 * Self.padding + max(columns * BitmapFont.advance - 1, 0)
        let unscaledHeight = 2 * Self.padding + max(lines.count * Self.lineHeight - 2, 0)
        width = unscaledWidth * scale
        height = unscaledHeight * scale
        pixels = Array(repeating: 0, count: width * height * 4)
        for start in stride(from: 0, to: pixels.count, by: 4) {
            pixels.replaceSubrange(start..<start + 4, with: Self.panel)
        }
        for (row, line) in lines.enumerated() {
            for (column, character) in line.enumerated() {
                let left = Self.padding + column * BitmapFont.advance
                let top = Self.padding + row * Self.lineHeight
                for y in 0..<BitmapFont.glyphHeight {
                    for x in 0..<BitmapFont.glyphWidth where BitmapFont.isSet(character, x: x, y: y) {
                        fill(x: (left + x) * scale, y: (top + y) * scale, size: scale)
                    }
                }
            }
        }
    }

    private mutating func fill(x: Int, y: Int, size: Int) {
        for row in y..<y + size {
            for column in x..<x + size {
                let start = (row * width + column) * 4
                pixels.replaceSubrange(start..<start + 4, with: Self.ink)
            }
        }
    }

    /// The RGBA of pixel (`x`, `y`).
    public func pixel(x: Int, y: Int) -> [UInt8] {
        let start = (y * width + x) * 4
        return Array(pixels[start..<start + 4])
    }
}
