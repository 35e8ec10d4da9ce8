import JSON
import Ledger
import Remote

/// `import` to a team server: the file is read and sent in batches (never whole in memory);
/// lines without an id are sent without one and the server derives it from their content, so
/// a batch sent again after a lost answer, or the whole file run again, appends nothing twice.
/// Refused lines go to the rejects file as locally.
struct RemoteImport {
    let command: ImportCommand
    let remote: RemoteLedger
    /// Lines per request: large enough that the round trip is a small part of the time, small
    /// enough to stay far under the server's body limit.
    static let linesPerRequest = 5_000
    static let bytesPerRequest = 8 << 20

    func run(rejectsPath: String) throws -> ImportSummary {
        let started = Clock.nowMicros()
        let reader = try LineReader(path: command.file)
        let progress = Progress(enabled: Terminal.stderrIsTerminal)
        var summary = ImportSummary()
        var rejects: RejectsFile?
        defer { rejects?.close() }
        var batch: [LineReader.Line] = [], bytes = 0
        func send() throws {
            guard !batch.isEmpty else { return }
            var body: [UInt8] = []
            body.reserveCapacity(bytes + batch.count)
            for line in batch { body.append(contentsOf: line.bytes); body.append(10) }
            let response = try remote.send(.POST, "/v1/events", body: body, contentType: "application/x-ndjson")
            let answer = try response.json().object ?? JSONObject()
            // One line is answered as a single append; several with one result per line.
            let results = batch.count == 1 ? [JSONValue.object(answer)] : (answer["results"]?.array ?? [])
            guard results.count == batch.count else {
                throw CLIError("\(remote.url) answered \(results.count) results for \(batch.count) lines", code: ExitStatus.storage)
            }
            for (line, result) in zip(batch, results) {
                let o = result.object ?? JSONObject()
                let position = UInt64(o["position"]?.int ?? 0)
                switch o["status"]?.string {
                case "appended": _ = summary.add(.appended(position: position, streamVersion: UInt64(o["streamVersion"]?.int ?? 0)))
                case "already_recorded": _ = summary.add(.alreadyRecorded(position: position))
                default:
                    let error = LedgerError(o["kind"]?.string == "conflict" ? .conflict : .refused, "line \(line.number): \(o["error"]?.string ?? "refused")")
                    if rejects == nil { rejects = try RejectsFile(path: rejectsPath) }
                    rejects!.write(line: line.number, error: error, input: line.bytes)
                    summary.refused += 1
                    if summary.shown.count < ImportCommand.shownRefusals { summary.shown.append((line.number, error.message)) }
                }
            }
            batch.removeAll(keepingCapacity: true)
            bytes = 0
            progress.show(summary, started: started)
        }
        while let lines = try reader.next(1_000) {
            for line in lines where !line.bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) {
                if !batch.isEmpty && (batch.count >= Self.linesPerRequest || bytes + line.bytes.count > Self.bytesPerRequest) { try send() }
                batch.append(line)
                bytes += line.bytes.count
            }
        }
        try send()
        progress.clear()
        summary.lines = reader.lineNumber
        return summary
    }
}
