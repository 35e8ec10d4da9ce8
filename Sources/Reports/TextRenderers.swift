import JSON

/// Formats numbers the same way in every text format: counts as integers, rates as shares with
/// three decimals in CSV/JSON and as percentages in tables.
enum NumberText {
    static func plain(_ v: Double, decimals: Int) -> String {
        if decimals == 0 { return String(Int64(v.rounded())) }
        var s = String(Int64((v * pow10(decimals)).rounded()).magnitude)
        while s.count <= decimals { s = "0" + s }
        let cut = s.index(s.endIndex, offsetBy: -decimals)
        return (v < 0 && v * pow10(decimals) <= -0.5 ? "-" : "") + s[..<cut] + "." + s[cut...]
    }

    static func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { r, _ in r * 10 } }

    /// Thousands separators in a plain number's integer part, for people: 12345.5 -> 12,345.5.
    static func grouped(_ plain: String) -> String {
        let negative = plain.hasPrefix("-")
        let body = negative ? plain.dropFirst() : Substring(plain)
        let integer = body.prefix { $0 != "." }, rest = body.dropFirst(integer.count)
        guard integer.count > 3 else { return plain }
        var out = ""
        for (i, c) in integer.enumerated() {
            if i > 0 && (integer.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (negative ? "-" : "") + out + rest
    }
}

/// `--format table`: aligned columns for a terminal, rates as percentages, counts with
/// thousands separators. A section wider than `width` is shown as one block per row instead
/// (its label columns as the block's heading, then each indicator with its value, as many to
/// a line as fit), so that it reads on the terminal it is printed to.
public enum TableRenderer {
    public static func render(_ report: Report, suppression: Suppression, width: Int? = nil) -> String {
        var out = "\(report.title)\n" + prose(report.scope, width)
        for section in report.sections {
            out += "\n" + prose(section.title, width)
            let cells: [[String]] = section.rows.map { row in row.map { text($0, suppression) } }
            let widths = section.columns.indices.map { i in
                max(section.columns[i].count, cells.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0)
            }
            // Text columns read from the left, figures from the right.
            let textual = section.columns.indices.map { i in
                section.rows.allSatisfy { row in i < row.count && { if case .text = row[i] { return true }; return false }() }
            }
            if section.rows.isEmpty {
                out += "(nothing in this period)\n"
                continue
            }
            if let width, widths.reduce(0, +) + 2 * (widths.count - 1) > width {
                out += blocks(section.columns, cells, textual: textual, width: width)
                continue
            }
            func line(_ values: [String]) -> String {
                values.enumerated().map { i, v in
                    textual[i] ? v.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                               : String(repeating: " ", count: max(0, widths[i] - v.count)) + v
                }.joined(separator: "  ")
            }
            out += line(section.columns) + "\n"
            out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
            for row in cells { out += line(row) + "\n" }
        }
        for note in report.notes { out += "\n" + prose("note: \(note)", width, hanging: 6) }
        return out
    }

    /// A line of prose, wrapped at spaces to `width` (nil: one line), continuation lines
    /// indented by `hanging`; ends with a newline.
    static func prose(_ text: String, _ width: Int?, hanging: Int = 2) -> String {
        guard let width, text.count > width else { return text + "\n" }
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            let limit = lines.isEmpty ? width : width - hanging
            if !line.isEmpty && line.count + 1 + word.count > limit { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        lines.append(line)
        return lines.enumerated().map { ($0 == 0 ? "" : String(repeating: " ", count: hanging)) + $1 }.joined(separator: "\n") + "\n"
    }

    /// One block per row: the leading text columns as its heading, the rest as name/value
    /// pairs in columns of equal width.
    static func blocks(_ columns: [String], _ rows: [[String]], textual: [Bool], width: Int) -> String {
        let labels = textual.prefix { $0 }.count
        let names = Array(columns.dropFirst(labels))
        let nameWidth = names.map(\.count).max() ?? 0
        let valueWidth = rows.flatMap { $0.dropFirst(labels) }.map(\.count).max() ?? 0
        let pair = nameWidth + 2 + valueWidth
        let perLine = max(1, (width - 2 + 4) / (pair + 4))
        var out = ""
        for row in rows {
            let heading = zip(columns.prefix(labels), row.prefix(labels)).map { "\($0): \($1.isEmpty ? "-" : $1)" }.joined(separator: "  ")
            out += prose(heading.isEmpty ? "-" : heading, width)
            let pairs = zip(names, row.dropFirst(labels)).map { name, value in
                name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  " + String(repeating: " ", count: max(0, valueWidth - value.count)) + value
            }
            var at = 0
            while at < pairs.count {
                out += "  " + pairs[at..<min(at + perLine, pairs.count)].joined(separator: "    ") + "\n"
                at += perLine
            }
        }
        return out
    }

    static func text(_ cell: Cell, _ s: Suppression) -> String {
        switch s.show(cell) {
        case .text(let t): return t
        case .number(let v, let decimals):
            if case .rate = cell { return NumberText.plain(v * 100, decimals: 1) + "%" }
            return NumberText.grouped(NumberText.plain(v, decimals: decimals))
        case .suppressed(let t): return t
        case .withheld: return "–"
        case .empty: return ""
        }
    }
}

/// `--format csv`: RFC 4180, one header line, a `section` column first, so that a report loads
/// into a spreadsheet or a data frame as it is. Sections whose columns differ from the first
/// one's are left out (choose them with `--section`).
public enum CSVRenderer {
    public static func render(_ report: Report, suppression: Suppression) -> (text: String, omitted: [String]) {
        guard let first = report.sections.first else { return ("", []) }
        let included = report.sections.filter { $0.columns == first.columns }
        var out = field("section") + "," + first.columns.map(field).joined(separator: ",") + "\r\n"
        for section in included {
            for row in section.rows {
                out += field(section.id) + "," + row.map { field(value($0, suppression)) }.joined(separator: ",") + "\r\n"
            }
        }
        return (out, report.sections.filter { $0.columns != first.columns }.map(\.id))
    }

    static func value(_ cell: Cell, _ s: Suppression) -> String {
        switch s.show(cell) {
        case .text(let t): return t
        case .number(let v, let decimals): return NumberText.plain(v, decimals: decimals)
        case .suppressed(let t): return t
        case .withheld, .empty: return ""
        }
    }

    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacing("\"", with: "\"\"") + "\""
    }
}

/// `--format json`: one object per report; each section's rows are objects keyed by column.
/// Suppressed counts are the string "<k"; withheld figures are null.
public enum JSONRenderer {
    public static func render(_ report: Report, suppression: Suppression, extra: [(String, JSONValue)] = []) -> String {
        var object = JSONObject()
        object["report"] = .string(report.name)
        object["title"] = .string(report.title)
        object["scope"] = .string(report.scope)
        for (k, v) in extra { object[k] = v }
        object["suppressionThreshold"] = .int(Int64(suppression.threshold))
        object["sections"] = .array(report.sections.map { section in
            .object(JSONObject([
                ("id", .string(section.id)),
                ("title", .string(section.title)),
                ("columns", .array(section.columns.map { .string($0) })),
                ("rows", .array(section.rows.map { row in
                    .object(JSONObject(zip(section.columns, row).map { ($0, value($1, suppression)) }))
                })),
            ]))
        })
        object["notes"] = .array(report.notes.map { .string($0) })
        return JSONWriter.ordered(.object(object)) + "\n"
    }

    static func value(_ cell: Cell, _ s: Suppression) -> JSONValue {
        switch s.show(cell) {
        case .text(let t): return .string(t)
        case .number(let v, let decimals):
            return decimals == 0 ? .int(Int64(v.rounded())) : .double(Double(NumberText.plain(v, decimals: decimals)) ?? v)
        case .suppressed(let t): return .string(t)
        case .withheld, .empty: return .null
        }
    }
}
