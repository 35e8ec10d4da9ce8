#if canImport(Glibc)
import Glibc
#endif

/// Standard input kept in a file, for an import that may have to read its input twice.
public enum Spool {
    /// Copies standard input to a private temporary file and returns its path.
    public static func stdinToTemporaryFile() throws -> String {
        var template = Array("/tmp/buurtboek-import-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw LedgerError(.storage, "cannot create a temporary file to spool standard input") }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n <= 0 { break }
            guard write(fd, buffer, n) == n else {
                close(fd)
                unlink(path)
                throw LedgerError(.storage, "cannot spool standard input to \(path): \(String(cString: strerror(errno)))")
            }
        }
        close(fd)
        return path
    }
}
