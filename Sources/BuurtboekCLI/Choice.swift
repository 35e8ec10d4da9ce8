import ArgumentParser
import Catalogue

/// An option whose value is one of a few names (--format). The argument parser says only that
/// a value is invalid; a choice keeps what was refused, so that the error names the values
/// that would do and the nearest one.
protocol Choice: ExpressibleByArgument, CaseIterable, RawRepresentable where RawValue == String {}

extension Choice {
    init?(argument: String) {
        guard let value = Self(rawValue: argument) else {
            ChoiceRefusal.last = (argument, Self.allCases.map(\.rawValue))
            return nil
        }
        self = value
    }
}

enum ChoiceRefusal {
    nonisolated(unsafe) static var last: (value: String, choices: [String])?

    /// The parser's message with the values that would do, and the nearest one.
    static func explain(_ message: String) -> String {
        guard let (value, choices) = last, message.contains("'\(value)'") else { return message }
        return message + ": use one of \(choices.joined(separator: ", "))" + NameSuggestion.hint(value, in: choices)
    }
}

/// `--format text|json` for the commands that print facts: text for people, one JSON
/// document for scripts (keys documented in the README, "Output for scripts").
struct FactsFormat: ParsableArguments {
    enum Format: String, Choice { case text, json }
    @Option(help: ArgumentHelp("text, or json for scripts.", valueName: "format")) var format: Format = .text
    var json: Bool { format == .json }
}
