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

/// UUIDs in their textual form, as 16 bytes.
public enum UUIDText {
    public static func parse(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    public static func parse(_ b: UnsafeRawBufferPointer) -> [UInt8]? {
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: 16) { buffer, count in
            ok = parse(b, into: UnsafeMutableRawBufferPointer(buffer))
            count = 16
        }
        return ok ? out : nil
    }

    /// Parses into the first 16 bytes of `out` (no array made); false when `b` is no UUID.
    public static func parse(_ b: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Bool {
        guard b.count == 36, out.count >= 16, b[8] == 0x2D, b[13] == 0x2D, b[18] == 0x2D, b[23] == 0x2D else { return false }
        var bad: UInt8 = 0
        nibbles.withUnsafeBufferPointer { nibbles in
            var i = 0
            for j in 0..<16 {
                if i == 8 || i == 13 || i == 18 || i == 23 { i += 1 }
                let hi = nibbles[Int(b[i])], lo = nibbles[Int(b[i + 1])]
                bad |= (hi | lo) & 0x10
                out[j] = hi << 4 | (lo & 0x0F)
                i += 2
            }
        }
        return bad == 0
    }

    /// Whether `b` is a UUID in its text form.
    public static func isValid(_ b: UnsafeRawBufferPointer) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: 16, alignment: 1) { parse(b, into: $0) }
    }

    /// Hex digit values; 0x10 marks a byte that is not a hex digit.
    private static let nibbles: [UInt8] = (0...255).map { c in
        switch c {
        case 48...57: return UInt8(c - 48)
        case 97...102: return UInt8(c - 87)
        case 65...70: return UInt8(c - 55)
        default: return 0x10
        }
    }

    public static func format(_ bytes: UnsafeRawBufferPointer) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func format(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { format($0) }
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

extension String {
    /// Without leading and trailing white space.
    public var trimmingWhitespace: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}

/// Standard base64 (RFC 4648, with padding), without Foundation.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        if i + 1 == input.count {
            let n = UInt32(input[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if i + 2 == input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var i = 0
        while i < chars.count {
            let pad = (chars[i + 2] == UInt8(ascii: "=") ? 1 : 0) + (chars[i + 3] == UInt8(ascii: "=") ? 1 : 0)
            guard pad == 0 || i + 4 == chars.count, chars[i + 3] == UInt8(ascii: "=") || pad == 0 else { return nil }
            var n: UInt32 = 0
            for j in 0..<4 {
                let c = chars[i + j]
                let v = c == UInt8(ascii: "=") && j >= 4 - pad ? 0 : values[Int(c)]
                guard v != 0xFF else { return nil }
                n = n << 6 | UInt32(v)
            }
            out.append(UInt8(n >> 16))
            if pad < 2 { out.append(UInt8(n >> 8 & 0xFF)) }
            if pad < 1 { out.append(UInt8(n & 0xFF)) }
            i += 4
        }
        return out
    }
}
