import MatteImaging
import Testing

@Suite struct GeometryTests {
    @Test func coverCropsTheOverflowEvenly() {
        // A square onto 16:9: the full width, a centred band of 1000 · 9/16 = 562.5 → 563 rows.
        let square = Fit.cover.layout(sourceWidth: 1000, sourceHeight: 1000, targetWidth: 1280, targetHeight: 720)
        #expect(square.crop == PixelRect(x: 0, y: 218, width: 1000, height: 563))
        #expect(square.destination == PixelRect(x: 0, y: 0, width: 1280, height: 720))
        // Same aspect: nothing cropped.
        let same = Fit.cover.layout(sourceWidth: 1920, sourceHeight: 1080, targetWidth: 1280, targetHeight: 720)
        #expect(same.crop == PixelRect(x: 0, y: 0, width: 1920, height: 1080))
        // 4:3 onto 16:9: the full width, a centred band of 640 · 9/16 = 360 rows.
        let fourThree = Fit.cover.layout(sourceWidth: 640, sourceHeight: 480, targetWidth: 1280, targetHeight: 720)
        #expect(fourThree.crop == PixelRect(x: 0, y: 60, width: 640, height: 360))
    }

    @Test func containCentresWithBars() {
        let square = Fit.contain.layout(sourceWidth: 1000, sourceHeight: 1000, targetWidth: 1280, targetHeight: 720)
        #expect(square.crop == PixelRect(x: 0, y: 0, width: 1000, height: 1000))
        #expect(square.destination == PixelRect(x: 280, y: 0, width: 720, height: 720))
        let wide = Fit.contain.layout(sourceWidth: 2000, sourceHeight: 500, targetWidth: 1280, targetHeight: 720)
        #expect(wide.destination == PixelRect(x: 0, y: 200, width: 1280, height: 320))
    }

    @Test func stretchAndTile() {
        let stretch = Fit.stretch.layout(sourceWidth: 300, sourceHeight: 100, targetWidth: 1280, targetHeight: 720)
        #expect(stretch.crop == PixelRect(x: 0, y: 0, width: 300, height: 100))
        #expect(stretch.destination == PixelRect(x: 0, y: 0, width: 1280, height: 720))
        // Tiles keep their own size (YUYV needs an even width).
        let tile = Fit.tile.layout(sourceWidth: 301, sourceHeight: 100, targetWidth: 1280, targetHeight: 720)
        #expect(tile.destination == PixelRect(x: 0, y: 0, width: 300, height: 100))
    }

    @Test func destinationsAreEvenForYUYV() {
        for fit in Fit.allCases {
            for (w, h) in [(333, 777), (1919, 1081), (17, 5), (4000, 30)] {
                let layout = fit.layout(sourceWidth: w, sourceHeight: h, targetWidth: 640, targetHeight: 360)
                #expect(layout.destination.x % 2 == 0 && layout.destination.width % 2 == 0, "\(fit) \(w)×\(h)")
                #expect(layout.crop.x + layout.crop.width <= w && layout.crop.y + layout.crop.height <= h)
                // A tile may be larger than the frame (the fitter clips it); every other fit stays inside.
                if fit != .tile {
                    #expect(
                        layout.destination.x + layout.destination.width <= 640
                            && layout.destination.y + layout.destination.height <= 360
                    )
                }
            }
        }
    }

    @Test func pacingPlaysClipsAtTheirOwnSpeed() {
        // A 10 fps clip in a 30 fps output advances one clip frame per three output frames.
        let ten = FramePacer(clipRate: 10, outputRate: 30)
        #expect((0..<9).map(ten.clipFrame(forOutputFrame:)) == [0, 0, 0, 1, 1, 1, 2, 2, 2])
        // 24 fps in 30 fps: four clip frames every five output frames.
        let film = FramePacer(clipRate: 24, outputRate: 30)
        #expect((0..<6).map(film.clipFrame(forOutputFrame:)) == [0, 0, 1, 2, 3, 4])
        #expect(film.clipFrame(forOutputFrame: 300) == 240)
        // 60 fps in 30 fps skips every other clip frame.
        #expect(FramePacer(clipRate: 60, outputRate: 30).clipFrame(forOutputFrame: 5) == 10)
    }
}
