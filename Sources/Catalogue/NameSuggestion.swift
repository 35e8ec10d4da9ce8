/// "Did you mean": the known names nearest to a mistyped one (referal.made -> referral.made),
/// by edit distance, within a third of the name's length, at most three, nearest first.
public enum NameSuggestion {
    public static func nearest(_ name: String, in known: [String], limit: Int = 3) -> [String] {
        let typed = Array(name.lowercased())
        let reach = max(2, typed.count / 3)
        return known.map { ($0, distance(typed, Array($0.lowercased()))) }
            .filter { $0.1 <= reach || $0.0.lowercased().hasPrefix(name.lowercased()) && !name.isEmpty }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
            .prefix(limit).map(\.0)
    }

    /// " (did you mean a, b?)", or nothing when no name is near.
    public static func hint(_ name: String, in known: [String]) -> String {
        let near = nearest(name, in: known)
        return near.isEmpty ? "" : "; did you mean \(near.joined(separator: ", "))?"
    }

    /// Levenshtein distance, one row at a time.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let kept = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = kept
            }
        }
        return row[b.count]
    }
}
