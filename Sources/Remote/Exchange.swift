/// One request to the server: its headers (token, Last-Event-ID to resume a stream), sent by
/// the installed transport; a followed stream's bytes go to its `FollowState`.
extension RemoteLedger {
    public typealias EventHandler = @Sendable (UInt64, [UInt8]) throws -> Bool

    func exchange(_ method: Method, _ path: String, body: [UInt8], contentType: String,
                  events: (state: FollowState, handler: EventHandler)?, bodyFile: String? = nil) async throws -> RemoteResponse {
        var headers = [("Host", host), ("Connection", "close"), ("User-Agent", "buurtboek")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let last = events?.state.lastId { headers.append(("Last-Event-ID", String(last))) }
        if bodyFile != nil {
            headers.append(("Content-Type", contentType))
            headers.append(("Transfer-Encoding", "chunked"))
        } else if !body.isEmpty || method == .POST {
            headers.append(("Content-Type", contentType))
            headers.append(("Content-Length", String(body.count)))
        }
        let request = RemoteRequest(host: host, port: port, https: https, caCertificate: caCertificate,
                                    method: method, path: path, headers: headers, body: body, bodyFile: bodyFile)
        var streaming: (@Sendable ([UInt8]) throws -> Bool)?
        if let (state, handler) = events {
            streaming = { bytes in try state.feed(bytes, handler) }
        }
        do {
            return try await transport.exchange(request, streaming: streaming)
        } catch let error as RemoteError {
            throw RemoteError(status: error.status, "\(url): \(error.message)", retryable: error.retryable)
        }
    }
}
