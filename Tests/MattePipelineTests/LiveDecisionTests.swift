import Foundation
import MatteCore
import MatteImaging
import Testing

@testable import MattePipeline

/// The live path's decisions, as plain values: no threads, devices or models.
@Suite struct InferenceScheduleTests {
    /// The thumbnails of two generated frames with a block that moves between them.
    static func scenes() -> [SceneThumbnail] {
        let source = SyntheticSource(width: 320, height: 180, frameRate: 30, paced: false, distinctFrames: 2)
        let frame = PixelBuffer(width: 320, height: 180, format: .yuyv)
        return (0..<2).map { _ in
            _ = try? source.next(into: frame, timeout: 0)
            var thumbnail = SceneThumbnail()
            thumbnail.measure(frame)
            return thumbnail
        }
    }

    /// Frames at 30 fps for `seconds`; the scene changes at every frame when `moving`. Returns the times (ms)
    /// of the frames sampled for the model.
    static func run(
        rate: Double?,
        moving: Bool,
        busy: (Double) -> Bool = { _ in false },
        maskNeeded: Bool = true
    )
        -> [Double]
    {
        var schedule = InferenceSchedule(rate: rate)
        let scenes = Self.scenes()
        var sampled: [Double] = []
        for frame in 0..<60 {
            let now = Double(frame) * 1000 / 30
            guard schedule.due(at: now, maskNeeded: maskNeeded, makerBusy: busy(now)) else { continue }
            // Moving: each frame looked at differs from the one before.
            if schedule.admit(at: now, scene: scenes[moving ? sampled.count % 2 : 0]) { sampled.append(now) }
        }
        return sampled
    }

    @Test func aMovingSceneIsSegmentedAtTheRateLimitEveryOtherFrame() {
        let sampled = Self.run(rate: 15, moving: true)
        #expect(sampled.count == 30)
        #expect(zip(sampled, sampled.dropFirst()).allSatisfy { abs($1 - $0 - 1000.0 / 15) < 1 })
    }

    @Test func aStillSceneIsSegmentedOnceASecondOnceItsFirstMasksSettled() {
        let sampled = Self.run(rate: 15, moving: false)
        let settling = InferenceSchedule.settlingMasks
        // The first masks at the rate limit (a recurrent network's state settles), then one a second.
        #expect(sampled.count == settling + 1, "\(sampled)")
        #expect(zip(sampled, sampled.dropFirst()).prefix(settling - 1).allSatisfy { abs($1 - $0 - 1000.0 / 15) < 1 })
        #expect(sampled[settling] - sampled[settling - 1] >= 900, "\(sampled)")
    }

    @Test func aNewStretchOfVideoSettlesAgain() {
        var schedule = InferenceSchedule(rate: 15)
        let scene = Self.scenes()[0]
        var sampled: [Double] = []
        for frame in 0..<60 {
            let now = Double(frame) * 1000 / 30
            if frame == 30 { schedule.startStretch() }
            if schedule.due(at: now, maskNeeded: true, makerBusy: false), schedule.admit(at: now, scene: scene) {
                sampled.append(now)
            }
        }
        // Settling from the start, and again from frame 30 (1 s), each at the rate limit.
        #expect(sampled.filter { $0 < 1000 }.count == InferenceSchedule.settlingMasks, "\(sampled)")
        #expect(sampled.filter { $0 >= 1000 }.count == InferenceSchedule.settlingMasks, "\(sampled)")
    }

    @Test func slowMotionAddsUpUntilItCounts() {
        var schedule = InferenceSchedule(rate: 15)
        let frame = YUYVKernels.testPattern(width: 320, height: 180)
        var sampled: [Int] = []
        for index in 0..<30 {
            // The picture brightens by one level a frame, far below what one frame's change would count as.
            for at in stride(from: 0, to: frame.bytes.count, by: 2) where index > 0 { frame.bytes[at] &+= 1 }
            var scene = SceneThumbnail()
            scene.measure(frame)
            let now = Double(index) * 1000 / 30
            if schedule.due(at: now, maskNeeded: true, makerBusy: false), schedule.admit(at: now, scene: scene) {
                sampled.append(index)
            }
        }
        // Segmented at the start, and again once the change since then passed 8 levels: well before a second.
        #expect(sampled.count >= 2 && sampled[1] <= 12, "\(sampled)")
    }

    @Test func withoutALimitEveryFrameTheMakerIsFreeForIsSampledStillOrNot() {
        #expect(Self.run(rate: nil, moving: false).count == 60)
        // Busy for the first second: nothing is sampled while it works.
        #expect(Self.run(rate: nil, moving: true, busy: { $0 < 1000 }).count == 30)
    }

    @Test func aNewPictureIsACutAMovingPersonIsNot() {
        var schedule = InferenceSchedule(rate: 15)
        let scenes = Self.scenes()
        #expect(!schedule.isCut(scenes[0]), "nothing segmented yet: nothing to cut from")
        let admitted = schedule.admit(at: 0, scene: scenes[0])
        #expect(admitted)
        #expect(!schedule.isCut(scenes[0]))
        #expect(!schedule.isCut(scenes[1]), "a block moving across the picture")
        let other = YUYVKernels.testPattern(width: 320, height: 180, seed: 9)
        for at in stride(from: 0, to: other.bytes.count, by: 2) { other.bytes[at] = 255 &- other.bytes[at] }
        var switched = SceneThumbnail()
        switched.measure(other)
        #expect(schedule.isCut(switched), "another camera's picture")
        let dark = YUYVKernels.testPattern(width: 320, height: 180)
        for at in stride(from: 0, to: dark.bytes.count, by: 2) { dark.bytes[at] /= 4 }
        var before = SceneThumbnail()
        var after = SceneThumbnail()
        before.measure(YUYVKernels.testPattern(width: 320, height: 180))
        after.measure(dark)
        var lights = InferenceSchedule(rate: 15)
        let lit = lights.admit(at: 0, scene: before)
        #expect(lit)
        #expect(lights.isCut(after), "the lights going out")
    }

    @Test func nothingIsSampledWhenNoMaskIsNeededOrTheMakerIsBusy() {
        #expect(Self.run(rate: 15, moving: true, maskNeeded: false).isEmpty)
        #expect(Self.run(rate: 15, moving: true, busy: { _ in true }).isEmpty)
    }
}

@Suite struct MaskMatcherTests {
    static let stamp = FrameStamp(sequence: 3, mirrored: false, captureTime: 0)

    /// The verdicts for a sequence of frames: (frame mirrored, mask stamp, mask new).
    static func verdicts(_ frames: [(Bool, FrameStamp?, Bool)]) -> [MaskMatcher.Verdict] {
        var matcher = MaskMatcher()
        return frames.map { matcher.match(frameMirrored: $0.0, mask: $0.1, maskIsNew: $0.2) }
    }

    @Test func theFirstMaskStartsTheSmoothingAfreshOnce() {
        var next = Self.stamp
        next.sequence = 4
        let verdicts = Self.verdicts([
            (false, nil, false), (false, Self.stamp, true), (false, Self.stamp, false), (false, next, true),
        ])
        #expect(verdicts == [.init(), .init(resetSmoothing: true), .init(), .init()])
    }

    @Test func aMaskOfTheOtherOrientationIsTurnedAroundAndTheHistoryDropped() {
        // The caller turns its copy around, whose stamp then says mirrored.
        var turned = Self.stamp
        turned.mirrored = true
        let verdicts = Self.verdicts([
            (false, Self.stamp, true),
            // The mirror setting changes: frames come mirrored while the newest mask is not.
            (true, Self.stamp, false),
            (true, turned, false),
            (true, Self.stamp, true),
        ])
        #expect(
            verdicts == [
                .init(resetSmoothing: true), .init(turnAround: true, resetSmoothing: true), .init(),
                .init(turnAround: true),
            ]
        )
    }

    @Test func turningAMaskAroundMirrorsItsRowsAndStamp() {
        var mask = PersonMask(width: 3, height: 2)
        mask.values = [1, 2, 3, 4, 5, 6]
        mask.mirror()
        #expect(mask.values == [3, 2, 1, 6, 5, 4])
        #expect(mask.stamp.mirrored)
        #expect(mask.identity != PersonMask(width: 3, height: 2).identity)
    }
}

@Suite struct OutputTurnTests {
    @Test func aFrameIsAlwaysComposited() {
        for idle in [false, true] {
            for still in [false, true] {
                #expect(
                    OutputTurn.choose(
                        frameArrived: true,
                        idle: idle,
                        waitingForSource: !idle,
                        showingStill: still,
                        due: false
                    ) == .composite
                )
            }
        }
    }

    @Test func withoutAFrameTheStillThenThePlaceholderGoOutWhenDue() {
        func turn(idle: Bool = false, waiting: Bool = false, still: Bool = false, due: Bool = true) -> OutputTurn {
            OutputTurn.choose(frameArrived: false, idle: idle, waitingForSource: waiting, showingStill: still, due: due)
        }
        #expect(turn(still: true) == .still)
        #expect(turn(waiting: true, still: true) == .still)
        #expect(turn(waiting: true) == .placeholder)
        #expect(turn() == .nothing, "running but the frame is late: the last one stays")
        #expect(turn(waiting: true, due: false) == .nothing)
        #expect(turn(idle: true, waiting: true, still: true) == .nothing, "nobody reads an idle camera")
    }
}

@Suite struct SourceRetryTests {
    @Test func eachKindOfFailureHasItsPace() {
        #expect(SourceRetry.delay(after: .gone) == 1)
        #expect(SourceRetry.delay(after: .transient) == 1)
        #expect(SourceRetry.delay(after: .busy) > SourceRetry.delay(after: .gone))
        #expect(SourceRetry.delay(after: .unsupported) >= 10)
    }

    @Test func aFailureIsReportedWhenItsKindChangesAndAgainAfterTheSourceOpened() {
        var retry = SourceRetry()
        var news: [Bool] = []
        for kind in [PipelineError.Kind.gone, .gone, .busy, .gone] {
            news.append(retry.isNews(PipelineError("failed", kind: kind)))
        }
        retry.opened()
        news.append(retry.isNews(PipelineError("failed", kind: .gone)))
        #expect(news == [true, false, true, true, true])
    }
}

@Suite struct InputMailboxTests {
    /// The capture thread hands over an input whenever the maker is free, as fast as it can, while another
    /// thread takes and finishes them: every handover must go through. A publish marked busy after the take had
    /// already cleared it left the maker "busy" for good, and inference stopped.
    @Test func handoversNeverWedgeTheMaker() throws {
        let mailbox = InputMailbox(width: 4, height: 2)
        let handovers = 5000
        let taker = Thread {
            var input = ModelInput(width: 4, height: 2)
            while input.stamp.sequence < handovers {
                if mailbox.take(&input, after: input.stamp.sequence, timeout: 0.25) { mailbox.finished() }
            }
        }
        taker.start()
        var input = ModelInput(width: 4, height: 2)
        var sequence = 0
        let deadline = monotonicMilliseconds() + 20_000
        while sequence < handovers && monotonicMilliseconds() < deadline {
            if mailbox.makerBusy { continue }
            sequence += 1
            input.stamp.sequence = sequence
            mailbox.publish(&input)
        }
        #expect(sequence == handovers, "the maker stayed busy after \(sequence) handovers")
        mailbox.close()
        while !taker.isFinished && monotonicMilliseconds() < deadline { usleep(1000) }
    }
}
