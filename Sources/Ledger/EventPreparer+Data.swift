import Catalogue
import JSON
import TextFormats

/// The data of an event line: checked against its schema, split by data class into the
/// record's public section (canonical JSON) and personal section (sealed).
extension EventPreparer {
    /// The line's data object, checked against the type's schema, and a restored event's
    /// sealed section (its personal fields travel sealed, and the section names them).
    func checkedData(_ envelope: EventEnvelope, label: EventLabel) throws -> (data: JSONNode, sealed: [UInt8]?) {
        guard let data = envelope.node(.data) else { throw label.refuse("/data", "is required") }
        guard data.kind == .object else { throw label.refuse("/data", "must be a JSON object, not \(data.kind.name)") }
        var sealedSection: [UInt8]?
        var sealedFields: [String] = []
        if let sealedText = try envelope.text(.sealed, max: 1 << 20) {
            guard restoring else { throw label.refuse("/sealed", "sealed personal data can only be restored (import --restore)") }
            guard let bytes = Base64.decode(sealedText), let section = try? bytes.withUnsafeBytes({ try SealedSection($0) }) else {
                throw label.refuse("/sealed", "is not a sealed section in base64")
            }
            sealedSection = bytes
            sealedFields = section.fields
        }
        let schema = label.type.schema
        if let failure = schema.validate(data, presentElsewhere: sealedFields) {
            // Every broken field at once, so that a worker mends the event in one go.
            let all = schema.failures(data, presentElsewhere: sealedFields)
            guard all.count > 1 else { throw label.refuse("/data\(failure.path)", failure.rule) }
            throw LedgerError.refused("\(label.text): \(all.count) fields are wrong: "
                                      + all.map { "/data\($0.path): \($0.rule)" }.joined(separator: "; "))
        }
        return (data, sealedSection)
    }

    /// Appends the public section and returns the personal fields in the clear, each canonical
    /// JSON with its members in the byte order of their names.
    func writePublicSection(_ data: JSONNode, label: EventLabel, lineLength: Int, into record: inout RecordEncoder) throws -> [UInt8] {
        // The preparer's own arrays, emptied: an event would otherwise grow two new ones.
        publicMembers.removeAll(keepingCapacity: true)
        personalMembers.removeAll(keepingCapacity: true)
        for member in data.members {
            if label.type.dataClass(ofKey: member.key.stringBytes)!.isPersonal { personalMembers.append(member) } else { publicMembers.append(member) }
        }
        var personalClear: [UInt8] = []
        let publicLength: Int
        do {
            publicLength = try record.section { out in
                out.append(UInt8(ascii: "{"))
                try JSONNode.writeSortedMembers(&publicMembers, into: &out)
                out.append(UInt8(ascii: "}"))
            }
            if !personalMembers.isEmpty {
                personalClear.reserveCapacity(lineLength)
                personalClear.append(UInt8(ascii: "{"))
                try JSONNode.writeSortedMembers(&personalMembers, into: &personalClear)
                personalClear.append(UInt8(ascii: "}"))
            }
        } catch let error as JSONSyntaxError {
            throw label.refuse("/data", error.message)
        }
        guard publicLength + personalClear.count <= catalogue.maxDataBytes else {
            throw label.refuse("/data", "\(publicLength + personalClear.count) bytes, more than the catalogue's limit of \(catalogue.maxDataBytes)")
        }
        return personalClear
    }

    /// Appends the personal section: a restored sealed section as it came, or the clear fields
    /// sealed under the resident's (or the stream's) data key, or an empty section.
    func writePersonalSection(_ personalClear: [UInt8], restored: [UInt8]?, resident: String?, label: EventLabel,
                              into record: inout RecordEncoder) throws {
        if let bytes = restored {
            guard personalMembers.isEmpty else { throw label.refuse("/data", "holds personal fields beside a sealed section") }
            record.section(bytes)
            record.setFlags(Record.sealedFlag)
            return
        }
        guard !personalClear.isEmpty else {
            record.section(UnsafeRawBufferPointer(start: nil, count: 0))
            return
        }
        guard let sealer else {
            let names = personalMembers.map(\.name).sorted().joined(separator: ", ")
            throw label.refuse("/data", "holds personal fields (\(names)); recording them needs the master key (--master-key FILE or $BUURTBOEK_MASTER_KEY_FILE)")
        }
        do {
            // The fields in the byte order of their names, as the members were just sorted.
            let keyId = DataKeyId.forEvent(stream: label.stream, residentId: resident), fields = personalMembers.map(\.name)
            let id = UnsafeRawBufferPointer(idBytes)
            _ = try record.section { out in try sealer.seal(personalClear, keyId: keyId, fields: fields, eventId: id, appendingTo: &out) }
        } catch let error as LedgerError {
            throw LedgerError(error.kind, "\(label.text): \(error.message)")
        }
        record.setFlags(Record.sealedFlag)
    }
}
