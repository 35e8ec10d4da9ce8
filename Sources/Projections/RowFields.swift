/// A value with a byte form inside read-model rows.
public protocol RowField {
    init(reading r: inout RowReader) throws
    func write(to w: inout RowWriter)
    /// An optional value: by default a presence byte (0 absent, anything else present), then
    /// the value.
    static func readOptional(_ r: inout RowReader) throws -> Self?
    static func writeOptional(_ value: Self?, to w: inout RowWriter)
}

extension RowField {
    public static func readOptional(_ r: inout RowReader) throws -> Self? {
        try r.u8() == 0 ? nil : try Self(reading: &r)
    }

    public static func writeOptional(_ value: Self?, to w: inout RowWriter) {
        guard let value else { return w.u8(0) }
        w.u8(1)
        value.write(to: &w)
    }
}

/// Walks the fields of a value in their stored order: `RowReader` fills them in, `RowWriter`
/// writes them out, so each row names its field order once, in `fields(_:)`.
public protocol RowFieldVisitor {
    associatedtype Failure: Error
    mutating func visit<F: RowField>(_ field: inout F) throws(Failure)
}

extension RowReader: RowFieldVisitor {
    public mutating func visit<F: RowField>(_ field: inout F) throws(any Error) { field = try F(reading: &self) }
}

extension RowWriter: RowFieldVisitor {
    public mutating func visit<F: RowField>(_ field: inout F) { field.write(to: &self) }
}

/// A value stored as its fields, one after another, in the order `fields(_:)` visits them.
public protocol RowFields: RowField {
    init()
    mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure)
}

extension RowFields {
    public init(reading r: inout RowReader) throws {
        self.init()
        try fields(&r)
    }

    public func write(to w: inout RowWriter) {
        var copy = self
        copy.fields(&w)
    }
}

extension Int64: RowField {
    public init(reading r: inout RowReader) throws { self = try r.int() }
    public func write(to w: inout RowWriter) { w.int(self) }
}

extension Double: RowField {
    public init(reading r: inout RowReader) throws { self = try r.double() }
    public func write(to w: inout RowWriter) { w.double(self) }
}

extension String: RowField {
    public init(reading r: inout RowReader) throws { self = try r.string() }
    public func write(to w: inout RowWriter) { w.string(self) }
}

extension Bool: RowField {
    public init(reading r: inout RowReader) throws { self = try r.bool() }
    public func write(to w: inout RowWriter) { w.bool(self) }
    /// One byte for three values: 0 absent, 1 false, 2 true.
    public static func readOptional(_ r: inout RowReader) throws -> Bool? { try r.optionalBool() }
    public static func writeOptional(_ value: Bool?, to w: inout RowWriter) { w.optionalBool(value) }
}

extension Optional: RowField where Wrapped: RowField {
    public init(reading r: inout RowReader) throws { self = try Wrapped.readOptional(&r) }
    public func write(to w: inout RowWriter) { Wrapped.writeOptional(self, to: &w) }
}

/// A list of any length: its count (as an integer), then its elements. A list of fixed length
/// is stored without a count: its row visits each element instead.
extension Array: RowField where Element: RowField {
    public init(reading r: inout RowReader) throws {
        let count = try r.int()
        // Every element takes at least one byte: a larger count is a damaged row, not a reason
        // to reserve memory for it.
        guard count >= 0, count <= Int64(r.remaining) else { throw RowFormatError() }
        self = []
        reserveCapacity(Int(count))
        for _ in 0..<count { append(try Element(reading: &r)) }
    }

    public func write(to w: inout RowWriter) {
        w.int(Int64(count))
        for element in self { element.write(to: &w) }
    }
}

/// A read-model row: a value type with a stable byte form.
public protocol RowValue: RowFields {}

extension RowValue {
    public var encoded: [UInt8] {
        var w = RowWriter()
        write(to: &w)
        return w.bytes
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Self {
        var r = RowReader(bytes)
        let row = try Self(reading: &r)
        guard r.isAtEnd else { throw RowFormatError() }
        return row
    }
}
