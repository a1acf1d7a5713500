import MatteImaging
import MatteMemory

#if canImport(Glibc)
import Glibc
#endif

/// Whether the output follows the person by cropping and zooming, as a camera operator would.
public enum Framing: Equatable, Sendable {
    case off
    /// Zoom in at most `maxZoom` times (1.1…3.0).
    case auto(maxZoom: Double)

    public static let defaultMaxZoom = 1.6
    public static let maxZoomRange = 1.1...3.0

    /// Parses `off`, `auto` or `auto:MAX_ZOOM`.
    public init?(argument: String) {
        switch argument {
        case "off": self = .off
        case "auto": self = .auto(maxZoom: Self.defaultMaxZoom)
        default:
            guard argument.hasPrefix("auto:"), let zoom = Double(argument.dropFirst(5)),
                Self.maxZoomRange.contains(zoom)
            else { return nil }
            self = .auto(maxZoom: zoom)
        }
    }

    /// The command-line word for this setting: `Framing(argument:)` reads it back unchanged.
    public var argument: String {
        switch self {
        case .off: return "off"
        case let .auto(maxZoom): return maxZoom == Self.defaultMaxZoom ? "auto" : "auto:\(maxZoom)"
        }
    }
}

/// Decides, frame by frame, which part of the frame to show so that the person stays centred with headroom:
/// it measures the person's extent in the mask, turns it into a target crop, and eases towards it.
///
/// Small movements stay inside a dead zone and move nothing; larger ones are followed with a speed limit and
/// without overshoot; with nobody in frame for half a second the crop eases back to the whole picture. Pure
/// arithmetic on buffers made in `init`: `update` allocates nothing and gives the same crops for the same
/// masks.
public final class FramingController {
    public let width: Int, height: Int
    public let maskWidth: Int, maskHeight: Int
    public var maxZoom: Double
    /// The crop of the latest update, in frame pixels, with the frame's aspect ratio.
    public private(set) var crop: CropRect

    /// Probabilities under this never count as person, whatever the mask threshold: faint haze around a
    /// person would otherwise widen the measured extent.
    static let minimumWeight: Float = 0.3
    /// Less mass than this share of the cells is nobody (a few specks are not a person).
    static let nobodyShare: Float = 0.01
    static let nobodySeconds = 0.5
    /// Share of the crop's height above the head.
    static let headroom = 0.10
    /// Share of the crop the person's height fills, and how much wider than the person the crop is at least.
    static let heightFill = 0.9
    static let widthMargin = 1.2
    /// The head is the top fifth of the person: its centre, not that of spread arms, is what stays centred.
    static let headShare = 0.2
    /// Dead zone: the target must move this far from the resting crop before the crop follows.
    static let deadZoneX = 0.04
    static let deadZoneY = 0.04
    static let deadZoneZoom = log(1.06)
    /// Once the crop is this close to a moving target (share of the dead zone), it stops chasing and finishes
    /// its approach to where the target was, so noise in the target cannot keep it moving.
    static let settleShare = 0.25
    /// Easing: approach rate (98 % of the way in about a second), top speeds, and the time to reach them.
    static let rate = 4.0
    static let panSpeed = 0.35
    static let zoomSpeed = 0.5
    static let accelerationTime = 0.3
    /// The slowest approach, as a share of the top speed: the last pixels take a fraction of a second.
    static let minimumSpeed = 0.06

    private let columnMass: Plane<Float>
    private let rowMass: Plane<Float>
    /// The person's extent and head centre in frame pixels (left, right, top, bottom, head x), as last measured
    /// and smoothed.
    private var lastMeasurement: Measurement?
    private var smoothed: Measurement?
    private var nobodyTime = 0.0
    /// Where the crop is (centre x, centre y, log height), how fast it moves, and where it is going.
    private var position: Motion
    private var velocity = Motion(x: 0, y: 0, logHeight: 0)
    private var goal: Motion
    private var following = false

    struct Measurement: Equatable {
        var left: Double, right: Double, top: Double, bottom: Double, headX: Double
    }

    struct Motion {
        var x: Double, y: Double, logHeight: Double
    }

    public init(width: Int, height: Int, maskWidth: Int, maskHeight: Int, maxZoom: Double = Framing.defaultMaxZoom) {
        precondition(width > 0 && height > 0 && maskWidth > 0 && maskHeight > 0, "sizes must be positive")
        (self.width, self.height, self.maskWidth, self.maskHeight) = (width, height, maskWidth, maskHeight)
        self.maxZoom = maxZoom
        columnMass = Plane(count: maskWidth, repeating: 0)
        rowMass = Plane(count: maskHeight, repeating: 0)
        crop = .whole(width: width, height: height)
        position = Motion(x: Double(width) / 2, y: Double(height) / 2, logHeight: log(Double(height)))
        goal = position
    }

    /// Back to the whole frame at rest, forgetting the person.
    public func reset() {
        lastMeasurement = nil
        smoothed = nil
        nobodyTime = 0
        position = Motion(x: Double(width) / 2, y: Double(height) / 2, logHeight: log(Double(height)))
        velocity = Motion(x: 0, y: 0, logHeight: 0)
        goal = position
        following = false
        crop = .whole(width: width, height: height)
    }

    /// Takes the newest mask (`nil` or all zeros: nobody) and advances the crop by `dt` seconds.
    /// - Parameters:
    ///   - mask: person probabilities, maskWidth × maskHeight, in the frame's geometry (cell `i` of a row lies at
    ///     x = i · width / maskWidth).
    ///   - threshold: the mask threshold; weaker probabilities are not counted as person.
    @discardableResult
    public func update(mask: PersonMask?, threshold: Float, dt: Double) -> CropRect {
        let measurement = mask.flatMap { mask in
            precondition(mask.width == maskWidth && mask.height == maskHeight, "the mask is at the framing's size")
            return mask.values.withUnsafeBufferPointer { measure($0.baseAddress!, threshold: threshold) }
        }
        if let measurement {
            nobodyTime = 0
            // The live camera composites several frames per mask: the same mask measures the same and is not
            // averaged in again.
            if measurement != lastMeasurement {
                smoothed = smoothed.map { Self.average($0, measurement) } ?? measurement
                lastMeasurement = measurement
            }
        } else {
            nobodyTime += dt
            if nobodyTime >= Self.nobodySeconds {
                smoothed = nil
                lastMeasurement = nil
            }
        }
        let target = smoothed.map(targetMotion) ?? wholeFrame
        // A stalled output (a long dt) must not make the crop jump.
        advance(towards: target, dt: min(max(dt, 0), 1 / Self.rate))
        crop = cropRect(position)
        return crop
    }

    private var wholeFrame: Motion {
        Motion(x: Double(width) / 2, y: Double(height) / 2, logHeight: log(Double(height)))
    }

    private static func average(_ old: Measurement, _ new: Measurement) -> Measurement {
        Measurement(
            left: (old.left + new.left) / 2,
            right: (old.right + new.right) / 2,
            top: (old.top + new.top) / 2,
            bottom: (old.bottom + new.bottom) / 2,
            headX: (old.headX + new.headX) / 2
        )
    }

    /// The person's extent from mass percentiles (which ignore specks) and the head's centre, in frame pixels;
    /// `nil` when there is too little mass to be a person.
    private func measure(_ probabilities: UnsafePointer<Float>, threshold: Float) -> Measurement? {
        let floor = max(threshold, Self.minimumWeight)
        let columns = columnMass.pointer
        columns.update(repeating: 0, count: maskWidth)
        var total: Float = 0
        for y in 0..<maskHeight {
            let row = probabilities + y &* maskWidth
            // Four running sums instead of one: a float sum is a chain of dependent adds otherwise.
            var sums = (Float(0), Float(0), Float(0), Float(0))
            var x = 0
            while x &+ 4 <= maskWidth {
                let a = row[x]
                let b = row[x &+ 1]
                let c = row[x &+ 2]
                let d = row[x &+ 3]
                let ma = a >= floor ? a : 0
                let mb = b >= floor ? b : 0
                let mc = c >= floor ? c : 0
                let md = d >= floor ? d : 0
                columns[x] += ma
                columns[x &+ 1] += mb
                columns[x &+ 2] += mc
                columns[x &+ 3] += md
                sums = (sums.0 + ma, sums.1 + mb, sums.2 + mc, sums.3 + md)
                x &+= 4
            }
            var rowSum = (sums.0 + sums.1) + (sums.2 + sums.3)
            while x < maskWidth {
                let m = row[x] >= floor ? row[x] : 0
                columns[x] += m
                rowSum += m
                x &+= 1
            }
            rowMass[y] = rowSum
            total += rowSum
        }
        guard total >= Self.nobodyShare * Float(maskWidth * maskHeight) else { return nil }
        let mass = Double(total)
        let cellWidth = Double(width) / Double(maskWidth)
        let cellHeight = Double(height) / Double(maskHeight)
        let left = Self.percentile(0.02, of: columns, count: maskWidth, total: mass)
        let right = Self.percentile(0.98, of: columns, count: maskWidth, total: mass)
        let top = Self.percentile(0.01, of: rowMass.pointer, count: maskHeight, total: mass)
        let bottom = Self.percentile(0.99, of: rowMass.pointer, count: maskHeight, total: mass)
        // The head: mass centroid of the rows from the top down a fifth of the person's height.
        let firstRow = max(Int((top + 0.5).rounded(.down)), 0)
        let lastRow = min(Int((top + Self.headShare * (bottom - top) + 0.5).rounded(.down)), maskHeight - 1)
        var headMass = 0.0
        var headMoment = 0.0
        for y in firstRow...max(firstRow, lastRow) {
            let row = probabilities + y * maskWidth
            var rowMass: Float = 0
            var rowMoment: Float = 0
            for x in 0..<maskWidth {
                let m = row[x] >= floor ? row[x] : 0
                rowMass += m
                rowMoment += m * Float(x)
            }
            headMass += Double(rowMass)
            headMoment += Double(rowMoment)
        }
        let headCell = headMass > 0 ? headMoment / headMass : (left + right) / 2
        func frameX(_ cell: Double) -> Double { min(max(cell * cellWidth, 0), Double(width)) }
        func frameY(_ cell: Double) -> Double { min(max(cell * cellHeight, 0), Double(height)) }
        return Measurement(
            left: frameX(left),
            right: frameX(right),
            top: frameY(top),
            bottom: frameY(bottom),
            headX: frameX(headCell)
        )
    }

    /// Where the cumulative mass reaches `share` of `total`, in cells, each cell's mass spread evenly over
    /// [i − 0.5, i + 0.5] so the answer moves smoothly as the mask does.
    private static func percentile(
        _ share: Double,
        of mass: UnsafePointer<Float>,
        count: Int,
        total: Double
    ) -> Double {
        let wanted = share * total
        var cumulative = 0.0
        for index in 0..<count {
            let cell = Double(mass[index])
            if cell > 0 && cumulative + cell >= wanted {
                return Double(index) - 0.5 + (wanted - cumulative) / cell
            }
            cumulative += cell
        }
        return Double(count) - 0.5
    }

    /// The crop a camera operator would choose for `person`, as motion state.
    private func targetMotion(_ person: Measurement) -> Motion {
        let frameWidth = Double(width)
        let frameHeight = Double(height)
        let wanted = max(
            (person.bottom - person.top) / Self.heightFill,
            Self.widthMargin * (person.right - person.left) * frameHeight / frameWidth
        )
        let cropHeight = min(max(wanted, frameHeight / maxZoom), frameHeight)
        let cropWidth = cropHeight * frameWidth / frameHeight
        let left = min(max(person.headX - cropWidth / 2, 0), frameWidth - cropWidth)
        let top = min(max(person.top - Self.headroom * cropHeight, 0), frameHeight - cropHeight)
        return Motion(x: left + cropWidth / 2, y: top + cropHeight / 2, logHeight: log(cropHeight))
    }

    /// Moves the goal to the target when the target leaves the dead zone (and with it while following), then
    /// eases towards the goal: a rate-limited first-order approach never passes the goal.
    private func advance(towards target: Motion, dt: Double) {
        let frameWidth = Double(width)
        let frameHeight = Double(height)
        let outside =
            abs(target.x - goal.x) > Self.deadZoneX * frameWidth
            || abs(target.y - goal.y) > Self.deadZoneY * frameHeight
            || abs(target.logHeight - goal.logHeight) > Self.deadZoneZoom
        if outside { following = true }
        if following {
            goal = target
            let settled =
                abs(target.x - position.x) < Self.settleShare * Self.deadZoneX * frameWidth
                && abs(target.y - position.y) < Self.settleShare * Self.deadZoneY * frameHeight
                && abs(target.logHeight - position.logHeight) < Self.settleShare * Self.deadZoneZoom
            if settled { following = false }
        }
        let panLimit = Self.panSpeed * frameWidth
        position.x = Self.ease(position.x, &velocity.x, to: goal.x, limit: panLimit, dt: dt)
        position.y = Self.ease(position.y, &velocity.y, to: goal.y, limit: panLimit, dt: dt)
        position.logHeight = Self.ease(
            position.logHeight,
            &velocity.logHeight,
            to: goal.logHeight,
            limit: Self.zoomSpeed,
            dt: dt
        )
    }

    /// One step of `value` towards `goal`: the wanted speed is `rate` × distance, at least `minimumSpeed` × limit
    /// (so the approach ends instead of creeping for seconds) and at most `limit`; speeding up takes
    /// `accelerationTime` to full speed, slowing down is immediate. A step that would pass the goal lands on it.
    private static func ease(
        _ value: Double,
        _ speed: inout Double,
        to goal: Double,
        limit: Double,
        dt: Double
    )
        -> Double
    {
        let distance = goal - value
        let wanted = (distance < 0 ? -1 : 1) * min(max(rate * abs(distance), minimumSpeed * limit), limit)
        if wanted * speed <= 0 {
            speed = 0
        }
        if abs(wanted) <= abs(speed) {
            speed = wanted
        } else {
            let boost = limit / accelerationTime * dt
            speed += min(max(wanted - speed, -boost), boost)
        }
        if abs(speed * dt) >= abs(distance) {
            speed = 0
            return goal
        }
        return value + speed * dt
    }

    /// The crop for a motion state: the frame's aspect, inside the frame, exactly the whole frame when within
    /// a thousandth of a pixel of it (the scaler then copies).
    private func cropRect(_ motion: Motion) -> CropRect {
        let frameWidth = Double(width)
        let frameHeight = Double(height)
        let cropHeight = min(exp(motion.logHeight), frameHeight)
        if frameHeight - cropHeight < 1e-3 { return .whole(width: width, height: height) }
        let cropWidth = cropHeight * frameWidth / frameHeight
        return CropRect(
            x: min(max(motion.x - cropWidth / 2, 0), frameWidth - cropWidth),
            y: min(max(motion.y - cropHeight / 2, 0), frameHeight - cropHeight),
            width: cropWidth,
            height: cropHeight
        )
    }
}
