import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// Kernel randomness drawn in blocks. A sealed section needs a fresh nonce and a new resident a
/// fresh key: asking the kernel for each (getrandom) cost more than the sealing itself in a
/// large import. The bytes come from the same source, the kernel's CSPRNG, only in fewer calls; each byte
/// is handed out once and zeroed in the pool as it leaves. Not thread-safe: its owner locks.
struct RandomPool {
    private var buffer = [UInt8](repeating: 0, count: 4096)
    private var next = 4096

    /// Fresh random bytes into `out` (all of it, at most the pool's size).
    mutating func take(into out: UnsafeMutableRawBufferPointer) throws {
        precondition(out.count <= buffer.count)
        if next + out.count > buffer.count { try refill() }
        buffer.withUnsafeMutableBytes { raw in
            out.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[next..<next + out.count]))
            _ = memset(raw.baseAddress! + next, 0, out.count)
        }
        next += out.count
    }

    /// `count` fresh random bytes, appended to `out`.
    mutating func take(_ count: Int, appendingTo out: inout [UInt8]) throws {
        let at = out.count
        out.append(contentsOf: repeatElement(0, count: count))
        try out.withUnsafeMutableBytes { try take(into: UnsafeMutableRawBufferPointer(rebasing: $0[at...])) }
    }

    private mutating func refill() throws {
        // /dev/urandom is the kernel's CSPRNG, as getrandom(2) is (which Swift's Glibc module
        // does not declare); it never blocks once the system has booted.
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RandomnessError(errno: errno) }
        defer { close(fd) }
        var filled = 0
        try buffer.withUnsafeMutableBytes { raw in
            while filled < raw.count {
                let n = read(fd, raw.baseAddress! + filled, raw.count - filled)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    throw RandomnessError(errno: n < 0 ? errno : EIO)
                }
                filled += n
            }
        }
        next = 0
    }
}

struct RandomnessError: Error, CustomStringConvertible {
    let errno: Int32
    var description: String { "the kernel gave no random bytes (/dev/urandom: \(String(cString: strerror(errno))))" }
}
