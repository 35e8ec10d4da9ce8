import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 exchange on a connection of its own (`Connection: close`).
extension RemoteLedger {
    typealias EventHandler = @Sendable (UInt64, [UInt8]) throws -> Bool

    func exchange(_ method: HTTPMethod, _ path: String, body: [UInt8], contentType: String,
                  events: (state: FollowState, handler: EventHandler)?) async throws -> RemoteResponse {
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls = self.tls {
                            // An IP address is checked against the certificate's IP entries.
                            let name = self.host.contains(":") || self.host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : self.host
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: name))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw RemoteError(status: 0, "cannot reach \(url): \(Self.explain(error))", retryable: true)
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "User-Agent", value: "buurtboek")
        if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let last = events?.state.lastId { head.headers.add(name: "Last-Event-ID", value: String(last)) }
        if !body.isEmpty || method == .POST {
            head.headers.add(name: "Content-Type", value: contentType)
            head.headers.add(name: "Content-Length", value: String(body.count))
        }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(.head(head))
                if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                try await outbound.write(.end(nil))
                var status = 0, headers: [(String, String)] = [], collected: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let response):
                        status = Int(response.status.code)
                        headers = response.headers.map { ($0.name, $0.value) }
                    case .body(let buffer):
                        if let events, status == 200 {
                            if try !events.state.feed(Array(buffer.readableBytesView), events.handler) {
                                return RemoteResponse(status: status, headers: headers, body: [])
                            }
                        } else {
                            collected.append(contentsOf: buffer.readableBytesView)
                        }
                    case .end:
                        return RemoteResponse(status: status, headers: headers, body: collected)
                    }
                }
                throw RemoteError(status: 0, "\(url) closed the connection before answering", retryable: true)
            }
        } catch let error as RemoteError {
            throw error
        } catch {
            // A certificate the client does not trust will not become trusted by asking again.
            throw RemoteError(status: 0, "\(url): \(Self.explain(error))", retryable: !(error is NIOSSLError))
        }
    }

    static func explain(_ error: Error) -> String {
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused (is `buurtboek serve` running there?)" }
        if text.contains("handshakeFailed") { return "the TLS handshake failed (\(text)); for a private CA or a self-signed certificate pass --ca-cert FILE" }
        return text
    }
}

/// Where a followed stream is: the last event id seen (to resume from), and the bytes of an
/// event not yet complete.
final class FollowState: @unchecked Sendable {
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
enum Blocking {
    private final class Box<T>: @unchecked Sendable { var result: Result<T, Error>? }

    static func run<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}
