import Foundation
import NIOConcurrencyHelpers
import NIOCore
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

/// One client: a keep-alive connection that sends an append, reads the answer, and sends the
/// next. It writes the request's bytes itself and reads only the status line, Content-Length
/// and the body's length of the answer (the server never chunks a JSON answer): NIO's HTTP
/// codec cost the generator about twice the CPU per request, CPU the server it measures
/// shares on this machine.
final class Appender: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let number: Int, deadline: NIODeadline, stats: Stats
    let head: [UInt8]
    var sequence = 0, sentAt = NIODeadline.now()
    var received: [UInt8] = []

    init(number: Int, host: String, token: String, deadline: NIODeadline, stats: Stats) {
        (self.number, self.deadline, self.stats) = (number, deadline, stats)
        head = Array("POST /v1/events HTTP/1.1\r\nHost: \(host)\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/x-ndjson\r\nContent-Length: ".utf8)
    }

    func channelActive(context: ChannelHandlerContext) { send(context) }

    func send(_ context: ChannelHandlerContext) {
        sequence += 1
        let line = Array((#"{"id":"\#(idText())","type":"contact.recorded","stream":"contact-load-\#(number)-\#(sequence)","neighbourhood":"BU00340101","data":{"mode":"drop_in","topics":["money"],"minutes":10}}"# + "\n").utf8)
        var buffer = context.channel.allocator.buffer(capacity: head.count + line.count + 16)
        buffer.writeBytes(head)
        buffer.writeString("\(line.count)\r\n\r\n")
        buffer.writeBytes(line)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        sentAt = .now()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readBytes(length: buffer.readableBytes) ?? []
        guard let (status, length) = Self.answer(received) else { return }
        received.removeFirst(length)
        if status == 200 { stats.record((NIODeadline.now() - sentAt).nanoseconds) } else { stats.fail() }
        if NIODeadline.now() < deadline { send(context) } else { context.close(promise: nil) }
    }

    /// The status and the whole length of the first answer in `bytes`, once it has all arrived.
    static func answer(_ bytes: [UInt8]) -> (status: Int, length: Int)? {
        guard bytes.count >= 16 else { return nil }
        var headEnd: Int?
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            headEnd = i
            break
        }
        guard let headEnd else { return nil }
        let status = bytes[9..<12].reduce(0) { $0 * 10 + Int($1) - 48 }
        let length = contentLength(bytes[..<headEnd]) ?? 0
        let total = headEnd + 4 + length
        return bytes.count >= total ? (status, total) : nil
    }

    private static let lengthName = Array("\r\ncontent-length:".utf8)

    /// The value of the Content-Length header in `head`, its name in any case.
    static func contentLength(_ head: ArraySlice<UInt8>) -> Int? {
        let name = lengthName
        var i = head.startIndex
        while i + name.count <= head.endIndex {
            var match = true
            for k in 0..<name.count where (head[i + k] | (head[i + k] >= 65 && head[i + k] <= 90 ? 32 : 0)) != name[k] {
                match = false
                break
            }
            if match {
                var value = 0, j = i + name.count
                while j < head.endIndex, head[j] == 32 { j += 1 }
                while j < head.endIndex, head[j] >= 48, head[j] <= 57 { value = value * 10 + Int(head[j]) - 48; j += 1 }
                return value
            }
            i += 1
        }
        return nil
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        stats.fail()
        context.close(promise: nil)
    }
}

/// An event id as the CLI gives one before it sends (RFC 9562 version 7: the time in
/// milliseconds, then random bits), or with IDS=v4 a random one, as the fault test's Python
/// generator sends: ids in time order land at the end of the server's id index, random ones on
/// a random leaf page each, which the commit then writes. The random bits come from a
/// xorshift generator seeded once (a getrandom call per byte cost the generator a tenth of its
/// CPU); the ids need only be unique, not secret.
let randomIds = ProcessInfo.processInfo.environment["IDS"] == "v4"
nonisolated(unsafe) var xorshift = UInt64.random(in: 1...UInt64.max)
let hexDigits = Array("0123456789abcdef".utf8)
func idText() -> String {
    var bytes = [UInt8](repeating: 0, count: 16)
    for i in 0..<16 {
        xorshift ^= xorshift << 13; xorshift ^= xorshift >> 7; xorshift ^= xorshift << 17
        bytes[i] = UInt8(truncatingIfNeeded: xorshift >> 24)
    }
    if !randomIds {
        let ms = UInt64(Date().timeIntervalSince1970 * 1000)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (40 - 8 * UInt64(i))) }
    }
    bytes[6] = (randomIds ? 0x40 : 0x70) | (bytes[6] & 0x0F)
    bytes[8] = 0x80 | (bytes[8] & 0x3F)
    var text: [UInt8] = []
    text.reserveCapacity(36)
    for (i, byte) in bytes.enumerated() {
        if i == 4 || i == 6 || i == 8 || i == 10 { text.append(45) }
        text.append(hexDigits[Int(byte >> 4)])
        text.append(hexDigits[Int(byte & 15)])
    }
    return String(decoding: text, as: UTF8.self)
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let started = NIODeadline.now()
var channels: [Channel] = []
for n in 0..<clients {
    let channel = try ClientBootstrap(group: group)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
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
