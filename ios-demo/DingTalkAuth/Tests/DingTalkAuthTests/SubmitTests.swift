// submit(grant) across the boundary (async, from many tasks at once) and each of its errors with its fields,
// against a loopback HTTP server the test starts and stops itself. What submit sends and how it treats
// each answer is tested in Rust (core/tests/submit.rs).
import DingTalkAuth
import Foundation
import XCTest

final class SubmitTests: XCTestCase {
    private var servers: [LoopbackServer] = []

    override func tearDown() {
        servers.forEach { $0.stop() }
        servers = []
        super.tearDown()
    }

    private func server(_ behaviour: ServerBehaviour) throws -> LoopbackServer {
        let s = try LoopbackServer(behaviour)
        servers.append(s)
        return s
    }

    /// A fresh authorized grant from an instance posting to `backend`.
    private func authorized(backend: String, requestTimeoutMs: UInt32 = 30_000, code: String = "secret-auth-code-\(UUID().uuidString)")
        throws -> (DingTalkAuth, AuthGrant, String, String) {
        let h = try Harness(makeConfig(backendUrl: backend, requestTimeoutMs: requestTimeoutMs))
        let state = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        let grant = try XCTUnwrap(try h.success(.newSdk, code: code, state: state).grant)
        return (h.auth, grant, code, state)
    }

    func testSuccessPostsTheGrantExactly() async throws {
        let s = try server(.respond(status: 200, contentType: "application/json", body: Array(#"{"session":"s-1"}"#.utf8)))
        let (auth, grant, _, _) = try authorized(backend: s.url)
        let response = try await auth.submit(grant: grant)
        XCTAssertEqual(response, BackendResponse(status: 200, body: #"{"session":"s-1"}"#))

        let requests = s.received
        XCTAssertEqual(requests.count, 1)
        let r = try XCTUnwrap(requests.first)
        XCTAssertEqual(r.method, "POST")
        XCTAssertEqual(r.path, "/grants")
        XCTAssertEqual(r.headers["content-type"], "application/json")
        XCTAssertEqual(r.headers["idempotency-key"], grant.idempotencyKey())
        XCTAssertEqual(r.bodyText, grant.toJson(), "the body is exactly grant.toJson()")
    }

    func testClientErrorIsBackendRejected() async throws {
        let body = #"{"error":"invalid_grant","message":"code already used"}"#
        let s = try server(.respond(status: 401, contentType: "application/json", body: Array(body.utf8)))
        let (auth, grant, code, state) = try authorized(backend: s.url)
        let error = await expectAuthError(secrets: [code, state]) { try await auth.submit(grant: grant) }
        XCTAssertEqual(error, .BackendRejected(status: 401, body: body))
    }

    func testNonUtf8BodyIsUnreadable() async throws {
        let s = try server(.respond(status: 200, contentType: "text/plain", body: [0x6f, 0x6b, 0xff, 0xfe, 0x00, 0xc3]))
        let (auth, grant, code, state) = try authorized(backend: s.url)
        let error = await expectAuthError(secrets: [code, state]) { try await auth.submit(grant: grant) }
        XCTAssertEqual(error?.caseName, "UnreadableBody")
    }

    func testTimeoutWhenTheServerNeverAnswers() async throws {
        let s = try server(.neverAnswer)
        let (auth, grant, code, state) = try authorized(backend: s.url, requestTimeoutMs: 300)
        let started = Date()
        let error = await expectAuthError(secrets: [code, state]) { try await auth.submit(grant: grant) }
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(error, .Timeout)
        XCTAssertGreaterThanOrEqual(elapsed, 0.25, "gave up before the configured timeout")
        XCTAssertLessThan(elapsed, 10, "the 300 ms timeout was not applied")
        XCTAssertEqual(s.received.count, 1, "the request did reach the server")
    }

    func testRefusedConnectionIsANetworkError() async throws {
        let port = try LoopbackServer.closedPort()
        let (auth, grant, code, state) = try authorized(backend: "http://127.0.0.1:\(port)/grants")
        let error = await expectAuthError(secrets: [code, state]) { try await auth.submit(grant: grant) }
        XCTAssertEqual(error?.caseName, "Network")
    }

    func testConcurrentSubmits() async throws {
        let s = try server(.respond(status: 200, contentType: "text/plain", body: Array("ok".utf8)))
        var grants: [(DingTalkAuth, AuthGrant)] = []
        for _ in 0..<8 {
            let (auth, grant, _, _) = try authorized(backend: s.url)
            grants.append((auth, grant))
        }
        let statuses = try await withThrowingTaskGroup(of: UInt16.self) { group in
            for (auth, grant) in grants {
                group.addTask { try await auth.submit(grant: grant).status }
            }
            var out: [UInt16] = []
            for try await status in group { out.append(status) }
            return out
        }
        XCTAssertEqual(statuses, Array(repeating: 200, count: 8))
        XCTAssertEqual(Set(s.received.compactMap { $0.headers["idempotency-key"] }), Set(grants.map { $0.1.idempotencyKey() }))
    }
}
