#if canImport(Glibc)
import Glibc
#endif

/// Columns for a terminal that fit its width: each column as wide as its widest cell, and when
/// the whole is wider than the terminal, the widest columns that may wrap are narrowed and
/// their cells wrapped at spaces (or, for a long word, cut) onto further lines of the row.
/// `--wide` asks for no fitting at all; output to a pipe is never fitted.
struct TextTable {
    struct Column {
        var title: String
        /// Figures read from the right.
        var right = false
        /// Whether the cells may wrap (free text, lists); ids and times are kept whole.
        var wraps = false
        init(_ title: String, right: Bool = false, wraps: Bool = false) {
            self.title = title
            self.right = right
            self.wraps = wraps
        }
    }

    var columns: [Column]
    var rows: [[String]] = []
    /// Spaces before each line (a table inside an indented block).
    var indent = 0

    init(_ columns: [Column], indent: Int = 0) {
        self.columns = columns
        self.indent = indent
    }

    mutating func add(_ cells: [String]) { rows.append(cells) }

    /// The column widths for `width` columns of terminal (nil: each column its natural width).
    /// The widest column that may wrap gives up a character at a time, first down to its
    /// longest unbreakable piece (so ids break at their dots and dashes, text at spaces),
    /// then, if the table is still too wide, down to 6.
    func widths(fitting width: Int?) -> [Int] {
        var widths = columns.indices.map { i in
            max(columns[i].title.count, rows.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0)
        }
        guard let width else { return widths }
        let available = width - indent - 2 * (columns.count - 1)
        let pieces = columns.indices.map { i in
            columns[i].wraps ? max(6, rows.map { i < $0.count ? TextTable.pieces($0[i]).map(\.count).max() ?? 0 : 0 }.max() ?? 0) : .max
        }
        for floor in [pieces, Array(repeating: 6, count: columns.count)] {
            while widths.reduce(0, +) > available {
                guard let widest = widths.indices.filter({ columns[$0].wraps && widths[$0] > floor[$0] }).max(by: { widths[$0] < widths[$1] })
                else { break }
                widths[widest] -= 1
            }
        }
        return widths
    }

    /// The pieces a cell may break into: words, and after . _ - , / within them.
    static func pieces(_ text: String) -> [String] {
        var out: [String] = []
        for word in text.split(separator: " ") {
            var piece = ""
            for c in word {
                piece.append(c)
                if ".-_,/|".contains(c) { out.append(piece); piece = "" }
            }
            if !piece.isEmpty { out.append(piece) }
        }
        return out
    }

    func render(width: Int?) -> String {
        let widths = self.widths(fitting: width)
        var out = line(columns.map(\.title), widths)
        out += String(repeating: " ", count: indent) + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows { out += line(row, widths) }
        return out
    }

    /// One row, over as many lines as its wrapped cells need.
    func line(_ cells: [String], _ widths: [Int]) -> String {
        let wrapped = widths.indices.map { i -> [String] in
            let cell = i < cells.count ? cells[i] : ""
            return cell.count <= widths[i] ? [cell] : TextTable.wrap(cell, to: widths[i])
        }
        let height = wrapped.map(\.count).max() ?? 1
        var out = ""
        for n in 0..<height {
            var text = String(repeating: " ", count: indent)
            for i in widths.indices {
                let cell = n < wrapped[i].count ? wrapped[i][n] : ""
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                let last = i == widths.count - 1
                text += columns[i].right ? pad + cell : cell + (last ? "" : pad)
                if !last { text += "  " }
            }
            while text.last == " " { text.removeLast() }
            out += text + "\n"
        }
        return out
    }

    /// `text` in lines of at most `width` characters, broken at spaces where it can be, else
    /// after . _ - , / within a word, else (a piece longer than the line) anywhere.
    static func wrap(_ text: String, to width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            if !current.isEmpty && current.count + 1 + word.count <= width {
                current += " " + word
                continue
            }
            if !current.isEmpty { lines.append(current); current = "" }
            for var piece in pieces(word) {
                while piece.count > width {
                    if !current.isEmpty { lines.append(current); current = "" }
                    lines.append(String(piece.prefix(width)))
                    piece = String(piece.dropFirst(width))
                }
                if current.count + piece.count <= width { current += piece } else { lines.append(current); current = piece }
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }
}

extension Terminal {
    /// The width to fit tables to: nil when standard output is no terminal (a pipe or a file
    /// gets each table whole) or when `wide` is asked for; else $COLUMNS, else the terminal's
    /// own width, else 100.
    static func tableWidth(wide: Bool) -> Int? {
        if wide { return nil }
        if let columns = Environment.value("COLUMNS").flatMap(Int.init), columns >= 20 { return columns }
        guard stdoutIsTerminal else { return nil }
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 20 { return Int(size.ws_col) }
        return 100
    }
}
