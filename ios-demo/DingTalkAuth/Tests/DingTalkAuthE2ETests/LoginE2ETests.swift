// The whole login for each flow: begin → the fake DingTalk mints the code as the DingTalk app (or its
// authorize page redirects as login.dingtalk.com) would → completeSdk / completeBrowser → submit →
// reference backend → fake DingTalk → the identity back in the app.
import DingTalkAuth
import Foundation
import XCTest

final class LoginE2ETests: E2ETestCase {
    private func check(
        _ flow: LoginFlow,
        platform: Platform = .android,
        counts expected: [String: Int],
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws {
        let before = try fake.stats()
        let login = try runLogin(env, flow, platform: platform)
        let grant = try requireGrant(login.outcome, file: file, line: line)
        XCTAssertEqual(grant.flow(), flow, file: file, line: line)
        XCTAssertEqual(try login.auth.pendingCount(), 0, file: file, line: line)
        XCTAssertFalse(grant.redactedDescription().contains(login.code), file: file, line: line)

        let response = try await login.auth.submit(grant: grant)
        try assertIdentity(response, user: login.user, flow: wireName(flow), file: file, line: line)
        XCTAssertFalse(response.body.contains(login.code), "the backend echoed the code", file: file, line: line)

        // It really went through the fake DingTalk: one exchange, on the flow's endpoints.
        let after = try fake.stats()
        for key in ["legacy", "token", "me"] {
            XCTAssertEqual((after[key] ?? 0) - (before[key] ?? 0), expected[key] ?? 0,
                           "requests to the fake's \(key) endpoint", file: file, line: line)
        }
    }

    func testLegacySdkAndroid() async throws {
        try await check(.legacySdk, counts: ["legacy": 1])
    }

    /// The legacy iOS SDK carries no state: the reply is bound to the single pending legacy login.
    func testLegacySdkIosWithoutState() async throws {
        let auth = try makeAuth(env, flow: .legacySdk, platform: .ios)
        let request = try auth.begin(flow: .legacySdk)
        XCTAssertNil(request.state)
        XCTAssertEqual(request.clientId, env.legacyAppKey)
        XCTAssertEqual(request.scope, "sns_login")
        let user = FakeDingTalk.user()
        let code = try fake.mint(flow: "legacy_sdk", clientId: request.clientId, user: user)
        let outcome = try auth.completeSdk(
            response: SdkResponse(flow: .legacySdk, errCode: "0", message: nil, code: code, state: nil))
        let response = try await auth.submit(grant: try requireGrant(outcome))
        try assertIdentity(response, user: user, flow: "legacy_sdk")
        XCTAssertTrue(try identity(response)["avatarUrl"] is NSNull, "the legacy flow has no avatar: \(response.body)")
    }

    func testNewSdk() async throws {
        try await check(.newSdk, counts: ["token": 1, "me": 1])
    }

    func testNewSdkIos() async throws {
        try await check(.newSdk, platform: .ios, counts: ["token": 1, "me": 1])
    }

    func testBrowser() async throws {
        try await check(.browser, counts: ["token": 1, "me": 1])
    }

    /// The browser's authorize URL carries what login.dingtalk.com needs, and the fake validated it.
    func testBrowserAuthorizeUrlParameters() throws {
        let auth = try makeAuth(env, flow: .browser)
        let request = try auth.begin(flow: .browser)
        let url = try XCTUnwrap(request.authorizeUrl)
        XCTAssertEqual(queryValue(url, "client_id"), env.clientId)
        XCTAssertEqual(queryValue(url, "redirect_uri"), e2eRedirectUri)
        XCTAssertEqual(queryValue(url, "response_type"), "code")
        XCTAssertEqual(queryValue(url, "prompt"), "consent")
        XCTAssertEqual(queryValue(url, "scope"), "openid")
        XCTAssertEqual(queryValue(url, "state"), request.state)
        // Mode "page" (the default): the consent page, not a redirect.
        let page = try http("GET", url)
        XCTAssertEqual(page.status, 200, page.text)
        XCTAssertTrue(page.text.contains("id=\"approve\""), page.text)
    }
}
