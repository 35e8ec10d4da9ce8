import JSON
import TextFormats

/// Order statistics as reports use them: the median is the middle value (the mean of the two
/// middle ones for an even count); the 90th percentile is the nearest-rank value, the
/// ⌈0.9·n⌉-th smallest.
public enum Statistics {
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Both order statistics from one sort.
    public static func medianAndPercentile90(_ values: [Double]) -> (median: Double?, p90: Double?) {
        guard !values.isEmpty else { return (nil, nil) }
        let s = values.sorted()
        let median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        return (median, s[max(0, Int((0.9 * Double(s.count)).rounded(.up)) - 1)])
    }

    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    public static func days(_ from: Int64?, _ to: Int64?) -> Double? {
        guard let from, let to, to >= from else { return nil }
        return Double(to - from) / Double(Calendar.microsPerDay)
    }
}

/// Month labels (YYYY-MM) and their bounds.
enum Months {
    static func label(day: Int) -> String {
        let c = Calendar.civil(day)
        return String(c.year) + "-" + (c.month < 10 ? "0" : "") + String(c.month)
    }

    static func label(micros: Int64) -> String { label(day: Calendar.day(ofMicros: micros)) }

    /// The first instant after the month that `label` names.
    static func end(of label: String) -> Int64 {
        let parts = label.split(separator: "-").compactMap { Int($0) }
        let (y, m) = (parts[0], parts[1])
        let next = m == 12 ? Calendar.days(year: y + 1, month: 1, day: 1) : Calendar.days(year: y, month: m + 1, day: 1)
        return Int64(next) * Calendar.microsPerDay
    }
}
