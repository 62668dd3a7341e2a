import Foundation

// Adapters between the DingTalk SDKs' request and reply classes and the core, written against protocols
// so this package never links a DingTalk SDK (a browser-only app links none). Each protocol lists the
// SDK class's properties exactly as Swift imports them from its Objective-C header, so the SDK's own
// class conforms with an empty extension; the macOS workflow compiles those extensions against the real
// SDKs when it can download them.
//
// - Legacy: DTShareKit (`DTOpenAPI`, `DTAuthorizeReq`, `DTAuthorizeResp`), iOS guide
//   https://open.dingtalk.com/document/dingstart/mini-app-access. Its headers have no nullability
//   annotations, so Swift imports every object property as an implicitly unwrapped optional.
// - New: ADTOpenAuthSDK (`ADTOpenAuthAPI`, `ADTOpenAuthReq`, `ADTOpenAuthResp`), iOS guide
//   https://open.dingtalk.com/document/dingstart/mini-app-procedures-for-authorized-logon-to-ios-applications.
//   `ADTOpenAuthObject.h` is wrapped in NS_ASSUME_NONNULL, so its strings import as non-optional `String`.

/// The legacy DTShareKit reply `DTAuthorizeResp` (`DTBaseResp` + `accessCode`), as Swift imports it:
/// `errorCode: DTOpenAPIErrorCode` (an `NS_ENUM(NSInteger)`), `errorMessage: String!`, `accessCode: String!`.
/// It carries no state: the core binds the reply to the single pending legacy login.
///
/// ```swift
/// extension DTAuthorizeResp: DingTalkLegacyAuthorizeReply {}
/// ```
public protocol DingTalkLegacyAuthorizeReply {
    /// The SDK's error-code type (`DTOpenAPIErrorCode`); its raw value is DingTalk's ErrCode.
    associatedtype ErrorCode: RawRepresentable where ErrorCode.RawValue == Int
    /// `errorCode` (0 success, -2 cancelled, -4 auth denied, …).
    var errorCode: ErrorCode { get }
    /// `errorMessage`: DingTalk's message, kept on every outcome that is not a success. Implicitly
    /// unwrapped, as the header imports: a requirement of `String?` would not match it.
    var errorMessage: String! { get }
    /// `accessCode`: the auth code on success.
    var accessCode: String! { get }
}

/// The new SDK's reply `ADTOpenAuthResp` (`ADTBaseResp` + `authCode`, `state`), as Swift imports it:
/// `respCode: Int64` (`int64_t`), `respMessage`, `authCode`, `state`: `String`.
///
/// ```swift
/// extension ADTOpenAuthResp: DingTalkOpenAuthReply {}
/// ```
public protocol DingTalkOpenAuthReply {
    /// `respCode` (0 success, -2 cancelled, …).
    var respCode: Int64 { get }
    /// `respMessage`: DingTalk's message.
    var respMessage: String { get }
    /// `authCode` on success.
    var authCode: String { get }
    /// `state`, echoed from the request.
    var state: String { get }
}

/// The legacy SDK's request `DTAuthorizeReq`, as Swift imports it (`bundleId`, `redirectURI`: `String!`).
/// It has no state field.
///
/// ```swift
/// extension DTAuthorizeReq: DingTalkLegacyAuthorizeRequest {}
/// let req = DTAuthorizeReq(); req.fill(from: request, bundleId: Bundle.main.bundleIdentifier ?? "")
/// ```
public protocol DingTalkLegacyAuthorizeRequest: AnyObject {
    /// `bundleId`: the app's bundle id, as registered in DingTalk's developer console.
    var bundleId: String! { get set }
    /// `redirectURI` (optional for the legacy login).
    var redirectURI: String! { get set }
}

/// The new SDK's request `ADTOpenAuthReq`, as Swift imports it: `redirectUrl`, `responseType`, `scope`,
/// `prompt`, `state`, `nonce`, all `String`.
///
/// ```swift
/// extension ADTOpenAuthReq: DingTalkOpenAuthRequest {}
/// let req = ADTOpenAuthReq(); req.fill(from: request)
/// ```
public protocol DingTalkOpenAuthRequest: AnyObject {
    /// `redirectUrl`: must equal the redirect URL registered in the console (DingTalk only compares it).
    var redirectUrl: String { get set }
    /// `responseType`: only `code` is supported.
    var responseType: String { get set }
    /// `scope`: `openid` or `openid corpid`.
    var scope: String { get set }
    /// `prompt`: `consent` (the consent page is shown).
    var prompt: String { get set }
    /// `state`: echoed in the reply; the only guard binding the reply to this login.
    var state: String { get set }
    /// `nonce`: echoed in the reply.
    var nonce: String { get set }
}

extension DingTalkLegacyAuthorizeRequest {
    /// Fills the request for the login `request` began; `bundleId` is `Bundle.main.bundleIdentifier`.
    public func fill(from request: LoginRequest, bundleId: String) {
        self.bundleId = bundleId
        self.redirectURI = request.redirectUri
    }
}

extension DingTalkOpenAuthRequest {
    /// Fills the request for the login `request` began. The core decides every value, `responseType` and
    /// `prompt` included (the only ones `ADTOpenAuthObject.h` documents: "当前只支持固定值code", "固定值为consent").
    public func fill(from request: LoginRequest) {
        redirectUrl = request.redirectUri ?? ""
        responseType = request.responseType ?? ""
        scope = request.scope
        prompt = request.prompt ?? ""
        state = request.state ?? ""
        nonce = request.nonce ?? ""
    }
}

/// A legacy error code as a plain value, for `LegacyAuthorizeReply`.
public struct LegacyErrorCode: RawRepresentable, Equatable, Sendable {
    /// DingTalk's ErrCode.
    public var rawValue: Int
    /// The code `rawValue`.
    public init(rawValue: Int) { self.rawValue = rawValue }
}

/// A legacy reply as plain values (tests, the demo's simulated DingTalk, or an app's own SDK wrapper).
public struct LegacyAuthorizeReply: DingTalkLegacyAuthorizeReply, Equatable, Sendable {
    /// See `DingTalkLegacyAuthorizeReply`.
    public var errorCode: LegacyErrorCode
    /// See `DingTalkLegacyAuthorizeReply`.
    public var errorMessage: String!
    /// See `DingTalkLegacyAuthorizeReply`.
    public var accessCode: String!

    /// A reply with these values.
    public init(errorCode: Int, errorMessage: String? = nil, accessCode: String? = nil) {
        self.errorCode = LegacyErrorCode(rawValue: errorCode)
        self.errorMessage = errorMessage
        self.accessCode = accessCode
    }
}

/// A new-SDK reply as plain values. A missing value is the empty string, as it reaches Swift from the SDK.
public struct OpenAuthReply: DingTalkOpenAuthReply, Equatable, Sendable {
    /// See `DingTalkOpenAuthReply`.
    public var respCode: Int64
    /// See `DingTalkOpenAuthReply`.
    public var respMessage: String
    /// See `DingTalkOpenAuthReply`.
    public var authCode: String
    /// See `DingTalkOpenAuthReply`.
    public var state: String

    /// A reply with these values (nil: absent).
    public init(respCode: Int64, respMessage: String? = nil, authCode: String? = nil, state: String? = nil) {
        self.respCode = respCode
        self.respMessage = respMessage ?? ""
        self.authCode = authCode ?? ""
        self.state = state ?? ""
    }
}

/// The header promises non-null strings, but a nil `NSString` reaches Swift as "": both mean "absent".
private func present(_ s: String?) -> String? {
    guard let s, !s.isEmpty else { return nil }
    return s
}

extension SdkResponse {
    /// The legacy SDK's reply as the core's input, exactly as received (no state: DTAuthorizeReq has none).
    public init(legacy reply: some DingTalkLegacyAuthorizeReply) {
        self.init(flow: .legacySdk, errCode: String(reply.errorCode.rawValue), message: present(reply.errorMessage),
                  code: present(reply.accessCode), state: nil)
    }

    /// The new SDK's reply as the core's input, exactly as received.
    public init(openAuth reply: some DingTalkOpenAuthReply) {
        self.init(flow: .newSdk, errCode: String(reply.respCode), message: present(reply.respMessage),
                  code: present(reply.authCode), state: present(reply.state))
    }
}

extension DingTalkAuth {
    /// Completes a legacy-SDK login from `DTAuthorizeResp` (or anything conforming).
    public func complete(legacy reply: some DingTalkLegacyAuthorizeReply) throws -> LoginOutcome {
        try completeSdk(response: SdkResponse(legacy: reply))
    }

    /// Completes a new-SDK login from `ADTOpenAuthResp` (or anything conforming).
    public func complete(openAuth reply: some DingTalkOpenAuthReply) throws -> LoginOutcome {
        try completeSdk(response: SdkResponse(openAuth: reply))
    }

    /// Completes a browser login from the URL DingTalk redirected to (ASWebAuthenticationSession's
    /// callback URL, or a universal link / custom-scheme URL delivered to the app).
    public func complete(callbackURL: URL) throws -> LoginOutcome {
        try completeBrowser(callbackUrl: callbackURL.absoluteString)
    }
}
