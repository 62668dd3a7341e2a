// An internal app's backend (DINGTALK_DEMO_MEMBER_*, started with `--corp-id`): every login is resolved to
// a member of the fake's organisation, and the app reads that member typed, with `readLoginAnswer`.
import DingTalkAuth
import Foundation
import XCTest

final class MemberE2ETests: E2ETestCase {
    /// The fake organisation's one member, as DingTalk's account side knows them (server/fake's default user).
    private let memberAccount: [String: Any] = [
        "nick": "Swift E2E member", "unionId": "fakeUnionId0001", "openId": "open-member",
    ]

    func testEveryFlowsAnswerCarriesTheTypedMember() async throws {
        for flow in [LoginFlow.legacySdk, .newSdk, .browser] {
            let login = try runLogin(env, flow, backend: env.memberBackend, fake: memberFake, user: memberAccount)
            let response = try await login.auth.submit(grant: try requireGrant(login.outcome))
            let answer = try readLoginAnswer(response: response)
            XCTAssertEqual(answer.flow, wireName(flow))
            XCTAssertEqual(answer.unionId, "fakeUnionId0001")
            let member = try XCTUnwrap(answer.member, "\(flow): no member in \(response.body)")
            XCTAssertEqual(member.corpId, env.memberCorp)
            XCTAssertEqual(member.userId, "fakeUserId0001")
            XCTAssertEqual(member.name, "张三")
            XCTAssertEqual(member.title, "Engineer")
            XCTAssertEqual(member.departmentIds, [1])
            XCTAssertEqual(member.admin, false)
            XCTAssertEqual(member.active, true)
            // Personal data only when the backend's operator enables it; the demo backend does not.
            XCTAssertNil(member.mobile)
            XCTAssertNil(member.email)
            // Printing the answer (logs) never shows the session token.
            let printed = String(describing: answer)
            XCTAssertFalse(printed.contains(answer.sessionToken), printed)
            XCTAssertTrue(printed.contains("fakeUserId0001"), printed)
        }
    }

    func testAnOutsiderIsRefusedAndAPlainBackendsAnswerHasNoMember() async throws {
        let outsider = try runLogin(env, .newSdk, backend: env.memberBackend, fake: memberFake)
        await expectRejected(outsider.auth, try requireGrant(outsider.outcome), status: 403, error: "not_org_member")

        let plain = try runLogin(env, .newSdk)
        let answer = try readLoginAnswer(response: try await plain.auth.submit(grant: try requireGrant(plain.outcome)))
        XCTAssertEqual(answer.unionId, plain.user["unionId"] as? String)
        XCTAssertNil(answer.member)
    }

    func testABodyThatIsNotALoginAnswerIsUnreadableBodyNamingTheField() {
        let body = #"{"flow":"new_sdk","unionId":"u","openId":"o","nick":"n","sessionToken":"SECRET-TOKEN","expiresIn":60,"member":{"corpId":"c","userId":7}}"#
        XCTAssertThrowsError(try readLoginAnswer(response: BackendResponse(status: 200, body: body))) { error in
            guard case AuthError.UnreadableBody(let reason) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(reason.contains("member.userId"), reason)
            XCTAssertFalse(String(describing: error).contains("SECRET"))
            XCTAssertEqual((error as? AuthError)?.handling, .logInAgain)
        }
    }
}
