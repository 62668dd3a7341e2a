// Every exported item is reachable from Swift and carries its values across: the configuration record
// (defaults and every field), the request, the grant, the outcomes, the free functions. What the core
// does with those values is tested in Rust (core/tests/login.rs, core/src/{config,request,grant,sdk}.rs).
import DingTalkAuth
import Foundation
import XCTest

final class ExportedAPITests: XCTestCase {
    func testDefaultsOfTheRecord() {
        let c = AuthConfig(clientId: "x", platform: .ios, flows: [.legacySdk])
        XCTAssertNil(c.redirectUri)
        XCTAssertNil(c.backendUrl)
        XCTAssertNil(c.scope)
        XCTAssertEqual(c.pendingTtlSeconds, 600)
        XCTAssertEqual(c.connectTimeoutMs, 10_000)
        XCTAssertEqual(c.requestTimeoutMs, 30_000)
        XCTAssertFalse(c.exclusiveLogin)
        XCTAssertNil(c.authorizeEndpoint)
    }

    func testEveryConfigFieldReachesTheAuthorizeUrl() throws {
        var config = makeConfig(scope: .openidCorpid)
        config.orgType = "management"
        config.corpId = "ding123corp"
        config.exclusiveLogin = true
        config.exclusiveCorpId = "dingEXCL"
        config.authorizeEndpoint = "http://127.0.0.1:9/fake/oauth2/auth"
        let h = try Harness(config)
        let req = try h.auth.begin(flow: .browser)
        XCTAssertEqual(req.flow, .browser)
        XCTAssertEqual(req.clientId, clientId)
        XCTAssertEqual(req.redirectUri, redirectUri)
        XCTAssertEqual(req.scope, "openid corpid")
        XCTAssertEqual(req.expiresAtMs, h.clock.nowMs() + 600_000)
        let url = try XCTUnwrap(req.authorizeUrl)
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:9/fake/oauth2/auth?"), url)
        let items = try XCTUnwrap(URLComponents(string: url)?.queryItems)
        let q = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(q["client_id"], clientId)
        XCTAssertEqual(q["redirect_uri"], redirectUri)
        XCTAssertEqual(q["state"], req.state)
        XCTAssertEqual(q["scope"], "openid corpid")
        XCTAssertEqual(q["org_type"], "management")
        XCTAssertEqual(q["corpId"], "ding123corp")
        XCTAssertEqual(q["exclusiveLogin"], "true")
        XCTAssertEqual(q["exclusiveCorpId"], "dingEXCL")
    }

    func testTheRequestOfAnSdkLogin() throws {
        let h = try Harness()
        let req = try h.auth.begin(flow: .newSdk)
        XCTAssertEqual(req.flow, .newSdk)
        XCTAssertEqual(req.scope, "openid")
        XCTAssertNil(req.authorizeUrl)
        XCTAssertTrue(isBase64Url(try XCTUnwrap(req.state)))
        XCTAssertFalse(try XCTUnwrap(req.nonce).isEmpty)
        XCTAssertEqual(try h.auth.pendingCount(), 1)
        try h.auth.discard(state: try XCTUnwrap(req.state))
        XCTAssertEqual(try h.auth.pendingCount(), 0)
    }

    func testTheGrantAndItsPrintableForms() throws {
        let h = try Harness()
        let req = try h.auth.begin(flow: .newSdk)
        let code = "a1b2c3-the-auth-code"
        let outcome = try h.success(.newSdk, code: code, state: req.state)
        let grant = try XCTUnwrap(outcome.grant, "expected authorized, got \(outcome)")
        XCTAssertEqual(grant.flow(), .newSdk)
        XCTAssertEqual(grant.clientId(), clientId)
        XCTAssertEqual(grant.platform(), .android)
        XCTAssertEqual(grant.scope(), "openid")
        XCTAssertEqual(grant.issuedAtMs(), h.clock.nowMs())
        XCTAssertTrue(isBase64Url(grant.idempotencyKey()))
        let json = grantJson(grant)
        XCTAssertEqual(json["code"] as? String, code)
        XCTAssertEqual(json["idempotency_key"] as? String, grant.idempotencyKey())
        // The code only travels in toJson(): never in any printable form of the grant or the outcome.
        for text in [grant.redactedDescription(), String(describing: grant), String(reflecting: grant),
                     String(describing: outcome), "\(outcome)"] {
            XCTAssertFalse(text.contains(code), "printable grant reveals the code: \(text)")
            XCTAssertFalse(text.contains(req.state!), "printable grant reveals the state: \(text)")
        }
    }

    func testEveryOutcomeCrossesWithItsFields() throws {
        let cases: [(String, String)] = [
            ("-2", "cancelled"), ("-4", "denied"),
            ("-1", "failed commonFailure -1"), ("-3", "failed sendFailed -3"), ("-5", "failed unsupported -5"),
            ("-2147483648", "failed unknown -2147483648"),
        ]
        for (errCode, expected) in cases {
            let h = try Harness()
            let req = try h.auth.begin(flow: .newSdk)
            let outcome = try h.auth.completeSdk(response: SdkResponse(
                flow: .newSdk, errCode: errCode, message: "sdk says \(errCode)", code: nil, state: req.state))
            XCTAssertEqual(describe(outcome), expected, "errCode \(errCode)")
            XCTAssertEqual(dingtalkMessage(outcome), "sdk says \(errCode)", "DingTalk's message is kept (\(errCode))")
        }
        let h = try Harness()
        let req = try h.auth.begin(flow: .browser)
        let outcome = try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?error=server_error&state=\(req.state!)")
        guard case let .failed(reason, errCode, message, answeredBy) = outcome else { return XCTFail("got \(outcome)") }
        XCTAssertEqual(answeredBy, .browser)
        XCTAssertEqual(reason, .browserError)
        XCTAssertNil(errCode)
        XCTAssertEqual(message, "server_error")
    }

    /// The decisions the Swift layer asks the core for instead of making them (their rules are tested in
    /// Rust): where a reply may go, what an outcome asks of the app, how serious a missing DingTalk is,
    /// what a `begin` failure is as a start problem, and abandoning any login, stateless ones included.
    func testTheCoresDecisionsCrossTheBoundary() throws {
        XCTAssertEqual(replyVerdict(reply: .refused(flow: .newSdk, error: .StateUnknown)), .notForUs)
        XCTAssertEqual(replyVerdict(reply: .refused(flow: .newSdk, error: .StateExpired)), .loginFailed)
        XCTAssertEqual(replyVerdict(reply: .outcome(flow: .newSdk, outcome: .cancelled(dingtalkMessage: nil, answeredBy: .unknown))), .answer)
        XCTAssertNil(outcomeHandling(outcome: .denied(dingtalkMessage: "auth denied", answeredBy: .dingTalkApp)))
        XCTAssertEqual(outcomeHandling(outcome: .appIdentityMismatch(dingtalkMessage: "key check error", developerMessage: "x",
                                                                     answeredBy: .dingTalkApp)), .fixAppSetup)
        XCTAssertEqual(dingtalkUnavailableSeverity(flows: [.legacySdk, .browser], platform: .ios), .error)
        XCTAssertEqual(dingtalkUnavailableSeverity(flows: [.newSdk, .browser], platform: .ios), .warning)
        XCTAssertNil(dingtalkUnavailableSeverity(flows: [.browser], platform: .ios))
        XCTAssertEqual(startProblemOf(error: .Store(reason: "locked")), .storageFailed)
        let auth = try makeAuth(.legacySdk)
        let request = try auth.begin(flow: .legacySdk)
        XCTAssertNil(request.state)
        XCTAssertFalse(request.pendingLoginId.isEmpty)
        try auth.abandon(request: request)
        XCTAssertEqual(try auth.pendingCount(), 0)
        try auth.abandon(request: request)  // again: a no-op
    }

    func testSubmitWithoutBackendUrl() async throws {
        let h = try Harness()
        let state = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        let grant = try XCTUnwrap(try h.success(.newSdk, code: "unsent-code", state: state).grant)
        let error = await expectAuthError(secrets: ["unsent-code", state]) { try await h.auth.submit(grant: grant) }
        XCTAssertEqual(error?.caseName, "HttpUnavailable")
    }

    func testInitLoggingCanBeCalledRepeatedly() throws {
        initLogging(level: .warn)
        initLogging(level: .error)
        // Logging on does not change behaviour.
        let h = try Harness()
        XCTAssertNotNil(try h.success(.newSdk, state: try h.auth.begin(flow: .newSdk).state).grant)
    }
}

/// A compact, comparable rendering of an outcome.
func describe(_ outcome: LoginOutcome) -> String {
    switch outcome {
    case .authorized: return "authorized"
    case .cancelled: return "cancelled"
    case .denied: return "denied"
    case .appIdentityMismatch: return "app identity mismatch"
    case let .failed(reason, errCode, _, _):
        return "failed \(reason)" + (errCode.map { " \($0)" } ?? "")
    }
}

/// DingTalk's message an outcome kept (nil for a success).
func dingtalkMessage(_ outcome: LoginOutcome) -> String? {
    switch outcome {
    case .authorized: return nil
    case let .cancelled(message, _), let .denied(message, _), let .appIdentityMismatch(message, _, _),
         let .failed(_, _, message, _):
        return message
    }
}
