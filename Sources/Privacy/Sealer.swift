import Crypto
import Foundation
import Ledger
import Threads

/// Seals personal sections with ChaCha20-Poly1305 under data keys from the key store. The
/// section's header (key id and field names) and the event id are authenticated with it, so a
/// sealed section cannot be moved to another event or relabelled.
public final class Sealer: PersonalDataSealer, @unchecked Sendable {
    private let openStore: () throws -> KeyStore
    private var opened: KeyStore?
    private let lock = Lock()
    private let sealing = Lock()
    private var own: ThreadSealer?

    public init(keyStore: KeyStore) {
        opened = keyStore
        openStore = { keyStore }
    }

    /// Opens the key store only when something is sealed or opened: most appends need no key.
    public init(ledgerPath: String, masterKeyPath: String) {
        openStore = { try KeyStore(ledgerPath: ledgerPath, masterKey: try MasterKey.load(from: masterKeyPath)) }
    }

    public var keyStore: KeyStore {
        get throws {
            lock.lock()
            defer { lock.unlock() }
            if let opened { return opened }
            let store = try openStore()
            opened = store
            return store
        }
    }

    /// Writes new data keys, if the store was opened at all.
    public func persist() throws {
        lock.lock()
        let store = opened
        lock.unlock()
        try store?.persist()
    }

    /// Seals through a one-thread sealer of its own, one caller at a time.
    public func seal(_ plaintext: [UInt8], keyId: String, fields: [String], eventId: [UInt8]) throws -> [UInt8] {
        sealing.lock()
        defer { sealing.unlock() }
        if own == nil { own = ThreadSealer(shared: self) }
        return try own!.seal(plaintext, keyId: keyId, fields: fields, eventId: eventId)
    }

    /// A sealer for one thread, with randomness of its own: the preparing threads of an import
    /// seal a fifth of all events, and drawing nonces under the key store's lock had them wait
    /// on each other. (A cache of keys per thread in front of the store's was measured too: two
    /// tables of a hundred thousand keys cost more than the lock they spared.)
    public func forOneThread() -> PersonalDataSealer {
        ThreadSealer(shared: self)
    }

    public func open(_ sealed: UnsafeRawBufferPointer, eventId: UnsafeRawBufferPointer) throws -> OpenedPersonalData {
        let section = try SealedSection(sealed)
        guard let key = try keyStore.dataKey(section.keyId) else { return .keyMissing(keyId: section.keyId) }
        let header = Array(sealed[0..<section.payloadOffset])
        let box = try ChaChaPoly.SealedBox(combined: Array(sealed[section.payloadOffset...]))
        do {
            return .clear(Array(try ChaChaPoly.open(box, using: key, authenticating: header + Array(eventId))))
        } catch {
            throw LedgerError(.integrity, "the sealed personal data of event \(Array(eventId).map { String($0, radix: 16) }.joined()) does not open: altered, or moved from another event")
        }
    }
}

/// Seals for one thread at a time (see `Sealer.forOneThread`); opens through the shared sealer.
final class ThreadSealer: PersonalDataSealer, @unchecked Sendable {
    private let shared: Sealer
    private var store: KeyStore?
    private var randomness = RandomPool()

    init(shared: Sealer) { self.shared = shared }

    func seal(_ plaintext: [UInt8], keyId: String, fields: [String], eventId: [UInt8]) throws -> [UInt8] {
        var section: [UInt8] = []
        try eventId.withUnsafeBytes { try seal(plaintext, keyId: keyId, fields: fields, eventId: $0, appendingTo: &section) }
        return section
    }

    /// header ‖ nonce ‖ ciphertext ‖ tag, the header and the event id authenticated: the layout
    /// of ChaChaPoly's `combined` after the header.
    func seal(_ plaintext: [UInt8], keyId: String, fields: [String], eventId: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) throws {
        if store == nil { store = try shared.keyStore }
        let key = try store!.sealingKey(keyId, randomness: &randomness)
        let headerAt = out.count
        SealedSection.appendHeader(keyId: keyId, fields: fields, to: &out)
        try plaintext.withUnsafeBytes { p in
            try AEAD.seal(p, key: key, randomness: &randomness, associatedFrom: headerAt, eventId, appendingTo: &out)
        }
    }

    func open(_ sealed: UnsafeRawBufferPointer, eventId: UnsafeRawBufferPointer) throws -> OpenedPersonalData {
        try shared.open(sealed, eventId: eventId)
    }

    func forOneThread() -> PersonalDataSealer { ThreadSealer(shared: shared) }
}
