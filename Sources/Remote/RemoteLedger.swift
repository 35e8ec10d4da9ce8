import Foundation
import JSON

/// A team server as the CLI sees it: `--ledger https://HOST:PORT`. Requests block the calling
/// thread (the CLI is a short-lived process doing one thing); each opens its own connection,
/// over TLS for https, and carries the member's token. The bytes travel by the `Transport`
/// installed (SwiftNIO's, in buurtboek-team); this module itself links no network code, so the
/// local CLI that uses its types stays small and starts fast.
public final class RemoteLedger: @unchecked Sendable {
    public let url: String
    let host: String
    let port: Int
    let https: Bool
    let caCertificate: String?
    let token: String?
    let transport: any Transport

    /// `caCertificate`: a PEM file of the CA that signed the server's certificate (a private
    /// CA or a self-signed certificate); without it the system's roots are trusted.
    public init(url: String, token: String?, caCertificate: String?, transport: any Transport) throws {
        self.url = url
        self.token = token
        self.caCertificate = caCertificate
        self.transport = transport
        guard let (https, host, port) = RemoteLedger.parse(url) else {
            throw RemoteError(status: 0, "\(url): expected http(s)://HOST:PORT")
        }
        (self.https, self.host, self.port) = (https, host, port)
        if https, let caCertificate, access(caCertificate, R_OK) != 0 {
            throw RemoteError(status: 0, "--ca-cert \(caCertificate): cannot read it")
        }
    }

    static func parse(_ url: String) -> (https: Bool, host: String, port: Int)? {
        let https = url.hasPrefix("https://")
        guard https || url.hasPrefix("http://") else { return nil }
        var rest = url.dropFirst(https ? 8 : 7)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var host = rest, port = https ? 443 : 80
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { guard let p = Int(after.dropFirst()) else { return nil }; port = p }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]) else { return nil }
            port = p
        }
        guard !host.isEmpty else { return nil }
        return (https, String(host), port)
    }

    /// Sends one request and returns the whole response. A request that did not reach the
    /// server, or whose answer was lost, is sent again (after 0.2, 0.5, 1, 2 and 4 s): every
    /// write the CLI sends carries event ids, so a repeat is answered "already recorded".
    public func send(_ method: Method, _ path: String, body: [UInt8] = [], contentType: String = "application/json") throws -> RemoteResponse {
        var delays: [Double] = [0.2, 0.5, 1, 2, 4]
        while true {
            do {
                return try Blocking.run { try await self.exchange(method, path, body: body, contentType: contentType, events: nil) }
            } catch let error as RemoteError where error.status == 0 && error.retryable && !delays.isEmpty {
                Thread.sleep(forTimeInterval: delays.removeFirst())
            }
        }
    }

    /// Sends the file `path` ("-": standard input) as the body, streamed as it is read. A file
    /// is sent again, whole, after a failure without an answer; standard input cannot be.
    public func upload(_ path: String, file: String, contentType: String) throws -> RemoteResponse {
        var delays: [Double] = file == "-" ? [] : [0.2, 0.5, 1, 2, 4]
        while true {
            do {
                return try Blocking.run { try await self.exchange(.POST, path, body: [], contentType: contentType, events: nil, bodyFile: file) }
            } catch let error as RemoteError where error.status == 0 && error.retryable && !delays.isEmpty {
                Thread.sleep(forTimeInterval: delays.removeFirst())
            }
        }
    }

    /// GET `path` as JSON; a status other than 2xx is thrown with the server's message.
    public func getJSON(_ path: String) throws -> JSONValue {
        try send(.GET, path).json()
    }

    /// Follows a Server-Sent Events stream from `path`, calling `event` with each event's id
    /// and data; reconnects after a dropped connection with the last id seen, so no event is
    /// missed or repeated. Returns only when `event` returns false.
    public func follow(_ path: String, event: @escaping @Sendable (UInt64, [UInt8]) throws -> Bool) throws {
        let state = FollowState()
        var delay = 0.2
        while true {
            do {
                try Blocking.run {
                    try await self.exchange(.GET, path, body: [], contentType: "", events: (state, event))
                }
                if state.stopped { return }
            } catch let error as RemoteError where error.status == 0 {
                if state.stopped { return }
            }
            // The server closed the stream (shutting down) or the network dropped it: resume.
            Thread.sleep(forTimeInterval: delay)
            delay = min(delay * 2, 5)
        }
    }
}

public enum Method: String, Sendable { case GET, POST }

/// One request as the transport sends it.
public struct RemoteRequest: Sendable {
    public let host: String
    public let port: Int
    public let https: Bool
    /// A PEM file of the CA to trust instead of the system's roots.
    public let caCertificate: String?
    public let method: Method
    public let path: String
    public let headers: [(String, String)]
    public let body: [UInt8]
    /// A file to send as the body instead, as it is read (chunked): "-" is standard input.
    public let bodyFile: String?
}

/// How requests reach the server: one HTTP/1.1 exchange on a connection of its own. With
/// `streaming`, the body of a 200 answer is handed over as it arrives (until it returns false)
/// instead of being collected. Failures without an answer are `RemoteError`s of status 0.
public protocol Transport: Sendable {
    func exchange(_ request: RemoteRequest, streaming: (@Sendable ([UInt8]) throws -> Bool)?) async throws -> RemoteResponse
}

/// What the server answered.
public struct RemoteResponse: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        (self.status, self.headers, self.body) = (status, headers, body)
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The body as JSON when the status is 2xx; otherwise the server's error, thrown.
    public func json() throws -> JSONValue {
        guard (200..<300).contains(status) else { throw RemoteError(response: self) }
        do { return try JSONParser().value(body) } catch {
            throw RemoteError(status: status, "the server's answer is not JSON: \(error)")
        }
    }
}

/// A request the server refused (its status and one line) or that never got an answer (status 0).
public struct RemoteError: Error, CustomStringConvertible, Sendable {
    public let status: Int
    public let message: String
    /// The ledger's kind of failure the server named (refused, conflict, storage, integrity).
    public var kind: String?
    /// For status 0: whether the request may be sent again (nothing reached the server, or the
    /// answer was lost).
    public let retryable: Bool

    public init(status: Int, _ message: String, retryable: Bool = false) {
        self.status = status
        self.message = message
        self.retryable = retryable
    }

    public init(response: RemoteResponse) {
        let parsed = try? JSONParser().value(response.body)
        let message = parsed?.object?["error"]?.string ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        self.init(status: response.status, message)
        kind = parsed?.object?["kind"]?.string
    }

    public var description: String { message }
}
