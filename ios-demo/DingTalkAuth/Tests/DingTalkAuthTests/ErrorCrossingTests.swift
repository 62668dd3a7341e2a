// Every refusal the core raises reaches Swift as its own `AuthError` case (with its fields), and no
// printable form of it shows the state or the code. Which answer earns which refusal is the core's rule,
// tested once in Rust (core/tests/login.rs, core/src/{browser,config,sdk}.rs); here each case crosses once.
import DingTalkAuth
import Foundation
import XCTest

final class ErrorCrossingTests: XCTestCase {
    func testEachRefusalOfAnAnswerCrossesAsItsSwiftCase() throws {
        let h = try Harness(makeConfig(ttl: 60))
        let code = "c0de-never-printed"
        let state = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        let browser = try XCTUnwrap(try h.auth.begin(flow: .browser).state)
        let expiring = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        let secrets: [String?] = [code, state, browser, expiring]

        XCTAssertAuthError(expectAuthError(try h.success(.newSdk, code: code, state: nil), secrets: secrets), "StateMissing")
        XCTAssertAuthError(expectAuthError(try h.success(.newSdk, code: code, state: "a b"), secrets: secrets), "StateMalformed")
        XCTAssertAuthError(expectAuthError(try h.success(.newSdk, code: code, state: tampered(state)), secrets: secrets), "StateUnknown")
        XCTAssertAuthError(expectAuthError(try h.success(.newSdk, code: code, state: browser), secrets: secrets), "FlowMismatch")
        let invalid = expectAuthError(try h.auth.completeSdk(response: SdkResponse(
            flow: .newSdk, errCode: "abc", message: nil, code: code, state: state)), secrets: secrets)
        guard case let .InvalidResponse(reason)? = invalid else { return XCTFail("expected InvalidResponse, got \(String(describing: invalid))") }
        XCTAssertFalse(reason.isEmpty)
        let badURL = expectAuthError(try h.auth.completeBrowser(callbackUrl: "https://evil.example.com/cb?authCode=\(code)&state=\(browser)"),
                                     secrets: secrets)
        guard case .InvalidCallback? = badURL else { return XCTFail("expected InvalidCallback, got \(String(describing: badURL))") }

        XCTAssertNotNil(try h.success(.newSdk, code: code, state: state).grant)
        XCTAssertAuthError(expectAuthError(try h.success(.newSdk, code: code, state: state), secrets: secrets), "StateReused")
        h.clock.advance(seconds: 61)
        XCTAssertAuthError(expectAuthError(try h.success(.newSdk, code: code, state: expiring), secrets: secrets), "StateExpired")
    }

    func testStatelessLegacyRefusalsCross() throws {
        // The legacy iOS SDK's reply carries no state; with no pending legacy login, or two of them
        // (written by two processes over one store), it cannot be bound.
        let h = try Harness(makeConfig(platform: .ios))
        XCTAssertAuthError(expectAuthError(try h.success(.legacySdk, code: "unsolicited", state: nil), secrets: ["unsolicited"]),
                           "NoPendingLogin")
        _ = try h.auth.begin(flow: .legacySdk)
        let (key, value) = try XCTUnwrap(h.store.snapshot.first { $0.key.hasPrefix("dingtalk-auth.") })
        h.store.set(String(key.dropLast(4)) + (key.hasSuffix("0000") ? "1111" : "0000"), value)
        XCTAssertAuthError(expectAuthError(try h.success(.legacySdk, code: "whose", state: nil), secrets: ["whose"]),
                           "AmbiguousPendingLogin")
    }

    func testInvalidConfigCrossesWithItsReason() {
        let error = expectAuthError(try DingTalkAuth(config: makeConfig(ttl: 0)))
        guard case let .InvalidConfig(reason)? = error else { return XCTFail("expected InvalidConfig, got \(String(describing: error))") }
        XCTAssertTrue(reason.contains("pending_ttl_seconds"), reason)
        // errorDescription (LocalizedError) is what apps show; it must name the problem.
        XCTAssertTrue(error?.localizedDescription.contains("pending_ttl_seconds") ?? false, error?.localizedDescription ?? "")
    }

    func testOtherKeysInTheAppStoreAreLeftAlone() throws {
        // The app's own store holds other entries too: keys() hands them to the core, which must leave them.
        let h = try Harness()
        h.store.set("app.settings.theme", "dark")
        h.store.set("dingtalk-auth.v1.garbage", "{not json")
        let state = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        XCTAssertNotNil(try h.success(.newSdk, state: state).grant)
        XCTAssertEqual(h.store.snapshot["app.settings.theme"], "dark")
    }
}
