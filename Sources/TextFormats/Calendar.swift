/// Proleptic Gregorian calendar arithmetic in UTC, enough for RFC 3339 timestamps.
public enum Calendar {
    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    public static let microsPerDay: Int64 = 86_400_000_000

    /// The day (days since 1970-01-01, negative before it) a timestamp in microseconds falls on:
    /// floor division, so that instants before 1970 land on the right day.
    public static func day(ofMicros micros: Int64) -> Int {
        Int(micros >= 0 ? micros / microsPerDay : (micros + 1) / microsPerDay - 1)
    }

    /// Days from 1970-01-01 to the given civil date (negative before it).
    public static func days(year: Int, month: Int, day: Int) -> Int {
        // Howard Hinnant's days_from_civil: shift the year to start in March so leap days fall last.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The civil date of a day number (inverse of `days`).
    public static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Digit and date reading shared by the timestamp parser and the schema formats.
public enum DateDigits {
    public static func isDate(_ b: UnsafeRawBufferPointer, _ at: Int) -> Bool {
        guard let year = digits(b, at, 4), b[at + 4] == UInt8(ascii: "-"),
              let month = digits(b, at + 5, 2), b[at + 7] == UInt8(ascii: "-"),
              let day = digits(b, at + 8, 2) else { return false }
        return month >= 1 && month <= 12 && day >= 1 && day <= Calendar.daysIn(month: month, year: year)
    }

    public static func digits(_ b: UnsafeRawBufferPointer, _ at: Int, _ count: Int) -> Int? {
        guard at + count <= b.count else { return nil }
        var n = 0
        for i in at..<at + count {
            let d = Int(b[i]) - 48
            guard d >= 0 && d <= 9 else { return nil }
            n = n * 10 + d
        }
        return n
    }
}
