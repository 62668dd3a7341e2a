// The browser flow: the authorize URL, and the callback URL DingTalk redirects to.
import DingTalkAuth
import Foundation
import XCTest

final class BrowserTests: XCTestCase {
    private func query(_ url: String) throws -> [String: String] {
        let items = try XCTUnwrap(URLComponents(string: url)?.queryItems)
        var out: [String: String] = [:]
        for item in items {
            XCTAssertNil(out[item.name], "parameter \(item.name) appears twice")
            out[item.name] = item.value
        }
        return out
    }

    func testAuthorizeUrl() throws {
        let h = try Harness()
        let req = try h.auth.begin(flow: .browser)
        let url = try XCTUnwrap(req.authorizeUrl)
        XCTAssertTrue(url.hasPrefix("https://login.dingtalk.com/oauth2/auth?"), url)
        let q = try query(url)
        XCTAssertEqual(q["client_id"], clientId)
        XCTAssertEqual(q["redirect_uri"], redirectUri)
        XCTAssertTrue(url.contains("redirect_uri=https%3A%2F%2Fapp.example.com%2Fdingtalk%2Fcallback"), "redirect_uri must be URL-encoded: \(url)")
        XCTAssertEqual(q["state"], req.state)
        XCTAssertEqual(q["response_type"], "code")
        XCTAssertEqual(q["prompt"], "consent", "without prompt=consent the browser flow breaks")
        XCTAssertEqual(q["scope"], "openid")
        XCTAssertNil(q["exclusiveLogin"])
        XCTAssertEqual(req.redirectUri, redirectUri)
    }

    func testAuthorizeUrlWithOrgOptions() throws {
        var config = makeConfig(scope: .openidCorpid)
        config.orgType = "management"
        config.corpId = "ding123corp"
        config.exclusiveLogin = true
        config.exclusiveCorpId = "dingEXCL"
        config.authorizeEndpoint = "http://127.0.0.1:9/fake/oauth2/auth"
        let h = try Harness(config)
        let url = try XCTUnwrap(try h.auth.begin(flow: .browser).authorizeUrl)
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:9/fake/oauth2/auth?"), url)
        XCTAssertTrue(url.contains("scope=openid%20corpid"), "scope is space-separated, encoded %20: \(url)")
        let q = try query(url)
        XCTAssertEqual(q["scope"], "openid corpid")
        XCTAssertEqual(q["org_type"], "management")
        XCTAssertEqual(q["corpId"], "ding123corp")
        XCTAssertEqual(q["exclusiveLogin"], "true")
        XCTAssertEqual(q["exclusiveCorpId"], "dingEXCL")
    }

    func testCodeCallbackIsAuthorized() throws {
        let h = try Harness()
        let req = try h.auth.begin(flow: .browser)
        let outcome = try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?authCode=9f8e7d6c&state=\(req.state!)")
        let grant = try XCTUnwrap(outcome.grant)
        XCTAssertEqual(grant.flow(), .browser)
        XCTAssertEqual(grant.scope(), "openid")
        let json = grantJson(grant)
        XCTAssertEqual(json["flow"] as? String, "browser")
        XCTAssertEqual(json["code"] as? String, "9f8e7d6c")
        XCTAssertFalse(grant.redactedDescription().contains("9f8e7d6c"))
        // A replayed callback URL.
        XCTAssertEqual(expectAuthError(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?authCode=9f8e7d6c&state=\(req.state!)"),
                                       secrets: [req.state, "9f8e7d6c"]), .StateReused)
    }

    func testPercentEncodedParametersAreDecoded() throws {
        let h = try Harness()
        let req = try h.auth.begin(flow: .browser)
        let outcome = try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?state=\(req.state!)&authCode=ab%2Bcd%2F1&other=x")
        XCTAssertEqual(grantJson(try XCTUnwrap(outcome.grant))["code"] as? String, "ab+cd/1")
    }

    func testErrorCallbacks() throws {
        let h = try Harness()
        let denied = try h.auth.begin(flow: .browser)
        XCTAssertEqual(describe(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?error=access_denied&state=\(denied.state!)")), "denied")
        let failed = try h.auth.begin(flow: .browser)
        let outcome = try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?error=server_error&state=\(failed.state!)")
        guard case let .failed(reason, errCode, message) = outcome else { return XCTFail("got \(outcome)") }
        XCTAssertEqual(reason, .browserError)
        XCTAssertNil(errCode)
        XCTAssertEqual(message, "server_error")
        XCTAssertEqual(try h.auth.pendingCount(), 0, "error callbacks use their logins up")
        // An error callback that names no pending login is refused, and the waiting login is untouched.
        let waiting = try h.auth.begin(flow: .browser)
        XCTAssertEqual(expectAuthError(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?error=access_denied")), .StateMissing)
        XCTAssertEqual(expectAuthError(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?error=access_denied&state=\(foreignState())")),
                       .StateUnknown)
        XCTAssertEqual(try h.auth.pendingCount(), 1)
        XCTAssertEqual(describe(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?error=access_denied&state=\(waiting.state!)")), "denied")
    }

    func testCodeWithoutStateIsStateMissing() throws {
        let h = try Harness()
        _ = try h.auth.begin(flow: .browser)
        XCTAssertEqual(expectAuthError(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?authCode=lonely"), secrets: ["lonely"]), .StateMissing)
    }

    func testInvalidCallbacks() throws {
        let h = try Harness()
        let state = try XCTUnwrap(try h.auth.begin(flow: .browser).state)
        let code = "c0deXYZ"
        let bad = [
            "http://app.example.com/dingtalk/callback?authCode=\(code)&state=\(state)",           // scheme
            "https://evil.example.com/dingtalk/callback?authCode=\(code)&state=\(state)",         // host
            "https://app.example.com:8443/dingtalk/callback?authCode=\(code)&state=\(state)",     // port
            "https://app.example.com/dingtalk/other?authCode=\(code)&state=\(state)",             // path
            "\(redirectUri)?authCode=\(code)&authCode=other&state=\(state)",                      // duplicated code
            "\(redirectUri)?authCode=\(code)&state=\(state)&state=\(state)",                      // duplicated state
            "\(redirectUri)?state=\(state)",                                                      // neither code nor error
            "\(redirectUri)",                                                                     // no query at all
            "\(redirectUri)?authCode=\(code)&error=access_denied&state=\(state)",                 // both
            "\(redirectUri)?authCode=%zz&state=\(state)",                                         // bad encoding
            "\(redirectUri)?authCode=\(code)&state=\(state)&pad=\(String(repeating: "x", count: 8 * 1024))", // > 8 KiB
            "not a url at all \(code) \(state)",
        ]
        for url in bad {
            guard let error = expectAuthError(try h.auth.completeBrowser(callbackUrl: url), secrets: [code, state]) else { continue }
            guard case .InvalidCallback = error else {
                XCTFail("\(url.prefix(80)): expected InvalidCallback, got \(error)")
                continue
            }
        }
        XCTAssertEqual(try h.auth.pendingCount(), 1, "refused callbacks do not consume the login")
        XCTAssertNotNil(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?authCode=\(code)&state=\(state)").grant)
    }

    func testCustomSchemeRedirect() throws {
        let h = try Harness(makeConfig(redirectUri: "com.example.app://dingtalk/callback"))
        let req = try h.auth.begin(flow: .browser)
        XCTAssertNotNil(try h.auth.completeBrowser(callbackUrl: "com.example.app://dingtalk/callback?authCode=zz1&state=\(req.state!)").grant)
    }
}
