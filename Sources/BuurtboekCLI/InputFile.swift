import Ledger

enum InputFile {
    /// The whole of a small input (--data -).
    static func readAll(path: String?) -> [UInt8] {
        guard let reader = try? LineReader(path: path) else { return [] }
        var out: [UInt8] = []
        while let lines = try? reader.next(1024) {
            for line in lines { out.append(contentsOf: line.bytes); out.append(10) }
        }
        return out
    }
}
