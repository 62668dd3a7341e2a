// The OS may kill the app while DingTalk is in front. A new process builds a new DingTalkAuth over the
// same (Keychain-backed) store: the login must complete there, exactly once.
import DingTalkAuth
import Foundation
import XCTest

final class ProcessDeathTests: XCTestCase {
    func testBeginInOneInstanceCompleteInAnother() throws {
        let store = SwiftStore()
        let clock = ManualClock()
        var first: DingTalkAuth? = try DingTalkAuth.withTimeSource(config: makeConfig(), store: store, time: clock)
        let sdk = try first!.begin(flow: .newSdk)
        let browser = try first!.begin(flow: .browser)
        first = nil  // the process dies

        let second = try DingTalkAuth.withTimeSource(config: makeConfig(), store: store, time: clock)
        XCTAssertEqual(try second.pendingCount(), 2)
        let outcome = try second.completeSdk(response: SdkResponse(flow: .newSdk, errCode: "0", message: nil, code: "after-restart", state: sdk.state))
        XCTAssertEqual(grantJson(try XCTUnwrap(outcome.grant))["code"] as? String, "after-restart")
        XCTAssertNotNil(try second.completeBrowser(callbackUrl: "\(redirectUri)?authCode=br1&state=\(browser.state!)").grant)

        // A third instance (another restart) sees both as used: replays stay refused.
        let third = try DingTalkAuth(config: makeConfig(), store: store)
        XCTAssertEqual(try third.pendingCount(), 0)
        XCTAssertEqual(expectAuthError(try third.completeSdk(response: SdkResponse(flow: .newSdk, errCode: "0", message: nil, code: "x", state: sdk.state))), .StateReused)
    }

    func testExpiryIsJudgedByTheNewInstanceClock() throws {
        let store = SwiftStore()
        let clock = ManualClock()
        let state = try XCTUnwrap(try DingTalkAuth.withTimeSource(config: makeConfig(ttl: 120), store: store, time: clock).begin(flow: .newSdk).state)
        clock.advance(seconds: 121)
        let restarted = try DingTalkAuth.withTimeSource(config: makeConfig(ttl: 120), store: store, time: clock)
        XCTAssertEqual(expectAuthError(try restarted.completeSdk(response: SdkResponse(flow: .newSdk, errCode: "0", message: nil, code: "c", state: state))), .StateExpired)
    }

    func testWithoutAStoreALoginDoesNotSurvive() throws {
        let state = try XCTUnwrap(try DingTalkAuth(config: makeConfig()).begin(flow: .newSdk).state)
        let restarted = try DingTalkAuth(config: makeConfig())
        XCTAssertEqual(expectAuthError(try restarted.completeSdk(response: SdkResponse(flow: .newSdk, errCode: "0", message: nil, code: "c", state: state))), .StateUnknown)
    }

    func testStoreFailuresSurfaceAsStoreErrors() throws {
        let h = try Harness()
        let state = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        h.store.failAll(with: "keychain locked (errSecInteractionNotAllowed)")
        let begin = expectAuthError(try h.auth.begin(flow: .newSdk))
        XCTAssertEqual(begin, .Store(reason: "keychain locked (errSecInteractionNotAllowed)"))
        let complete = expectAuthError(try h.success(.newSdk, code: "code-during-failure", state: state), secrets: [state, "code-during-failure"])
        XCTAssertEqual(complete?.caseName, "Store")
        XCTAssertEqual(expectAuthError(try h.auth.pendingCount()), .Store(reason: "keychain locked (errSecInteractionNotAllowed)"))
        // Back to normal: the login was not lost or consumed by the failed attempt.
        h.store.failAll(with: nil)
        XCTAssertNotNil(try h.success(.newSdk, state: state).grant)
    }

    func testAnUnexpectedSwiftErrorFromTheStoreIsAStoreError() throws {
        final class ThrowingStore: PendingLoginStore, @unchecked Sendable {
            struct Oops: Error {}
            func put(key: String, value: String) throws { throw Oops() }
            func get(key: String) throws -> String? { throw Oops() }
            func remove(key: String) throws { throw Oops() }
            func keys() throws -> [String] { throw Oops() }
        }
        let auth = try DingTalkAuth(config: makeConfig(), store: ThrowingStore())
        XCTAssertEqual(expectAuthError(try auth.begin(flow: .browser))?.caseName, "Store")
    }

    func testATimeSourceThatThrowsIsATimeSourceError() throws {
        final class BrokenClock: TimeSource, @unchecked Sendable {
            func nowMs() throws -> Int64 { throw TimeSourceError.Failed(reason: "clock not synced") }
        }
        let auth = try DingTalkAuth.withTimeSource(config: makeConfig(), store: nil, time: BrokenClock())
        XCTAssertEqual(expectAuthError(try auth.begin(flow: .newSdk)), .TimeSource(reason: "clock not synced"))
        XCTAssertEqual(expectAuthError(try auth.pendingCount()), .TimeSource(reason: "clock not synced"))
    }
}
