import JSON
import TextFormats

/// Byte-level checks for the string formats the catalogue uses; no Foundation on the hot path.
public enum Formats {
    static func example(_ format: Schema.Format) -> String {
        switch format {
        case .dateTime: return "e.g. 2024-03-05T14:30:00Z"
        case .date: return "e.g. 2024-03-05"
        case .uuid: return "e.g. 0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f"
        }
    }

    static func matches(_ format: Schema.Format, _ b: UnsafeRawBufferPointer) -> Bool {
        switch format {
        case .date: return b.count == 10 && DateDigits.isDate(b, 0)
        case .dateTime: return b.count > 10 && RFC3339.parse(b) != nil
        case .uuid: return UUIDText.isValid(b)
        }
    }
}
