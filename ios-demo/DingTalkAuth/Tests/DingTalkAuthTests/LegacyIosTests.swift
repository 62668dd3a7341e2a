// The legacy iOS SDK (DTShareKit) has no state field: its reply binds to the single pending legacy login.
import DingTalkAuth
import Foundation
import XCTest

final class LegacyIosTests: XCTestCase {
    private func ios(ttl: UInt32 = 600, store: SwiftStore = SwiftStore(), clock: ManualClock = ManualClock()) throws -> Harness {
        try Harness(makeConfig(platform: .ios, ttl: ttl), store: store, clock: clock)
    }

    func testBeginHasNoStateAndTheStatelessReplyBinds() throws {
        let h = try ios()
        let req = try h.auth.begin(flow: .legacySdk)
        XCTAssertNil(req.state, "DTAuthorizeReq has no state field; nothing to hand out")
        XCTAssertEqual(req.scope, "sns_login")
        XCTAssertEqual(try h.auth.pendingCount(), 1)
        let grant = try XCTUnwrap(try h.success(.legacySdk, code: "accessCode1", state: nil).grant)
        XCTAssertEqual(grant.platform(), .ios)
        XCTAssertEqual(grant.flow(), .legacySdk)
        XCTAssertEqual(grantJson(grant)["platform"] as? String, "ios")
        XCTAssertEqual(try h.auth.pendingCount(), 0)
        // A second stateless reply has nothing left to bind to.
        XCTAssertEqual(expectAuthError(try h.success(.legacySdk, code: "accessCode2", state: nil), secrets: ["accessCode2"]), .NoPendingLogin)
    }

    func testNoPendingLogin() throws {
        let h = try ios()
        XCTAssertEqual(expectAuthError(try h.success(.legacySdk, code: "unsolicited", state: nil), secrets: ["unsolicited"]), .NoPendingLogin)
        // A pending login of another flow is not a candidate.
        _ = try h.auth.begin(flow: .newSdk)
        XCTAssertEqual(expectAuthError(try h.success(.legacySdk, state: nil)), .NoPendingLogin)
    }

    func testANewTapReplacesTheOlderPendingLogin() throws {
        let h = try ios()
        _ = try h.auth.begin(flow: .legacySdk)
        _ = try h.auth.begin(flow: .legacySdk)
        XCTAssertEqual(try h.auth.pendingCount(), 1, "the second begin replaces the first")
        XCTAssertNotNil(try h.success(.legacySdk, state: nil).grant)
    }

    func testExpiredStatelessLogin() throws {
        let h = try ios(ttl: 30)
        _ = try h.auth.begin(flow: .legacySdk)
        h.clock.advance(seconds: 31)
        XCTAssertEqual(expectAuthError(try h.success(.legacySdk, code: "too-late", state: nil), secrets: ["too-late"]), .StateExpired)
    }

    func testTwoPendingLegacyLoginsAreAmbiguousAndBothDropped() throws {
        // Two processes racing on one store can leave two pending legacy logins (begin replaces within
        // one call); simulate that by duplicating the stored record under a second key.
        let h = try ios()
        _ = try h.auth.begin(flow: .legacySdk)
        let (key, value) = try XCTUnwrap(h.store.snapshot.first { $0.key.hasPrefix("dingtalk-auth.") })
        let twin = String(key.dropLast(4)) + (key.hasSuffix("0000") ? "1111" : "0000")
        h.store.set(twin, value)
        XCTAssertEqual(try h.auth.pendingCount(), 2)
        XCTAssertEqual(expectAuthError(try h.success(.legacySdk, code: "whose", state: nil), secrets: ["whose"]), .AmbiguousPendingLogin)
        XCTAssertEqual(try h.auth.pendingCount(), 0, "an unattributable reply uses every candidate up")
        XCTAssertEqual(expectAuthError(try h.success(.legacySdk, state: nil)), .NoPendingLogin)
    }

    func testCancelWithoutStateConsumesTheSoleLogin() throws {
        let h = try ios()
        _ = try h.auth.begin(flow: .legacySdk)
        let outcome = try h.auth.completeSdk(response: SdkResponse(flow: .legacySdk, errCode: "-2", message: "用户取消", code: nil, state: nil))
        XCTAssertEqual(describe(outcome), "cancelled")
        XCTAssertEqual(try h.auth.pendingCount(), 0)
        XCTAssertEqual(expectAuthError(try h.success(.legacySdk, state: nil)), .NoPendingLogin)
    }

    func testUnsupportedDingTalkVersion() throws {
        let h = try ios()
        _ = try h.auth.begin(flow: .legacySdk)
        let outcome = try h.auth.completeSdk(response: SdkResponse(flow: .legacySdk, errCode: "-5", message: "unsupported", code: nil, state: nil))
        guard case let .failed(reason, errCode, message) = outcome else { return XCTFail("got \(outcome)") }
        XCTAssertEqual(reason, .unsupported)
        XCTAssertEqual(errCode, -5)
        XCTAssertEqual(message, "unsupported")
    }

    func testOtherFlowsOnIosStillNeedAState() throws {
        let h = try ios()
        let req = try h.auth.begin(flow: .newSdk)
        XCTAssertNotNil(req.state)
        XCTAssertEqual(expectAuthError(try h.success(.newSdk, state: nil)), .StateMissing)
    }
}
