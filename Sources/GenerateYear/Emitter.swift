import JSON
#if canImport(Glibc)
import Glibc
import TextFormats
#endif

/// Collects one day's events, then writes them in recording order as JSON Lines. Stops the
/// program once the requested number of events is written, so the output is exactly N lines;
/// streams cut off there simply stay open, as real ones do at the end of a year.
final class Emitter {
    /// A line in two parts around its occurredAt, which is written when the day's lines are in
    /// recording order (see `endDay`).
    private struct Line {
        let recordedAt: Int64
        let sequence: Int
        let stream: String
        let occurredAt: Int64
        let head: [UInt8]
        let bytes: [UInt8]
    }

    let limit: Int
    /// Whole days every time and date is moved by (`--end`): a multiple of 7, so that
    /// weekends stay weekends.
    let shiftDays: Int
    /// Whether lines carry their recording time (`--recorded-at`), for `import --keep-recorded-at`.
    let withRecordedAt: Bool
    private(set) var written = 0
    private var today: [Line] = []
    private var sequence = 0
    private var out: [UInt8] = []
    /// Each stream's last occurredAt, so that none of its events occurs before the one before.
    private var lastOccurred: [String: Int64] = [:]
    /// Counting only (the first pass of `World.run`): nothing is written and there is no limit.
    let counting: Bool

    init(limit: Int, shiftDays: Int = 0, withRecordedAt: Bool = false, counting: Bool = false) {
        self.counting = counting
        self.limit = counting ? .max : limit
        self.shiftDays = shiftDays
        self.withRecordedAt = withRecordedAt
        out.reserveCapacity(1 << 22)
    }

    /// One event. `lateBy` moves occurredAt back from the recording time (a late entry).
    func emit(_ type: String, version: Int?, id: String, stream: String, neighbourhood: String, worker: String, at recordedAt: Int64,
              lateBy: Int64 = 0, data: (inout FieldWriter) -> Void) {
        let recordedAt = recordedAt + Int64(shiftDays) * 86_400_000_000
        var line: [UInt8] = []
        line.reserveCapacity(400)
        line.append(contentsOf: #"{"id":""#.utf8)
        line.append(contentsOf: id.utf8)
        line.append(contentsOf: #"","type":""#.utf8)
        line.append(contentsOf: type.utf8)
        if let version {
            line.append(contentsOf: #"","schemaVersion":"#.utf8)
            line.append(contentsOf: String(version).utf8)
            line.append(contentsOf: #","stream":""#.utf8)
        } else {
            line.append(contentsOf: #"","stream":""#.utf8)
        }
        line.append(contentsOf: stream.utf8)
        line.append(contentsOf: #"","occurredAt":""#.utf8)
        // With recording times, an event is written down a while after it happened: up to an
        // hour and a half (from the line's number, so the seeded draws stay as they were).
        let delay = withRecordedAt ? Int64((sequence &* 2_654_435_761) % 5_400) * 1_000_000 : 0
        // A late entry never lands before its stream's previous event: a step of a lifecycle
        // cannot have occurred before the step it follows, and the ledger refuses it.
        let occurredAt = (recordedAt - lateBy - delay) / 1_000_000 * 1_000_000
        let head = line
        line.removeAll(keepingCapacity: true)
        if withRecordedAt {
            line.append(contentsOf: #"","recordedAt":""#.utf8)
            line.append(contentsOf: RFC3339.format(recordedAt / 1_000_000 * 1_000_000).utf8)
        }
        line.append(contentsOf: #"","recordedBy":""#.utf8)
        line.append(contentsOf: worker.utf8)
        line.append(contentsOf: #"","neighbourhood":""#.utf8)
        line.append(contentsOf: neighbourhood.utf8)
        line.append(contentsOf: #"","data":{"#.utf8)
        var writer = FieldWriter(bytes: line, shiftDays: shiftDays)
        data(&writer)
        line = writer.bytes
        line.append(contentsOf: "}}\n".utf8)
        sequence += 1
        today.append(Line(recordedAt: recordedAt, sequence: sequence, stream: stream, occurredAt: occurredAt, head: head, bytes: line))
    }

    /// Writes the day's events in recording order. Returns false once the limit is reached.
    func endDay() -> Bool {
        today.sort { ($0.recordedAt, $0.sequence) < ($1.recordedAt, $1.sequence) }
        if counting {
            written += today.count
            today.removeAll(keepingCapacity: true)
            return true
        }
        for line in today {
            guard written < limit else { break }
            // A late entry never lands before its stream's previous event in the log: a step
            // of a lifecycle cannot have occurred before the step it follows (the ledger
            // refuses it), and the order is the recording order.
            var occurredAt = line.occurredAt
            if let previous = lastOccurred[line.stream], previous > occurredAt { occurredAt = previous }
            lastOccurred[line.stream] = occurredAt
            out.append(contentsOf: line.head)
            out.append(contentsOf: RFC3339.format(occurredAt).utf8)
            out.append(contentsOf: line.bytes)
            written += 1
            if out.count > 1 << 22 { flush() }
        }
        today.removeAll(keepingCapacity: true)
        return written < limit
    }

    func flush() {
        guard !counting else { return }
        var done = 0
        while done < out.count {
            let n = out.withUnsafeBytes { write(1, $0.baseAddress! + done, $0.count - done) }
            if n <= 0 {
                if errno == EINTR { continue }
                exit(errno == EPIPE ? 0 : 1)
            }
            done += n
        }
        out.removeAll(keepingCapacity: true)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A version 7 UUID from the recording time and seeded random bits.
    static func uuidV7(ms: Int64, random: inout SeededRandom) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: UInt64(ms) >> (40 - 8 * UInt64(i))) }
        let r1 = random.next(), r2 = random.next()
        for i in 6..<11 { bytes[i] = UInt8(truncatingIfNeeded: r1 >> (8 * UInt64(i - 6))) }
        for i in 11..<16 { bytes[i] = UInt8(truncatingIfNeeded: r2 >> (8 * UInt64(i - 11))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return UUIDText.format(bytes)
    }
}

/// Writes the members of an event's data object.
struct FieldWriter {
    var bytes: [UInt8]
    let shiftDays: Int
    private var first = true

    init(bytes: [UInt8], shiftDays: Int = 0) {
        self.bytes = bytes
        self.shiftDays = shiftDays
    }

    private mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: "\":".utf8)
    }

    mutating func string(_ name: String, _ value: String) { key(name); JSONWriter.writeString(value, into: &bytes) }
    mutating func int(_ name: String, _ value: Int) { key(name); bytes.append(contentsOf: String(value).utf8) }
    mutating func number(_ name: String, _ value: Double) { key(name); JSONWriter.writeDouble(value, into: &bytes) }
    mutating func bool(_ name: String, _ value: Bool) { key(name); bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    mutating func strings(_ name: String, _ values: [String]) {
        key(name)
        JSONWriter.write(.array(values.map { .string($0) }), into: &bytes, sorted: true)
    }
    mutating func date(_ name: String, day: Int) { string(name, RFC3339.formatDay(day + shiftDays)) }
    mutating func object(_ name: String, _ value: JSONValue) { key(name); JSONWriter.write(value, into: &bytes, sorted: true) }
}
