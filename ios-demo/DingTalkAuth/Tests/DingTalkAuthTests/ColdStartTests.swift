// A cold start: iOS killed the app while DingTalk was in front, and DingTalk's reply launches it. The
// reply then arrives in `scene(_:willConnectTo:options:)` (connectionOptions.urlContexts, or
// userActivities for a universal link) or in `launchOptions[.url]`, never in `scene(_:openURLContexts:)`.
// UIKit's types are reduced to `DingTalkIncomingURLs` by one-line initialisers compiled on iOS; the
// routing they feed is tested here.
import DingTalkAuth
import Foundation
import XCTest

final class ColdStartTests: XCTestCase {
    /// What DingTalk's reply finds when it relaunches the app: a new `DingTalkLogin` over the store the
    /// killed process wrote its pending login to.
    private func relaunched(_ flow: LoginFlow, backend: InMemoryKeyValueBackend, redirectURI: String? = Fixture.redirectURI,
                            sdk: RecordingSDKHandler? = nil) throws -> DingTalkLogin {
        let auth = try makeAuth(flow, store: KeyValuePendingLoginStore(backend: backend))
        let login = DingTalkLogin(auth: auth, sdkSchemes: flow == .legacySdk ? [Fixture.legacyAppId] : [Fixture.newSdkClientId],
                                  redirectURI: flow == .legacySdk ? nil : redirectURI, sdkHandlers: sdk.map { [$0] } ?? [])
        sdk?.login = login
        return login
    }

    /// A scene's connection options carry DingTalk's SDK reply beside a URL of the app's own: the reply
    /// completes the login from the store, the other URL is handed back for the app to route.
    func testConnectionOptionsURLsCompleteTheStoredLoginAndTheRestGoBackToTheApp() throws {
        let backend = InMemoryKeyValueBackend()
        _ = try makeAuth(.legacySdk, store: KeyValuePendingLoginStore(backend: backend)).begin(flow: .legacySdk)
        // (the process dies here)
        let login = try relaunched(.legacySdk, backend: backend, sdk: RecordingSDKHandler())
        let own = URL(string: "myapp://inbox/42")!
        let incoming = DingTalkIncomingURLs(urls: [own, URL(string: "dingoalegacyapp://auth?err=0&code=cold")!])
        XCTAssertEqual(login.handle(incoming), [own])
        var results: [DingTalkLoginResult] = []
        login.onLateResult { results.append($0) }  // the screen appears after the scene connected
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(grantJson(try XCTUnwrap(try results[0].get().grant))["code"] as? String, "cold")
    }

    /// An https redirect URI reaches a killed app as a universal link (a user activity), not as a URL.
    func testAUniversalLinkInTheConnectionOptionsCompletesTheBrowserLogin() throws {
        let universal = "https://app.example.com/dingtalk/callback"
        let backend = InMemoryKeyValueBackend()
        var config = AuthConfig(clientId: Fixture.newSdkClientId, platform: .ios, flows: [.browser])
        config.redirectUri = universal
        let request = try DingTalkAuth(config: config, store: KeyValuePendingLoginStore(backend: backend)).begin(flow: .browser)
        let login = DingTalkLogin(auth: try DingTalkAuth(config: config, store: KeyValuePendingLoginStore(backend: backend)),
                                  sdkSchemes: [], redirectURI: universal)
        var c = URLComponents(string: universal)!
        c.queryItems = [URLQueryItem(name: "authCode", value: "from-universal-link"), URLQueryItem(name: "state", value: request.state)]
        XCTAssertEqual(login.handle(DingTalkIncomingURLs(universalLinks: [c.url!])), [])
        var results: [DingTalkLoginResult] = []
        login.onLateResult { results.append($0) }
        XCTAssertEqual(try results.first?.get().grant?.flow(), .browser)
    }

    /// Without scenes UIKit gives the URL in `launchOptions[.url]` and then once more to
    /// `application(_:open:options:)`: routing both is safe, the second delivery is ignored as a replay.
    func testTheSameReplyThroughLaunchOptionsAndOpenURLCompletesOnce() throws {
        let backend = InMemoryKeyValueBackend()
        let request = try makeAuth(.browser, store: KeyValuePendingLoginStore(backend: backend)).begin(flow: .browser)
        let login = try relaunched(.browser, backend: backend)
        var ignored: [AuthError] = []
        login.onIgnoredReply { ignored.append($0) }
        let reply = callbackURL(request, code: "once")
        XCTAssertEqual(login.handle(DingTalkIncomingURLs(urls: [reply])), [])  // launchOptions[.url]
        XCTAssertTrue(login.handle(url: reply))                                 // application(_:open:options:)
        var results: [DingTalkLoginResult] = []
        login.onLateResult { results.append($0) }
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(ignored.map(\.caseName), ["StateReused"])
    }

    /// Several DingTalk applications (legacy AppId, ClientId): one router takes the cold start's URLs.
    func testTheRouterTakesTheColdStartURLs() throws {
        let backend = InMemoryKeyValueBackend()
        let request = try makeAuth(.browser, store: KeyValuePendingLoginStore(backend: backend)).begin(flow: .browser)
        let legacy = try relaunched(.legacySdk, backend: InMemoryKeyValueBackend(), sdk: RecordingSDKHandler())
        let browser = try relaunched(.browser, backend: backend)
        let other = URL(string: "https://example.com/elsewhere")!
        let router = DingTalkURLRouter([legacy, browser])
        XCTAssertEqual(router.handle(DingTalkIncomingURLs(urls: [callbackURL(request)], universalLinks: [other])), [other])
        var results: [DingTalkLoginResult] = []
        browser.onLateResult { results.append($0) }
        XCTAssertEqual(try results.first?.get().grant?.flow(), .browser)
    }
}
