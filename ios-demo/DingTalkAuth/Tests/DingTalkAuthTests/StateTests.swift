// `state` is the only CSRF / code-injection guard DingTalk offers: missing, malformed, unknown (forged or
// tampered), replayed, expired and cross-flow states are all refused, with the right error.
import DingTalkAuth
import Foundation
import XCTest

final class StateTests: XCTestCase {
    func testMissingStateOnSuccessIsRefused() throws {
        for flow in [LoginFlow.newSdk, .legacySdk] {  // Android: the legacy SDK carries a state too
            let h = try Harness()
            _ = try h.auth.begin(flow: flow)
            XCTAssertEqual(expectAuthError(try h.success(flow, code: "c0de-1", state: nil), secrets: ["c0de-1"]), .StateMissing, "\(flow)")
            XCTAssertEqual(try h.auth.pendingCount(), 1, "a refused answer does not consume the real login")
        }
    }

    func testTamperedAndForgedStatesAreUnknown() throws {
        let h = try Harness()
        let req = try h.auth.begin(flow: .newSdk)
        let state = try XCTUnwrap(req.state)
        for bad in [tampered(state), foreignState(), String(repeating: "a", count: 1024)] {
            XCTAssertEqual(expectAuthError(try h.success(.newSdk, code: "c0de-2", state: bad), secrets: [bad, state, "c0de-2"]), .StateUnknown)
        }
        // The genuine answer still works afterwards.
        XCTAssertNotNil(try h.success(.newSdk, state: state).grant)
    }

    func testMalformedStates() throws {
        let h = try Harness()
        let state = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        let malformed = ["", String(repeating: "a", count: 1025), state + "!", "a b", state + "=", "é" + state, state + "\n"]
        for bad in malformed {
            XCTAssertEqual(expectAuthError(try h.success(.newSdk, code: "c0de-3", state: bad), secrets: ["c0de-3"]), .StateMalformed,
                           "state of \(bad.count) characters")
        }
        XCTAssertEqual(try h.auth.pendingCount(), 1)
    }

    func testReplayIsRefused() throws {
        let h = try Harness()
        let state = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        XCTAssertNotNil(try h.success(.newSdk, code: "first", state: state).grant)
        XCTAssertEqual(expectAuthError(try h.success(.newSdk, code: "second", state: state), secrets: [state, "second"]), .StateReused)
        // Same code replayed: still refused.
        XCTAssertEqual(expectAuthError(try h.success(.newSdk, code: "first", state: state), secrets: [state, "first"]), .StateReused)
    }

    func testExpiryWithAManualClock() throws {
        let h = try Harness(makeConfig(ttl: 60))
        let a = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        let b = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        h.clock.advance(seconds: 60)  // exactly at the deadline: still valid
        XCTAssertNotNil(try h.success(.newSdk, state: a).grant)
        h.clock.advance(ms: 1)       // one millisecond late
        XCTAssertEqual(try h.auth.pendingCount(), 0, "expired logins are not pending")
        XCTAssertEqual(expectAuthError(try h.success(.newSdk, code: "late-code", state: b), secrets: [b, "late-code"]), .StateExpired)
        // An expired login is used up: the same answer again is a replay, not another "expired".
        XCTAssertEqual(expectAuthError(try h.success(.newSdk, state: b)), .StateReused)
    }

    func testExpiredBrowserLogin() throws {
        let h = try Harness(makeConfig(ttl: 60))
        let req = try h.auth.begin(flow: .browser)
        h.clock.advance(seconds: 61)
        XCTAssertEqual(expectAuthError(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?authCode=zz9&state=\(req.state!)"),
                                       secrets: [req.state, "zz9"]), .StateExpired)
    }

    func testStateFromAnotherFlowIsAFlowMismatch() throws {
        let h = try Harness()
        let browserState = try XCTUnwrap(try h.auth.begin(flow: .browser).state)
        XCTAssertEqual(expectAuthError(try h.success(.newSdk, state: browserState), secrets: [browserState]), .FlowMismatch)
        let legacyState = try XCTUnwrap(try h.auth.begin(flow: .legacySdk).state)
        XCTAssertEqual(expectAuthError(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?authCode=abc&state=\(legacyState)"),
                                       secrets: [legacyState]), .FlowMismatch)
    }

    func testDiscardForgetsThePendingLogin() throws {
        let h = try Harness()
        let keep = try XCTUnwrap(try h.auth.begin(flow: .browser).state)
        let drop = try XCTUnwrap(try h.auth.begin(flow: .browser).state)
        XCTAssertEqual(try h.auth.pendingCount(), 2)
        try h.auth.discard(state: drop)
        XCTAssertEqual(try h.auth.pendingCount(), 1)
        XCTAssertEqual(expectAuthError(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?authCode=abc&state=\(drop)")), .StateUnknown)
        XCTAssertNotNil(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?authCode=abc&state=\(keep)").grant)
        XCTAssertEqual(expectAuthError(try h.auth.discard(state: "not a state")), .StateMalformed)
    }

    func testTheStoreNeverSeesStatesOrCodes() throws {
        let h = try Harness()
        var secrets: [String] = []
        for flow in allFlows {
            let req = try h.auth.begin(flow: flow)
            secrets.append(req.state!)
            if let nonce = req.nonce { secrets.append(nonce) }
        }
        _ = try h.success(.newSdk, code: "code-kept-out-of-store", state: secrets[1])
        secrets.append("code-kept-out-of-store")
        let content = h.store.snapshot
        XCTAssertFalse(content.isEmpty)
        for (key, value) in content {
            XCTAssertTrue(key.hasPrefix("dingtalk-auth."), "key \(key)")
            for secret in secrets {
                XCTAssertFalse(key.contains(secret) || value.contains(secret), "the store holds a secret under \(key)")
            }
        }
    }

    func testOtherKeysInTheAppStoreAreLeftAlone() throws {
        let h = try Harness()
        h.store.set("app.settings.theme", "dark")
        h.store.set("dingtalk-auth.v1.garbage", "{not json")
        let state = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        XCTAssertNotNil(try h.success(.newSdk, state: state).grant)
        XCTAssertEqual(h.store.snapshot["app.settings.theme"], "dark")
    }
}
