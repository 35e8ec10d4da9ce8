import JSON
import Merkle
import TextFormats

/// The JSON form of a stored event, as `export` and `log --format jsonl` write it: the import
/// keys plus position, streamVersion, recordedAt and leafHash. Written straight from the
/// record's bytes: the data sections are canonical JSON already.
public enum EventJSON {
    /// With `corrected` (`log`, never `export`), the keys `corrected` ("amended" or "voided")
    /// and `correctedBy` (the last correction's position) follow.
    public static func write(position: UInt64, record: RecordView, leafHash: Hash?, corrected: CorrectionMark? = nil, into out: inout [UInt8]) {
        func key(_ name: String, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: "\":".utf8)
        }
        func string(_ name: String, _ bytes: UnsafeRawBufferPointer) {
            key(name)
            JSONWriter.writeString(bytes: bytes, into: &out)
        }
        func text(_ name: String, _ value: String) {
            key(name)
            JSONWriter.writeString(value, into: &out)
        }
        out.append(UInt8(ascii: "{"))
        key("position", first: true)
        out.append(contentsOf: String(position).utf8)
        text("id", UUIDText.format(record.id))
        string("type", record.typeBytes)
        key("schemaVersion")
        out.append(contentsOf: String(record.schemaVersion).utf8)
        string("stream", record.streamBytes)
        key("streamVersion")
        out.append(contentsOf: String(record.streamVersion).utf8)
        text("occurredAt", RFC3339.format(record.occurredAt))
        text("recordedAt", RFC3339.format(record.recordedAt))
        text("recordedBy", record.recordedBy)
        if record.neighbourhoodBytes.count > 0 { string("neighbourhood", record.neighbourhoodBytes) }
        if !record.correlationId.isEmpty { text("correlationId", record.correlationId) }
        if !record.causationId.isEmpty { text("causationId", record.causationId) }
        key("data")
        if record.isSealed {
            // Lossless and free of personal data: the sealed section travels as it is stored.
            out.append(contentsOf: record.data)
            key("sealed")
            JSONWriter.writeString(Base64.encode(record.personal), into: &out)
        } else {
            writeData(record, into: &out)
        }
        if let leafHash { text("leafHash", leafHash.hex) }
        if let corrected {
            text("corrected", corrected.name)
            key("correctedBy")
            out.append(contentsOf: String(corrected.by).utf8)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The event's data as one object: the public members, then the personal ones.
    public static func writeData(_ record: RecordView, into out: inout [UInt8]) {
        let data = record.data, personal = record.personal
        guard personal.count > 2 else { out.append(contentsOf: data); return }
        if data.count <= 2 { out.append(contentsOf: personal); return }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[0..<data.count - 1]))
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: personal[1..<personal.count]))
    }
}
