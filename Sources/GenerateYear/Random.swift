/// xoshiro256** seeded through SplitMix64: fast, and the same seed gives the same year on
/// every machine (Swift's own generator is not seedable).
struct SeededRandom {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E3779B97F4A7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in 0..<n.
    mutating func int(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + int(range.count) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }
    mutating func double() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Picks by weight.
    mutating func weighted<T>(_ items: [(T, Double)]) -> T {
        let total = items.reduce(0) { $0 + $1.1 }
        var r = double() * total
        for (item, w) in items {
            r -= w
            if r < 0 { return item }
        }
        return items.last!.0
    }

    /// Picks `k` distinct items (k small).
    mutating func sample<T>(_ items: [T], _ k: Int) -> [T] {
        var pool = items, out: [T] = []
        for _ in 0..<min(k, pool.count) { out.append(pool.remove(at: int(pool.count))) }
        return out
    }
}
