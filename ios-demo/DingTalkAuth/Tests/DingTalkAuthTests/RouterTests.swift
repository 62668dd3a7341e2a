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

    /// The matcher hands its app ids and redirect URI to the core's classification (which URL is which is
    /// the core's rule, tested in Rust): one URL of each kind, and an app id given in mixed case.
    func testTheMatcherAsksTheCore() {
        XCTAssertEqual(matcher.classify(URL(string: "dingoalegacyapp://oauth?code=x")!), .sdkReply)
        XCTAssertEqual(matcher.classify(URL(string: "dingclientnewsdk://x")!), .sdkReply)
        XCTAssertEqual(matcher.classify(URL(string: Fixture.redirectURI + "?authCode=a&state=s")!), .browserRedirect)
        XCTAssertEqual(matcher.classify(URL(string: "weixin://oauth?code=1")!), .other)
        let withoutRedirect = DingTalkCallbackMatcher(sdkSchemes: [Fixture.legacyAppId], redirectURI: nil)
        XCTAssertEqual(withoutRedirect.classify(URL(string: Fixture.redirectURI + "?authCode=a&state=s")!), .other)
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
