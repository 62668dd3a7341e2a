// The user backs out or refuses: each ends in its own outcome at the app, and nothing reaches the backend
// or DingTalk's exchange endpoints.
import DingTalkAuth
import Foundation
import XCTest

final class OutcomeE2ETests: E2ETestCase {
    private func assertNoExchange(since before: [String: Int], file: StaticString = #filePath, line: UInt = #line) throws {
        let after = try fake.stats()
        for key in ["legacy", "token", "me"] {
            XCTAssertEqual(after[key], before[key], "the fake's \(key) endpoint was called", file: file, line: line)
        }
    }

    /// The user cancels or refuses: that outcome, and the login is over. A success reply arriving later
    /// for the same state, carrying a real code (a duplicate delivery, or another app replaying the
    /// reply), must not yield a grant. If it does, the grant is submitted, reaches DingTalk, and the
    /// stats check fails: "nothing reaches DingTalk" is observed, not assumed.
    private func checkSdk(_ flow: LoginFlow, errCode: String, expected: String) async throws {
        let before = try fake.stats()
        let auth = try makeAuth(env, flow: flow)
        let request = try auth.begin(flow: flow)
        XCTAssertEqual(try auth.pendingCount(), 1)
        let outcome = try auth.completeSdk(
            response: SdkResponse(flow: flow, errCode: errCode, message: nil, code: nil, state: request.state))
        XCTAssertEqual(outcome.name, expected)
        XCTAssertEqual(try auth.pendingCount(), 0)
        let code = try fake.mint(
            flow: wireName(flow), clientId: request.clientId,
            scope: flow == .newSdk ? request.scope : nil, user: FakeDingTalk.user())
        let late: LoginOutcome?
        do {
            late = try auth.completeSdk(
                response: SdkResponse(flow: flow, errCode: "0", message: nil, code: code, state: request.state))
        } catch AuthError.StateReused {
            late = nil  // refused as a replay: the login is over
        }
        if let grant = late?.grant { _ = try? await auth.submit(grant: grant) }
        try assertNoExchange(since: before)
        XCTAssertNil(late, "a late success reply was not refused as StateReused")
    }

    func testLegacySdkCancel() async throws { try await checkSdk(.legacySdk, errCode: "-2", expected: "Cancelled") }

    func testNewSdkCancel() async throws { try await checkSdk(.newSdk, errCode: "-2", expected: "Cancelled") }

    func testLegacySdkDeny() async throws { try await checkSdk(.legacySdk, errCode: "-4", expected: "Denied") }

    func testNewSdkDeny() async throws { try await checkSdk(.newSdk, errCode: "-4", expected: "Denied") }

    /// login.dingtalk.com in deny mode redirects with error=access_denied and the state.
    func testBrowserDeny() throws {
        let before = try fake.stats()
        let auth = try makeAuth(env, flow: .browser)
        let request = try auth.begin(flow: .browser)
        try fake.setBrowser(mode: "deny")
        let location = try fake.authorize(try XCTUnwrap(request.authorizeUrl))
        XCTAssertEqual(queryValue(location, "error"), "access_denied", location)
        XCTAssertEqual(queryValue(location, "state"), request.state, location)
        XCTAssertNil(queryValue(location, "authCode"), location)
        let outcome = try auth.completeBrowser(callbackUrl: location)
        guard case .denied = outcome else { return XCTFail("expected Denied, got \(outcome.name)") }
        XCTAssertEqual(try auth.pendingCount(), 0)
        try assertNoExchange(since: before)
    }

    /// The browser has no cancel answer: the app discards the login when the user closes the browser. A
    /// callback arriving afterwards (the user approved in a tab left open) is refused.
    func testBrowserClosedThenLateCallback() throws {
        let auth = try makeAuth(env, flow: .browser)
        let request = try auth.begin(flow: .browser)
        let state = try XCTUnwrap(request.state)
        try auth.discard(state: state)
        XCTAssertEqual(try auth.pendingCount(), 0)
        try fake.setBrowser(mode: "approve", user: FakeDingTalk.user())
        let location = try fake.authorize(try XCTUnwrap(request.authorizeUrl))
        do {
            let outcome = try auth.completeBrowser(callbackUrl: location)
            XCTFail("a discarded login completed: \(outcome.name)")
        } catch let error as AuthError {
            // discard removed the record: the state names nothing any more
            XCTAssertEqual(error, .StateUnknown)
        }
    }
}
