/// Box filters over small float planes (mask resolution or quarter resolution), clamped at the borders.
enum BoxFilter {
    /// Mean over a (2r+1)² window, edges replicated; `scratch` holds width × height floats.
    static func mean(
        _ plane: UnsafeMutablePointer<Float>,
        width: Int,
        height: Int,
        radius: Int,
        scratch: UnsafeMutablePointer<Float>
    ) {
        guard radius > 0 else { return }
        let scale = 1 / Float(2 * radius + 1)
        // Horizontal: plane → scratch. A running sum is a serial chain of adds; for the small radii used
        // here summing the window directly is cheaper because it vectorises along the row.
        for y in 0..<height {
            let row = plane + y &* width
            let out = scratch + y &* width
            if radius <= 8 && width > 2 &* radius {
                for x in 0..<radius { out[x] = clampedSum(row, x, radius, width) * scale }
                // Window offset outermost, so the inner loop runs along the row.
                for x in radius..<(width &- radius) { out[x] = row[x &- radius] }
                for k in 1...(2 &* radius) {
                    let shifted = row + (k &- radius)
                    for x in radius..<(width &- radius) { out[x] += shifted[x] }
                }
                for x in radius..<(width &- radius) { out[x] *= scale }
                for x in (width &- radius)..<width { out[x] = clampedSum(row, x, radius, width) * scale }
            } else {
                var sum: Float = 0
                for k in -radius...radius { sum += row[min(max(k, 0), width &- 1)] }
                for x in 0..<width {
                    out[x] = sum * scale
                    sum += row[min(x &+ radius &+ 1, width &- 1)] - row[max(x &- radius, 0)]
                }
            }
        }
        // Vertical: scratch → plane, whole rows at a time so the inner loop runs along memory.
        for x in 0..<width { plane[x] = 0 }
        for k in -radius...radius {
            let source = scratch + min(max(k, 0), height &- 1) &* width
            for x in 0..<width { plane[x] += source[x] }
        }
        var previous = plane
        for y in 1..<max(height, 1) {
            let out = plane + y &* width
            let entering = scratch + min(y &+ radius, height &- 1) &* width
            let leaving = scratch + max(y &- radius &- 1, 0) &* width
            for x in 0..<width { out[x] = previous[x] + entering[x] - leaving[x] }
            previous = out
        }
        for index in 0..<(width &* height) { plane[index] *= scale }
    }

    @inline(__always)
    private static func clampedSum(_ row: UnsafePointer<Float>, _ x: Int, _ radius: Int, _ width: Int) -> Float {
        var sum: Float = 0
        for k in -radius...radius { sum += row[min(max(x &+ k, 0), width &- 1)] }
        return sum
    }

    /// Minimum (erode) or maximum (dilate) over a (2r+1)² window.
    static func extremum(
        _ plane: UnsafeMutablePointer<Float>,
        width: Int,
        height: Int,
        radius: Int,
        maximum: Bool,
        scratch: UnsafeMutablePointer<Float>
    ) {
        guard radius > 0 else { return }
        @inline(__always) func pick(_ a: Float, _ b: Float) -> Float { maximum ? max(a, b) : min(a, b) }
        for y in 0..<height {
            let row = plane + y &* width
            let out = scratch + y &* width
            for x in 0..<width {
                var value = row[x]
                for k in max(x &- radius, 0)...min(x &+ radius, width &- 1) { value = pick(value, row[k]) }
                out[x] = value
            }
        }
        for y in 0..<height {
            let out = plane + y &* width
            for x in 0..<width { out[x] = scratch[y &* width &+ x] }
            for k in max(y &- radius, 0)...min(y &+ radius, height &- 1) {
                let source = scratch + k &* width
                for x in 0..<width { out[x] = pick(out[x], source[x]) }
            }
        }
    }
}
