internal import CPipeWire

#if canImport(Glibc)
import Glibc
#endif

/// A camera node in the PipeWire graph, as camera-listing clients see it.
public struct PipeWireCamera: Sendable, Equatable {
    public let id: UInt32
    public let description: String
    public let name: String
}

/// The PipeWire daemon of this session: whether one answers, and the cameras it offers.
public enum PipeWireDaemon {
    /// Where libpipewire looks for the daemon, for messages.
    public static var socketDescription: String {
        if let remote = getenv("PIPEWIRE_REMOTE") { return "PIPEWIRE_REMOTE=\(String(cString: remote))" }
        guard let runtime = getenv("XDG_RUNTIME_DIR") else {
            return "$XDG_RUNTIME_DIR/pipewire-0 (XDG_RUNTIME_DIR is not set)"
        }
        return "\(String(cString: runtime))/pipewire-0"
    }

    /// The commands that start the daemon and its session manager, or install them.
    public static let fixes = ["systemctl --user start pipewire wireplumber", "sudo apt install pipewire wireplumber"]

    /// Why the daemon could not be asked.
    public enum Failure: Error, CustomStringConvertible {
        case unreachable
        case failed(String)

        public var description: String {
            switch self {
            case .unreachable:
                return "no PipeWire daemon answers at \(socketDescription): start it (\(fixes[0])) or install it "
                    + "(\(fixes[1]))"
            case let .failed(reason): return "the PipeWire daemon at \(socketDescription) \(reason)"
            }
        }
    }

    /// The camera nodes (those in the camera role with a description: what WebRTC in Chromium and Firefox
    /// lists), within `timeout` ms. Throws when no daemon answers, naming where it looked and the fix.
    public static func cameras(timeout: UInt64 = 2000) throws(Failure) -> [PipeWireCamera] {
        pw_init(nil, nil)
        guard let mainLoop = pw_main_loop_new(nil) else { throw .failed("cannot be asked (no event loop)") }
        defer { pw_main_loop_destroy(mainLoop) }
        let loop = pw_main_loop_get_loop(mainLoop)!
        guard let context = pw_context_new(loop, nil, 0) else { throw .failed("cannot be asked (no context)") }
        defer { pw_context_destroy(context) }
        guard let core = pw_context_connect(context, nil, 0) else {
            throw .unreachable
        }
        defer { pw_core_disconnect(core) }
        let listing = Listing(mainLoop: mainLoop)
        let me = Unmanaged.passUnretained(listing).toOpaque()
        listing.coreEvents.pointee.version = UInt32(PW_VERSION_CORE_EVENTS)
        listing.coreEvents.pointee.done = { data, id, sequence in
            let listing = Unmanaged<Listing>.fromOpaque(data!).takeUnretainedValue()
            if id == 0, sequence == listing.sequence {
                listing.complete = true
                pw_main_loop_quit(listing.mainLoop)
            }
        }
        listing.coreEvents.pointee.error = { data, _, _, result, message in
            let listing = Unmanaged<Listing>.fromOpaque(data!).takeUnretainedValue()
            listing.failure = message.map { String(cString: $0) } ?? String(cString: strerror(-result))
            pw_main_loop_quit(listing.mainLoop)
        }
        listing.registryEvents.pointee.version = UInt32(PW_VERSION_REGISTRY_EVENTS)
        listing.registryEvents.pointee.global = { data, id, _, type, _, properties in
            guard let type, String(cString: type) == "PipeWire:Interface:Node", let properties else { return }
            func value(_ key: String) -> String? { spa_dict_lookup(properties, key).map { String(cString: $0) } }
            guard value("media.role") == "Camera", let description = value("node.description") else { return }
            Unmanaged<Listing>.fromOpaque(data!).takeUnretainedValue().cameras.append(
                PipeWireCamera(id: id, description: description, name: value("node.name") ?? "")
            )
        }
        _ = matte_pw_core_add_listener(core, listing.coreHook, listing.coreEvents, me)
        defer { spa_hook_remove(listing.coreHook) }
        guard let registry = matte_pw_core_get_registry(core) else {
            throw .failed("lists nothing (no registry)")
        }
        defer { pw_proxy_destroy(registry) }
        _ = matte_pw_registry_add_listener(registry, listing.registryHook, listing.registryEvents, me)
        defer { spa_hook_remove(listing.registryHook) }
        // The daemon answers a sync after every global it had to announce.
        listing.sequence = matte_pw_core_sync(core, 0)
        let timer = matte_pw_loop_add_timer(loop, { data, _ in pw_main_loop_quit(OpaquePointer(data)) }, nil)!
        timer.pointee.data = UnsafeMutableRawPointer(mainLoop)
        defer { matte_pw_loop_destroy_source(loop, timer) }
        matte_pw_loop_arm_timer(loop, timer, timeout)
        pw_main_loop_run(mainLoop)
        if let failure = listing.failure {
            throw .failed("failed: \(failure)")
        }
        guard listing.complete else {
            throw .failed("did not answer within \(timeout) ms")
        }
        return listing.cameras
    }

    /// What the callbacks fill in, and the listener storage PipeWire keeps pointers to while the loop runs.
    private final class Listing {
        let mainLoop: OpaquePointer
        var sequence: Int32 = 0
        var cameras: [PipeWireCamera] = []
        var complete = false
        var failure: String?
        let coreHook = UnsafeMutablePointer<spa_hook>.allocate(capacity: 1)
        let registryHook = UnsafeMutablePointer<spa_hook>.allocate(capacity: 1)
        let coreEvents = UnsafeMutablePointer<pw_core_events>.allocate(capacity: 1)
        let registryEvents = UnsafeMutablePointer<pw_registry_events>.allocate(capacity: 1)

        init(mainLoop: OpaquePointer) {
            self.mainLoop = mainLoop
            coreHook.initialize(to: spa_hook())
            registryHook.initialize(to: spa_hook())
            coreEvents.initialize(to: pw_core_events())
            registryEvents.initialize(to: pw_registry_events())
        }

        deinit {
            coreHook.deallocate()
            registryHook.deallocate()
            coreEvents.deallocate()
            registryEvents.deallocate()
        }
    }
}
