import ArgumentParser
import Ledger
#if canImport(Glibc)
import Glibc
#endif

// Every error leaves through here as one line on stderr and a documented exit code.
do {
    var command = try Buurtboek.parseAsRoot()
    try command.run()
} catch let error as LedgerError {
    Terminal.fail(error.message, details: error.details, code: ExitStatus.code(for: error.kind))
} catch let error as CLIError {
    Terminal.fail(error.message, code: error.code)
} catch let error as ExitCode {
    exit(error.rawValue)
} catch {
    let code = Buurtboek.exitCode(for: error)
    if code == .success {
        print(Buurtboek.fullMessage(for: error))
        exit(0)
    }
    Terminal.fail(Buurtboek.message(for: error), details: ["see `buurtboek help` or `buurtboek help COMMAND`"], code: ExitStatus.usage)
}
