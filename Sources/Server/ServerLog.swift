#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The server's log on stderr: one line per record, `2026-12-04T05:07:47.123Z info message
/// key=value`, written with one write(2) so that the lines of concurrent requests never mix.
/// swift-log's StreamLogHandler stamps lines with the local time, and glibc's localtime checks
/// the time-zone file (a stat) on every call; at thousands of requests a second that and its
/// formatting were a tenth of a request's CPU. This stamps UTC, as every time Buurtboek
/// records is, and makes no system call but the write.
struct ServerLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line: [UInt8] = []
        line.reserveCapacity(128)
        ServerLogHandler.stamp(into: &line)
        line.append(32)
        line.append(contentsOf: event.level.rawValue.utf8)
        line.append(32)
        line.append(contentsOf: event.message.description.utf8)
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let own = event.metadata { all.merge(own) { $1 } }
        for key in all.keys.sorted() {
            line.append(contentsOf: " \(key)=\(all[key]!)".utf8)
        }
        line.append(10)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// The current time, UTC, to the millisecond: 2026-12-04T05:07:47.123Z.
    static func stamp(into out: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(48 + (v / divisor) % 10))
                v %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4); out.append(45)
        digits(Int(parts.tm_mon) + 1, 2); out.append(45)
        digits(Int(parts.tm_mday), 2); out.append(84)
        digits(Int(parts.tm_hour), 2); out.append(58)
        digits(Int(parts.tm_min), 2); out.append(58)
        digits(Int(parts.tm_sec), 2); out.append(46)
        digits(Int(now.tv_nsec) / 1_000_000, 3); out.append(90)
    }
}

/// Milliseconds with one decimal, as the request log shows them ("12.3"), without Foundation's
/// String(format:).
func millisecondsText(_ duration: Duration) -> String {
    let tenths = duration.components.seconds * 10_000 + duration.components.attoseconds / 100_000_000_000_000
    return "\(tenths / 10).\(tenths % 10)"
}
