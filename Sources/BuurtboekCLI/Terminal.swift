import Ledger
import TextFormats
#if canImport(Glibc)
import Glibc
#endif

/// The exit codes, documented in `buurtboek --help` and the README.
enum ExitStatus {
    static let success: Int32 = 0
    static let usage: Int32 = 2
    static let refused: Int32 = 3
    static let conflict: Int32 = 4
    static let storage: Int32 = 5
    static let integrity: Int32 = 6
    /// A team server refused the token (none, unknown, revoked) or the member's role.
    static let notAllowed: Int32 = 7

    static func code(for kind: LedgerError.Kind) -> Int32 {
        switch kind {
        case .refused: return refused
        case .conflict: return conflict
        case .storage: return storage
        case .integrity: return integrity
        }
    }

    static let help = """
    EXIT CODES
      0  success
      2  usage error: unknown command or option, bad argument
      3  refused: the input breaks a schema, a lifecycle, a limit or an identity
         rule (nothing of it was written; `import` without --atomic appends the
         valid lines)
      4  conflict: the stream is not at the expected version (re-read and retry)
      5  ledger or I/O error: no ledger, unreadable file, disk full
      6  verification failed: the ledger does not match its own tree or indexes,
         or `replay --check` found live read models that differ from a rebuild
      7  not authenticated or not allowed: a team server refused the token, or the
         member's role does not allow the command
    """
}

/// An error of the command line itself (a file that cannot be read, a bad option value).
struct CLIError: Error {
    let message: String
    let code: Int32
    init(_ message: String, code: Int32 = ExitStatus.usage) {
        self.message = message
        self.code = code
    }
}

enum Terminal {
    static func fail(_ message: String, details: [String] = [], code: Int32) -> Never {
        writeError("buurtboek: error: \(message)")
        for line in details { writeError("  \(line)") }
        exit(code)
    }

    static func writeError(_ line: String) {
        fflush(nil)
        _ = Descriptor.writeAll(2, Array((line + "\n").utf8))
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }
    static var stdoutIsTerminal: Bool { isatty(1) == 1 }

    /// Rewrites the current terminal line (progress); an empty text clears it.
    static func writeProgress(_ text: String) {
        _ = Descriptor.writeAll(2, Array(("\r\u{1B}[K" + text).utf8))
    }

    /// A number with two decimals (seconds, MiB).
    static func twoDecimals(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    static func bytes(_ n: Int) -> String {
        if n < 1 << 20 { return "\(Terminal.count(n / 1024)) KiB" }
        if n < 1 << 30 { return "\(twoDecimals(Double(n) / 1_048_576)) MiB" }
        return "\(twoDecimals(Double(n) / 1_073_741_824)) GiB"
    }

    /// Thousands separators, for people.
    static func count<T: BinaryInteger>(_ n: T) -> String { DecimalText.grouped(n) }
}

/// Buffered writes to a file descriptor (standard output by default), for commands that print
/// many lines. It flushes `print`'s own buffer first, so the two never interleave out of order.
struct OutputBuffer {
    private var buffer: [UInt8] = []
    private let fd: Int32

    init(fd: Int32 = 1) {
        self.fd = fd
        buffer.reserveCapacity(1 << 20)
    }

    mutating func write(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes); flushIfFull() }
    mutating func write(_ text: String) { buffer.append(contentsOf: text.utf8); flushIfFull() }
    mutating func line(_ text: String) { write(text); buffer.append(10) }
    mutating func append(_ body: (inout [UInt8]) -> Void) { body(&buffer); flushIfFull() }

    private mutating func flushIfFull() { if buffer.count > 1 << 20 { flush() } }

    mutating func flush() {
        fflush(nil)
        guard Descriptor.writeAll(fd, buffer) else {
            Terminal.fail("cannot write the output: \(String(cString: strerror(errno)))", code: ExitStatus.storage)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

enum Descriptor {
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}

/// Help texts are written in short lines in the source; the argument parser wraps lines to the
/// terminal's width on its own, so prose paragraphs are joined back into one line each first.
/// Indented lines (examples, lists) and headings in capitals stay as they are.
enum Help {
    /// A command's help page: its text reflowed, then the exit codes, which every page names.
    static func page(_ text: String) -> String {
        reflow(text) + "\n\n" + ExitStatus.help
    }

    static func reflow(_ text: String) -> String {
        var out: [String] = []
        var joinable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            // Byte tests, not Unicode case mapping: every command's help is reflowed when any
            // command starts (the parser reads all configurations), and the texts are ASCII.
            let heading = line.utf8.contains { $0 >= 65 && $0 <= 90 } && !line.utf8.contains { $0 >= 97 && $0 <= 122 }
            let prose = !line.isEmpty && !line.hasPrefix(" ") && !heading
            if prose && joinable { out[out.count - 1] += " " + line } else { out.append(line) }
            joinable = prose
        }
        return out.joined(separator: "\n")
    }

    /// A list of names with descriptions, each description wrapped under its name with a
    /// hanging indent so that it reads at 80 columns.
    static func list(_ items: [(String, String)], width: Int = 78) -> String {
        let indent = 2 + (items.map(\.0.count).max() ?? 0) + 2
        return items.map { name, text in
            var lines: [String] = []
            var line = "  " + name.padding(toLength: indent - 2, withPad: " ", startingAt: 0)
            var fresh = true
            for word in text.split(separator: " ") {
                if !fresh && line.count + 1 + word.count > width {
                    lines.append(line)
                    line = String(repeating: " ", count: indent)
                    fresh = true
                }
                line += (fresh ? "" : " ") + word
                fresh = false
            }
            lines.append(line)
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
