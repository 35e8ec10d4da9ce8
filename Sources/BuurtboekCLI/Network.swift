import Foundation
import Remote
#if canImport(Glibc)
import Glibc
#endif

/// What only buurtboek-team has: the network client's transport and the team server. The
/// local `buurtboek` leaves both unset and, for a command that needs one, runs buurtboek-team
/// (found beside itself) in its own place, with the same arguments: to the user it is one
/// command.
public enum Network {
    nonisolated(unsafe) public static var transport: (any Transport)?
    /// Serves until stopped; `listening` is told the address once bound.
    nonisolated(unsafe) public static var serve: ((ServerSettings, @escaping @Sendable (String) -> Void) throws -> Void)?

    static let teamBinary = "buurtboek-team"

    static func handOver() throws -> Never {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let own = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let team = (own as NSString).deletingLastPathComponent + "/" + teamBinary
        let arguments = [team] + CommandLine.arguments.dropFirst()
        fflush(nil)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv(team, &argv)
        throw CLIError("this command needs \(team) (the CLI with the network parts), which cannot be run: \(String(cString: strerror(errno))); install both with Tools/install", code: ExitStatus.storage)
    }
}
