import Catalogue
import TextFormats

/// The division a report counts by, and how it reads the codes events were recorded with: a
/// code of the division in force at the end of the report's period counts as itself; a code of
/// an earlier division counts under the code an organisation's crosswalk gives it; a code
/// neither knows keeps its own line and is named in the report's notes, never dropped.
/// Reports ask `ReportQuery.area(_:)` wherever they group by neighbourhood.
public final class AreaMapping: @unchecked Sendable {
    let register: AreaRegister
    private var index: AreaLookup
    /// The day (UTC) whose divisions the report counts by.
    let day: Int
    private let mask: UInt64
    private let crosswalk: [String: String]
    private var canonical: [String: String] = [:]
    /// Codes counted under another (old -> new), and codes left as they were recorded.
    private(set) var mapped: [String: String] = [:]
    private(set) var unmapped: Set<String> = []

    public init(register: AreaRegister, day: Int) {
        self.register = register
        self.day = day
        index = AreaLookup(register)
        mask = register.inForce(onDay: day)
        var map: [String: String] = [:]
        for c in register.crosswalks { map.merge((try? c.table()) ?? [:]) { _, later in later } }
        crosswalk = map
    }

    /// The code `code` counts under.
    func area(_ code: String) -> String {
        if let known = canonical[code] { return known }
        var result = code
        if !code.isEmpty && index.divisionsHolding(code: code) & mask == 0 {
            // Follow the crosswalks (an old code may have changed twice) to a code in force.
            var next = code, steps = 0
            while let further = crosswalk[next], steps < 8 { next = further; steps += 1 }
            if next != code && index.divisionsHolding(code: next) & mask != 0 {
                result = next
                mapped[code] = next
            } else {
                unmapped.insert(code)
            }
        }
        canonical[code] = result
        return result
    }

    /// The name of a code as the report counts it: from the division in force at its end, or
    /// for a code outside it, from the latest division that has it.
    func name(_ code: String) -> String {
        guard code != "all", !code.isEmpty else { return "" }
        return index.area(code, onDay: day)?.name ?? ""
    }

    var titles: [String] { register.divisions(in: mask).map(\.title) }
}

extension ReportQuery {
    /// The code a neighbourhood's events count under in this report (see `AreaMapping`).
    public func area(_ code: String) -> String { areas?.area(code) ?? code }
}

/// Names beside codes in every report: a `name` column after each `neighbourhood` column,
/// "Name (code)" on charts' neighbourhood labels, and notes saying which division the report
/// counts by, which codes it counted under others and which it could not place.
enum AreaLabels {
    static func apply(_ report: inout Report, _ areas: AreaMapping) {
        var labelled = false
        for s in report.sections.indices {
            // A column named so, or the group column of a per-neighbourhood section.
            let section = report.sections[s]
            guard let at = section.columns.firstIndex(of: "neighbourhood") ?? (section.id == "by-neighbourhood" ? 0 : nil) else { continue }
            labelled = true
            report.sections[s].columns.insert("name", at: at + 1)
            var codes: Set<String> = []
            for r in report.sections[s].rows.indices {
                let cell = report.sections[s].rows[r][at]
                guard case .text(let code) = cell else { report.sections[s].rows[r].insert(.text(""), at: at + 1); continue }
                codes.insert(code)
                report.sections[s].rows[r].insert(.text(areas.name(code)), at: at + 1)
            }
            report.sections[s].charts = report.sections[s].charts.map { chart in
                func label(_ code: String) -> String {
                    guard codes.contains(code) else { return code }
                    let name = areas.name(code)
                    return name.isEmpty ? code : "\(name) (\(code))"
                }
                switch chart {
                case .heatmap(let title, let rows, let columns, let values, let partial):
                    return .heatmap(title: title, rows: rows.map(label), columns: columns, values: values, partial: partial)
                case .bars(let title, let labels, let values): return .bars(title: title, labels: labels.map(label), values: values)
                case .stacked(let title, let labels, let parts, let values):
                    return .stacked(title: title, labels: labels.map(label), parts: parts, values: values)
                }
            }
        }
        guard labelled else { return }
        report.notes.append("Neighbourhoods as divided on \(RFC3339.formatDay(areas.day)): \(areas.titles.joined(separator: "; ")).")
        if !areas.mapped.isEmpty {
            let list = areas.mapped.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }
            report.notes.append("Counted under the code that replaced it (the organisation's crosswalk): \(list.joined(separator: ", ")).")
        }
        if !areas.unmapped.isEmpty {
            report.notes.append("Codes not in that division and not in a crosswalk, each counted on a line of its own: \(areas.unmapped.sorted().joined(separator: ", ")).")
        }
    }
}
