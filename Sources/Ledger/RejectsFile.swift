import JSON
#if canImport(Glibc)
import Glibc
#endif

/// Refused lines, as JSON Lines: {"line": N, "error": "...", "input": "<the line>"}.
public struct RejectsFile {
    private var buffer: [UInt8] = []
    private let fd: Int32
    private let path: String

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else {
            throw LedgerError(.storage, "cannot write the rejects file \(path): \(String(cString: strerror(errno)))")
        }
    }

    public mutating func write(line: Int, error: LedgerError, input: ArraySlice<UInt8>) throws {
        var object = JSONObject()
        object["line"] = .int(Int64(line))
        object["error"] = .string(error.message)
        object["input"] = .string(String(decoding: input, as: UTF8.self))
        buffer.append(contentsOf: JSONWriter.ordered(.object(object)).utf8)
        buffer.append(10)
        if buffer.count > 1 << 20 { try flush() }
    }

    /// Writes what is buffered and closes the file.
    public mutating func close() throws {
        defer { Glibc.close(fd) }
        try flush()
    }

    private mutating func flush() throws {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw LedgerError(.storage, "cannot write the rejects file \(path): \(String(cString: strerror(errno)))") }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
