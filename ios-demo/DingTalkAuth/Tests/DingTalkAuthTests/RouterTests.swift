// One router for application(_:open:options:), SceneDelegate and .onOpenURL: DingTalk's callbacks are
// recognised, everything else is left to the app.
import DingTalkAuth
import Foundation
import XCTest

/// An SDK URL handler standing in for DTOpenAPI.handleOpenURL: it parses its own test URLs and calls the
/// delegate (here: DingTalkLogin.deliver).
final class RecordingSDKHandler: DingTalkSDKURLHandling {
    var seen: [URL] = []
    weak var login: DingTalkLogin?

    func handleDingTalkURL(_ url: URL) -> Bool {
        seen.append(url)
        guard url.host == "auth" else { return false }
        let q = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        func v(_ n: String) -> String? { q.first { $0.name == n }?.value }
        login?.deliver(legacy: LegacyAuthorizeReply(errorCode: Int(v("err") ?? "") ?? -1, accessCode: v("code")))
        return true
    }
}

final class RouterTests: XCTestCase {
    let matcher = DingTalkCallbackMatcher(sdkSchemes: [Fixture.legacyAppId, "DingClientNewSdk"], redirectURI: Fixture.redirectURI)

    func testSchemesOfTheAppIdsAreSdkReplies() {
        XCTAssertEqual(matcher.classify(URL(string: "dingoalegacyapp://oauth?code=x")!), .sdkReply)
        XCTAssertEqual(matcher.classify(URL(string: "DINGOALEGACYAPP://oauth")!), .sdkReply, "iOS schemes are case-insensitive")
        XCTAssertEqual(matcher.classify(URL(string: "dingclientnewsdk://x")!), .sdkReply)
    }

    func testTheRedirectURIIsABrowserRedirect() {
        XCTAssertEqual(matcher.classify(URL(string: Fixture.redirectURI + "?authCode=a&state=s")!), .browserRedirect)
        XCTAssertEqual(matcher.classify(URL(string: "COM.EXAMPLE.DINGTALKDEMO://DingTalk/callback?x=1")!), .browserRedirect,
                       "scheme and host compare case-insensitively")
    }

    func testEverythingElseIsLeftToTheApp() {
        for other in [
            "com.example.dingtalkdemo://dingtalk/callback/extra?authCode=a",  // another path
            "com.example.dingtalkdemo://dingtalk/Callback?authCode=a",        // paths are case-sensitive
            "com.example.dingtalkdemo://other/callback",
            "https://app.example.com/dingtalk/callback?authCode=a",           // not the configured redirect
            "weixin://oauth?code=1", "dingtalk://dingtalkclient/page", "myapp://dingoalegacyapp",
            "file:///tmp/x",
        ] {
            XCTAssertEqual(matcher.classify(URL(string: other)!), .other, other)
        }
    }

    func testHttpsRedirectMatchesDefaultPort() {
        let m = DingTalkCallbackMatcher(sdkSchemes: [], redirectURI: "https://app.example.com/dingtalk/callback")
        XCTAssertEqual(m.classify(URL(string: "https://app.example.com:443/dingtalk/callback?a=1")!), .browserRedirect)
        XCTAssertEqual(m.classify(URL(string: "https://app.example.com:8443/dingtalk/callback?a=1")!), .other)
        XCTAssertEqual(m.classify(URL(string: "http://app.example.com/dingtalk/callback?a=1")!), .other)
        XCTAssertEqual(m.classify(URL(string: "https://evil.example.com/dingtalk/callback?a=1")!), .other)
    }

    func testHandleReturnsFalseForOtherURLsAndNeverCallsTheSDK() throws {
        let sdk = RecordingSDKHandler()
        let login = DingTalkLogin(auth: try makeAuth(.legacySdk), sdkSchemes: [Fixture.legacyAppId], redirectURI: nil,
                                  sdkHandlers: [sdk])
        XCTAssertFalse(login.handle(url: URL(string: "myapp://home")!))
        XCTAssertFalse(login.handle(url: URL(string: "https://example.com/")!))
        XCTAssertTrue(sdk.seen.isEmpty)
    }

    func testSdkReplyGoesThroughTheSDKHandlerToTheCore() throws {
        let auth = try makeAuth(.legacySdk)
        let sdk = RecordingSDKHandler()
        let login = DingTalkLogin(auth: auth, sdkSchemes: [Fixture.legacyAppId], redirectURI: nil, sdkHandlers: [sdk])
        sdk.login = login
        var results: [DingTalkLoginResult] = []
        login.onLateResult { results.append($0) }
        _ = try auth.begin(flow: .legacySdk)
        XCTAssertTrue(login.handle(url: URL(string: "dingoalegacyapp://auth?err=0&code=c1")!))
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(try results[0].get().grant?.flow(), .legacySdk)
        // The SDK declines a URL of its scheme it does not know: handle says so.
        XCTAssertFalse(login.handle(url: URL(string: "dingoalegacyapp://unknown")!))
    }

    func testARedirectWithoutBrowserLoginConfiguredIsNotRecognised() throws {
        let login = DingTalkLogin(auth: try makeAuth(.legacySdk), sdkSchemes: [Fixture.legacyAppId], redirectURI: nil)
        XCTAssertFalse(login.handle(url: URL(string: Fixture.redirectURI + "?authCode=a&state=s")!))
    }

    /// Separate DingTalk applications per flow: one router over their logins.
    func testOneRouterOverSeveralLogins() throws {
        let legacyAuth = try makeAuth(.legacySdk)
        let sdk = RecordingSDKHandler()
        let legacy = DingTalkLogin(auth: legacyAuth, sdkSchemes: [Fixture.legacyAppId], redirectURI: nil, sdkHandlers: [sdk])
        sdk.login = legacy
        let browserAuth = try makeAuth(.browser)
        let browser = DingTalkLogin(auth: browserAuth, sdkSchemes: [], redirectURI: Fixture.redirectURI)
        let router = DingTalkURLRouter([legacy, browser])
        var results: [String: Int] = [:]
        legacy.onLateResult { if case .success = $0 { results["legacy", default: 0] += 1 } }
        browser.onLateResult { if case .success = $0 { results["browser", default: 0] += 1 } }

        _ = try legacyAuth.begin(flow: .legacySdk)
        let request = try browserAuth.begin(flow: .browser)
        XCTAssertTrue(router.handle(url: URL(string: "dingoalegacyapp://auth?err=0&code=c1")!))
        XCTAssertTrue(router.handle(url: callbackURL(request)))
        XCTAssertFalse(router.handle(url: URL(string: "myapp://settings")!))
        XCTAssertEqual(results, ["legacy": 1, "browser": 1])
    }
}
