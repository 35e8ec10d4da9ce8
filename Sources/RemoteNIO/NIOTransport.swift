import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Remote

/// The remote CLI's transport: one HTTP/1.1 exchange per connection on SwiftNIO, TLS by
/// swift-nio-ssl (the system's roots, or the CA file given).
public struct NIOTransport: Transport {
    public init() {}

    public func exchange(_ request: RemoteRequest, streaming: (@Sendable ([UInt8]) throws -> Bool)?) async throws -> RemoteResponse {
        let tls = try request.https ? Self.context(caCertificate: request.caCertificate) : nil
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: request.host, port: request.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            // An IP address is checked against the certificate's IP entries.
                            let host = request.host
                            let name = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: name))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw RemoteError(status: 0, "cannot connect: \(Self.explain(error))", retryable: true)
        }
        var head = HTTPRequestHead(version: .http1_1, method: request.method == .GET ? .GET : .POST, uri: request.path)
        for (name, value) in request.headers { head.headers.add(name: name, value: value) }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(.head(head))
                if !request.body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: request.body)))) }
                if let file = request.bodyFile { try await Self.send(file, to: outbound) }
                try await outbound.write(.end(nil))
                var status = 0, headers: [(String, String)] = [], collected: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let response):
                        status = Int(response.status.code)
                        headers = response.headers.map { ($0.name, $0.value) }
                    case .body(let buffer):
                        if let streaming, status == 200 {
                            if try !streaming(Array(buffer.readableBytesView)) { return RemoteResponse(status: status, headers: headers, body: []) }
                        } else {
                            collected.append(contentsOf: buffer.readableBytesView)
                        }
                    case .end:
                        return RemoteResponse(status: status, headers: headers, body: collected)
                    }
                }
                throw RemoteError(status: 0, "the server closed the connection before answering", retryable: true)
            }
        } catch let error as RemoteError {
            throw error
        } catch {
            // A certificate the client does not trust will not become trusted by asking again.
            throw RemoteError(status: 0, Self.explain(error), retryable: !(error is NIOSSLError))
        }
    }

    /// The file's bytes as body parts of 1 MiB, read as they are sent (HTTP/1.1 chunked).
    static func send(_ file: String, to outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>) async throws {
        let fd = file == "-" ? 0 : open(file, O_RDONLY)
        guard fd >= 0 else { throw RemoteError(status: 0, "cannot read \(file): \(String(cString: strerror(errno)))") }
        defer { if fd != 0 { close(fd) } }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw RemoteError(status: 0, "cannot read \(file): \(String(cString: strerror(errno)))") }
            if n == 0 { return }
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk[0..<n]))))
        }
    }

    static func context(caCertificate: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caCertificate {
            do { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificate)) } catch {
                throw RemoteError(status: 0, "--ca-cert \(caCertificate): cannot read it as PEM certificates (\(error))")
            }
        }
        do { return try NIOSSLContext(configuration: configuration) } catch { throw RemoteError(status: 0, "TLS: \(error)") }
    }

    static func explain(_ error: Error) -> String {
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused (is `buurtboek serve` running there?)" }
        if text.contains("handshakeFailed") { return "the TLS handshake failed (\(text)); for a private CA or a self-signed certificate pass --ca-cert FILE" }
        return text
    }
}
