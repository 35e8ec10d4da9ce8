/// Items gathered on one thread and handed to a serial queue a segment at a time, so that the
/// queue is entered once per segment, not once per item: the tree hashes of an append and
/// verify's lifecycle replay both work this way.
struct Segments<Item> {
    private let size: Int
    private var items: [Item] = []

    init(size: Int) {
        self.size = size
        items.reserveCapacity(size)
    }

    /// Adds `item`; returns a full segment to hand over, when it completes one.
    mutating func add(_ item: Item) -> [Item]? {
        items.append(item)
        return items.count >= size ? take() : nil
    }

    /// The items gathered since the last segment, or nil when there are none.
    mutating func take() -> [Item]? {
        guard !items.isEmpty else { return nil }
        defer { items.removeAll(keepingCapacity: true) }
        return items
    }
}
