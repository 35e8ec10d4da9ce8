import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request arrives too slowly, however steadily it trickles.
///
/// The idle timeout alone cannot: a client sending a byte every few seconds is never idle, and
/// a few hundred such clients would hold the server's connections for as long as they like.
/// A fixed deadline per request cannot either, since an import streams a whole year's file
/// as one request. So, as Apache's mod_reqtimeout does, a request earns time by what it sends:
/// after its head it has `grace`, and every `minRate` bytes of body buy one more second. A
/// request that falls behind that pace is logged and its connection closed; an import
/// sending megabytes a second is never near it, and the time the server itself spends (a
/// commit it waits for, a body it has not read yet) is paid for by the bytes already sent.
/// A head that trickles in (the slowloris attack) needs nothing here: until it is whole no
/// part reaches the handlers, so to the idle timeout the connection is silent.
final class RequestPace: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let grace: TimeAmount
    private let minRate: Int
    private let logger: Logger
    private var request: (started: NIODeadline, head: HTTPRequest)?
    private var received = 0
    private var check: Scheduled<Void>?

    init(grace: TimeAmount, minRate: Int, logger: Logger) {
        self.grace = grace
        self.minRate = max(1, minRate)
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = (.now(), head)
            received = 0
        case .body(let buffer):
            received += buffer.readableBytes
        case .end:
            request = nil
            check?.cancel()
            check = nil
        }
        context.fireChannelRead(data)
    }

    /// The timer starts only for a request still unfinished when a read ends: most arrive
    /// whole in one read and never need one.
    func channelReadComplete(context: ChannelHandlerContext) {
        if request != nil, check == nil { schedule(context) }
        context.fireChannelReadComplete()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }

    /// When the request in progress falls behind its pace, given what it has sent so far.
    private var deadline: NIODeadline? {
        request.map {
            $0.started + grace + .seconds(Int64(received / minRate)) + .nanoseconds(Int64(received % minRate) * 1_000_000_000 / Int64(minRate))
        }
    }

    private func schedule(_ context: ChannelHandlerContext) {
        check?.cancel()
        guard let deadline else { return }
        check = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            check = nil
            guard let request, let due = self.deadline else { return }
            if NIODeadline.now() < due { return schedule(context) }
            let seconds = (NIODeadline.now() - request.started).nanoseconds / 1_000_000_000
            logger.warning("closed a connection: \(request.head.method) \(request.head.path ?? "") sent \(received) bytes of body in \(seconds) s, slower than --min-rate \(minRate) bytes/s")
            context.close(promise: nil)
        }
    }
}
