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
    .wrap{overflow-x:auto;max-height:32em;overflow-y:auto;border:1px solid #ddd}
    table{border-collapse:collapse;font-size:12px}th,td{padding:2px 8px;border-bottom:1px solid #eee;white-space:nowrap}
    th{position:sticky;top:0;background:#f4f7f9;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
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
        var out = "<div class=\"wrap\"><table><thead><tr>"
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
        case .heatmap(let title, let rows, let columns, let values): return heatmap(title, rows, columns, values, s)
        case .bars(let title, let labels, let values): return bars(title, labels, values, s)
        case .stacked(let title, let labels, let parts, let values): return stacked(title, labels, parts, values, s)
        }
    }

    static let hatch = "<defs><pattern id=\"h\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\"><path d=\"M0 4L4 0\" stroke=\"#bbb\"/></pattern></defs>"

    static func f(_ v: Double) -> String { NumberText.plain(v, decimals: 1) }

    static func heatmap(_ title: String, _ rows: [String], _ columns: [String], _ values: [[Cell]], _ s: Suppression) -> String {
        let cell = 16.0, left = 110.0, top = 70.0
        let maxValue = values.flatMap { $0.compactMap { number($0, s) } }.max() ?? 0
        let heading = "\(title) (darker = more; most \(NumberText.plain(maxValue, decimals: 0)))"
        let width = max(left + cell * Double(columns.count) + 20, Double(heading.count) * 7.4 + 10)
        let height = top + cell * Double(rows.count) + 10
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"\(escape(title))\">\(hatch)"
        out += "<text x=\"0\" y=\"12\" font-weight=\"bold\">\(escape(heading))</text>"
        // Column labels turned upwards so that every month keeps its own.
        for (j, c) in columns.enumerated() {
            let x = left + cell * Double(j) + cell / 2 + 4, y = top - 4
            out += "<text x=\"\(f(x))\" y=\"\(f(y))\" transform=\"rotate(-60 \(f(x)) \(f(y)))\">\(escape(c))</text>"
        }
        for (i, r) in rows.enumerated() {
            let y = top + cell * Double(i)
            out += "<text x=\"0\" y=\"\(f(y + cell - 4))\">\(escape(r))</text>"
            for (j, v) in values[i].enumerated() {
                let x = left + cell * Double(j)
                let fill: String
                if let n = number(v, s) {
                    let t = maxValue > 0 ? n / maxValue : 0
                    fill = "hsl(200,60%,\(Int(96 - 62 * t))%)"
                } else if case .suppressed = s.show(v) { fill = "url(#h)" } else { fill = "#fff" }
                out += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell - 1))\" height=\"\(f(cell - 1))\" fill=\"\(fill)\"><title>\(escape(r)) \(escape(columns[j])): \(escape(TableRenderer.text(v, s)))</title></rect>"
            }
        }
        return out + "</svg>"
    }

    static func bars(_ title: String, _ labels: [String], _ values: [Cell], _ s: Suppression) -> String {
        let row = 20.0, left = 150.0, barWidth = 420.0, top = 22.0
        let height = top + row * Double(labels.count) + 6
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
        return out + "</svg>"
    }

    static let palette = ["#2a6f97", "#61a5c2", "#f4a259", "#bc4b51", "#8cb369", "#5b8e7d"]

    static func stacked(_ title: String, _ labels: [String], _ parts: [String], _ values: [[Cell]], _ s: Suppression) -> String {
        let row = 20.0, left = 150.0, barWidth = 420.0, top = 38.0
        let height = top + row * Double(labels.count) + 6
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
            out += "<text x=\"\(f(at + 4))\" y=\"\(f(y + 13))\">\(NumberText.plain(totals[i], decimals: 1))</text>"
        }
        return out + "</svg>"
    }
}
