import Catalogue
import LMDB

/// Positions per type and per day, gathered through a batch and appended to their index keys
/// in one call each at its end: a batch has a few dozen types and days but thousands of
/// events. Types by their ordinal; the day of the last events apart, since events mostly come
/// in the order they occurred.
struct PendingIndexes {
    private var types: [(name: String, positions: [UInt8])] = []
    private var days: [UInt32: [UInt8]] = [:]
    private var currentDay: UInt32 = 0
    private var currentDayPositions: [UInt8] = []

    /// Notes the event at `position` (its 8 big-endian bytes) under its type and day.
    mutating func add(_ type: EventType, occurredAt: Int64, position: UnsafeRawBufferPointer) {
        let ordinal = type.ordinal
        while types.count <= ordinal { types.append(("", [])) }
        if types[ordinal].positions.isEmpty { types[ordinal].name = type.name }
        types[ordinal].positions.append(contentsOf: position)
        let day = Keys.dayBits(occurredAt)
        if day != currentDay { setCurrentDay(day) }
        currentDayPositions.append(contentsOf: position)
    }

    /// Puts the current day's positions with the others of that day, and starts `day`'s.
    private mutating func setCurrentDay(_ day: UInt32) {
        if !currentDayPositions.isEmpty {
            days[currentDay, default: []].append(contentsOf: currentDayPositions)
            currentDayPositions.removeAll(keepingCapacity: true)
        }
        currentDay = day
    }

    /// Writes what was gathered to the type and day indexes, and starts gathering anew
    /// (keeping the storage).
    mutating func flush(txn: WriteTransaction, db: Ledger.Databases) throws {
        // Two versions of one type are gathered apart but share a term: merged, in order.
        var byName: [String: [UInt8]] = [:]
        for type in types where !type.positions.isEmpty {
            if let other = byName[type.name] {
                byName[type.name] = PostingBlocks.merge(other, type.positions)
            } else {
                byName[type.name] = type.positions
            }
        }
        for (name, positions) in byName {
            try PostingBlocks.add(positions, toTermWithPrefix: PostingBlocks.prefix(Array(name.utf8)), db: db.types, txn: txn)
        }
        setCurrentDay(currentDay)
        for (day, positions) in days {
            try PostingBlocks.add(positions, toTermWithPrefix: PostingBlocks.prefix(Keys.u32(day)), db: db.days, txn: txn)
        }
        for i in types.indices { types[i].positions.removeAll(keepingCapacity: true) }
        days.removeAll(keepingCapacity: true)
    }
}
