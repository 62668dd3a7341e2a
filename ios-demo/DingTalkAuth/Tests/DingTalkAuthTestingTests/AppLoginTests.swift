// An app's own tests, as README "Testing your app" writes them for iOS: the real package, DingTalk's
// answers from DingTalkAuthTesting, no DingTalk and no backend.
import DingTalkAuth
import DingTalkAuthTesting
import Foundation
import XCTest

final class AppLoginTests: XCTestCase {
    private func makeLogin() throws -> DingTalkLogin {
        var config = AuthConfig(clientId: "dingapptest", platform: .ios, flows: [.legacySdk, .newSdk, .browser])
        config.redirectUri = "com.example.app://dingtalk/callback"
        let auth = try DingTalkAuth(config: config)
        return DingTalkLogin(auth: auth, sdkSchemes: ["dingapptest"], redirectURI: config.redirectUri)
    }

    private func code(of outcome: LoginOutcome) throws -> String? {
        guard case let .authorized(grant, _) = outcome else { return nil }
        let json = try JSONSerialization.jsonObject(with: Data(grant.toJson().utf8)) as? [String: Any]
        return json?["code"] as? String
    }

    func testAnApprovedLoginGivesAGrantWithTheCodeForEveryFlow() async throws {
        for flow in [LoginFlow.browser, .newSdk, .legacySdk] {
            let login = try makeLogin()
            let outcome = try await login.login(flow, presenter: DingTalkReplies.presenter(for: login, answering: .approved(code: "test-code")))
            XCTAssertEqual(try code(of: outcome), "test-code", "\(flow): \(outcome)")
        }
    }

    func testDenialAndCancelAreNoGrant() async throws {
        for flow in [LoginFlow.browser, .newSdk, .legacySdk] {
            let login = try makeLogin()
            let denied = try await login.login(flow, presenter: DingTalkReplies.presenter(for: login, answering: .denied))
            guard case .denied = denied else { return XCTFail("\(flow) denied: \(denied)") }
            let cancelled = try await login.login(flow, presenter: DingTalkReplies.presenter(for: login, answering: .cancelled))
            guard case .cancelled = cancelled else { return XCTFail("\(flow) cancelled: \(cancelled)") }
        }
    }

    func testTheRedirectReachesTheAppThroughItsURLRouter() throws {
        let login = try makeLogin()
        let request = try login.auth.begin(flow: .browser)
        let late = expectation(description: "the late result")
        login.onLateResult { result in
            if case let .success(outcome) = result, (try? self.code(of: outcome)) == "routed" { late.fulfill() }
        }
        XCTAssertTrue(login.handle(url: try DingTalkReplies.browserApproved(request, code: "routed")))
        wait(for: [late], timeout: 10)
    }
}
