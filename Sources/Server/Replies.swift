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
        bytes(Array(JSONWriter.ordered(value).utf8) + [10], type: "application/json", status: status)
    }

    static func bytes(_ bytes: [UInt8], type: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = type
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, kind: String? = nil) -> Response {
        var o = JSONObject()
        o["error"] = .string(message)
        if let kind { o["kind"] = .string(kind) }
        var response = json(.object(o), status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = #"Bearer realm="buurtboek""# }
        return response
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
    static func failure(_ error: Error) -> Response {
        switch error {
        case let refusal as Refusal: return self.error(refusal.status, refusal.message)
        case let error as LedgerError: return self.error(status(for: error.kind), error.message, kind: error.kind.name)
        case let error as FieldValueError: return self.error(.badRequest, error.message)
        case ProjectionError.refused(let message): return self.error(.unprocessableContent, message, kind: "refused")
        case ProjectionError.storage(let message): return self.error(.internalServerError, message, kind: "storage")
        default: return self.error(.internalServerError, "\(error)")
        }
    }
}
