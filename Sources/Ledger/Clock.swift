#if canImport(Glibc)
import Glibc
#endif

/// The ledger's clock: microseconds since 1970 in UTC.
public enum Clock {
    public static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }

    /// A version 7 UUID (RFC 9562): a millisecond timestamp then random bits. Time-ordered ids
    /// keep the id index's inserts near its right edge, which keeps the B-tree compact.
    public static func uuidV7(micros: Int64 = nowMicros()) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        let ms = UInt64(micros / 1000)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (40 - 8 * UInt64(i))) }
        for i in 6..<16 { bytes[i] = rng.next() }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return bytes
    }
}
