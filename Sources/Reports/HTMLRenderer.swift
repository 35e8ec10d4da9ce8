/// `--format html`: one self-contained file (inline CSS and SVG, no script, nothing fetched)
/// that opens in any browser, offline. Suppressed cells stay suppressed in charts: they are drawn
/// hatched, never as a value.
public enum HTMLRenderer {
    public static func render(_ reports: [Report], suppression: Suppression, generated: String) -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(reports.map(\.title).joined(separator: " · ")))</title>
        <style>\(css)</style></head><body>
        <header><h1>Buurtboek</h1><p>\(escape(generated)) · counts below \(suppression.threshold) are shown as &lt;\(suppression.threshold); figures resting on them are withheld (–).</p></header>

        """
        if reports.count > 1 {
            out += "<nav>" + reports.map { "<a href=\"#\(escape($0.name))\">\(escape($0.title))</a>" }.joined(separator: " · ") + "</nav>\n"
        }
        for report in reports {
            out += "<section id=\"\(escape(report.name))\"><h2>\(escape(report.title))</h2><p class=\"scope\">\(escape(report.scope))</p>\n"
            for section in report.sections {
                out += "<h3>\(escape(section.title))</h3>\n"
                for chart in section.charts { out += svg(chart, suppression) + "\n" }
                out += table(section, suppression)
            }
            for note in report.notes { out += "<p class=\"note\">\(escape(note))</p>\n" }
            out += "</section>\n"
        }
        return out + "</body></html>\n"
    }

    static let css = """
    body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
    h1{margin:0}h2{border-bottom:2px solid #2a6f97;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.6em}
    header p,.scope,.note{color:#555}nav{margin:1em 0}
    .wrap{overflow:auto;max-height:32em;border:1px solid #ddd;max-width:100%}
    .hint{color:#777;font-size:12px;margin:.2em 0}
    table{border-collapse:collapse;font-size:12px}th,td{padding:2px 8px;border-bottom:1px solid #eee;white-space:nowrap}
    th{position:sticky;top:0;background:#f4f7f9;text-align:left;white-space:normal;vertical-align:bottom;min-width:4em;max-width:9em}
    td:first-child,th:first-child{position:sticky;left:0;background:#fff;z-index:1}th:first-child{background:#f4f7f9;z-index:2}td.n{text-align:right;font-variant-numeric:tabular-nums}
    td.s{color:#999;text-align:right}svg{display:block;margin:.5em 0 1em}svg text{font:11px system-ui,sans-serif;fill:#333}
    """

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static func table(_ section: Section, _ s: Suppression) -> String {
        // A table of many columns scrolls sideways in its box, its first column kept in view.
        var out = section.columns.count > 8 ? "<p class=\"hint\">\(section.columns.count) columns: scroll the table sideways; the first column stays in view.</p>" : ""
        out += "<div class=\"wrap\"><table><thead><tr>"
        out += section.columns.map { "<th>\(escape($0))</th>" }.joined()
        out += "</tr></thead><tbody>\n"
        for row in section.rows {
            out += "<tr>"
            for cell in row {
                let text = escape(TableRenderer.text(cell, s))
                switch s.show(cell) {
                case .suppressed, .withheld: out += "<td class=\"s\">\(text)</td>"
                case .number: out += "<td class=\"n\">\(text)</td>"
                default: out += "<td>\(text)</td>"
                }
            }
            out += "</tr>\n"
        }
        if section.rows.isEmpty { out += "<tr><td colspan=\"\(section.columns.count)\">nothing in this period</td></tr>" }
        return out + "</tbody></table></div>\n"
    }

    static func number(_ cell: Cell, _ s: Suppression) -> Double? {
        if case .number(let v, _) = s.show(cell) { return v }
        return nil
    }

    static func svg(_ chart: Chart, _ s: Suppression) -> String {
        switch chart {
        case .heatmap(let title, let rows, let columns, let values, let partial): return heatmap(title, rows, columns, values, partial, s)
        case .bars(let title, let labels, let values): return bars(title, labels, values, s)
        case .stacked(let title, let labels, let parts, let values): return stacked(title, labels, parts, values, s)
        }
    }

    static let hatch = "<defs><pattern id=\"h\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\"><path d=\"M0 4L4 0\" stroke=\"#bbb\"/></pattern></defs>"

    static func f(_ v: Double) -> String { NumberText.plain(v, decimals: 1) }

    /// The hatched and empty swatches' legend, one line at `y`.
    static func legend(at y: Double, _ s: Suppression, empty: String?) -> String {
        var out = "<rect x=\"0\" y=\"\(f(y))\" width=\"12\" height=\"12\" fill=\"url(#h)\" stroke=\"#999\"/>"
        out += "<text x=\"16\" y=\"\(f(y + 10))\">hatched: fewer than \(s.threshold), not shown (small-cell suppression)</text>"
        if let empty {
            out += "<rect x=\"330\" y=\"\(f(y))\" width=\"12\" height=\"12\" fill=\"#fff\" stroke=\"#999\"/><text x=\"346\" y=\"\(f(y + 10))\">\(escape(empty))</text>"
        }
        return out
    }

    /// Month columns (YYYY-MM) with the months between them that hold nothing put back, so
    /// that time runs evenly along the axis; a run of more than three empty months becomes one
    /// marked gap column instead. Other columns are left as they are.
    static func continuousMonths(_ columns: [String]) -> [(label: String, source: Int?, gap: String?)] {
        func index(_ label: String) -> Int? {
            let parts = label.split(separator: "-")
            guard label.count == 7, parts.count == 2, let y = Int(parts[0]), let m = Int(parts[1]) else { return nil }
            return y * 12 + m - 1
        }
        func label(_ i: Int) -> String { "\(i / 12)-\(i % 12 + 1 < 10 ? "0" : "")\(i % 12 + 1)" }
        guard columns.allSatisfy({ index($0) != nil }) else { return columns.enumerated().map { ($1, $0, nil) } }
        var out: [(String, Int?, String?)] = []
        for (j, column) in columns.enumerated() {
            if j > 0, let before = index(columns[j - 1]), let now = index(column), now - before > 1 {
                if now - before - 1 <= 3 {
                    for i in before + 1..<now { out.append((label(i), nil, nil)) }
                } else {
                    out.append(("…", nil, "no events from \(label(before + 1)) to \(label(now - 1))"))
                }
            }
            out.append((column, j, nil))
        }
        return out
    }

    static func heatmap(_ title: String, _ rows: [String], _ columns: [String], _ values: [[Cell]], _ partial: String?, _ s: Suppression) -> String {
        let cell = 16.0, left = 110.0, top = 70.0
        let axis = continuousMonths(columns)
        let maxValue = values.flatMap { $0.compactMap { number($0, s) } }.max() ?? 0
        let heading = "\(title) (darker = more)"
        let gridBottom = top + cell * Double(rows.count)
        let width = max(left + cell * Double(axis.count) + 20, 560)
        let height = gridBottom + 76
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"\(escape(title))\">\(hatch)"
        out += "<defs><linearGradient id=\"scale\"><stop offset=\"0\" stop-color=\"hsl(200,60%,96%)\"/><stop offset=\"1\" stop-color=\"hsl(200,60%,34%)\"/></linearGradient></defs>"
        out += "<text x=\"0\" y=\"12\" font-weight=\"bold\">\(escape(heading))</text>"
        // Column labels turned upwards so that every month keeps its own.
        for (j, c) in axis.enumerated() {
            let x = left + cell * Double(j) + cell / 2 + 4, y = top - 4
            let text = c.label + (c.label == partial ? " *" : "")
            out += "<text x=\"\(f(x))\" y=\"\(f(y))\" transform=\"rotate(-60 \(f(x)) \(f(y)))\"\(c.gap != nil ? " fill=\"#999\"" : "")>\(escape(text))</text>"
            if let gap = c.gap {
                out += "<rect x=\"\(f(left + cell * Double(j)))\" y=\"\(f(top))\" width=\"\(f(cell - 1))\" height=\"\(f(gridBottom - top))\" fill=\"#f3f3f3\"><title>\(escape(gap))</title></rect>"
            }
        }
        for (i, r) in rows.enumerated() {
            let y = top + cell * Double(i)
            out += "<text x=\"0\" y=\"\(f(y + cell - 4))\">\(escape(r))</text>"
            for (j, c) in axis.enumerated() where c.gap == nil {
                let x = left + cell * Double(j)
                guard let source = c.source else {
                    out += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell - 1))\" height=\"\(f(cell - 1))\" fill=\"#fff\" stroke=\"#eee\"><title>\(escape(r)) \(escape(c.label)): no events</title></rect>"
                    continue
                }
                let v = values[i][source]
                let fill: String
                if let n = number(v, s) {
                    let t = maxValue > 0 ? n / maxValue : 0
                    fill = "hsl(200,60%,\(Int(96 - 62 * t))%)"
                } else if case .suppressed = s.show(v) { fill = "url(#h)" } else { fill = "#fff" }
                out += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell - 1))\" height=\"\(f(cell - 1))\" fill=\"\(fill)\"><title>\(escape(r)) \(escape(c.label)): \(escape(TableRenderer.text(v, s)))</title></rect>"
            }
        }
        // The colour scale, then what hatched and white cells mean, then the partial month.
        let y = gridBottom + 12
        out += "<g class=\"legend\"><text x=\"0\" y=\"\(f(y + 10))\">scale</text><text x=\"44\" y=\"\(f(y + 10))\">0</text>"
        out += "<rect x=\"56\" y=\"\(f(y))\" width=\"160\" height=\"12\" fill=\"url(#scale)\" stroke=\"#999\"/>"
        out += "<text x=\"222\" y=\"\(f(y + 10))\">\(NumberText.grouped(NumberText.plain(maxValue, decimals: 0))) (the most in one cell)</text>"
        out += legend(at: y + 20, s, empty: "no events that month")
        if let partial {
            out += "<text x=\"0\" y=\"\(f(y + 50))\">* \(escape(partial)): the month is not over at the report's reference moment; its figures are partial</text>"
        }
        return out + "</g></svg>"
    }

    /// A tick step of 1, 2 or 5 times a power of ten giving about four ticks up to `maxValue`.
    static func tickStep(_ maxValue: Double) -> Double {
        guard maxValue > 0 else { return 1 }
        let raw = maxValue / 4
        var power = 1.0
        while power * 10 <= raw { power *= 10 }
        while power > raw { power /= 10 }
        for m in [1.0, 2, 5, 10] where power * m >= raw { return power * m }
        return power * 10
    }

    /// The value axis under horizontal bars: a line with ticks and their figures.
    static func valueAxis(left: Double, width: Double, y: Double, maxValue: Double, label: String) -> String {
        var out = "<g class=\"axis\"><line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + width))\" y2=\"\(f(y))\" stroke=\"#666\"/>"
        let step = tickStep(maxValue)
        var tick = 0.0
        while maxValue > 0 && tick <= maxValue * 1.0001 {
            let x = left + width * tick / maxValue
            out += "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x))\" y2=\"\(f(y + 4))\" stroke=\"#666\"/>"
            out += "<text x=\"\(f(x))\" y=\"\(f(y + 15))\" text-anchor=\"middle\">\(NumberText.grouped(NumberText.plain(tick, decimals: step < 1 ? 1 : 0)))</text>"
            tick += step
        }
        out += "<text x=\"\(f(left + width / 2))\" y=\"\(f(y + 29))\" text-anchor=\"middle\">\(escape(label))</text>"
        return out + "</g>"
    }

    static func bars(_ title: String, _ labels: [String], _ values: [Cell], _ s: Suppression) -> String {
        let row = 20.0, left = 190.0, barWidth = 420.0, top = 22.0
        let barsBottom = top + row * Double(labels.count)
        let height = barsBottom + 58
        let maxValue = values.compactMap { number($0, s) }.max() ?? 0
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(left + barWidth + 80))\" height=\"\(f(height))\" role=\"img\" aria-label=\"\(escape(title))\">\(hatch)"
        out += "<text x=\"0\" y=\"12\" font-weight=\"bold\">\(escape(title))</text>"
        for (i, label) in labels.enumerated() {
            let y = top + row * Double(i)
            out += "<text x=\"0\" y=\"\(f(y + 13))\">\(escape(label))</text>"
            let v = values[i]
            if let n = number(v, s) {
                let w = maxValue > 0 ? barWidth * n / maxValue : 0
                out += "<rect x=\"\(f(left))\" y=\"\(f(y + 2))\" width=\"\(f(w))\" height=\"\(f(row - 6))\" fill=\"#2a6f97\"/>"
                out += "<text x=\"\(f(left + w + 4))\" y=\"\(f(y + 13))\">\(escape(TableRenderer.text(v, s)))</text>"
            } else {
                out += "<rect x=\"\(f(left))\" y=\"\(f(y + 2))\" width=\"40\" height=\"\(f(row - 6))\" fill=\"url(#h)\"/>"
                out += "<text x=\"\(f(left + 44))\" y=\"\(f(y + 13))\">\(escape(TableRenderer.text(v, s)))</text>"
            }
        }
        out += valueAxis(left: left, width: barWidth, y: barsBottom + 2, maxValue: maxValue, label: "number")
        if values.contains(where: { number($0, s) == nil }) { out += legend(at: barsBottom + 40, s, empty: nil) }
        return out + "</svg>"
    }

    static let palette = ["#2a6f97", "#61a5c2", "#f4a259", "#bc4b51", "#8cb369", "#5b8e7d"]

    static func stacked(_ title: String, _ labels: [String], _ parts: [String], _ values: [[Cell]], _ s: Suppression) -> String {
        let row = 20.0, left = 150.0, barWidth = 420.0, top = 38.0
        let barsBottom = top + row * Double(labels.count)
        let height = barsBottom + 40
        let totals = values.map { $0.compactMap { number($0, s) }.reduce(0, +) }
        let maxValue = totals.max() ?? 0
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(left + barWidth + 80))\" height=\"\(f(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        out += "<text x=\"0\" y=\"12\" font-weight=\"bold\">\(escape(title))</text>"
        var x = 0.0
        for (k, part) in parts.enumerated() {
            out += "<rect x=\"\(f(x))\" y=\"18\" width=\"10\" height=\"10\" fill=\"\(palette[k % palette.count])\"/><text x=\"\(f(x + 14))\" y=\"27\">\(escape(part))</text>"
            x += 24 + Double(part.count) * 6.5
        }
        for (i, label) in labels.enumerated() {
            let y = top + row * Double(i)
            out += "<text x=\"0\" y=\"\(f(y + 13))\">\(escape(label))</text>"
            var at = left
            for (k, v) in values[i].enumerated() {
                guard let n = number(v, s), maxValue > 0 else { continue }
                let w = barWidth * n / maxValue
                out += "<rect x=\"\(f(at))\" y=\"\(f(y + 2))\" width=\"\(f(w))\" height=\"\(f(row - 6))\" fill=\"\(palette[k % palette.count])\"><title>\(escape(label)) \(escape(parts[k])): \(escape(TableRenderer.text(v, s)))</title></rect>"
                at += w
            }
            out += "<text x=\"\(f(at + 4))\" y=\"\(f(y + 13))\">\(NumberText.grouped(NumberText.plain(totals[i], decimals: 1)))</text>"
        }
        out += valueAxis(left: left, width: barWidth, y: barsBottom + 2, maxValue: maxValue, label: "total")
        return out + "</svg>"
    }
}
