// Exactly-once exchange, seen from the app: a code that comes back in another login is refused by the
// backend without calling DingTalk (409 code_replayed); the same grant sent again gets the first answer.
import DingTalkAuth
import Foundation
import XCTest

final class ReplayE2ETests: E2ETestCase {
    private func exchangeCount(_ flow: LoginFlow) throws -> Int {
        try fake.stats()[flow == .legacySdk ? "legacy" : "token"] ?? 0
    }

    private func checkReplay(_ flow: LoginFlow, file: StaticString = #filePath, line: UInt = #line) async throws {
        let first = try runLogin(env, flow)
        let response = try await first.auth.submit(grant: try requireGrant(first.outcome))
        try assertIdentity(response, user: first.user, flow: wireName(flow), file: file, line: line)
        let exchanges = try exchangeCount(flow)

        let replayed = try secondLogin(with: first.code, first)
        XCTAssertNotEqual(replayed.idempotencyKey(), try requireGrant(first.outcome).idempotencyKey(),
                          file: file, line: line)
        let body = await expectRejected(first.auth, replayed, status: 409, error: "code_replayed", file: file, line: line)
        XCTAssertFalse(String(describing: body).contains(first.code), "the error echoes the code", file: file, line: line)
        XCTAssertEqual(try exchangeCount(flow), exchanges, "a replayed code reached DingTalk", file: file, line: line)
        // And it stays refused.
        await expectRejected(first.auth, replayed, status: 409, error: "code_replayed", file: file, line: line)
    }

    func testLegacySdkCodeReplayedFromSecondLogin() async throws { try await checkReplay(.legacySdk) }
    func testNewSdkCodeReplayedFromSecondLogin() async throws { try await checkReplay(.newSdk) }
    func testBrowserCodeReplayedFromSecondLogin() async throws { try await checkReplay(.browser) }

    private func checkIdempotent(_ flow: LoginFlow, file: StaticString = #filePath, line: UInt = #line) async throws {
        let login = try runLogin(env, flow)
        let grant = try requireGrant(login.outcome)
        let first = try await login.auth.submit(grant: grant)
        try assertIdentity(first, user: login.user, flow: wireName(flow), file: file, line: line)
        let exchanges = try exchangeCount(flow)
        let again = try await login.auth.submit(grant: grant)
        XCTAssertEqual(again, first, "a retried grant must get the first answer (same session token)", file: file, line: line)
        XCTAssertEqual(try exchangeCount(flow), exchanges, "a retried grant reached DingTalk again", file: file, line: line)
    }

    func testLegacySdkSameGrantTwiceIsIdempotent() async throws { try await checkIdempotent(.legacySdk) }
    func testNewSdkSameGrantTwiceIsIdempotent() async throws { try await checkIdempotent(.newSdk) }
    func testBrowserSameGrantTwiceIsIdempotent() async throws { try await checkIdempotent(.browser) }

    /// Two submits of one grant in flight at once (an app retrying on a flaky network): one exchange, and
    /// both get the same identity.
    func testConcurrentSubmitsOfOneGrant() async throws {
        let login = try runLogin(env, .newSdk)
        let grant = try requireGrant(login.outcome)
        let before = try exchangeCount(.newSdk)
        // DingTalk's token endpoint slowed (well below the backend's upstream timeout) so the second
        // submit arrives while the first exchange runs and must share it instead of starting another.
        try fake.setFault(endpoint: "token", fault: ["kind": "delay", "ms": 300], times: 1)
        async let a = login.auth.submit(grant: grant)
        async let b = login.auth.submit(grant: grant)
        let (ra, rb) = try await (a, b)
        try assertIdentity(ra, user: login.user, flow: "new_sdk")
        XCTAssertEqual(ra, rb)
        XCTAssertEqual(try exchangeCount(.newSdk) - before, 1)
    }
}
