import Crypto
import JSON
import Ledger
#if canImport(Glibc)
import Glibc
import TextFormats
#endif

/// The operator's master key: 32 random bytes in a file of mode 0600, which wraps every data key.
/// Like ssh, the tool refuses a key file that group or others may read.
public struct MasterKey: @unchecked Sendable {
    static let header = "buurtboek master key v1"
    let key: SymmetricKey

    /// Creates a new key file; never overwrites one.
    public static func create(at path: String) throws {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let text = Array("\(header)\n\(Base64.encode(bytes))\n".utf8)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw LedgerError(.storage, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard text.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == text.count, fsync(fd) == 0 else {
            throw LedgerError(.storage, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    public static func load(from path: String) throws -> MasterKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw LedgerError(.storage, "master key \(path): \(String(cString: strerror(errno))) (create one with `buurtboek key master --out FILE`)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw LedgerError(.storage, "master key \(path) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(path)")
        }
        guard let bytes = FileBytes.read(path) else { throw LedgerError(.storage, "cannot read the master key \(path)") }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        guard lines.count == 2, lines[0] == header, let raw = Base64.decode(lines[1]), raw.count == 32 else {
            throw LedgerError(.storage, "\(path) is not a Buurtboek master key")
        }
        return MasterKey(key: SymmetricKey(data: raw))
    }
}
