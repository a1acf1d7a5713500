import CSDL2
import Foundation
import MatteCapture
import MatteControl
import MatteFileNames
import MatteImaging
import MatteMedia
import MatteV4L2

#if canImport(Glibc)
import Glibc
#endif

/// The preview window: the virtual camera read back from its device as any application reads it, so it shows
/// exactly what apps get, with an optional overlay of matte's status and person mask, and keys that change the
/// running camera through its control socket.
///
/// One thread does everything: SDL's events, a frame when one is ready, and the control requests, which are
/// local and answered within a frame or two. The device and the control socket are each retried every second,
/// so the window can be opened before matte runs and survives matte restarting.
public final class Preview {
    private let device: String
    private let connect: () throws -> any PreviewController
    /// Where refusals and saved snapshots are reported besides the overlay (the command prints them).
    private let report: (String) -> Void
    private let window: OpaquePointer
    private let renderer: OpaquePointer

    private var capture: LoopbackCapture?
    private var frameTexture: OpaquePointer?
    /// Why there is no picture (shown in the window while there is none).
    private var waiting = "not opened yet"
    private var logicalSize = (width: 640, height: 360)
    private var windowSizedFor: (width: Int, height: Int)?

    private var controller: (any PreviewController)?
    private var connectionProblem = "not connected yet"
    private var status: CameraStatus?
    /// The answer to the last key, shown in the overlay.
    private var message: String?

    private var showStatus: Bool
    private var showMask = false
    private var textTexture: OpaquePointer?
    private var textSize = (width: 0, height: 0)
    private var textLines: [String] = []
    private var maskTexture: OpaquePointer?
    private var maskSize = (width: 0, height: 0)

    private var nextDeviceAttempt = 0.0
    private var nextConnectAttempt = 0.0
    private var nextStatus = 0.0
    private var nextMask = 0.0
    private var framesThisSecond = 0
    private var secondStart = 0.0
    private var shownRate = 0.0
    private var needsDrawing = true
    private var running = true

    /// Opens the window (it shows "waiting for matte" until the device gives a picture).
    public init(
        device: String,
        showStatus: Bool,
        connect: @escaping () throws -> any PreviewController,
        report: @escaping (String) -> Void
    ) throws(PreviewError) {
        guard SDL_Init(SDL_INIT_VIDEO) == 0 else {
            throw PreviewError("cannot open a window: \(Self.sdlError()) (is DISPLAY or WAYLAND_DISPLAY set?)")
        }
        // Matte writes BT.601 limited range (MatteImaging's BT601), as webcams do.
        SDL_SetYUVConversionMode(SDL_YUV_CONVERSION_BT601)
        guard let window = SDL_CreateWindow("Matte preview", 0, 0, 640, 360, SDL_WINDOW_RESIZABLE.rawValue) else {
            let error = PreviewError("cannot open a window: \(Self.sdlError())")
            SDL_Quit()
            throw error
        }
        guard let renderer = SDL_CreateRenderer(window, -1, 0) else {
            let error = PreviewError("cannot draw in the window: \(Self.sdlError())")
            SDL_DestroyWindow(window)
            SDL_Quit()
            throw error
        }
        (self.device, self.connect, self.report, self.window, self.renderer) = (
            device, connect, report, window, renderer
        )
        self.showStatus = showStatus
        SDL_RenderSetLogicalSize(renderer, 640, 360)
    }

    deinit {
        for texture in [frameTexture, textTexture, maskTexture] { texture.map(SDL_DestroyTexture) }
        SDL_DestroyRenderer(renderer)
        SDL_DestroyWindow(window)
        SDL_Quit()
    }

    /// Runs until the window is closed, q or Esc is pressed, or SIGINT/SIGTERM arrive (SDL turns them into a
    /// quit event).
    public func run() {
        while running {
            var event = SDL_Event()
            // 10 ms: a frame at 30 fps waits at most a third of its interval for the loop to notice it.
            if SDL_WaitEventTimeout(&event, 10) != 0 {
                handle(event)
                while SDL_PollEvent(&event) != 0 { handle(event) }
            }
            let now = ProcessInfo.processInfo.systemUptime
            if capture == nil && now >= nextDeviceAttempt {
                openDevice()
                nextDeviceAttempt = now + 1
            }
            readFrame(now: now)
            if controller == nil && now >= nextConnectAttempt {
                nextConnectAttempt = now + 1
                do { controller = try connect() } catch { connectionProblem = "\(error)" }
            }
            if now >= nextStatus {
                nextStatus = now + 0.5
                refreshStatus()
            }
            if showMask && now >= nextMask {
                nextMask = now + 0.2
                refreshMask()
            }
            updateText()
            if needsDrawing { draw() }
        }
    }

    // MARK: - The picture

    private func openDevice() {
        let capture: LoopbackCapture
        do { capture = try LoopbackCapture(path: device) } catch {
            waiting = LoopbackCapture.isWaiting(error) ? "\(device) has no picture yet" : "\(error)"
            needsDrawing = true
            return
        }
        let format = capture.layout == .yuyv ? SDL_PIXELFORMAT_YUY2 : SDL_PIXELFORMAT_IYUV
        guard
            let texture = SDL_CreateTexture(
                renderer,
                format.rawValue,
                Int32(SDL_TEXTUREACCESS_STREAMING.rawValue),
                Int32(capture.width),
                Int32(capture.height)
            )
        else {
            waiting = "cannot show a \(capture.width)x\(capture.height) picture: \(Self.sdlError())"
            return
        }
        frameTexture.map(SDL_DestroyTexture)
        frameTexture = texture
        self.capture = capture
        logicalSize = (capture.width, capture.height)
        SDL_RenderSetLogicalSize(renderer, Int32(capture.width), Int32(capture.height))
        // The window takes the picture's size (within the screen) when the size is new, and keeps any size the
        // user gave it when matte merely restarted.
        if windowSizedFor.map({ $0 != (capture.width, capture.height) }) ?? true {
            windowSizedFor = (capture.width, capture.height)
            var (width, height) = (Double(capture.width), Double(capture.height))
            var bounds = SDL_Rect()
            if SDL_GetDisplayUsableBounds(0, &bounds) == 0, bounds.w > 0, bounds.h > 0 {
                let factor = min(1, Double(bounds.w) / width, Double(bounds.h) / height)
                (width, height) = (width * factor, height * factor)
            }
            SDL_SetWindowSize(window, Int32(width), Int32(height))
        }
        needsDrawing = true
    }

    private func readFrame(now: Double) {
        guard let capture, let frameTexture else { return }
        do {
            let shown = try capture.next(timeout: 0) { frame in
                let base = frame.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let pitch = capture.bytesPerLine
                switch capture.layout {
                case .yuyv:
                    SDL_UpdateTexture(frameTexture, nil, base, Int32(pitch))
                case .i420:
                    let u = base + pitch * capture.height
                    let v = u + pitch / 2 * (capture.height / 2)
                    SDL_UpdateYUVTexture(
                        frameTexture,
                        nil,
                        base,
                        Int32(pitch),
                        u,
                        Int32(pitch / 2),
                        v,
                        Int32(pitch / 2)
                    )
                }
            }
            if shown {
                framesThisSecond += 1
                needsDrawing = true
            }
        } catch {
            self.capture = nil
            waiting = "\(error)"
            needsDrawing = true
        }
        if now - secondStart >= 1 {
            shownRate = Double(framesThisSecond) / (now - secondStart)
            (framesThisSecond, secondStart) = (0, now)
        }
    }

    /// The part of the mask under the window's picture: the framing crop in mask cells.
    private func maskRegion() -> SDL_Rect {
        guard let crop = status?.crop, crop.count == 4 else {
            return SDL_Rect(x: 0, y: 0, w: Int32(maskSize.width), h: Int32(maskSize.height))
        }
        let (width, height) = (Double(maskSize.width), Double(maskSize.height))
        return SDL_Rect(
            x: Int32((crop[0] * width).rounded()),
            y: Int32((crop[1] * height).rounded()),
            w: Int32(max(1, (crop[2] * width).rounded())),
            h: Int32(max(1, (crop[3] * height).rounded()))
        )
    }

    private func draw() {
        needsDrawing = false
        SDL_SetRenderDrawColor(renderer, 0, 0, 0, 255)
        SDL_RenderClear(renderer)
        if capture != nil, let frameTexture {
            SDL_RenderCopy(renderer, frameTexture, nil, nil)
            if showMask, let maskTexture {
                // matte mirrors before segmenting, and its `mask` reply follows the frames now written; the mask
                // covers the whole frame, the window only the part auto-framing shows.
                var shown = maskRegion()
                SDL_RenderCopy(renderer, maskTexture, &shown, nil)
            }
        }
        if let textTexture, showStatus || capture == nil {
            var target = SDL_Rect(x: 8, y: 8, w: Int32(textSize.width), h: Int32(textSize.height))
            SDL_RenderCopy(renderer, textTexture, nil, &target)
        }
        SDL_RenderPresent(renderer)
    }

    // MARK: - The overlay

    private var overlayLines: [String] {
        guard let capture else { return ["waiting for matte", waiting] }
        guard showStatus else { return [] }
        let format = capture.layout == .yuyv ? "YUYV" : "I420"
        var lines = [
            "\(device)  \(capture.width)x\(capture.height) \(format)  shown " + String(format: "%.1f fps", shownRate)
        ]
        if controller == nil {
            lines.append("no control connection: \(connectionProblem)")
        } else if let status {
            lines += status.lines
        }
        if let message { lines.append(message) }
        lines += ["n/p background  m mirror  e effect  space pause", "s snapshot  f framing  o/k overlays  q quit"]
        return lines
    }

    /// Redraws the text texture when the lines changed.
    private func updateText() {
        let lines = overlayLines
        guard lines != textLines else { return }
        textLines = lines
        textTexture.map(SDL_DestroyTexture)
        textTexture = nil
        needsDrawing = true
        guard !lines.isEmpty else { return }
        // Large enough to read on a big picture, small enough that the longest line fits a small one.
        let unscaledWidth = TextImage(lines: lines, scale: 1).width
        let scale = max(1, min(max(2, logicalSize.width / 480), (logicalSize.width - 16) / unscaledWidth))
        let image = TextImage(lines: lines, scale: scale)
        guard let texture = texture(rgba: image.pixels, width: image.width, height: image.height) else { return }
        textTexture = texture
        textSize = (image.width, image.height)
    }

    private func texture(rgba: [UInt8], width: Int, height: Int) -> OpaquePointer? {
        guard
            let texture = SDL_CreateTexture(
                renderer,
                matte_SDL_PIXELFORMAT_RGBA32,
                Int32(SDL_TEXTUREACCESS_STATIC.rawValue),
                Int32(width),
                Int32(height)
            )
        else { return nil }
        SDL_UpdateTexture(texture, nil, rgba, Int32(width * 4))
        SDL_SetTextureBlendMode(texture, SDL_BLENDMODE_BLEND)
        return texture
    }

    // MARK: - Control

    /// One request; nil (and the reason in the overlay) when there is no connection or it was lost.
    private func control(_ line: String) -> ControlReply? {
        guard let controller else {
            message = "\(line): no control connection (\(connectionProblem))"
            return nil
        }
        do { return try controller.request(line) } catch {
            self.controller = nil
            connectionProblem = "\(error)"
            message = "\(line): \(error)"
            status = nil
            return nil
        }
    }

    private func refreshStatus() {
        guard controller != nil, let reply = control("status"), reply.ok else { return }
        if let fresh = CameraStatus.parse(reply: reply.text), fresh != status {
            status = fresh
            needsDrawing = true
        }
    }

    private func refreshMask() {
        guard controller != nil, let reply = control("mask"), reply.ok, let (width, height, cells) = reply.mask else {
            return
        }
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        for (index, value) in cells.enumerated() {
            // A magenta tint, at most half opaque, so the picture shows through where the person is.
            rgba[index * 4] = 255
            rgba[index * 4 + 2] = 200
            rgba[index * 4 + 3] = value / 2
        }
        if maskTexture == nil || maskSize != (width, height) {
            maskTexture.map(SDL_DestroyTexture)
            maskTexture = texture(rgba: rgba, width: width, height: height)
            maskSize = (width, height)
        } else if let maskTexture {
            SDL_UpdateTexture(maskTexture, nil, rgba, Int32(width * 4))
        }
        needsDrawing = true
    }

    private func saveSnapshot() {
        guard let reply = control("snapshot") else { return }
        guard reply.ok else { return say("snapshot: \(reply.text)") }
        guard let image = reply.snapshotImage else {
            return say("snapshot: an unexpected reply from matte: \(reply.text)")
        }
        let directory = SnapshotFile.directory(environment: UserDirectories.currentEnvironment())
        if FileName.withCString(directory, { mkdir($0, 0o755) }) != 0 && errno != EEXIST {
            return say("snapshot: cannot make \(directory): \(String(cString: strerror(errno)))")
        }
        let path = SnapshotFile.path(in: directory, at: Date())
        do { try ImageFile.savePNG(image, to: path) } catch { return say("snapshot: \(error)") }
        say("saved \(FileName.printable(path))")
    }

    private func say(_ text: String) {
        message = text
        report(text)
    }

    // MARK: - Events

    private func handle(_ event: SDL_Event) {
        switch event.type {
        case SDL_QUIT.rawValue: running = false
        case SDL_WINDOWEVENT.rawValue: needsDrawing = true
        case SDL_KEYDOWN.rawValue where event.key.repeat == 0:
            guard let key = Self.key(event.key.keysym.sym),
                let action = KeyBindings.action(for: key, settings: status?.settings)
            else { return }
            perform(action)
        default: break
        }
    }

    private func perform(_ action: PreviewAction) {
        switch action {
        case .send(let line):
            guard let reply = control(line) else { return }
            if reply.ok {
                message = "\(line): ok"
            } else {
                say("\(line): \(reply.text)")
            }
            // Toggles read the status: fetch it now, not half a second later.
            nextStatus = 0
        case .snapshot: saveSnapshot()
        case .toggleStatusOverlay: showStatus.toggle()
        case .toggleMaskOverlay:
            showMask.toggle()
            nextMask = 0
        case .quit: running = false
        }
        needsDrawing = true
    }

    static func key(_ code: SDL_Keycode) -> PreviewKey? {
        switch Int(code) {
        case Int(SDLK_LEFT.rawValue): return .left
        case Int(SDLK_RIGHT.rawValue): return .right
        case Int(SDLK_SPACE.rawValue): return .space
        case Int(SDLK_ESCAPE.rawValue): return .escape
        case 33..<127: return .character(Character(Unicode.Scalar(UInt8(code))))
        default: return nil
        }
    }

    private static func sdlError() -> String { String(cString: SDL_GetError()) }
}
