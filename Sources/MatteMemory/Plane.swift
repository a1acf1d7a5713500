#if canImport(Glibc)
import Glibc
#endif

/// Numbers a kernel works on — coefficients, rows, lookup tables, frames — allocated once (64-byte aligned,
/// every element initialised) and freed with their owner, so no type keeps a hand-written list of buffers to
/// release. `pointer` stays valid, `count` elements long, for as long as the plane lives: keep the plane,
/// not the pointer.
public final class Plane<Element: BitwiseCopyable> {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Element>

    /// A plane small enough not to be worth a throwing path: tables, rows, model-sized maps. If even that is
    /// refused, `OutOfMemory.lastResort` ends the program.
    public init(count: Int, repeating value: Element) {
        guard let pointer = Self.allocate(count: count, repeating: value) else {
            let failure = OutOfMemory(bytes: Self.byteCount(count), what: "its working tables")
            guard let lastResort = OutOfMemory.lastResort else { fatalError(failure.description) }
            lastResort(failure)
        }
        self.pointer = pointer
        self.count = count
    }

    /// A plane big enough that the system may refuse it (frames: a 4K picture is 16 MB): `what` names it
    /// for the user ("a 3840×2160 frame"). Swift's own allocations trap on failure; this one throws.
    public init(count: Int, repeating value: Element, for what: @autoclosure () -> String) throws(OutOfMemory) {
        guard let pointer = Self.allocate(count: count, repeating: value) else {
            throw OutOfMemory(bytes: Self.byteCount(count), what: what())
        }
        self.pointer = pointer
        self.count = count
    }

    deinit { free(pointer) }

    private static func byteCount(_ count: Int) -> Int {
        precondition(count >= 0 && count <= Int.max / MemoryLayout<Element>.stride - 1, "a plane has a size")
        return max(count, 1) * MemoryLayout<Element>.stride
    }

    /// `count` elements set to `value`, or nil when the system has no memory to give.
    private static func allocate(count: Int, repeating value: Element) -> UnsafeMutablePointer<Element>? {
        var raw: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&raw, max(64, MemoryLayout<Element>.alignment), byteCount(count)) == 0, let raw else {
            return nil
        }
        return raw.initializeMemory(as: Element.self, repeating: value, count: max(count, 1))
    }

    public var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    @inlinable
    public subscript(index: Int) -> Element {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
}

/// The system refused memory (a limit such as `ulimit -v` or a cgroup's, or memory exhausted). Matte says so
/// in one line instead of trapping, and writes nothing.
public struct OutOfMemory: Error, CustomStringConvertible {
    /// What the user can do about it.
    public static let advice = "close other programs or raise the memory limit (ulimit -v)"

    /// What a program does when a small plane cannot be had, where there is no way to throw: set once at
    /// start (the CLI removes its unfinished output, prints one line and exits). Unset, it traps.
    nonisolated(unsafe) public static var lastResort: ((OutOfMemory) -> Never)?

    public let bytes: Int
    /// What needed the memory: "a 3840×2160 frame".
    public let what: String

    public init(bytes: Int, what: String) {
        self.bytes = bytes
        self.what = what
    }

    /// Whether `bytes` more of address space could be had now (mapped and at once given back). For libraries
    /// that fail without saying why: libx264 cannot start its threads (8 MB of stack each) under a tight
    /// `ulimit -v` and FFmpeg reports only "generic error in an external library".
    public static func couldReserve(bytes: Int) -> Bool {
        guard let mapped = mmap(nil, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            mapped != MAP_FAILED
        else { return false }
        munmap(mapped, bytes)
        return true
    }

    public var description: String {
        let megabytes = max(1, (bytes + (1 << 20) - 1) >> 20)
        return "not enough memory for \(what) (\(megabytes) MB could not be allocated); \(Self.advice)"
    }
}
