import Foundation
import Ledger
import Threads

/// A sealer that notes whose personal data it opened, for folds that open many events (the
/// wellbeing scores): one access-record entry per data key opened, written by `record()` when
/// the fold is done, in one transaction, instead of one write per event. The fold's threads
/// share it, so the set of keys is behind a lock; opening itself goes through `sealer`.
public final class OpeningRecorder: PersonalDataSealer, @unchecked Sendable {
    private let sealer: Sealer
    private let lock = Lock()
    private var opened: Set<String> = []

    public init(_ sealer: Sealer) { self.sealer = sealer }

    public func seal(_ plaintext: [UInt8], keyId: String, fields: [String], eventId: [UInt8]) throws -> [UInt8] {
        try sealer.seal(plaintext, keyId: keyId, fields: fields, eventId: eventId)
    }

    public func open(_ sealed: UnsafeRawBufferPointer, eventId: UnsafeRawBufferPointer) throws -> OpenedPersonalData {
        let result = try sealer.open(sealed, eventId: eventId)
        if case .clear = result {
            let keyId = try SealedSection(sealed).keyId
            lock.lock()
            opened.insert(keyId)
            lock.unlock()
        }
        return result
    }

    public func forOneThread() -> PersonalDataSealer { self }

    /// The data keys opened so far, sorted.
    public var subjects: [String] {
        lock.lock()
        defer { lock.unlock() }
        return opened.sorted()
    }

    /// Writes one access-record entry per data key opened (by `who`, for `command`), then
    /// forgets them. Returns how many were written.
    @discardableResult
    public func record(by who: String, command: String) throws -> Int {
        lock.lock()
        let subjects = opened.sorted()
        opened.removeAll()
        lock.unlock()
        guard !subjects.isEmpty else { return 0 }
        try sealer.keyStore.recordAccess(worker: who, subjects: subjects, command: command)
        return subjects.count
    }
}
