import Catalogue
import HTTPTypes
import Hummingbird
import JSON
import Ledger
import Projections
import NIOCore

/// The JSON bodies the API answers with, and the one mapping from a ledger's error kinds to
/// HTTP statuses (the CLI maps the same kinds to its exit codes).
enum Reply {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Answer(json: value, status: status).response
    }

    static func bytes(_ bytes: [UInt8], type: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = type
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, kind: String? = nil) -> Response {
        errorAnswer(status, message, kind: kind).response
    }

    static func errorAnswer(_ status: HTTPResponse.Status, _ message: String, kind: String? = nil) -> Answer {
        var o = JSONObject()
        o["error"] = .string(message)
        if let kind { o["kind"] = .string(kind) }
        var answer = Answer(json: .object(o), status: status)
        if status == .unauthorized { answer.headers[.wwwAuthenticate] = #"Bearer realm="buurtboek""# }
        return answer
    }

    static func status(for kind: LedgerError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .refused: .unprocessableContent
        case .conflict: .conflict
        case .storage: .serviceUnavailable
        case .integrity: .internalServerError
        }
    }

    /// Any error a handler threw, as the response the client gets.
    static func failure(_ error: Error) -> Response { failureAnswer(error).response }

    static func failureAnswer(_ error: Error) -> Answer {
        switch error {
        case let refusal as Refusal: return errorAnswer(refusal.status, refusal.message)
        case let error as LedgerError: return errorAnswer(status(for: error.kind), error.message, kind: error.kind.name)
        case let error as FieldValueError: return errorAnswer(.badRequest, error.message)
        case ProjectionError.refused(let message): return errorAnswer(.unprocessableContent, message, kind: "refused")
        case ProjectionError.storage(let message): return errorAnswer(.internalServerError, message, kind: "storage")
        default: return errorAnswer(.internalServerError, "\(error)")
        }
    }
}

/// An answer as bytes: Hummingbird's routes send it as their `Response`, and the append lane
/// (`AppendLane`) writes it to the channel itself.
struct Answer {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var bytes: [UInt8]

    init(json: JSONValue, status: HTTPResponse.Status = .ok) {
        self.status = status
        bytes = Array(JSONWriter.ordered(json).utf8) + [10]
        headers = [.contentType: "application/json"]
    }

    var response: Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
