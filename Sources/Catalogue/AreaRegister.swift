import JSON
import TextFormats
import Threads
#if canImport(Glibc)
import Glibc
#endif

/// One official area: a CBS buurt (with its wijk and gemeente) or a Statbel statistical sector
/// (with its gemeente).
public struct Area: Sendable, Equatable {
    public let code: String
    public let name: String
    public let wijkCode: String
    public let wijkName: String
    public let gemeenteCode: String
    public let gemeenteName: String

    /// "Centrum Haven Noord (BU00340101)".
    public var label: String { "\(name) (\(code))" }

    /// "Centrum Haven Noord (BU00340101), wijk Centrum Almere Haven, Almere": enough to tell
    /// two areas of one name apart.
    public var placed: String {
        var text = label
        if !wijkName.isEmpty { text += ", wijk \(wijkName)" }
        if !gemeenteName.isEmpty { text += ", \(gemeenteName)" }
        return text
    }
}

/// One division of a series into areas (CBS buurten 2024, Statbel sectors 2025), in force from
/// `validFrom` until the next division of the same series. Its areas are read from its CSV text
/// when first asked for: a single append looks up one code (`area(_:)` reads just its line),
/// and splitting every division into areas would cost it more than the rest of its checks.
public final class Division: @unchecked Sendable {
    /// The series it belongs to ("nl-buurten", "be-sectoren"): divisions of one series replace
    /// each other; divisions of different series hold side by side.
    public let series: String
    /// The first day (days since 1970-01-01, UTC) it is in force.
    public let validFrom: Int
    public let title: String
    public let source: String
    /// The file it was read from, as the catalogue names it.
    public let file: String
    /// The CSV text, checked when the catalogue was installed.
    let text: [UInt8]
    private var parsed: [Area]?
    private let lock = Lock()

    init(series: String, validFrom: Int, title: String, source: String, file: String, text: [UInt8]) {
        (self.series, self.validFrom, self.title, self.source, self.file, self.text) = (series, validFrom, title, source, file, text)
    }

    /// "CBS buurten 2024 (nl-buurten, from 2024-01-01)".
    public var label: String { "\(title) (\(series), from \(RFC3339.formatDay(validFrom)))" }

    /// Every area, in the file's order.
    public var areas: [Area] {
        lock.withLock {
            if let parsed { return parsed }
            let areas = (try? AreaCSV.parse(String(decoding: text, as: UTF8.self), file: file)) ?? []
            parsed = areas
            return areas
        }
    }

    /// The area `code` names here, read from its line alone; nil when the division lacks it.
    public func area(_ code: String) -> Area? {
        guard let line = Array(code.utf8).withUnsafeBytes({ AreaRegister.line(startingWith: $0, in: text) }) else { return nil }
        let header = text.prefix { $0 != 10 }
        let csv = String(decoding: header, as: UTF8.self) + "\n" + String(decoding: text[line], as: UTF8.self)
        return (try? AreaCSV.parse(csv, file: file))?.first
    }
}

/// A table of old codes and the codes that replaced them (`old_code,new_code`).
public struct Crosswalk: Sendable {
    public let title: String
    public let file: String
    let text: String

    /// Old code -> new code (checked when the catalogue was installed).
    public func table() throws -> [String: String] { try AreaCSV.crosswalk(text, file: file) }
}

/// The neighbourhood register: the official divisions a catalogue brings, with the day each
/// comes into force. An event's neighbourhood must be an area of a division in force on the day
/// it occurred (UTC). The first division of a series also covers the days before it, since no
/// older one is known to the register.
///
/// Codes are looked up in the CSV bytes themselves until a caller asks for an index (an import
/// does, each preparing thread once): a single append reads one code, and splitting every
/// division into areas would cost it more than the rest of its checks.
public final class AreaRegister: @unchecked Sendable {
    /// At most this many divisions: a code's divisions are kept as bits of a UInt64.
    public static let maxDivisions = 64

    /// Grouped by series (in the catalogue's order), each series by `validFrom`.
    public let divisions: [Division]
    /// Each division's CSV bytes, in `divisions`' order, for the byte search.
    private let texts: [[UInt8]]

    /// Reads the divisions named by catalogue.json's `areas.divisions`, each from the CSV text
    /// `file(name)` gives (`nil` when the file is missing). Errors name the file, line and column.
    /// With `checked`, every file is read in full (a catalogue being installed); a stored
    /// catalogue's were, when it was, and are read when first used.
    init(definition: JSONValue, checked: Bool, file: (String) throws -> [UInt8]?) throws {
        let at = "catalogue.json: /areas/divisions"
        guard let list = definition["divisions"]?.array else { throw CatalogueError("\(at): needs a list of divisions") }
        guard list.count <= AreaRegister.maxDivisions else {
            throw CatalogueError("\(at): \(list.count) divisions, more than the \(AreaRegister.maxDivisions) a register holds")
        }
        var read: [(Division, [UInt8])] = []
        for (i, entry) in list.enumerated() {
            let here = "\(at)/\(i)"
            guard let series = entry["series"]?.string, !series.isEmpty else { throw CatalogueError("\(here)/series: needs a name, e.g. nl-buurten") }
            guard let from = entry["validFrom"]?.string, let day = AreaRegister.day(from) else {
                throw CatalogueError("\(here)/validFrom: needs a date, YYYY-MM-DD")
            }
            guard let name = entry["file"]?.string else { throw CatalogueError("\(here)/file: needs the CSV file of the division") }
            guard let text = try file(name) else { throw CatalogueError("\(here)/file: \(name) cannot be read") }
            if read.contains(where: { $0.0.series == series && $0.0.validFrom == day }) {
                throw CatalogueError("\(here): a second division of \(series) from \(from)")
            }
            if checked { _ = try AreaCSV.parse(String(decoding: text, as: UTF8.self), file: name) }
            let division = Division(series: series, validFrom: day, title: entry["title"]?.string ?? "\(series) \(from)",
                                    source: entry["source"]?.string ?? "", file: name, text: text)
            read.append((division, division.text))
        }
        // Series in the order the catalogue names them first (its own country first, say),
        // each series' divisions by date.
        var rank: [String: Int] = [:]
        for (division, _) in read where rank[division.series] == nil { rank[division.series] = rank.count }
        read.sort { (rank[$0.0.series]!, $0.0.validFrom) < (rank[$1.0.series]!, $1.0.validFrom) }
        divisions = read.map(\.0)
        texts = read.map(\.1)
        var crosswalks: [Crosswalk] = []
        for (i, entry) in (definition["crosswalks"]?.array ?? []).enumerated() {
            let here = "catalogue.json: /areas/crosswalks/\(i)"
            guard let name = entry["file"]?.string else { throw CatalogueError("\(here)/file: needs the CSV file (old_code,new_code)") }
            guard let text = try file(name) else { throw CatalogueError("\(here)/file: \(name) cannot be read") }
            crosswalks.append(Crosswalk(title: entry["title"]?.string ?? name, file: name, text: String(decoding: text, as: UTF8.self)))
            if checked { _ = try crosswalks.last!.table() }
        }
        self.crosswalks = crosswalks
    }

    /// Old codes to new, as an organisation supplies them (no official table exists for the
    /// changes of these divisions): reports count an old code's events under the new one.
    public let crosswalks: [Crosswalk]

    static func day(_ text: String) -> Int? {
        guard text.utf8.count == 10 else { return nil }
        return Array(text.utf8).withUnsafeBytes { b in
            guard DateDigits.isDate(b, 0) else { return nil }
            let y = Int(text.prefix(4))!, m = Int(text.dropFirst(5).prefix(2))!, d = Int(text.suffix(2))!
            return Calendar.days(year: y, month: m, day: d)
        }
    }

    /// The divisions in force on `day`, as bits of `divisions`' indices: per series, the last
    /// that came into force by then, or its first when none had.
    public func inForce(onDay day: Int) -> UInt64 {
        var mask: UInt64 = 0
        var i = 0
        while i < divisions.count {
            var chosen = i
            var j = i
            while j < divisions.count && divisions[j].series == divisions[i].series {
                if divisions[j].validFrom <= day { chosen = j }
                j += 1
            }
            mask |= 1 << UInt64(chosen)
            i = j
        }
        return mask
    }

    public func divisions(in mask: UInt64) -> [Division] {
        divisions.indices.filter { mask & (1 << UInt64($0)) != 0 }.map { divisions[$0] }
    }

    /// The divisions that hold `code`, as bits: a search of each division's text for a line that
    /// starts with it.
    public func divisionsHolding(code: UnsafeRawBufferPointer) -> UInt64 {
        var mask: UInt64 = 0
        for (i, text) in texts.enumerated() where AreaRegister.line(startingWith: code, in: text) != nil {
            mask |= 1 << UInt64(i)
        }
        return mask
    }

    public func divisionsHolding(code: String) -> UInt64 {
        Array(code.utf8).withUnsafeBytes { divisionsHolding(code: $0) }
    }

    /// The range of the line that starts with `code` and a comma (an unquoted code, as codes are).
    static func line(startingWith code: UnsafeRawBufferPointer, in text: [UInt8]) -> Range<Int>? {
        guard !code.isEmpty, !code.contains(UInt8(ascii: ",")), !code.contains(10) else { return nil }
        // Line by line with the C library's memchr and memcmp: a debug build's byte loop over
        // a whole division would cost every append tens of milliseconds.
        return text.withUnsafeBytes { t -> Range<Int>? in
            guard let base = t.baseAddress else { return nil }
            func lineEnd(_ start: Int) -> Int {
                guard start < t.count, let nl = memchr(base + start, 10, t.count - start) else { return t.count }
                return base.distance(to: UnsafeRawPointer(nl))
            }
            var start = 0
            while start + code.count < t.count {
                let end = lineEnd(start)
                if t[start + code.count] == UInt8(ascii: ","), memcmp(base + start, code.baseAddress!, code.count) == 0 {
                    return start..<end
                }
                start = end + 1
            }
            return nil
        }
    }

    /// Every code with the divisions that hold it: for a caller that looks up many.
    public func index() -> AreaIndex { AreaIndex(self) }

    /// The area `code` names in the divisions of `mask` (the last of them that holds it).
    public func area(_ code: String, in mask: UInt64) -> (area: Area, division: Division)? {
        for i in divisions.indices.reversed() where mask & (1 << UInt64(i)) != 0 {
            if let area = divisions[i].area(code) { return (area, divisions[i]) }
        }
        return nil
    }

    /// The areas of the divisions in force on `day` whose name is `text`, ignoring case,
    /// accents, spaces and hyphens; several when the name is not unique (Amsterdam and Almere
    /// both have a "Centrum").
    public func areas(named text: String, onDay day: Int) -> [Area] {
        let wanted = AreaRegister.fold(text)
        guard !wanted.isEmpty else { return [] }
        return divisions(in: inForce(onDay: day)).flatMap { $0.areas.filter { AreaRegister.fold($0.name) == wanted } }
    }

    /// The areas in force on `day` nearest to a text that names none: names that contain it as
    /// words first (in code order), then names and codes within a small edit distance.
    public func nearest(_ text: String, onDay day: Int, limit: Int = 5) -> [Area] {
        let wanted = AreaRegister.fold(text)
        let areas = divisions(in: inForce(onDay: day)).flatMap(\.areas)
        guard !wanted.isEmpty else { return [] }
        var found: [Area] = []
        let padded = " " + wanted + " "
        for area in areas where (" " + AreaRegister.fold(area.name) + " ").contains(padded) {
            found.append(area)
            if found.count == limit { return found }
        }
        let typed = Array(wanted)
        let reach = max(2, typed.count / 3)
        let close = areas.lazy.filter { area in !found.contains(area) }
            .map { area in (area, min(NameSuggestion.distance(typed, Array(AreaRegister.fold(area.name))),
                                      NameSuggestion.distance(typed, Array(area.code.lowercased())))) }
            .filter { $0.1 <= reach }
        // Among equally near ones, codes sharing the longest start with the text first: a
        // mistyped code is nearest to its neighbours in numbering.
        let upper = Array(text.uppercased())
        func shared(_ code: String) -> Int { zip(upper, code).prefix { $0 == $1 }.count }
        found += close.sorted { ($0.1, -shared($0.0.code), $0.0.code) < ($1.1, -shared($1.0.code), $1.0.code) }
            .prefix(limit - found.count).map(\.0)
        return found
    }

    /// A name as compared: lower case, Latin accents dropped, anything but letters and digits
    /// one space.
    public static func fold(_ text: String) -> String {
        var out = ""
        var space = false
        for scalar in text.lowercased().unicodeScalars {
            let c = Character(Unicode.Scalar(plain(scalar)) ?? scalar)
            if c.isLetter || c.isNumber {
                if space && !out.isEmpty { out.append(" ") }
                out.append(c)
                space = false
            } else {
                space = true
            }
        }
        return out
    }

    /// The base letter of a lower-case Latin letter with an accent (è -> e), else the scalar.
    private static func plain(_ s: Unicode.Scalar) -> UInt32 {
        let v = s.value
        guard v >= 0xE0 && v <= 0x17F else { return v }
        let latin1: [UInt32: Character] = [0xE0: "a", 0xE1: "a", 0xE2: "a", 0xE3: "a", 0xE4: "a", 0xE5: "a", 0xE7: "c",
            0xE8: "e", 0xE9: "e", 0xEA: "e", 0xEB: "e", 0xEC: "i", 0xED: "i", 0xEE: "i", 0xEF: "i", 0xF1: "n",
            0xF2: "o", 0xF3: "o", 0xF4: "o", 0xF5: "o", 0xF6: "o", 0xF8: "o", 0xF9: "u", 0xFA: "u", 0xFB: "u", 0xFC: "u",
            0xFD: "y", 0xFF: "y", 0x131: "i", 0x15F: "s", 0x11F: "g", 0x153: "o"]
        return latin1[v].map { $0.unicodeScalars.first!.value } ?? v
    }
}

/// Every code of a register with the divisions that hold it, for lookups by the thousand (an
/// import, verify, `areas check`). Built by `AreaRegister.index()`; not shared between threads.
public final class AreaIndex {
    private var divisionsByCode: [String: UInt64] = [:]
    private var areaByCode: [String: [(division: Int, area: Int)]] = [:]
    public let register: AreaRegister
    /// The day last asked about and the divisions in force on it: events come in time order.
    private var day = Int.min, dayMask: UInt64 = 0

    init(_ register: AreaRegister) {
        self.register = register
        for (d, division) in register.divisions.enumerated() {
            for (a, area) in division.areas.enumerated() {
                divisionsByCode[area.code, default: 0] |= 1 << UInt64(d)
                areaByCode[area.code, default: []].append((d, a))
            }
        }
        for (code, mask) in divisionsByCode {
            let bytes = Array(code.utf8)
            let signature = bytes.withUnsafeBytes(ByteHash.fnv1a)
            // Two codes of one signature: the second is looked up by its String.
            guard bySignature[signature] == nil else { continue }
            bySignature[signature] = codes.count
            codes.append((bytes, mask))
        }
    }

    public func divisionsHolding(code: String) -> UInt64 { divisionsByCode[code] ?? 0 }

    /// The same for a code given as bytes (an event being prepared): hashed as bytes, and the
    /// code found compared byte for byte, so no String is made.
    public func divisionsHolding(codeBytes: UnsafeRawBufferPointer) -> UInt64 {
        guard let slot = bySignature[ByteHash.fnv1a(codeBytes)] else { return 0 }
        if codes[slot].bytes.elementsEqual(codeBytes) { return codes[slot].mask }
        return divisionsHolding(code: String(decoding: codeBytes, as: UTF8.self))
    }

    private var bySignature: [UInt64: Int] = [:]
    private var codes: [(bytes: [UInt8], mask: UInt64)] = []


    public func inForce(onDay day: Int) -> UInt64 {
        if day != self.day { (self.day, dayMask) = (day, register.inForce(onDay: day)) }
        return dayMask
    }

    /// Whether `code` is an area of a division in force on `day`.
    public func holds(_ code: String, onDay day: Int) -> Bool {
        divisionsHolding(code: code) & inForce(onDay: day) != 0
    }

    /// The area `code` names on `day`; when no division in force then holds it, the area of the
    /// latest division that does (a code from another year still gets its name).
    public func area(_ code: String, onDay day: Int? = nil) -> Area? {
        guard let places = areaByCode[code] else { return nil }
        if let day {
            let mask = inForce(onDay: day)
            if let place = places.last(where: { mask & (1 << UInt64($0.division)) != 0 }) {
                return register.divisions[place.division].areas[place.area]
            }
        }
        let latest = places.max { register.divisions[$0.division].validFrom < register.divisions[$1.division].validFrom }!
        return register.divisions[latest.division].areas[latest.area]
    }
}

/// Areas looked up one code at a time, each from its line in the division files, remembered:
/// for output that names a few dozen neighbourhoods over many rows (`log`, `show`, a report),
/// where reading every division whole would cost more than the rest of the command.
public struct AreaLookup {
    public let register: AreaRegister
    private var found: [String: Area?] = [:]
    private var day = Int.min, dayMask: UInt64 = 0

    public init(_ register: AreaRegister) { self.register = register }

    /// The divisions that hold `code` (see `AreaRegister.divisionsHolding`).
    public func divisionsHolding(code: String) -> UInt64 { register.divisionsHolding(code: code) }

    public mutating func inForce(onDay day: Int) -> UInt64 {
        if day != self.day { (self.day, dayMask) = (day, register.inForce(onDay: day)) }
        return dayMask
    }

    /// The area `code` names on `day` (nil: today's divisions are not asked for; the latest
    /// division that has the code answers, as it does for a code no division in force holds).
    public mutating func area(_ code: String, onDay day: Int? = nil) -> Area? {
        guard !code.isEmpty else { return nil }
        let holding = register.divisionsHolding(code: code)
        guard holding != 0 else { return nil }
        var mask = day.map { inForce(onDay: $0) } ?? 0
        if holding & mask == 0 {
            // The latest division (by date) that has it.
            let latest = register.divisions.indices.filter { holding & (1 << UInt64($0)) != 0 }
                .max { register.divisions[$0].validFrom < register.divisions[$1].validFrom }!
            mask = 1 << UInt64(latest)
        }
        let key = code + "\u{0}" + String(mask & holding)
        if let known = found[key] { return known }
        let area = register.area(code, in: mask & holding)?.area
        found[key] = area
        return area
    }
}

/// The register's CSV files: UTF-8, a header naming the columns (`code` and `name` required;
/// `wijk_code`, `wijk_name`, `gemeente_code`, `gemeente_name` read when present), fields
/// quoted with double quotes when they hold a comma (RFC 4180).
public enum AreaCSV {
    public static let columns = ["code", "name", "wijk_code", "wijk_name", "gemeente_code", "gemeente_name"]

    public static func parse(_ text: String, file: String) throws -> [Area] {
        var lines = rows(text)
        guard !lines.isEmpty else { throw CatalogueError("\(file): empty; needs a header with code,name") }
        let header = lines.removeFirst().fields.map { $0.trimmingWhitespace.lowercased() }
        guard let codeAt = header.firstIndex(of: "code"), let nameAt = header.firstIndex(of: "name") else {
            throw CatalogueError("\(file): line 1: the header needs the columns code and name (has \(header.joined(separator: ",")))")
        }
        let at = columns.dropFirst(2).map { header.firstIndex(of: $0) }
        var areas: [Area] = []
        var seen = Set<String>()
        for (line, fields) in lines {
            func field(_ i: Int?) -> String { i.flatMap { $0 < fields.count ? fields[$0].trimmingWhitespace : nil } ?? "" }
            guard fields.count == header.count else {
                throw CatalogueError("\(file): line \(line): \(fields.count) fields, but the header has \(header.count)")
            }
            let code = field(codeAt), name = field(nameAt)
            guard Array(code.utf8).withUnsafeBytes(AreaCSV.isCode) else {
                throw CatalogueError("\(file): line \(line): code \"\(code)\" is not a neighbourhood code (letters, digits, . _ -; at most 32)")
            }
            guard !name.isEmpty else { throw CatalogueError("\(file): line \(line): \(code) has no name") }
            guard seen.insert(code).inserted else { throw CatalogueError("\(file): line \(line): \(code) appears twice") }
            areas.append(Area(code: code, name: name, wijkCode: field(at[0]), wijkName: field(at[1]),
                              gemeenteCode: field(at[2]), gemeenteName: field(at[3])))
        }
        guard !areas.isEmpty else { throw CatalogueError("\(file): no areas below the header") }
        return areas
    }

    /// A crosswalk file: a header with old_code and new_code, one mapping per line.
    public static func crosswalk(_ text: String, file: String) throws -> [String: String] {
        var lines = rows(text)
        guard !lines.isEmpty else { throw CatalogueError("\(file): empty; needs a header with old_code,new_code") }
        let header = lines.removeFirst().fields.map { $0.trimmingWhitespace.lowercased() }
        guard let oldAt = header.firstIndex(of: "old_code"), let newAt = header.firstIndex(of: "new_code") else {
            throw CatalogueError("\(file): line 1: the header needs the columns old_code and new_code")
        }
        var map: [String: String] = [:]
        for (line, fields) in lines {
            guard fields.count == header.count else { throw CatalogueError("\(file): line \(line): \(fields.count) fields, but the header has \(header.count)") }
            let old = fields[oldAt].trimmingWhitespace, new = fields[newAt].trimmingWhitespace
            guard Array(old.utf8).withUnsafeBytes(isCode), Array(new.utf8).withUnsafeBytes(isCode) else {
                throw CatalogueError("\(file): line \(line): \(old) -> \(new): both must be neighbourhood codes")
            }
            guard map.updateValue(new, forKey: old) == nil else { throw CatalogueError("\(file): line \(line): \(old) is mapped twice") }
        }
        return map
    }

    /// The text's records with the line each starts on; blank lines skipped. Read as bytes:
    /// a line without a quote is split at its commas, one with quotes field by field (RFC 4180:
    /// "" is a quote inside a quoted field, which may hold commas and line breaks).
    static func rows(_ text: String) -> [(line: Int, fields: [String])] {
        let bytes = Array(text.utf8)
        var out: [(Int, [String])] = []
        var at = 0, line = 1
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r")
        while at < bytes.count {
            let startLine = line
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false, any = false
            while at < bytes.count {
                let b = bytes[at]
                at += 1
                if quoted {
                    if b == quote {
                        if at < bytes.count && bytes[at] == quote { field.append(quote); at += 1 } else { quoted = false }
                    } else {
                        if b == 10 { line += 1 }
                        field.append(b)
                    }
                } else if b == quote && field.isEmpty {
                    quoted = true; any = true
                } else if b == comma {
                    fields.append(String(decoding: field, as: UTF8.self)); field.removeAll(keepingCapacity: true); any = true
                } else if b == 10 {
                    line += 1
                    break
                } else if b != cr || (at < bytes.count && bytes[at] != 10) {
                    field.append(b); any = true
                }
            }
            if any || !field.isEmpty {
                fields.append(String(decoding: field, as: UTF8.self))
                out.append((startLine, fields))
            }
        }
        return out
    }

    /// A neighbourhood code as the ledger stores it: 1 to 32 letters, digits, dots, hyphens and
    /// underscores, not starting with . _ or - (Statbel's sector codes end in one).
    public static func isCode(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 32 else { return false }
        func ok(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
        }
        return bytes.allSatisfy(ok) && bytes[0] != 46 && bytes[0] != 95 && bytes[0] != 45
    }
}

/// The words after a refused neighbourhood: which divisions were in force, and the nearest
/// areas by name or code.
public enum AreaHint {
    public static func text(_ typed: String, register: AreaRegister, day: Int) -> String {
        let inForce = register.divisions(in: register.inForce(onDay: day)).map(\.title)
        let near = register.nearest(typed, onDay: day)
        let titles = " (\(inForce.joined(separator: "; ")))"
        guard !near.isEmpty else { return titles + "; find one with `buurtboek areas find NAME`" }
        return titles + "; did you mean " + near.map(\.label).joined(separator: ", ") + "?"
    }
}

extension AreaRegister {
    /// What a worker's `--neighbourhood` text names on `day`: a code in force (any case), or the
    /// one area of that name; several areas of that name, or none.
    public enum Resolution {
        case area(Area)
        case several([Area])
        case unknown
    }

    public func resolve(_ text: String, onDay day: Int) -> Resolution {
        let mask = inForce(onDay: day)
        for code in [text, text.uppercased()] where divisionsHolding(code: code) & mask != 0 {
            if let found = area(code, in: mask) { return .area(found.area) }
        }
        let named = areas(named: text, onDay: day)
        switch named.count {
        case 0: return .unknown
        case 1: return .area(named[0])
        default: return .several(named)
        }
    }
}
