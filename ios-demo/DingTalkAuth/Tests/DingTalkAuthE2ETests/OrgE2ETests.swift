// The backend with a corpId allow-list (DINGTALK_DEMO_ORG_*, scope openid corpid): a user who picked an
// organisation that is not on the list gets 403 corp_not_allowed; one on the list gets in, with the corpId
// in the identity.
import DingTalkAuth
import Foundation
import XCTest

final class OrgE2ETests: E2ETestCase {
    private func orgLogin(_ flow: LoginFlow, corpId: String, scope: OAuthScope = .openidCorpid) throws -> CompletedLogin {
        try runLogin(env, flow, backend: env.orgBackend, fake: orgFake, scope: scope,
                     user: FakeDingTalk.user(corpId: corpId))
    }

    func testNewSdkOrgNotAllowed() async throws {
        let login = try orgLogin(.newSdk, corpId: "dingcorp-other")
        XCTAssertEqual(login.request.scope, "openid corpid")
        let grant = try requireGrant(login.outcome)
        let body = await expectRejected(login.auth, grant, status: 403, error: "corp_not_allowed")
        XCTAssertFalse(String(describing: body).contains(login.code))
        // The code is spent: the same grant gets the same answer.
        await expectRejected(login.auth, grant, status: 403, error: "corp_not_allowed")
    }

    func testNewSdkOrgAllowed() async throws {
        let login = try orgLogin(.newSdk, corpId: env.allowedCorp)
        let response = try await login.auth.submit(grant: try requireGrant(login.outcome))
        try assertIdentity(response, user: login.user, flow: "new_sdk", corpId: env.allowedCorp)
    }

    func testBrowserOrgNotAllowed() async throws {
        let login = try orgLogin(.browser, corpId: "dingcorp-other")
        XCTAssertEqual(queryValue(try XCTUnwrap(login.request.authorizeUrl), "scope"), "openid corpid")
        await expectRejected(login.auth, try requireGrant(login.outcome), status: 403, error: "corp_not_allowed")
    }

    func testBrowserOrgAllowed() async throws {
        let login = try orgLogin(.browser, corpId: env.allowedCorp)
        let response = try await login.auth.submit(grant: try requireGrant(login.outcome))
        try assertIdentity(response, user: login.user, flow: "browser", corpId: env.allowedCorp)
    }

    /// Scope openid cannot prove the organisation: refused before DingTalk is called.
    func testOrgScopeRequired() async throws {
        let before = try orgFake.stats()
        let login = try orgLogin(.newSdk, corpId: env.allowedCorp, scope: .openid)
        await expectRejected(login.auth, try requireGrant(login.outcome), status: 403, error: "corp_scope_required")
        XCTAssertEqual(try orgFake.stats()["token"], before["token"], "DingTalk was called")
    }

    /// Without an allow-list, the corpId (scope openid corpid) is passed through.
    func testPlainBackendReturnsCorpId() async throws {
        let login = try runLogin(env, .newSdk, scope: .openidCorpid, user: FakeDingTalk.user(corpId: "dingcorp-any"))
        let response = try await login.auth.submit(grant: try requireGrant(login.outcome))
        try assertIdentity(response, user: login.user, flow: "new_sdk", corpId: "dingcorp-any")
    }
}
