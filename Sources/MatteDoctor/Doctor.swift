import CV4L2
import Foundation
import MatteCapture
import MatteOutput
import MattePipeWire
import MatteSegmentation
import MatteV4L2

#if canImport(Glibc)
import Glibc
import MatteFileNames
#endif

/// One thing `matte doctor` checked: fine, worth knowing, or a problem that keeps a call app from seeing a
/// working camera, with the commands that fix it.
public struct Finding: Sendable {
    public enum Level: String, Sendable {
        case ok, warning, problem
    }

    public let id: String
    public let level: Level
    public let message: String
    public let fixes: [String]

    public init(_ id: String, _ level: Level, _ message: String, fixes: [String] = []) {
        (self.id, self.level, self.message, self.fixes) = (id, level, message, fixes)
    }

    /// A problem that something else makes up for, as a warning saying what: its fixes stay.
    func downgraded(_ because: String) -> Finding {
        level == .problem ? Finding(id, .warning, "\(message) (\(because))", fixes: fixes) : self
    }
}

/// Checks the whole chain a call app depends on — the v4l2loopback module and device, the real camera,
/// the models, the CPU, and that something runs Matte — from what the system shows in /sys, /proc and
/// /dev, without changing anything.
public struct Doctor {
    public var camera: String?
    public var output: String?
    public var environment: [String: String]
    /// Where the kernel's module files and state are (tests point these elsewhere).
    var sysModule = "/sys/module/v4l2loopback"
    var modulesDirectory = "/lib/modules"

    public init(camera: String?, output: String?, environment: [String: String]) {
        (self.camera, self.output, self.environment) = (camera, output, environment)
    }

    static let modprobe = LoopbackOutput.recommendedModprobe
    static let onlyV4L2Apps =
        "PipeWire carries the camera meanwhile; apps that only read V4L2 devices (Zoom, older browsers) need this"

    public func run() -> [Finding] {
        var findings = [cpu(), models()]
        let pipeWire = pipeWire()
        // With a PipeWire daemon, `--output auto` publishes the camera there when v4l2loopback is missing: a
        // broken v4l2loopback then costs only the apps that read V4L2 devices alone, which is worth a warning.
        let loopbackOptional = pipeWire.level == .ok && !(output ?? "").hasPrefix("/")
        findings += loopback().map { loopbackOptional ? $0.downgraded(Self.onlyV4L2Apps) : $0 }
        findings.append(pipeWire)
        if pipeWire.level == .ok { findings += cameraPortal() }
        findings += realCamera()
        findings.append(service())
        return findings
    }

    // MARK: CPU and models

    func cpu() -> Finding {
        switch CPUFeatures.missing() {
        case nil: return Finding("cpu", .warning, "cannot read /proc/cpuinfo to check for AVX2 and FMA")
        case let missing? where !missing.isEmpty:
            return Finding(
                "cpu",
                .problem,
                "this CPU lacks \(missing.joined(separator: " and ")); Matte needs an x86-64 CPU from 2013 or later"
            )
        default: return Finding("cpu", .ok, "AVX2 and FMA present")
        }
    }

    /// The MediaPipe models are required; Robust Video Matting is optional (its own package, GPL-3.0), but a
    /// damaged copy is a problem.
    func models() -> Finding {
        var problems: [String] = []
        var fixes: [String] = []
        var found: [String] = []
        var matting = "rvm (optional) is not installed: sudo apt install matte-model-rvm"
        for choice in [ModelChoice.general, .landscape, .rvm] {
            let package = choice == .rvm ? "matte-model-rvm" : "matte"
            let setup = choice == .rvm ? "scripts/setup-models.sh --rvm" : "scripts/setup-models.sh"
            func problem(_ text: String) {
                problems.append(text)
                fixes += ["sudo apt install --reinstall \(package)", "\(setup)  # in a source checkout"]
            }
            guard let path = try? ModelLocator.path(for: choice, environment: environment) else {
                if choice != .rvm { problem("the \(choice) model is not installed") }
                continue
            }
            guard let digest = SHA256.hexDigest(ofFile: path) else {
                problem("\(path) cannot be read")
                continue
            }
            if digest != ModelLocator.publishedSHA256[choice] {
                problem("\(path) is damaged (sha256 \(digest.prefix(12))…, not the published model's)")
            } else if choice == .rvm {
                matting = "rvm installed and intact (\(path))"
            } else {
                found.append(path)
            }
        }
        guard problems.isEmpty else {
            var unique: [String] = []
            for fix in fixes where !unique.contains(fix) { unique.append(fix) }
            return Finding("models", .problem, problems.joined(separator: "; "), fixes: unique)
        }
        return Finding(
            "models",
            .ok,
            "general and landscape installed and intact (\(found.joined(separator: ", "))); \(matting)"
        )
    }

    // MARK: The virtual camera

    func loopback() -> [Finding] {
        let loaded = access(sysModule, F_OK) == 0
        if !loaded {
            guard moduleInstalled() else {
                return [
                    Finding(
                        "loopback-module",
                        .problem,
                        "the v4l2loopback kernel module is not installed",
                        fixes: ["sudo apt install v4l2loopback-dkms", Self.modprobe]
                    )
                ]
            }
            var findings = [Finding("loopback-module", .ok, "v4l2loopback is installed")]
            if secureBootEnabled() {
                findings.append(
                    Finding(
                        "secure-boot",
                        .problem,
                        "Secure Boot is on, so the kernel refuses a v4l2loopback module not signed with an enrolled key "
                            + "(modprobe then says 'Key was rejected by service')",
                        fixes: [
                            "sudo mokutil --import /var/lib/dkms/mok.pub  # then reboot and enrol the key",
                            Self.modprobe,
                        ]
                    )
                )
            }
            findings.append(
                Finding("loopback-loaded", .problem, "v4l2loopback is installed but not loaded", fixes: [Self.modprobe])
            )
            return findings
        }
        var findings = [
            Finding("loopback-module", .ok, "v4l2loopback is installed"),
            Finding("loopback-loaded", .ok, "v4l2loopback is loaded"),
        ]
        guard let path = output ?? DeviceCatalog.firstLoopback() else {
            findings.append(
                Finding(
                    "loopback-device",
                    .problem,
                    "v4l2loopback is loaded but has no device",
                    fixes: ["sudo modprobe -r v4l2loopback && \(Self.modprobe)"]
                )
            )
            return findings
        }
        guard let device = try? VideoDevice(path: path) else {
            let reason = String(cString: strerror(errno))
            if errno == EACCES {
                findings.append(Self.accessProblem("loopback-access", path))
            } else {
                findings.append(Finding("loopback-device", .problem, "\(path) cannot be opened: \(reason)"))
            }
            return findings
        }
        guard let caps = try? device.capabilities(), caps.isLoopback else {
            findings.append(
                Finding("loopback-device", .problem, "\(path) is not a v4l2loopback device", fixes: ["matte devices"])
            )
            return findings
        }
        findings.append(Finding("loopback-device", .ok, "\(path) (\(caps.card))"))
        if FileName.withCString(path, { access($0, W_OK) }) != 0 {
            findings.append(Self.accessProblem("loopback-access", path))
        } else {
            findings.append(Finding("loopback-access", .ok, "\(path) is writable"))
        }
        let output = caps.deviceCaps & UInt32(V4L2_CAP_VIDEO_OUTPUT) != 0
        if caps.canCapture && output {
            findings.append(
                Finding(
                    "loopback-options",
                    .problem,
                    "\(path) was made without exclusive_caps=1, so Chrome, Zoom and Teams do not list it",
                    fixes: ["sudo modprobe -r v4l2loopback && \(Self.modprobe)"]
                )
            )
        } else {
            findings.append(Finding("loopback-options", .ok, "exclusive_caps is on"))
        }
        if let buffers = parameter("max_buffers").flatMap(Int.init), buffers < 2 {
            findings.append(
                Finding("loopback-options", .warning, "max_buffers=\(buffers) makes readers stutter; 4 is recommended")
            )
        }
        let holders = ProcessScan.holders(of: path)
        let matte = holders.filter(\.isMatte)
        // With exclusive_caps=1 a device that offers capture has a producer attached.
        if caps.canCapture && !output && matte.isEmpty && !holders.isEmpty {
            let named = holders.map(\.description).joined(separator: ", ")
            findings.append(
                Finding(
                    "loopback-producer",
                    .problem,
                    "\(path) already has another producer: \(named)",
                    fixes: holders.map { "kill \($0.pid)" }
                )
            )
        } else {
            findings.append(Finding("loopback-producer", .ok, "no other program writes to \(path)"))
        }
        findings.append(running(path: path, matte: matte))
        return findings
    }

    static func accessProblem(_ id: String, _ path: String) -> Finding {
        let user = ProcessScan.userName()
        if ProcessScan.inGroup("video") {
            // In the group already: the node's own permissions are wrong (udev normally makes it root:video 0660).
            return Finding(
                id,
                .problem,
                "\(path) cannot be opened by you (\(user)) although you are in the video group: its permissions are "
                    + ProcessScan.permissions(of: path),
                fixes: ["sudo chgrp video \(path) && sudo chmod 0660 \(path)"]
            )
        }
        return Finding(
            id,
            .problem,
            "\(path) cannot be opened by you (\(user)): you are not in the video group",
            fixes: ["sudo usermod -aG video \(user)  # then log out and in again"]
        )
    }

    func running(path: String, matte: [ProcessScan.Holder]) -> Finding {
        if let first = matte.first { return Finding("running", .ok, "\(first) is the producer of \(path)") }
        // The word, not the exit status: systemctl in a chroot exits 0 for everything.
        if Self.systemctl(["is-active", "matte.service"])?.line == "active" {
            return Finding("running", .ok, "matte.service is active (the camera opens when an app reads)")
        }
        return Finding(
            "running",
            .problem,
            "nothing produces \(path): call apps will not see the camera",
            fixes: ["systemctl --user enable --now matte.service", "matte  # or in a terminal"]
        )
    }

    /// The other output: a PipeWire camera node needs only a reachable daemon (and its session manager).
    func pipeWire() -> Finding {
        do {
            let cameras = try PipeWireDaemon.cameras().map(\.description)
            return Finding(
                "pipewire",
                .ok,
                "the PipeWire daemon answers; `--output pipewire` publishes the camera there (camera nodes now: "
                    + "\(cameras.isEmpty ? "none" : cameras.joined(separator: ", ")))"
            )
        } catch .unreachable {
            return Finding(
                "pipewire",
                .warning,
                "no PipeWire daemon answers at \(PipeWireDaemon.socketDescription), so only v4l2loopback can carry "
                    + "the camera",
                fixes: PipeWireDaemon.fixes
            )
        } catch {
            return Finding("pipewire", .warning, "\(error)")
        }
    }

    /// Browsers (and Flatpak apps) reach a PipeWire camera only through the desktop portal's Camera interface: asked
    /// on the session bus with dbus-send, D-Bus's own tool. When it answers, how to turn the browsers' PipeWire
    /// cameras on follows, since neither reads them by default.
    func cameraPortal() -> [Finding] {
        let question = [
            "dbus-send", "--session", "--print-reply", "--reply-timeout=5000", "--dest=org.freedesktop.portal.Desktop",
            "/org/freedesktop/portal/desktop", "org.freedesktop.DBus.Properties.GetAll",
            "string:org.freedesktop.portal.Camera",
        ]
        guard let reply = Subprocess.run(question) else {
            return [
                Finding(
                    "portal",
                    .warning,
                    "cannot ask the desktop portal about cameras: dbus-send is not installed",
                    fixes: ["sudo apt install dbus-bin"]
                )
            ]
        }
        guard reply.status == 0, let version = Self.propertyValue("version", inReply: reply.output) else {
            return [
                Finding(
                    "portal",
                    .warning,
                    "the desktop portal's Camera interface does not answer on the session bus: browsers and Flatpak "
                        + "apps will not see the PipeWire camera",
                    fixes: [
                        "sudo apt install xdg-desktop-portal xdg-desktop-portal-gtk  # -gnome or -kde on those desktops",
                        "log out and in again",
                    ]
                )
            ]
        }
        let present = Self.propertyValue("IsCameraPresent", inReply: reply.output) == "true"
        // The portal lists the camera-role nodes it sees on PipeWire: none while a camera is published means it
        // reaches another daemon, or none (started before PipeWire, or in another session).
        if !present, let cameras = try? PipeWireDaemon.cameras(), !cameras.isEmpty {
            return [
                Finding(
                    "portal",
                    .warning,
                    "the desktop portal answers but sees no camera while PipeWire has \(cameras.count): it does not "
                        + "reach this PipeWire daemon, so browsers will not list the camera",
                    fixes: ["systemctl --user restart xdg-desktop-portal"]
                )
            ]
        }
        return [
            Finding(
                "portal",
                .ok,
                "the desktop portal's Camera interface answers (version \(version)) and "
                    + (present ? "sees a camera" : "sees no camera now (it will while matte runs)")
            ),
            Finding("browsers", .ok, Self.browserSwitches),
        ]
    }

    /// Tested with Chromium 156 and Firefox ESR 153 (Tests/e2e/browsers.sh).
    static let browserSwitches =
        "Chromium reads PipeWire cameras once chrome://flags/#enable-webrtc-pipewire-camera is Enabled; Firefox once "
        + "about:config has media.webrtc.camera.allow-pipewire = true"

    /// A property's value in dbus-send's printed reply to Properties.GetAll: the last word of the variant line
    /// after the line naming it (`string "version"` then `variant   uint32 1`).
    package static func propertyValue(_ name: String, inReply reply: String) -> String? {
        let lines = reply.split(separator: "\n")
        guard let index = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "string \"\(name)\"" }),
            index + 1 < lines.count, lines[index + 1].contains("variant"),
            let value = lines[index + 1].split(separator: " ").last
        else { return nil }
        return String(value)
    }

    func moduleInstalled() -> Bool {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let directory = "\(modulesDirectory)/\(release)"
        for index in ["modules.dep", "modules.builtin"] {
            if let text = try? String(contentsOfFile: "\(directory)/\(index)", encoding: .utf8),
                text.contains("/v4l2loopback.ko")
            {
                return true
            }
        }
        return false
    }

    func secureBootEnabled() -> Bool {
        let variable = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
        guard let data = FileManager.default.contents(atPath: variable), data.count >= 5 else { return false }
        return data[data.startIndex + 4] == 1
    }

    func parameter(_ name: String) -> String? {
        (try? String(contentsOfFile: "\(sysModule)/parameters/\(name)", encoding: .utf8))?
            .split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    // MARK: The real camera

    func realCamera() -> [Finding] {
        let path: String
        if let camera {
            path = camera
        } else if let first = DeviceCatalog.firstCamera() {
            path = first
        } else {
            return [
                Finding(
                    "camera",
                    .problem,
                    "no camera found (no capture device in /dev/video*)",
                    fixes: ["matte devices  # after plugging one in"]
                )
            ]
        }
        var findings: [Finding] = []
        guard let device = try? VideoDevice(path: path) else {
            if errno == EACCES { return [Finding("camera", .ok, path), Self.accessProblem("camera-access", path)] }
            let reason = String(cString: strerror(errno))
            return [Finding("camera", .problem, "\(path) cannot be opened: \(reason)", fixes: ["matte devices"])]
        }
        let card = (try? device.capabilities())?.card ?? "?"
        findings.append(Finding("camera", .ok, "\(path) (\(card))"))
        findings.append(Finding("camera-access", .ok, "\(path) is readable"))
        let others = ProcessScan.holders(of: path).filter { !$0.isMatte }
        if others.isEmpty {
            findings.append(Finding("camera-busy", .ok, "no other program holds \(path)"))
        } else {
            findings.append(
                Finding(
                    "camera-busy",
                    .problem,
                    "\(path) is in use by \(others.map(\.description).joined(separator: ", "))",
                    fixes: others.map { "kill \($0.pid)  # or close that program" }
                )
            )
        }
        let usable = device.formats().filter { CaptureMode.supportedFormats.contains($0.0) }
        if usable.isEmpty {
            let offered = device.formats().map(\.1).joined(separator: ", ")
            findings.append(
                Finding(
                    "camera-format",
                    .problem,
                    "\(path) offers no format Matte reads (it offers \(offered.isEmpty ? "none" : offered); Matte "
                        + "reads YUYV, NV12 and MJPEG)"
                )
            )
        } else {
            findings.append(Finding("camera-format", .ok, usable.map(\.1).joined(separator: ", ")))
        }
        return findings
    }

    // MARK: The service

    func service() -> Finding {
        guard let manager = Self.systemctl(["show-environment"]), manager.status == 0, !manager.line.isEmpty else {
            return Finding("service", .warning, "no systemd user manager to ask (not a login session?)")
        }
        let enabled = Self.systemctl(["is-enabled", "matte.service"])?.line ?? ""
        if enabled == "enabled" {
            let active = Self.systemctl(["is-active", "matte.service"])?.line ?? "unknown"
            return Finding(
                "service",
                active == "active" ? .ok : .warning,
                "matte.service is enabled and \(active)",
                fixes: active == "active" ? [] : ["journalctl --user -u matte.service -n 20"]
            )
        }
        return Finding(
            "service",
            .warning,
            "matte.service is \(enabled.isEmpty ? "not installed" : enabled): Matte does not start at login",
            fixes: ["systemctl --user enable --now matte.service"]
        )
    }

    /// `systemctl --user ARGS`'s first line of output (empty for a unit it does not know) and exit status, or
    /// nil when it cannot run.
    static func systemctl(_ arguments: [String]) -> (status: Int32, line: String)? {
        guard let result = Subprocess.run(["systemctl", "--user"] + arguments) else { return nil }
        return (result.status, result.output.split(separator: "\n").first.map(String.init) ?? "")
    }
}
