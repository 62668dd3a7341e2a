// SDK answers (legacy and new SDK) become typed outcomes; every documented ErrCode and the unknown ones.
import DingTalkAuth
import Foundation
import XCTest

final class SdkOutcomeTests: XCTestCase {
    func testBeginNewSdkHandsOutAFreshStateNonceAndScope() throws {
        let h = try Harness()
        let a = try h.auth.begin(flow: .newSdk)
        let b = try h.auth.begin(flow: .newSdk)
        XCTAssertEqual(a.flow, .newSdk)
        XCTAssertEqual(a.clientId, clientId)
        XCTAssertEqual(a.scope, "openid")
        XCTAssertEqual(a.redirectUri, redirectUri)
        XCTAssertNil(a.authorizeUrl)
        let state = try XCTUnwrap(a.state)
        XCTAssertEqual(state.count, 43, "256-bit base64url state")
        XCTAssertTrue(isBase64Url(state))
        XCTAssertNotEqual(a.state, b.state)
        let nonce = try XCTUnwrap(a.nonce)
        XCTAssertFalse(nonce.isEmpty)
        XCTAssertNotEqual(a.nonce, b.nonce)
        XCTAssertEqual(a.expiresAtMs, h.clock.nowMs() + 600_000)
        XCTAssertEqual(try h.auth.pendingCount(), 2)
    }

    func testBeginLegacyOnAndroidCarriesAStateAndSnsLogin() throws {
        let h = try Harness()
        let req = try h.auth.begin(flow: .legacySdk)
        XCTAssertEqual(req.scope, "sns_login")
        XCTAssertNotNil(req.state)
        XCTAssertNil(req.nonce)
        XCTAssertNil(req.authorizeUrl)
    }

    func testSuccessGivesAGrantWithTheWireFormat() throws {
        let h = try Harness()
        let req = try h.auth.begin(flow: .newSdk)
        let code = "a1b2c3-the-auth-code"
        let outcome = try h.success(.newSdk, code: code, state: req.state)
        let grant = try XCTUnwrap(outcome.grant, "expected authorized, got \(outcome)")
        XCTAssertEqual(grant.flow(), .newSdk)
        XCTAssertEqual(grant.clientId(), clientId)
        XCTAssertEqual(grant.platform(), .android)
        XCTAssertEqual(grant.issuedAtMs(), h.clock.nowMs())
        let key = grant.idempotencyKey()
        XCTAssertEqual(key.count, 43)
        XCTAssertTrue(isBase64Url(key))

        let json = grantJson(grant)
        XCTAssertEqual(json["version"] as? Int, 1)
        XCTAssertEqual(json["flow"] as? String, "new_sdk")
        XCTAssertEqual(json["client_id"] as? String, clientId)
        XCTAssertEqual(json["platform"] as? String, "android")
        XCTAssertEqual(json["code"] as? String, code)
        XCTAssertEqual(json["scope"] as? String, "openid")
        XCTAssertEqual((json["issued_at_ms"] as? NSNumber)?.int64Value, h.clock.nowMs())
        XCTAssertEqual(json["idempotency_key"] as? String, key)
        XCTAssertEqual(Set(json.keys), ["version", "flow", "client_id", "platform", "code", "scope", "issued_at_ms", "idempotency_key"])

        // The code only travels in toJson(): never in any printable form of the grant or the outcome.
        for text in [grant.redactedDescription(), String(describing: grant), String(reflecting: grant),
                     String(describing: outcome), "\(outcome)"] {
            XCTAssertFalse(text.contains(code), "printable grant reveals the code: \(text)")
            XCTAssertFalse(text.contains(req.state!), "printable grant reveals the state: \(text)")
        }
        XCTAssertEqual(try h.auth.pendingCount(), 0, "a success uses the pending login up")
    }

    func testLegacyAndroidSuccessHasLegacyScope() throws {
        let h = try Harness()
        let req = try h.auth.begin(flow: .legacySdk)
        let grant = try XCTUnwrap(try h.success(.legacySdk, code: "legacycode", state: req.state).grant)
        XCTAssertEqual(grant.flow(), .legacySdk)
        XCTAssertEqual(grantJson(grant)["scope"] as? String, "sns_login")
        XCTAssertEqual(grantJson(grant)["flow"] as? String, "legacy_sdk")
    }

    func testOpenidCorpidScopeReachesRequestAndGrant() throws {
        let h = try Harness(makeConfig(scope: .openidCorpid))
        let req = try h.auth.begin(flow: .newSdk)
        XCTAssertEqual(req.scope, "openid corpid")
        let grant = try XCTUnwrap(try h.success(.newSdk, state: req.state).grant)
        XCTAssertEqual(grantJson(grant)["scope"] as? String, "openid corpid")
    }

    func testSuccessWithoutCodeIsInvalidResponse() throws {
        for code in [nil, ""] as [String?] {
            let h = try Harness()
            let req = try h.auth.begin(flow: .newSdk)
            let error = expectAuthError(
                try h.auth.completeSdk(response: SdkResponse(flow: .newSdk, errCode: "0", message: nil, code: code, state: req.state)),
                secrets: [req.state])
            XCTAssertAuthError(error, "InvalidResponse")
        }
    }

    func testCancelledDeniedAndEachFailure() throws {
        let cases: [(String, String)] = [
            ("-2", "cancelled"), ("-4", "denied"),
            ("-1", "failed commonFailure -1"), ("-3", "failed sendFailed -3"), ("-5", "failed unsupported -5"),
            ("-7", "failed unknown -7"), ("42", "failed unknown 42"), ("-2147483648", "failed unknown -2147483648"),
        ]
        for (errCode, expected) in cases {
            let h = try Harness()
            let req = try h.auth.begin(flow: .newSdk)
            let outcome = try h.auth.completeSdk(response: SdkResponse(
                flow: .newSdk, errCode: errCode, message: "sdk says \(errCode)", code: nil, state: req.state))
            XCTAssertEqual(describe(outcome), expected, "errCode \(errCode)")
            if case let .failed(_, _, message) = outcome {
                XCTAssertEqual(message, "sdk says \(errCode)", "the SDK's message is kept")
            }
            // A finished attempt uses its pending login up: a later "success" for it is a replay.
            XCTAssertEqual(try h.auth.pendingCount(), 0, "errCode \(errCode) leaves the login pending")
            XCTAssertAuthError(expectAuthError(try h.success(.newSdk, state: req.state), secrets: [req.state]), "StateReused")
        }
    }

    func testFailureOutcomesOnLegacyAndroid() throws {
        let h = try Harness()
        let req = try h.auth.begin(flow: .legacySdk)
        let outcome = try h.auth.completeSdk(response: SdkResponse(flow: .legacySdk, errCode: "-5", message: nil, code: nil, state: req.state))
        XCTAssertEqual(describe(outcome), "failed unsupported -5")
    }

    func testACancelThatNamesNoPendingLoginIsRefusedAndChangesNothing() throws {
        // Any app can deliver a "cancel" to the app: one that does not name this device's pending login
        // must never read as a cancel, and must leave the real login waiting.
        let h = try Harness()
        let req = try h.auth.begin(flow: .newSdk)
        for errCode in ["-2", "-4", "-1"] {
            for (state, expected) in [(nil, "StateMissing"), (foreignState(), "StateUnknown"), ("not a state!", "StateMalformed")] as [(String?, String)] {
                XCTAssertAuthError(expectAuthError(try h.auth.completeSdk(response: SdkResponse(
                    flow: .newSdk, errCode: errCode, message: nil, code: nil, state: state))), expected)
            }
        }
        XCTAssertEqual(try h.auth.pendingCount(), 1)
        XCTAssertNotNil(try h.success(.newSdk, state: req.state).grant)
    }

    func testNonIntegerErrCodeIsInvalidResponse() throws {
        for errCode in ["abc", "", " 0", "+0", "0x0", "99999999999", "00", "-0", "01", "-02"] {
            let h = try Harness()
            let req = try h.auth.begin(flow: .newSdk)
            XCTAssertAuthError(expectAuthError(try h.auth.completeSdk(response: SdkResponse(
                flow: .newSdk, errCode: errCode, message: nil, code: "code-x", state: req.state)), secrets: [req.state, "code-x"]),
                "InvalidResponse")
        }
    }

    func testBrowserFlowIsNotCompletedThroughTheSdk() throws {
        let h = try Harness()
        let req = try h.auth.begin(flow: .browser)
        XCTAssertAuthError(expectAuthError(try h.success(.browser, code: "c0de", state: req.state), secrets: [req.state, "c0de"]),
                           "InvalidResponse")
    }

    func testConcurrentCompletionsEachSucceedOnce() throws {
        let h = try Harness()
        let states = try (0..<16).map { _ in try XCTUnwrap(try h.auth.begin(flow: .newSdk).state) }
        let results = ResultBox(count: states.count * 2)
        // Every state is answered twice, concurrently: exactly one answer per state may win.
        DispatchQueue.concurrentPerform(iterations: states.count * 2) { i in
            let state = states[i % states.count]
            do {
                let outcome = try h.success(.newSdk, state: state)
                results.set(i, outcome.grant != nil ? "authorized" : "other")
            } catch let e as AuthError {
                results.set(i, e.caseName)
            } catch {
                results.set(i, "unexpected \(error)")
            }
        }
        for s in 0..<states.count {
            let pair = [results.get(s), results.get(s + states.count)].sorted()
            XCTAssertEqual(pair, ["StateReused", "authorized"], "state #\(s)")
        }
        XCTAssertEqual(try h.auth.pendingCount(), 0)
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String]
    init(count: Int) { values = Array(repeating: "", count: count) }
    func set(_ i: Int, _ v: String) { lock.lock(); values[i] = v; lock.unlock() }
    func get(_ i: Int) -> String { lock.lock(); defer { lock.unlock() }; return values[i] }
}

/// A compact, comparable rendering of an outcome.
func describe(_ outcome: LoginOutcome) -> String {
    switch outcome {
    case .authorized: return "authorized"
    case .cancelled: return "cancelled"
    case .denied: return "denied"
    case let .failed(reason, errCode, _):
        return "failed \(reason)" + (errCode.map { " \($0)" } ?? "")
    }
}
