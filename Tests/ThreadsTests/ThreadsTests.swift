import XCTest
@testable import Threads

final class ThreadsTests: XCTestCase {
    /// Jobs run in the order given, off the caller's thread, and `drain` returns only after
    /// every one of them ran (many times over, so that a missed wake-up would hang or lose one).
    func testASerialWorkerRunsJobsInOrderAndDrains() throws {
        final class Box: @unchecked Sendable { var seen: [Int] = [] }
        let worker = try SerialWorker()
        let box = Box()
        for round in 0..<200 {
            for i in 0..<50 { worker.submit { box.seen.append(round * 50 + i) } }
            worker.drain()
            XCTAssertEqual(box.seen.count, (round + 1) * 50)
        }
        XCTAssertEqual(box.seen, Array(0..<10_000))
    }

    func testParallelRunsEveryIndexOnceAndWaitsForAll() {
        let lock = Lock()
        var counts = [Int](repeating: 0, count: 7)
        parallel(7) { i in
            usleep(UInt32(1000 * (7 - i)))  // the first ones end last: `parallel` must wait for them
            lock.withLock { counts[i] += 1 }
        }
        XCTAssertEqual(counts, [Int](repeating: 1, count: 7))
        var single = 0
        parallel(1) { _ in single += 1 }
        parallel(0) { _ in single += 100 }
        XCTAssertEqual(single, 1)
    }

    /// A bounded hand-over between two threads through a Condition: nothing lost, nothing twice.
    func testAConditionHandsItemsOverWithoutLoss() throws {
        final class Channel: @unchecked Sendable {
            let condition = Condition()
            var items: [Int] = []
            var closed = false
        }
        let channel = Channel()
        var received: [Int] = []
        let consumer = try WorkerThread {
            while true {
                channel.condition.lock()
                while channel.items.isEmpty && !channel.closed { channel.condition.wait() }
                if channel.items.isEmpty { channel.condition.unlock(); return }
                received.append(channel.items.removeFirst())
                channel.condition.broadcast()
                channel.condition.unlock()
            }
        }
        for i in 0..<5_000 {
            channel.condition.lock()
            while channel.items.count >= 4 { channel.condition.wait() }
            channel.items.append(i)
            channel.condition.broadcast()
            channel.condition.unlock()
        }
        channel.condition.withLock { channel.closed = true; channel.condition.broadcast() }
        consumer.join()
        XCTAssertEqual(received, Array(0..<5_000))
    }
}
