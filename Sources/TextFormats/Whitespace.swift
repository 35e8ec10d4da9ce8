extension String {
    /// Without leading and trailing white space.
    public var trimmingWhitespace: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}

/// FNV-1a over bytes: a 64-bit key for a stream id or a code, made without a String. Callers
/// that must not confuse two inputs of one hash compare the bytes (or a position) as well.
public enum ByteHash {
    public static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
