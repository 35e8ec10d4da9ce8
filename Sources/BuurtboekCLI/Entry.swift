import ArgumentParser
import Catalogue
import Ledger
import Merkle
import Projections
import Remote
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The worker's most frequent command is parsed on its own: building the whole command tree
/// (every subcommand's arguments, reflected at run time) is a good part of a start, and an
/// `append` is timed from process start to exit. Whatever does not parse that way (help,
/// version, a mistake) goes through the whole tree, so its messages are the tree's.
func parseCommand() throws -> ParsableCommand {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == AppendCommand.configuration.commandName,
       let command = try? AppendCommand.parse(Array(arguments.dropFirst())) {
        return command
    }
    if arguments == ["--version"] { return VersionCommand() }
    // A mistyped command (or `help` of one) is named with the nearest commands.
    let names = Buurtboek.configuration.subcommands.map { $0.configuration.commandName ?? "" }
    let asked = arguments.first == "help" ? arguments.dropFirst().first : arguments.first
    if let asked, !asked.hasPrefix("-"), asked != "help", !names.contains(asked) {
        throw CLIError("unknown command '\(asked)'\(NameSuggestion.hint(asked, in: names)) (see `buurtboek help`)", code: ExitStatus.usage)
    }
    return try Buurtboek.parseAsRoot()
}

/// The CLI's entry, shared by the two executables: `buurtboek` (the local CLI, lean, so that
/// an append starts fast) and `buurtboek-team` (the same CLI with the team server and the
/// network client linked in, which `buurtboek` runs in its place when a command needs them).
public enum BuurtboekMain {
    public static func run() -> Never {
        // Whatever a command creates (the ledger's files, LMDB's lock files, the key store and its
        // compacted copy, read models, reports) is the owner's alone: files 0600, directories 0700.
        umask(0o077)

        // Every error leaves through here as one line on stderr and a documented exit code.
        do {
            var command = try parseCommand()
            try command.run()
        } catch let error as LedgerError {
            Terminal.fail(error.message, details: error.details, code: ExitStatus.code(for: error.kind))
        } catch let error as CLIError {
            Terminal.fail(error.message, code: error.code)
        } catch let error as FieldValueError {
            Terminal.fail(error.message, code: ExitStatus.usage)
        } catch let error as ProjectionError {
            switch error {
            case .refused(let message): Terminal.fail(message, code: ExitStatus.refused)
            case .storage(let message): Terminal.fail(message, code: ExitStatus.storage)
            }
        } catch let error as MerkleError {
            // The engines check sizes and positions first; this is what slips past them.
            switch error {
            case .outOfRange: Terminal.fail(error.description, code: ExitStatus.refused)
            case .storage: Terminal.fail(error.description, code: ExitStatus.storage)
            }
        } catch let error as RowFormatError {
            Terminal.fail(error.description, code: ExitStatus.storage)
        } catch let error as RemoteError {
            Terminal.fail(error.message, code: error.exitCode)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            let code = Buurtboek.exitCode(for: error)
            if code == .success {
                print(Buurtboek.fullMessage(for: error))
                exit(0)
            }
            Terminal.fail(ChoiceRefusal.explain(Buurtboek.message(for: error)), details: ["see `buurtboek help` or `buurtboek help COMMAND`"], code: ExitStatus.usage)
        }
        exit(0)
    }
}
