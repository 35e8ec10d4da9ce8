/// Whole numbers for people: thousands separated by commas (1,234,567).
public enum DecimalText {
    public static func grouped<T: BinaryInteger>(_ n: T) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 && c != "-" && digits[i - 1] != "-" { out.append(",") }
            out.append(c)
        }
        return out
    }
}
