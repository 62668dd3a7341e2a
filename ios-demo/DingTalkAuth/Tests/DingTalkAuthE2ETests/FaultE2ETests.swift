// DingTalk misbehaving, injected at the fake (POST /_fake/faults, cleared in tearDown): a fault reaches the
// app as a typed BackendRejected(status, error code), on the legacy route (getuserinfo_bycode) and the
// v1.0 route (userAccessToken). Failures that leave the code unused are
// forgotten by the backend, so the app's retry of the same grant succeeds once DingTalk is back.
import DingTalkAuth
import Foundation
import XCTest

final class FaultE2ETests: E2ETestCase {
    /// endpoint at the fake for each flow's exchange.
    private func endpoint(_ flow: LoginFlow) -> String { flow == .legacySdk ? "legacy" : "token" }

    private func checkFault(
        _ flow: LoginFlow,
        _ fault: [String: Any],
        status: UInt16,
        error code: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws {
        let login = try runLogin(env, flow)
        let grant = try requireGrant(login.outcome, file: file, line: line)
        try fake.setFault(endpoint: endpoint(flow), fault: fault)
        let body = await expectRejected(login.auth, grant, status: status, error: code, retryable: true, file: file, line: line)
        if let body {
            XCTAssertFalse(String(describing: body).contains(login.code), "the error echoes the code", file: file, line: line)
        }
        try fake.clearFaults()
        let response = try await login.auth.submit(grant: grant)
        try assertIdentity(response, user: login.user, flow: wireName(flow), file: file, line: line)
    }

    /// DingTalk's gateway holds the request far beyond the backend's timeout and never processes it.
    private var stallBeyondTimeout: [String: Any] { ["kind": "stall", "ms": env.upstreamTimeoutMs + 5_000] }

    // One fault per DingTalk route reaches the app as BackendRejected with the backend's error code, and
    // the same grant succeeds once DingTalk is back. Which fault earns which answer, on every path, is the
    // backend's rule: server/tests/retry_rule.rs.
    func testLegacyRouteStatus503() async throws {
        try await checkFault(.legacySdk, ["kind": "status", "status": 503], status: 502, error: "dingtalk_unavailable")
    }
    func testNewSdkRouteTimeout() async throws {
        try await checkFault(.newSdk, stallBeyondTimeout, status: 504, error: "dingtalk_timeout")
    }

    /// A fault at users/me, after DingTalk issued the token: the code is spent, so the backend keeps the
    /// answer (server/README.md) and a retry of the same grant gets it again without calling DingTalk.
    func testNewSdkFaultAfterTokenIssuedIsKept() async throws {
        let login = try runLogin(env, .newSdk)
        let grant = try requireGrant(login.outcome)
        try fake.setFault(endpoint: "me", fault: ["kind": "status", "status": 503])
        // The code is spent, so the kept answer says not to retry this grant.
        let first = await expectRejected(login.auth, grant, status: 502, error: "dingtalk_unavailable", retryable: false)
        try fake.clearFaults()
        let before = try fake.stats()
        let again = await expectRejected(login.auth, grant, status: 502, error: "dingtalk_unavailable")
        XCTAssertEqual(again.map { NSDictionary(dictionary: $0) }, first.map { NSDictionary(dictionary: $0) })
        XCTAssertEqual(try fake.stats(), before, "the retry reached DingTalk")
        // Only a new login can succeed.
        let next = try runLogin(env, .newSdk)
        try assertIdentity(try await next.auth.submit(grant: try requireGrant(next.outcome)), user: next.user, flow: "new_sdk")
    }

    /// A fault that lasts for `times` requests only: the retry after it succeeds without clearing.
    func testFaultForOneRequestThenRetry() async throws {
        let login = try runLogin(env, .legacySdk)
        let grant = try requireGrant(login.outcome)
        try fake.setFault(endpoint: "legacy", fault: ["kind": "rate_limit", "errcode": 90019], times: 1)
        await expectRejected(login.auth, grant, status: 503, error: "rate_limited", retryable: true)
        let response = try await login.auth.submit(grant: grant)
        try assertIdentity(response, user: login.user, flow: "legacy_sdk")
    }
}

// Clock skew between the backend and DingTalk (the fake's clock moved, restored in tearDown): the legacy
// signature's timestamp is refused (853002) → 502 clock_skew; the code is unused, so after the clock is
// fixed the same grant succeeds.
final class ClockSkewE2ETests: E2ETestCase {
    private func checkSkew(_ ms: Int64, file: StaticString = #filePath, line: UInt = #line) async throws {
        let login = try runLogin(env, .legacySdk)
        let grant = try requireGrant(login.outcome)
        try advanceClock(fake, ms: ms)
        await expectRejected(login.auth, grant, status: 502, error: "clock_skew", file: file, line: line)
        try advanceClock(fake, ms: -ms)
        let response = try await login.auth.submit(grant: grant)
        try assertIdentity(response, user: login.user, flow: "legacy_sdk", file: file, line: line)
    }

    func testLegacyClockSkewAhead() async throws { try await checkSkew(120_000) }
}
