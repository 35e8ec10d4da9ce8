/// RFC 3339 timestamps as microseconds since 1970-01-01T00:00:00Z.
public enum RFC3339 {
    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// Accepts `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `t`/`z`/space as RFC 3339 allows,
    /// and a bare date (taken as midnight UTC) for the convenience of people typing.
    public static func parse(_ b: UnsafeRawBufferPointer) -> Int64? {
        guard b.count >= 10, DateDigits.isDate(b, 0),
              let year = DateDigits.digits(b, 0, 4), let month = DateDigits.digits(b, 5, 2),
              let day = DateDigits.digits(b, 8, 2) else { return nil }
        let dayNumber = Int64(Calendar.days(year: year, month: month, day: day))
        if b.count == 10 { return dayNumber * 86_400_000_000 }
        guard b.count >= 20, [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(b[10]),
              let hour = DateDigits.digits(b, 11, 2), b[13] == UInt8(ascii: ":"),
              let minute = DateDigits.digits(b, 14, 2), b[16] == UInt8(ascii: ":"),
              let second = DateDigits.digits(b, 17, 2),
              hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        var micros: Int64 = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100_000
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                micros += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            guard i + 1 == b.count else { return nil }
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard i + 6 == b.count, let oh = DateDigits.digits(b, i + 1, 2), b[i + 3] == UInt8(ascii: ":"),
                  let om = DateDigits.digits(b, i + 4, 2), oh < 24, om < 60 else { return nil }
            offset = Int64(oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
        } else {
            return nil
        }
        let seconds = dayNumber * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - offset
        return seconds * 1_000_000 + micros
    }

    /// `2024-03-05T14:30:00Z`, with a fraction only when there is one: the form exports use.
    public static func format(_ micros: Int64) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (y, m, d) = Calendar.civil(Int(days))
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        var text = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fraction != 0 {
            var f = pad(Int(fraction), 6)
            while f.hasSuffix("0") { f.removeLast() }
            text += "." + f
        }
        return text + "Z"
    }

    /// `2024-03-05`, the day of a timestamp in UTC.
    public static func formatDay(_ day: Int) -> String {
        String(format(Int64(day) * 86_400_000_000).prefix(10))
    }
}
