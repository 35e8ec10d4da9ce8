import Catalogue
import Ledger
import TextFormats

/// A worker's `--neighbourhood`: a code, or a name the register knows, read on the day the
/// event occurred (names and codes change between divisions).
enum NeighbourhoodArgument {
    /// The area the text names, or nil when the catalogue has no register or the text names
    /// none (the preparer then refuses it, with the nearest areas). Several areas of one name
    /// are refused here, each with its wijk and gemeente, so the worker can pick the code.
    static func resolve(_ text: String, catalogue: Catalogue, occurredAt: String?) throws -> Area? {
        guard let register = catalogue.areas else { return nil }
        let day = Calendar.day(ofMicros: occurredAt.flatMap { RFC3339.parse($0) } ?? Clock.nowMicros())
        switch register.resolve(text, onDay: day) {
        case .area(let area): return area
        case .unknown: return nil
        case .several(let areas):
            throw CLIError("--neighbourhood \(text): \(areas.count) neighbourhoods have that name; give the code of the one you mean: "
                           + areas.map(\.placed).joined(separator: "; "), code: ExitStatus.refused)
        }
    }
}

/// Names beside codes in what the CLI prints: the name an area had in the division in force
/// when the event occurred (or, for a code of another year, in the latest division that has it).
struct AreaNames {
    private var lookup: AreaLookup?

    init(_ catalogue: Catalogue) { lookup = catalogue.areas.map(AreaLookup.init) }

    mutating func area(_ code: String, micros: Int64?) -> Area? {
        guard !code.isEmpty else { return nil }
        return lookup?.area(code, onDay: micros.map(Calendar.day(ofMicros:)))
    }

    mutating func area(_ code: String, occurredAt: String?) -> Area? {
        area(code, micros: occurredAt.flatMap { RFC3339.parse($0) })
    }

    /// "Centrum Haven Noord (BU00340101)", or the code alone when the register has no name for it.
    mutating func label(_ code: String, micros: Int64?) -> String {
        area(code, micros: micros)?.label ?? code
    }

    /// The name alone ("" when unknown), for a column of its own.
    mutating func name(_ code: String, micros: Int64? = nil) -> String {
        area(code, micros: micros)?.name ?? ""
    }
}

/// The marker column of `log` and `stream` (A amended, V voided) and the legend under the
/// table, printed on a terminal when a marker was shown.
struct CorrectionLegend {
    private(set) var shown = false

    mutating func letter(_ corrected: String?) -> String {
        switch corrected {
        case "amended": shown = true; return "A"
        case "voided": shown = true; return "V"
        default: return ""
        }
    }

    func printLegend(to out: inout OutputBuffer) {
        guard shown, Terminal.stdoutIsTerminal else { return }
        out.write(Array(Self.text.utf8))
    }

    func printLegend() {
        guard shown, Terminal.stdoutIsTerminal else { return }
        print(Self.text, terminator: "")
    }

    static let text = "C: A amended, V voided (`buurtboek show POS` shows the original and the correction)\n"
}
