import ArgumentParser
import Catalogue
import JSON
import Ledger
import TextFormats

/// The neighbourhood register: the official divisions the catalogue in force brings (CBS
/// buurten, Statbel sectors), which every event's neighbourhood is checked against.
struct AreasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "areas",
        abstract: "Look up neighbourhoods, load a new division, or check recorded events against the register.",
        discussion: Help.page("""
        A neighbourhood is an official area: a CBS buurt (BU + gemeente + wijk + buurt) or a
        Statbel statistical sector. The register holds each division with the day it comes into
        force; an event's neighbourhood must be an area of the division in force on the day it
        occurred. The default catalogue brings CBS 2022, 2024 and 2025 (Almere, Amsterdam) and
        Statbel 2024 and 2025 (Antwerpen, Gent); load your own with `areas import`.

        EXAMPLES
          buurtboek areas find Noord
          buurtboek areas find "brugse poort" --on 2024-06-01
          buurtboek areas list --gemeente Almere
          buurtboek areas import buurten-2026.csv --valid-from 2026-01-01
          buurtboek areas crosswalk amsterdam-2022-2024.csv
          buurtboek areas check
        """),
        subcommands: [Find.self, List.self, Import.self, Crosswalk.self, Check.self],
        defaultSubcommand: List.self)

    /// The register of the catalogue in force, or a usage error naming why there is none.
    static func register(_ catalogue: Catalogue) throws -> AreaRegister {
        guard let register = catalogue.areas else {
            throw CLIError("the catalogue in force has no neighbourhood register; load a division with `buurtboek areas import FILE.csv --valid-from DATE`", code: ExitStatus.refused)
        }
        return register
    }

    /// The catalogue in force, from the ledger directory or the team server.
    static func catalogue(_ ledger: LedgerOptions) throws -> Catalogue {
        if let remote = try ledger.remote() { return try RemoteCatalogue.fetch(remote) }
        return try ledger.open().catalogue
    }

    static func day(_ on: String?) throws -> Int {
        Calendar.day(ofMicros: try on.map { try DateArgument.micros($0, option: "--on") } ?? Clock.nowMicros())
    }

    static func print(_ areas: [Area], json: Bool, width: Int?) {
        if json {
            Swift.print(JSONWriter.ordered(.array(areas.map { a in
                .object(JSONObject([("code", .string(a.code)), ("name", .string(a.name)), ("wijkCode", .string(a.wijkCode)),
                                    ("wijkName", .string(a.wijkName)), ("gemeenteCode", .string(a.gemeenteCode)),
                                    ("gemeenteName", .string(a.gemeenteName))]))
            })))
            return
        }
        var table = TextTable([.init("CODE"), .init("NAME", wraps: true), .init("WIJK", wraps: true), .init("GEMEENTE")])
        for a in areas { table.add([a.code, a.name, a.wijkName.isEmpty ? a.wijkCode : a.wijkName, a.gemeenteName]) }
        Swift.print(table.render(width: width), terminator: "")
    }

    struct Find: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "find", abstract: "The neighbourhoods whose name or code is nearest to a text.",
            discussion: Help.page("""
            EXAMPLES
              buurtboek areas find Noord
              buurtboek areas find BU0363 --on 2023-05-01
            """))
        @Argument(help: "A name, part of a name, or a code.") var text: String
        @Option(help: ArgumentHelp("The day whose divisions to search (default: today).", valueName: "date")) var on: String?
        @Option(help: ArgumentHelp("At most this many.", valueName: "n")) var limit = 10
        @OptionGroup var output: FactsFormat
        @OptionGroup var display: DisplayOptions
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let register = try AreasCommand.register(try AreasCommand.catalogue(ledger))
            let day = try AreasCommand.day(on)
            var found: [Area] = []
            if case .area(let exact) = register.resolve(text, onDay: day) { found.append(exact) }
            if case .several(let named) = register.resolve(text, onDay: day) { found += named }
            let prefix = text.uppercased()
            found += register.divisions(in: register.inForce(onDay: day)).flatMap(\.areas).filter { $0.code.hasPrefix(prefix) && !found.contains($0) }
            found += register.nearest(text, onDay: day, limit: limit).filter { !found.contains($0) }
            guard !found.isEmpty else {
                throw CLIError("no neighbourhood in force on \(RFC3339.formatDay(day)) is named like \"\(text)\"", code: ExitStatus.refused)
            }
            AreasCommand.print(Array(found.prefix(limit)), json: output.json, width: display.width)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The divisions of the register, or the areas in force on a day.",
            discussion: Help.page("""
            Without --gemeente or --on: each division, its series, the day it comes into force,
            its number of areas and its source. With them: the areas in force on that day.

            EXAMPLES
              buurtboek areas list
              buurtboek areas list --gemeente Gent --on 2024-06-01
            """))
        @Option(help: ArgumentHelp("Only areas of this gemeente (name or code).", valueName: "name")) var gemeente: String?
        @Option(help: ArgumentHelp("The areas in force on this day.", valueName: "date")) var on: String?
        @OptionGroup var output: FactsFormat
        @OptionGroup var display: DisplayOptions
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let register = try AreasCommand.register(try AreasCommand.catalogue(ledger))
            if gemeente != nil || on != nil {
                let day = try AreasCommand.day(on)
                var areas = register.divisions(in: register.inForce(onDay: day)).flatMap(\.areas)
                if let gemeente {
                    let wanted = AreaRegister.fold(gemeente)
                    areas = areas.filter { AreaRegister.fold($0.gemeenteName) == wanted || $0.gemeenteCode.uppercased() == gemeente.uppercased() }
                }
                return AreasCommand.print(areas, json: output.json, width: display.width)
            }
            let today = register.inForce(onDay: try AreasCommand.day(nil))
            if output.json {
                Swift.print(JSONWriter.ordered(.array(register.divisions.enumerated().map { i, d in
                    .object(JSONObject([("series", .string(d.series)), ("validFrom", .string(RFC3339.formatDay(d.validFrom))),
                                        ("title", .string(d.title)), ("areas", .int(Int64(d.areas.count))), ("file", .string(d.file)),
                                        ("source", .string(d.source)), ("inForceToday", .bool(today & (1 << UInt64(i)) != 0))]))
                })))
                return
            }
            var table = TextTable([.init("SERIES"), .init("FROM"), .init("AREAS", right: true), .init("TITLE", wraps: true), .init("")])
            for (i, d) in register.divisions.enumerated() {
                table.add([d.series, RFC3339.formatDay(d.validFrom), Terminal.count(d.areas.count), d.title,
                           today & (1 << UInt64(i)) != 0 ? "in force" : ""])
            }
            Swift.print(table.render(width: display.width), terminator: "")
            for source in Set(register.divisions.map(\.source)).sorted() where !source.isEmpty { Swift.print("source: " + source) }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import", abstract: "Put a new division into the register, in force from a day.",
            discussion: Help.page("""
            The file is CSV with a header: code and name, and wijk_code, wijk_name,
            gemeente_code, gemeente_name where they apply (a field with a comma in double
            quotes). The catalogue in force is recorded again with the division added, as
            `catalogue update` records one: events already in the log keep the division of
            their time, and `verify` judges each by it. The series (nl-buurten, be-sectoren, or
            your own) is the one whose codes the file shares, unless --series names it.
            Against a team server it needs an admin's token.

            EXAMPLES
              buurtboek areas import buurten-2026.csv --valid-from 2026-01-01
              buurtboek areas import sectoren.csv --valid-from 2026-01-01 --series be-sectoren --title "Statbel 2026"
            """))
        @Argument(help: "The CSV file of the division.") var file: String
        @Option(name: .customLong("valid-from"), help: ArgumentHelp("The first day it is in force (YYYY-MM-DD).", valueName: "date")) var validFrom: String
        @Option(help: ArgumentHelp("The series it replaces a division of (default: from its codes).", valueName: "name")) var series: String?
        @Option(help: ArgumentHelp("A title for listings (default: the file's name).", valueName: "text")) var title: String?
        @Option(help: ArgumentHelp("Its publisher and licence, shown with the register.", valueName: "text")) var source = ""
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            guard let bytes = FileBytes.read(file) else { throw CLIError("\(file): cannot be read", code: ExitStatus.storage) }
            guard let csv = String(validating: bytes, as: UTF8.self) else { throw CLIError("\(file): not UTF-8 text", code: ExitStatus.refused) }
            let name = String(file.split(separator: "/").last ?? Substring(file))
            let areas: [Area]
            do { areas = try AreaCSV.parse(csv, file: file) } catch let error as CatalogueError { throw CLIError(error.message, code: ExitStatus.refused) }
            let current = try AreasCommand.catalogue(ledger)
            guard let series = series ?? current.series(of: areas) else {
                throw CLIError("\(file): its codes are of no series the register knows; name one with --series", code: ExitStatus.usage)
            }
            let next: Catalogue
            do {
                next = try current.adding(Catalogue.NewDivision(csv: csv, fileName: name, series: series, validFrom: validFrom,
                                                                title: title ?? name, source: source))
            } catch let error as CatalogueError { throw CLIError(error.message, code: ExitStatus.refused) }
            let number = try CatalogueCommand.Update.install(next, ledger: ledger).number
            Swift.print("catalogue \(number) is now in force: \(series) from \(validFrom), \(Terminal.count(areas.count)) areas")
        }
    }

    struct Crosswalk: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "crosswalk", abstract: "Tell reports which new code an old code became.",
            discussion: Help.page("""
            Codes change between divisions (Amsterdam renumbered every buurt in 2024) and no
            official table says which old buurt became which new one. A crosswalk is your
            organisation's: CSV with the columns old_code and new_code. Reports then count an
            old code's events under its new code, say so in their notes, and list the codes
            they could not place on a line of their own. The events keep the code they were
            recorded with. Against a team server it needs an admin's token.

            EXAMPLES
              buurtboek areas crosswalk amsterdam-2022-2024.csv --title "Amsterdam 2022 -> 2024 (eigen koppeling)"
            """))
        @Argument(help: "The CSV file: old_code,new_code.") var file: String
        @Option(help: ArgumentHelp("A title for listings (default: the file's name).", valueName: "text")) var title: String?
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            guard let bytes = FileBytes.read(file) else { throw CLIError("\(file): cannot be read", code: ExitStatus.storage) }
            guard let csv = String(validating: bytes, as: UTF8.self) else { throw CLIError("\(file): not UTF-8 text", code: ExitStatus.refused) }
            let name = String(file.split(separator: "/").last ?? Substring(file))
            let next: Catalogue
            do { next = try AreasCommand.catalogue(ledger).adding(crosswalk: csv, fileName: name, title: title ?? name) } catch let error as CatalogueError {
                throw CLIError(error.message, code: ExitStatus.refused)
            }
            let number = try CatalogueCommand.Update.install(next, ledger: ledger).number
            let count = (try? next.areas?.crosswalks.last?.table().count) ?? 0
            Swift.print("catalogue \(number) is now in force: reports count \(Terminal.count(count)) old codes under their new ones")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "List events whose neighbourhood is not in the division of their time.",
            discussion: Help.page("""
            Judges every recorded event by the register in force now: events recorded before
            the catalogue brought a register, or under an older division, are listed with the
            nearest areas, for cleanup (`buurtboek void POS` and append it again with the right
            neighbourhood). Exits 3 when it lists any, 0 when none.

            EXAMPLES
              buurtboek areas check
              buurtboek areas check --format json
            """))
        @OptionGroup var output: FactsFormat
        @OptionGroup var display: DisplayOptions
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let ledger = try self.ledger.open()
            let register = try AreasCommand.register(ledger.catalogue)
            let index = register.index()
            var found: [(UInt64, Record)] = []
            let size = try ledger.read { snapshot -> UInt64 in
                try snapshot.scan { position, record in
                    let code = record.neighbourhood
                    if !code.isEmpty && !index.holds(code, onDay: Calendar.day(ofMicros: record.occurredAt)) {
                        found.append((position, Record(record)))
                    }
                    return true
                }
                return try snapshot.size()
            }
            if output.json {
                Swift.print(JSONWriter.ordered(.object(JSONObject([("events", .int(Int64(size))), ("outside", .array(found.map { p, r in
                    .object(JSONObject([("position", .int(Int64(p))), ("type", .string(r.type)), ("stream", .string(r.stream)),
                                        ("occurredAt", .string(RFC3339.format(r.occurredAt))), ("neighbourhood", .string(r.neighbourhood)),
                                        ("nearest", .array(register.nearest(r.neighbourhood, onDay: Calendar.day(ofMicros: r.occurredAt), limit: 3).map { .string($0.code) }))]))
                }))]))))
            } else if found.isEmpty {
                Swift.print("all \(Terminal.count(Int(size))) events name a neighbourhood of the division of their time (or none)")
            } else {
                var table = TextTable([.init("POS", right: true), .init("OCCURRED"), .init("TYPE", wraps: true), .init("NEIGHBOURHOOD"),
                                       .init("NEAREST", wraps: true)])
                for (p, r) in found {
                    let near = register.nearest(r.neighbourhood, onDay: Calendar.day(ofMicros: r.occurredAt), limit: 3).map(\.label)
                    table.add([String(p), display.time(r.occurredAt), r.type, r.neighbourhood, near.joined(separator: ", ")])
                }
                Swift.print(table.render(width: display.width), terminator: "")
                Swift.print("\(Terminal.count(found.count)) of \(Terminal.count(Int(size))) events name a neighbourhood outside the division of their time")
            }
            if !found.isEmpty { throw ExitCode(ExitStatus.refused) }
        }
    }
}
