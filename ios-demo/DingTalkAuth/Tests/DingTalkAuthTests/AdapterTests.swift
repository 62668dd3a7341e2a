// The SDK adapters feed the core exactly what DingTalk sent, and the DingTalk SDKs' own classes conform
// to them with empty extensions. The classes below are shaped as Swift imports the SDKs' Objective-C
// headers (DTShareKit's DTOpenAPIObject.h: no nullability annotations, so `String!`, and an NS_ENUM(NSInteger)
// error code; ADTOpenAuthSDK's ADTOpenAuthObject.h: NS_ASSUME_NONNULL, `int64_t respCode`). If a protocol
// asked for anything else, the empty extensions here would not compile; the macOS workflow compiles the
// same extensions against the real SDKs when it can download them.
import DingTalkAuth
import Foundation
import XCTest

/// `typedef NS_ENUM(NSInteger, DTOpenAPIErrorCode)` as imported.
enum DTOpenAPIErrorCode: Int {
    case success = 0, errorCodeCommon = -1, errorCodeUserCancel = -2, errorCodeSendFail = -3, errorCodeAuthDeny = -4,
         errorCodeUnsupport = -5
}

/// `@interface DTBaseResp : NSObject` as imported.
class DTBaseResp {
    var errorCode: DTOpenAPIErrorCode = .success
    var errorMessage: String!
}

/// `@interface DTAuthorizeResp : DTBaseResp` as imported.
final class DTAuthorizeResp: DTBaseResp {
    var accessCode: String!
}

/// `@interface DTAuthorizeReq : DTBaseReq` as imported.
final class DTAuthorizeReq {
    var bundleId: String!
    var redirectURI: String!
}

/// `@interface ADTBaseResp : NSObject <NSSecureCoding>` as imported (inside NS_ASSUME_NONNULL).
class ADTBaseResp {
    var respCode: Int64 = 0
    var respMessage: String = ""
}

/// `@interface ADTOpenAuthResp : ADTBaseResp` as imported.
final class ADTOpenAuthResp: ADTBaseResp {
    var authCode: String = ""
    var state: String = ""
}

/// `@interface ADTOpenAuthReq : ADTBaseReq` as imported.
final class ADTOpenAuthReq {
    var appId: String = ""
    var identifier: String = ""
    var redirectUrl: String = ""
    var responseType: String = ""
    var scope: String = ""
    var prompt: String = ""
    var state: String = ""
    var nonce: String = ""
}

// What an app writes: nothing but the conformance.
extension DTAuthorizeResp: DingTalkLegacyAuthorizeReply {}
extension DTAuthorizeReq: DingTalkLegacyAuthorizeRequest {}
extension ADTOpenAuthResp: DingTalkOpenAuthReply {}
extension ADTOpenAuthReq: DingTalkOpenAuthRequest {}

final class AdapterTests: XCTestCase {
    func testTheLegacyReplyClassReachesTheCoreAsReceived() {
        let resp = DTAuthorizeResp()
        resp.errorCode = .errorCodeUserCancel
        resp.errorMessage = "user cancelled"
        let r = SdkResponse(legacy: resp)
        XCTAssertEqual(r.flow, .legacySdk)
        XCTAssertEqual(r.errCode, "-2")
        XCTAssertEqual(r.message, "user cancelled")
        XCTAssertNil(r.code)
        XCTAssertNil(r.state, "DTAuthorizeResp has no state")
        // An ErrCode DingTalk may add later keeps its number.
        XCTAssertEqual(SdkResponse(legacy: LegacyAuthorizeReply(errorCode: -7)).errCode, "-7")
    }

    func testTheNewReplyClassReachesTheCoreAsReceived() {
        let resp = ADTOpenAuthResp()
        resp.respCode = 0
        resp.respMessage = "ok"
        resp.authCode = "abc"
        resp.state = "s-1"
        let r = SdkResponse(openAuth: resp)
        XCTAssertEqual(r.flow, .newSdk)
        XCTAssertEqual(r.errCode, "0")
        XCTAssertEqual(r.message, "ok")
        XCTAssertEqual(r.code, "abc")
        XCTAssertEqual(r.state, "s-1")
    }

    /// The header promises non-null strings; a nil NSString reaches Swift as "". Both mean "absent".
    func testEmptyStringsFromTheSDKAreAbsentValues() {
        let r = SdkResponse(openAuth: ADTOpenAuthResp())
        XCTAssertNil(r.message)
        XCTAssertNil(r.code)
        XCTAssertNil(r.state)
        let legacy = DTAuthorizeResp()
        legacy.errorMessage = ""
        legacy.accessCode = ""
        XCTAssertNil(SdkResponse(legacy: legacy).message)
        XCTAssertNil(SdkResponse(legacy: legacy).code)
    }

    /// The request classes are filled from what `begin` returned, nothing invented.
    func testTheRequestClassesAreFilledFromTheLoginRequest() throws {
        let auth = try makeAuth(.newSdk)
        let request = try auth.begin(flow: .newSdk)
        let req = ADTOpenAuthReq()
        req.fill(from: request)
        XCTAssertEqual(req.redirectUrl, Fixture.redirectURI)
        XCTAssertEqual(req.state, request.state)
        XCTAssertEqual(req.nonce, request.nonce)
        XCTAssertEqual(req.scope, request.scope)
        XCTAssertEqual(req.responseType, "code")
        XCTAssertEqual(req.prompt, "consent")

        let legacy = try makeAuth(.legacySdk).begin(flow: .legacySdk)
        let legacyReq = DTAuthorizeReq()
        legacyReq.fill(from: legacy, bundleId: "com.example.dingtalkdemo")
        XCTAssertEqual(legacyReq.bundleId, "com.example.dingtalkdemo")
        XCTAssertNil(legacyReq.redirectURI)
    }

    func testLegacySuccessIsBoundToTheSinglePendingLogin() throws {
        let auth = try makeAuth(.legacySdk)
        let request = try auth.begin(flow: .legacySdk)
        XCTAssertNil(request.state, "DTAuthorizeReq has no state")
        let resp = DTAuthorizeResp()
        resp.accessCode = "legacy-code"
        let grant = try XCTUnwrap(try auth.complete(legacy: resp).grant)
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
