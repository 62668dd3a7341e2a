// submit(grant) through the app's transport: the package's URLSessionTransport (FoundationNetworking
// here) against loopback servers the test starts and stops, with the cases core/tests/submit.rs runs
// through the built-in client; then what crosses when a Swift transport throws.
import DingTalkAuth
import Foundation
import XCTest

final class TransportTests: XCTestCase {
    /// A loopback server, stopped when the test ends.
    private func server(_ behaviour: ServerBehaviour) throws -> LoopbackServer {
        let started = try LoopbackServer(behaviour)
        addTeardownBlock { started.stop() }
        return started
    }

    /// A fresh authorized grant from an instance posting to `backend` through `transport`.
    private func authorized(backend: String, requestTimeoutMs: UInt32 = 30_000,
                            transport: HttpTransport = URLSessionTransport()) throws -> (DingTalkAuth, AuthGrant, String) {
        let auth = try DingTalkAuth(config: makeConfig(backendUrl: backend, requestTimeoutMs: requestTimeoutMs), transport: transport)
        let state = try XCTUnwrap(try auth.begin(flow: .newSdk).state)
        let code = "secret-auth-code-\(UUID().uuidString)"
        let outcome = try auth.completeSdk(response: SdkResponse(flow: .newSdk, errCode: "0", message: nil, code: code, state: state))
        return (auth, try XCTUnwrap(outcome.grant), code)
    }

    func testTheGrantGoesOutExactlyAndTheAnswerComesBack() async throws {
        let s = try server(.respond(status: 200, contentType: "application/json", body: Array(#"{"session":"s-1"}"#.utf8)))
        let (auth, grant, _) = try authorized(backend: s.url)
        let response = try await auth.submit(grant: grant)
        XCTAssertEqual(response, BackendResponse(status: 200, body: #"{"session":"s-1"}"#))
        let r = try XCTUnwrap(s.received.first)
        XCTAssertEqual(s.received.count, 1)
        XCTAssertEqual(r.method, "POST")
        XCTAssertEqual(r.path, "/grants")
        XCTAssertEqual(r.headers["content-type"], "application/json")
        XCTAssertEqual(r.headers["idempotency-key"], grant.idempotencyKey())
        XCTAssertEqual(r.bodyText, grant.toJson())
    }

    func testARefusalKeepsItsStatusAndBody() async throws {
        let body = #"{"error":"invalid_grant"}"#
        let s = try server(.respond(status: 409, contentType: "application/json", body: Array(body.utf8)))
        let (auth, grant, code) = try authorized(backend: s.url)
        let error = await expectAuthError(secrets: [code]) { try await auth.submit(grant: grant) }
        XCTAssertEqual(error, .BackendRejected(status: 409, body: body))
    }

    /// The target counts requests: a followed redirect could not go unnoticed.
    func testRedirectsAreReportedNeverFollowed() async throws {
        for status in [301, 302, 303, 307, 308] {
            let target = try server(.respond(status: 200, contentType: "text/plain", body: Array("followed".utf8)))
            let s = try server(.respond(status: status, contentType: "text/plain", body: [], headers: [("Location", target.url)]))
            let (auth, grant, code) = try authorized(backend: s.url)
            let error = await expectAuthError(secrets: [code]) { try await auth.submit(grant: grant) }
            XCTAssertEqual(error, .BackendRejected(status: UInt16(status), body: ""), "\(status)")
            XCTAssertEqual(target.received.count, 0, "\(status) was followed")
        }
    }

    func testANonUtf8BodyIsUnreadable() async throws {
        let s = try server(.respond(status: 200, contentType: "text/plain", body: [0x6f, 0x6b, 0xff, 0xfe, 0x00, 0xc3]))
        let (auth, grant, code) = try authorized(backend: s.url)
        let error = await expectAuthError(secrets: [code]) { try await auth.submit(grant: grant) }
        XCTAssertEqual(error?.caseName, "UnreadableBody")
    }

    func testASilentServerIsATimeoutAndAClosedPortANetworkError() async throws {
        let s = try server(.neverAnswer)
        let (auth, grant, code) = try authorized(backend: s.url, requestTimeoutMs: 300)
        let started = Date()
        let error = await expectAuthError(secrets: [code]) { try await auth.submit(grant: grant) }
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(error, .Timeout)
        XCTAssertGreaterThanOrEqual(elapsed, 0.25, "gave up before the configured timeout")
        XCTAssertLessThan(elapsed, 10, "the 300 ms timeout was not applied")

        let port = try LoopbackServer.closedPort()
        let (auth2, grant2, code2) = try authorized(backend: "http://127.0.0.1:\(port)/grants")
        let refused = await expectAuthError(secrets: [code2]) { try await auth2.submit(grant: grant2) }
        XCTAssertEqual(refused?.caseName, "Network")
    }

    /// Whatever a Swift transport throws crosses as a typed error, never as `AuthError.Internal`.
    func testATransportsErrorsBecomeTypedErrors() async throws {
        struct InterceptorFailed: Error {}
        let cases: [(Error, String)] = [
            (TransportError.Timeout, "Timeout"),
            (TransportError.Network(reason: "proxy said no"), "Network"),
            (TransportError.Body(status: 200, reason: "reset"), "UnreadableBody"),
            (TransportError.Body(status: 503, reason: "reset"), "BackendRejected"),
            (InterceptorFailed(), "Network"),
        ]
        for (thrown, expected) in cases {
            let (auth, grant, code) = try authorized(backend: "https://backend.example/v1/login", transport: Throwing(thrown))
            let error = await expectAuthError(secrets: [code]) { try await auth.submit(grant: grant) }
            XCTAssertEqual(error?.caseName, expected, "\(thrown)")
        }
    }
}

private final class Throwing: HttpTransport, @unchecked Sendable {
    let error: Error
    init(_ error: Error) { self.error = error }
    func send(request: HttpRequest) async throws -> HttpResponse { throw error }
}
