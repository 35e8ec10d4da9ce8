import Foundation
import Threads

/// Where a followed stream is: the last event id seen (to resume from), and the bytes of an
/// event not yet complete.
public final class FollowState: @unchecked Sendable {
    var lastId: UInt64?
    var stopped = false
    private var pending: [UInt8] = []

    /// Feeds bytes of the stream; calls `handler` for each complete event. False once the
    /// handler has asked to stop.
    func feed(_ bytes: [UInt8], _ handler: RemoteLedger.EventHandler) throws -> Bool {
        pending.append(contentsOf: bytes)
        while let end = Self.blankLine(in: pending) {
            let block = pending[..<end.start]
            pending.removeFirst(end.next)
            var id: UInt64?, data: [UInt8] = []
            for line in block.split(separator: 10, omittingEmptySubsequences: true) {
                if line.starts(with: Array("id: ".utf8)) { id = UInt64(String(decoding: line.dropFirst(4), as: UTF8.self)) }
                else if line.starts(with: Array("data: ".utf8)) { data = Array(line.dropFirst(6)) }
            }
            guard let id else { continue }  // a comment (keep-alive)
            lastId = id
            if try !handler(id, data) { stopped = true; return false }
        }
        return true
    }

    private static func blankLine(in bytes: [UInt8]) -> (start: Int, next: Int)? {
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 10 && bytes[i + 1] == 10 { return (i, i + 2) }
            i += 1
        }
        return nil
    }
}

/// Runs async work to its end on behalf of a synchronous caller (the CLI's commands).
public enum Blocking {
    /// The result, guarded by `done`.
    private final class Box<T>: @unchecked Sendable {
        let done = Condition()
        var result: Result<T, Error>?
    }

    public static func run<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Box<T>()
        Task.detached {
            let result: Result<T, Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            box.done.withLock {
                box.result = result
                box.done.broadcast()
            }
        }
        box.done.lock()
        while box.result == nil { box.done.wait() }
        let result = box.result!
        box.done.unlock()
        return try result.get()
    }
}
