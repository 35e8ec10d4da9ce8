import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

// The team server's append benchmark: CLIENTS keep-alive connections on one event-loop
// thread (so that the generator takes little of the machine it shares with the server), each
// appending one contact.recorded event, waiting for its acknowledgement (durable), and
// appending the next, for SECONDS. Prints events/s and the latency percentiles as JSON.
//
//   bench-server-load http://127.0.0.1:PORT TOKEN_FILE [CLIENTS] [SECONDS]
// (Tools/bench-server runs it; Tools/load-server is the retrying generator of the fault test.)

let arguments = CommandLine.arguments
guard arguments.count >= 3, arguments[1].hasPrefix("http://"),
      let token = try? String(contentsOfFile: arguments[2], encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) else {
    FileHandle.standardError.write(Data("usage: bench-server-load http://HOST:PORT TOKEN_FILE [CLIENTS] [SECONDS]\n".utf8))
    exit(2)
}
let address = arguments[1].dropFirst(7).split(separator: "/")[0]
let host = String(address.split(separator: ":")[0]), port = Int(address.split(separator: ":")[1]) ?? 80
let clients = arguments.count > 3 ? Int(arguments[3]) ?? 64 : 64
let seconds = arguments.count > 4 ? Double(arguments[4]) ?? 10 : 10
let deadline = NIODeadline.now() + .milliseconds(Int64(seconds * 1000))

final class Stats: Sendable {
    private let state = NIOLockedValueBox((latencies: [Int64](), failures: 0))
    func record(_ nanos: Int64) { state.withLockedValue { $0.latencies.append(nanos) } }
    func fail() { state.withLockedValue { $0.failures += 1 } }
    var snapshot: (latencies: [Int64], failures: Int) { state.withLockedValue { ($0.latencies, $0.failures) } }
}
let stats = Stats()

final class Appender: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let number: Int, host: String, token: String, deadline: NIODeadline, stats: Stats
    var sequence = 0, sentAt = NIODeadline.now(), status = 0

    init(number: Int, host: String, token: String, deadline: NIODeadline, stats: Stats) {
        (self.number, self.host, self.token, self.deadline, self.stats) = (number, host, token, deadline, stats)
    }

    func channelActive(context: ChannelHandlerContext) { send(context) }

    func send(_ context: ChannelHandlerContext) {
        sequence += 1
        let line = #"{"id":"\#(UUID().uuidString.lowercased())","type":"contact.recorded","stream":"contact-load-\#(number)-\#(sequence)","neighbourhood":"BU03630001","data":{"mode":"drop_in","topics":["money"],"minutes":10}}"# + "\n"
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/events")
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "Authorization", value: "Bearer \(token)")
        head.headers.add(name: "Content-Type", value: "application/x-ndjson")
        head.headers.add(name: "Content-Length", value: String(line.utf8.count))
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: line)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        sentAt = .now()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response): status = Int(response.status.code)
        case .body: break
        case .end:
            if status == 200 { stats.record((NIODeadline.now() - sentAt).nanoseconds) } else { stats.fail() }
            if NIODeadline.now() < deadline { send(context) } else { context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        stats.fail()
        context.close(promise: nil)
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let started = NIODeadline.now()
var channels: [Channel] = []
for n in 0..<clients {
    let channel = try ClientBootstrap(group: group)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                try channel.pipeline.syncOperations.addHandler(Appender(number: n, host: host, token: token, deadline: deadline, stats: stats))
            }
        }
        .connect(host: host, port: port).wait()
    channels.append(channel)
}
for channel in channels { try? channel.closeFuture.wait() }
let elapsed = Double((NIODeadline.now() - started).nanoseconds) / 1e9
let (latencies, failures) = stats.snapshot
let sorted = latencies.sorted()
func percentile(_ q: Double) -> Double {
    sorted.isEmpty ? 0 : (Double(sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))]) / 1e6 * 100).rounded() / 100
}
print(#"{"clients":\#(clients),"acknowledged":\#(sorted.count),"failed":\#(failures),"seconds":\#((elapsed * 100).rounded() / 100),"eventsPerSecond":\#(Int(Double(sorted.count) / elapsed)),"p50Ms":\#(percentile(0.5)),"p99Ms":\#(percentile(0.99))}"#)
try group.syncShutdownGracefully()
