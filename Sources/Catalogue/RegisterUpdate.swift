import JSON
import TextFormats

/// A new division put into a catalogue's register (`buurtboek areas import`): the catalogue in
/// force with one more division, as a new bundle to install like any catalogue update. The
/// divisions already there stay, so events keep the names and codes of their time.
extension Catalogue {
    public struct NewDivision: Sendable {
        public let csv: String
        public let fileName: String
        public let series: String
        public let validFrom: String
        public let title: String
        public let source: String

        public init(csv: String, fileName: String, series: String, validFrom: String, title: String, source: String) {
            (self.csv, self.fileName, self.series, self.validFrom, self.title, self.source) = (csv, fileName, series, validFrom, title, source)
        }
    }

    /// The series a CSV's codes belong to when the command line names none: the series of the
    /// register whose divisions hold most of its codes, else the form of the codes (CBS buurt
    /// codes, Statbel sector codes). Nil when neither tells.
    public func series(of areas: [Area]) -> String? {
        if let register = self.areas {
            var best: (String, Int)?
            for division in register.divisions {
                let codes = Set(division.areas.map(\.code))
                let shared = areas.count { codes.contains($0.code) }
                if shared > 0 && shared > (best?.1 ?? 0) { best = (division.series, shared) }
            }
            if let best { return best.0 }
        }
        if areas.allSatisfy({ $0.code.hasPrefix("BU") }) { return "nl-buurten" }
        if areas.allSatisfy({ $0.code.utf8.count == 9 && $0.code.prefix(5).allSatisfy(\.isNumber) }) { return "be-sectoren" }
        return nil
    }

    /// This catalogue with `division` added to its register (a register is made when it has
    /// none), checked in full as any new catalogue is.
    public func adding(_ division: NewDivision) throws -> Catalogue {
        guard AreaRegister.day(division.validFrom) != nil else { throw CatalogueError("--valid-from \(division.validFrom): expected a date, YYYY-MM-DD") }
        return try addingToRegister(list: "divisions", csv: division.csv, fileName: division.fileName,
                                    fallbackName: "\(division.series)-\(division.validFrom).csv") { divisions, file in
            if divisions.contains(where: { $0["series"]?.string == division.series && $0["validFrom"]?.string == division.validFrom }) {
                throw CatalogueError("the register already has a division of \(division.series) from \(division.validFrom)")
            }
            return JSONObject([("series", .string(division.series)), ("validFrom", .string(division.validFrom)),
                               ("title", .string(division.title)), ("file", .string(file)), ("source", .string(division.source))])
        }
    }

    /// This catalogue with a crosswalk (old_code,new_code) added to its register, for reports
    /// that count an earlier division's codes under the codes that replaced them.
    public func adding(crosswalk csv: String, fileName: String, title: String) throws -> Catalogue {
        _ = try AreaCSV.crosswalk(csv, file: fileName)
        return try addingToRegister(list: "crosswalks", csv: csv, fileName: fileName, fallbackName: "crosswalk-\(bundle.count).csv") { _, file in
            JSONObject([("title", .string(title)), ("file", .string(file))])
        }
    }

    /// The bundle again with one more entry in the register's `list`, its CSV among the files.
    private func addingToRegister(list: String, csv: String, fileName: String, fallbackName: String,
                                  entry: ([JSONValue], String) throws -> JSONObject) throws -> Catalogue {
        let root: JSONObject
        do { root = try JSONParser().value(bundle).object ?? JSONObject() } catch { throw CatalogueError("the catalogue in force: \(error)") }
        var catalogue = root["catalogue"]?.object ?? JSONObject()
        var files = root["files"]?.object ?? JSONObject()
        var areas = catalogue["areas"]?.object ?? JSONObject([("$comment", .string("The neighbourhood register (see Schemas/catalogue.json)"))])
        var entries = areas[list]?.array ?? []
        // A file name of its own: the same name may hold another year's file already.
        var file = "areas/" + fileName
        if let existing = files[file]?.string, existing != csv { file = "areas/" + fallbackName }
        entries.append(.object(try entry(entries, file)))
        files[file] = .string(csv)
        areas[list] = .array(entries)
        if areas["divisions"] == nil { areas["divisions"] = .array([]) }
        catalogue["areas"] = .object(areas)
        var next = root
        next["catalogue"] = .object(catalogue)
        next["files"] = .object(files)
        return try Catalogue(bundle: JSONWriter.canonical(.object(next)), checkEverything: true)
    }
}
