#if canImport(Glibc)
import Glibc
#endif

/// Reads JSON Lines in batches, streaming: only one batch is in memory at a time.
public final class LineReader {
    public struct Line: Sendable {
        public let number: Int
        public let bytes: ArraySlice<UInt8>
    }

    private let file: UnsafeMutablePointer<FILE>
    private let closeWhenDone: Bool
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0
    private var end = 0
    private var eof = false
    public private(set) var lineNumber = 0
    public private(set) var bytesRead = 0

    /// `path` nil or "-" reads standard input.
    public init(path: String?) throws {
        if let path, path != "-" {
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { throw LedgerError(.storage, "\(path) is a directory, not a JSON Lines file") }
            guard let file = fopen(path, "rb") else {
                throw LedgerError(.storage, "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            self.file = file
            closeWhenDone = true
        } else {
            guard let input = fdopen(0, "rb") else { throw LedgerError(.storage, "cannot read standard input") }
            file = input
            closeWhenDone = false
        }
    }

    deinit { if closeWhenDone { fclose(file) } }

    /// The next up to `count` non-blank lines, or nil at the end of the input. The lines of one
    /// call share one buffer: an import reads a million of them.
    public func next(_ count: Int) throws -> [Line]? {
        var chunk: [UInt8] = []
        chunk.reserveCapacity(count * 256)
        var spans: [(number: Int, start: Int, end: Int)] = []
        spans.reserveCapacity(count)
        while spans.count < count, try nextLine(into: &chunk) {
            let first = spans.last?.end ?? 0
            // Blank (or whitespace-only) lines are skipped, and give back their bytes.
            if chunk[first...].contains(where: { $0 != 32 && $0 != 9 && $0 != 13 }) {
                spans.append((lineNumber, first, chunk.count))
            } else {
                chunk.removeSubrange(first...)
            }
        }
        guard !spans.isEmpty else { return nil }
        return spans.map { Line(number: $0.number, bytes: chunk[$0.start..<$0.end]) }
    }

    /// Appends the next line (without its line break) to `out`; false at the end of the input.
    private func nextLine(into out: inout [UInt8]) throws -> Bool {
        while true {
            let found = buffer.withUnsafeBytes { b -> Int? in
                guard end > start, let hit = memchr(b.baseAddress! + start, 10, end - start) else { return nil }
                return UnsafeRawPointer(hit) - b.baseAddress!
            }
            if let newline = found {
                var stop = newline
                if stop > start && buffer[stop - 1] == 13 { stop -= 1 }
                out.append(contentsOf: buffer[start..<stop])
                start = newline + 1
                lineNumber += 1
                return true
            }
            if eof {
                guard start < end else { return false }
                out.append(contentsOf: buffer[start..<end])
                start = end
                lineNumber += 1
                return true
            }
            // Move the partial line to the front; grow when one line fills the whole buffer.
            if start > 0 {
                buffer.withUnsafeMutableBytes { b in
                    _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start)
                }
                end -= start
                start = 0
            }
            if end == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress! + end, 1, $0.count - end, file) }
            if n == 0 {
                if ferror(file) != 0 { throw LedgerError(.storage, "read error: \(String(cString: strerror(errno)))") }
                eof = true
            }
            end += n
            bytesRead += n
        }
    }
}

