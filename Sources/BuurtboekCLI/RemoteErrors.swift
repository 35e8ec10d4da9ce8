import Remote

extension ExitStatus {
    /// A team server's answer as the exit code the same failure has locally.
    static func code(forStatus status: Int) -> Int32 {
        switch status {
        case 0: storage                   // no answer: unreachable, TLS, dropped
        case 401, 403: notAllowed
        case 409: conflict
        case 413, 422: refused
        case 400..<500: usage
        default: storage
        }
    }
}

extension RemoteError {
    var exitCode: Int32 { kind == "integrity" ? ExitStatus.integrity : ExitStatus.code(forStatus: status) }
}
