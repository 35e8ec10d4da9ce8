import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import Membership
import NIOCore
import NIOHTTPTypes

/// The hot path, `POST /v1/events` with a small body, answered on the connection's event loop.
///
/// Through Hummingbird's router a single-event append cost about 190 µs of the server's CPU,
/// most of it in handing each request from the event loop to Swift's task pool and back
/// (NIOAsyncChannel, the responder's tasks, generic code specialised at run time); with 64
/// workers appending, that, not the disk, capped the rate. Here the same steps run where the
/// bytes arrive: the token checked (`Gate`), the lines prepared (`TeamServer.prepare`),
/// queued for the group commit, and answered from the commit thread's callback, with the
/// request log line and the metrics of any other route. The answer is the one
/// `EventRoutes.answer` gives the routed append, byte for byte.
///
/// Anything else (another route, a large or chunked body, `Expect: 100-continue`) goes on to
/// Hummingbird untouched. A connection is served one request at a time in either lane: parts
/// that arrive while a request is being answered are held, and reads paused, until its
/// answer is written, so pipelined requests are answered in their order. The handler sits
/// after Hummingbird's connection-state handler, which thus sees every request and answer
/// (idle timeout, keep-alive, a graceful stop that waits for the answer in flight).
final class AppendLane: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The largest body the lane takes: a few hundred events, prepared on the event loop in a
    /// few milliseconds. Larger batches are prepared on every core by the routed append.
    static let maxBody = 64 * 1024
    /// The route it answers, exactly (with no query).
    static let path = "/v1/events"

    private enum State {
        case idle
        case collecting(HTTPRequest, started: ContinuousClock.Instant, body: ByteBuffer)
        case answering
        /// A request passed on to Hummingbird, until both its last part and its answer's have passed.
        case routed(requestEnded: Bool, answerEnded: Bool)
    }

    private let server: TeamServer
    private var state = State.idle
    private var held: [HTTPRequestPart] = []
    private var readWanted = false

    init(server: TeamServer) { self.server = server }

    /// Every part goes through `held`, so none overtakes one that waits.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        held.append(unwrapInboundIn(data))
        drain(context: context, released: false)
    }

    private func take(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch (state, part) {
        case (.idle, .head(let head)):
            if takes(head) {
                state = .collecting(head, started: .now, body: context.channel.allocator.buffer(capacity: 512))
            } else {
                state = .routed(requestEnded: false, answerEnded: false)
                context.fireChannelRead(wrapInboundOut(part))
            }
        case (.idle, _):
            // What is left of a request Hummingbird answered before reading it all: it drains it.
            context.fireChannelRead(wrapInboundOut(part))
        case (.collecting(let head, let started, var body), .body(var bytes)):
            state = .answering  // no copy of the buffer while it grows
            body.writeBuffer(&bytes)
            state = .collecting(head, started: started, body: body)
        case (.collecting(let head, let started, let body), .end):
            state = .answering
            answer(head, body: body, started: started, context: context)
        case (.collecting, .head), (.answering, _), (.routed(requestEnded: true, _), _):
            held.insert(part, at: 0)  // `drain` takes none while holding; kept first all the same
        case (.routed(requestEnded: false, let answerEnded), _):
            if case .end = part { state = answerEnded ? .idle : .routed(requestEnded: true, answerEnded: false) }
            context.fireChannelRead(wrapInboundOut(part))
        }
    }

    /// Whether a request's head is one the lane answers.
    private func takes(_ head: HTTPRequest) -> Bool {
        guard head.method == .post, head.path == Self.path else { return false }
        var length: Int?
        for field in head.headerFields {  // one pass: each lookup by name is a scan of its own
            switch field.name {
            case .contentLength: length = Int(field.value)
            case .expect, .transferEncoding: return false
            default: continue
            }
        }
        guard let length else { return false }
        return length <= min(Self.maxBody, server.settings.maxBodyBytes)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data), case .routed(let requestEnded, _) = state else {
            return context.write(data, promise: promise)
        }
        state = requestEnded ? .idle : .routed(requestEnded: false, answerEnded: true)
        context.write(data, promise: promise)
        guard case .idle = state else { return }
        // Not from inside Hummingbird's write: what was held reaches its request loop once
        // the answer is on its way.
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (lane, context) = bound.value
            lane.drain(context: context, released: !lane.held.isEmpty)
        }
    }

    /// Whether parts that arrive now wait: a request is being answered, by the lane or by
    /// Hummingbird after its last part.
    private var holding: Bool {
        switch state {
        case .answering, .routed(requestEnded: true, _): true
        default: false
        }
    }

    /// While a request is being answered no more is read: what was read already is held.
    func read(context: ChannelHandlerContext) {
        if holding { readWanted = true } else { context.read() }
    }

    /// Takes the parts held, in order, until one makes them wait again; then reads again if a
    /// read was asked for meanwhile. Parts `released` outside a read end with a read-complete
    /// of their own: Hummingbird's async channel hands parts on to its request loop only then.
    private func drain(context: ChannelHandlerContext, released: Bool) {
        while !holding, !held.isEmpty { take(held.removeFirst(), context: context) }
        if released { context.fireChannelReadComplete() }
        guard !holding, readWanted else { return }
        readWanted = false
        context.read()
    }

    private func answer(_ head: HTTPRequest, body: ByteBuffer, started: ContinuousClock.Instant, context: ChannelHandlerContext) {
        let member: Member
        do { member = try server.admit(head.method, Self.path, authorization: head.headerFields[.authorization], for: .appendEvents) } catch {
            return send(Reply.failureAnswer(error), for: head, started: started, context: context)
        }
        let (lines, numbers, _) = Lines.split(Array(body.readableBytesView))
        guard !lines.isEmpty else { return send(Reply.failureAnswer(EventRoutes.noEvents), for: head, started: started, context: context) }
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let server = self.server
        server.append(lines, by: member.name, numbers: numbers, preparingOn: { job in loop.execute(job) }) { result in
            let answer: Answer
            switch result {
            case .success(let (prepared, outcomes)):
                server.metrics.appended(outcomes)
                answer = EventRoutes.answer(lineCount: lines.count, prepared, outcomes)
            case .failure(let error):
                answer = Reply.failureAnswer(error)
            }
            loop.execute {
                let (lane, context) = bound.value
                lane.send(answer, for: head, started: started, context: context)
            }
        }
    }

    private func send(_ answer: Answer, for head: HTTPRequest, started: ContinuousClock.Instant, context: ChannelHandlerContext) {
        var headers = answer.headers
        headers[.contentLength] = String(answer.bytes.count)
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: answer.bytes))), promise: nil)
        if head.headerFields[.connection]?.lowercased() == "close" {
            // As Hummingbird's request loop does: the answer, then the end of the connection.
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        server.answered(head.method, Self.path, status: answer.status.code, since: started)
        state = .idle
        drain(context: context, released: !held.isEmpty)
    }
}

/// HTTP/1.1 as Hummingbird sets a connection up, with the append lane placed right after its
/// connection-state handler.
struct LaneChannel: ServerChildChannel {
    let base: HTTP1Channel
    let server: TeamServer

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let connectionState = try channel.pipeline.syncOperations.context(handlerType: HTTPConnectionStateHandler.self)
            try channel.pipeline.syncOperations.addHandler(AppendLane(server: server), position: .after(connectionState.handler))
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
