#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads without Foundation, for small files (schemas, keys).
public enum FileBytes {
    public static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n > 0 { out.append(contentsOf: buffer[0..<n]) }
            if n < buffer.count { return ferror(file) == 0 ? out : nil }
        }
    }
}
