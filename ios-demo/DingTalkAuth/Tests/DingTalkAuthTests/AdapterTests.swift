// The SDK-reply and callback-URL adapters feed the core exactly what DingTalk sent.
import DingTalkAuth
import Foundation
import XCTest

final class AdapterTests: XCTestCase {
    func testLegacyReplyMapsToSdkResponseWithoutState() {
        let r = SdkResponse(legacy: LegacyAuthorizeReply(errorCode: -2, errorMessage: "user cancelled", accessCode: nil))
        XCTAssertEqual(r.flow, .legacySdk)
        XCTAssertEqual(r.errCode, "-2")
        XCTAssertEqual(r.message, "user cancelled")
        XCTAssertNil(r.code)
        XCTAssertNil(r.state)
    }

    func testOpenAuthReplyMapsEveryField() {
        let r = SdkResponse(openAuth: OpenAuthReply(respCode: 0, respMessage: "ok", authCode: "abc", state: "s-1"))
        XCTAssertEqual(r.flow, .newSdk)
        XCTAssertEqual(r.errCode, "0")
        XCTAssertEqual(r.message, "ok")
        XCTAssertEqual(r.code, "abc")
        XCTAssertEqual(r.state, "s-1")
    }

    /// A class standing in for DTAuthorizeResp: conformance is three computed properties.
    final class FakeDTAuthorizeResp: DingTalkLegacyAuthorizeReply {
        var errorCode = 0
        var errorMessage: String?
        var accessCode: String? = "legacy-code"
        var replyErrorCode: Int { errorCode }
        var replyErrorMessage: String? { errorMessage }
        var replyAccessCode: String? { accessCode }
    }

    func testLegacySuccessIsBoundToTheSinglePendingLogin() throws {
        let auth = try makeAuth(.legacySdk)
        let request = try auth.begin(flow: .legacySdk)
        XCTAssertNil(request.state, "DTAuthorizeReq has no state")
        let grant = try XCTUnwrap(try auth.complete(legacy: FakeDTAuthorizeResp()).grant)
        XCTAssertEqual(grant.flow(), .legacySdk)
        XCTAssertEqual(grant.clientId(), Fixture.legacyAppId)
        XCTAssertEqual(grant.platform(), .ios)
        XCTAssertEqual(try auth.pendingCount(), 0)
    }

    func testCallbackURLCompletesTheBrowserLogin() throws {
        let auth = try makeAuth(.browser)
        let request = try auth.begin(flow: .browser)
        let grant = try XCTUnwrap(try auth.complete(callbackURL: callbackURL(request)).grant)
        XCTAssertEqual(grant.flow(), .browser)
        let again = try auth.begin(flow: .browser)
        XCTAssertTrue(try auth.complete(callbackURL: callbackURL(again, code: nil, error: "access_denied")).isDenied)
    }
}
