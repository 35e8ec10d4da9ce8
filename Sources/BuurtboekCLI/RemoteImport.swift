import JSON
import Ledger
import Remote

/// `import` to a team server: the file is streamed to /v1/import as it is read (never whole in
/// memory, on either side); the server prepares and commits it in batches, in the file's order,
/// and answers with the counts and the refused lines, which go to the rejects file as locally.
/// Lines without an id are sent as they are and the server derives their ids from their
/// content, so a file sent again (after a dropped connection, or run again) appends nothing
/// twice.
struct RemoteImport {
    let command: ImportCommand
    let remote: RemoteLedger

    func run(rejectsPath: String) throws -> ImportSummary {
        if command.file != "-" { _ = try LineReader(path: command.file) }  // a missing file or a directory, named as locally
        let progress = Progress(enabled: Terminal.stderrIsTerminal)
        if progress.enabled { Terminal.writeProgress("sending \(command.file == "-" ? "standard input" : command.file) to \(remote.url)") }
        defer { progress.clear() }
        let response = try remote.upload("/v1/import", file: command.file, contentType: "application/x-ndjson")
        if response.status == 400, String(decoding: response.body, as: UTF8.self).contains("no events in the body") {
            return ImportSummary()
        }
        let answer = try response.json().object ?? JSONObject()
        var summary = ImportSummary()
        summary.lines = Int(answer["lines"]?.int ?? 0)
        summary.appended = Int(answer["appended"]?.int ?? 0)
        summary.already = Int(answer["alreadyRecorded"]?.int ?? 0)
        summary.firstPosition = answer["firstPosition"]?.int.map(UInt64.init)
        summary.lastPosition = UInt64(answer["lastPosition"]?.int ?? 0)
        var rejects: RejectsFile?
        defer { try? rejects?.close() }
        for refusal in answer["refusals"]?.array ?? [] {
            let o = refusal.object ?? JSONObject()
            let number = Int(o["line"]?.int ?? 0)
            let message = o["error"]?.string ?? "refused"
            let error = LedgerError(o["kind"]?.string == "conflict" ? .conflict : .refused, message)
            if rejects == nil { rejects = try RejectsFile(path: rejectsPath) }
            try rejects!.write(line: number, error: error, input: ArraySlice((o["input"]?.string ?? "").utf8))
            summary.refused += 1
            if summary.shown.count < ImportCommand.shownRefusals { summary.shown.append((number, message)) }
        }
        try rejects?.close()
        rejects = nil
        return summary
    }
}
