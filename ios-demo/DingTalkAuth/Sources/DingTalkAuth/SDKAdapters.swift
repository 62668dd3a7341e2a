import Foundation

// Adapters from the DingTalk SDKs' reply objects to the core's `SdkResponse`, written against small
// protocols so this package never links a DingTalk SDK: an app that only uses the browser flow links none.
// An app that uses an SDK makes its reply class conform in a few lines (README, "Adding the package").

/// What the legacy DTShareKit reply `DTAuthorizeResp` carries. It has no state: the core binds the reply
/// to the single pending legacy login.
///
/// ```swift
/// extension DTAuthorizeResp: DingTalkLegacyAuthorizeReply {
///     public var replyErrorCode: Int { Int(errorCode.rawValue) }
///     public var replyErrorMessage: String? { errorMessage }
///     public var replyAccessCode: String? { accessCode }
/// }
/// ```
public protocol DingTalkLegacyAuthorizeReply {
    /// `errorCode` (0 success, -2 cancelled, -4 denied, …).
    var replyErrorCode: Int { get }
    /// `errorMessage`.
    var replyErrorMessage: String? { get }
    /// `accessCode`: the auth code on success.
    var replyAccessCode: String? { get }
}

/// What the new SDK's reply `ADTOpenAuthResp` carries.
public protocol DingTalkOpenAuthReply {
    /// `respCode` (0 success, -2 cancelled, -4 denied, …).
    var replyRespCode: Int { get }
    /// `respMessage`.
    var replyRespMessage: String? { get }
    /// `authCode` on success.
    var replyAuthCode: String? { get }
    /// `state`, echoed from the request.
    var replyState: String? { get }
}

/// A legacy reply as plain values (tests, the demo's simulated DingTalk, or an app's own SDK wrapper).
public struct LegacyAuthorizeReply: DingTalkLegacyAuthorizeReply, Equatable, Sendable {
    /// See `DingTalkLegacyAuthorizeReply`.
    public var replyErrorCode: Int
    /// See `DingTalkLegacyAuthorizeReply`.
    public var replyErrorMessage: String?
    /// See `DingTalkLegacyAuthorizeReply`.
    public var replyAccessCode: String?

    /// A reply with these values.
    public init(errorCode: Int, errorMessage: String? = nil, accessCode: String? = nil) {
        replyErrorCode = errorCode
        replyErrorMessage = errorMessage
        replyAccessCode = accessCode
    }
}

/// A new-SDK reply as plain values.
public struct OpenAuthReply: DingTalkOpenAuthReply, Equatable, Sendable {
    /// See `DingTalkOpenAuthReply`.
    public var replyRespCode: Int
    /// See `DingTalkOpenAuthReply`.
    public var replyRespMessage: String?
    /// See `DingTalkOpenAuthReply`.
    public var replyAuthCode: String?
    /// See `DingTalkOpenAuthReply`.
    public var replyState: String?

    /// A reply with these values.
    public init(respCode: Int, respMessage: String? = nil, authCode: String? = nil, state: String? = nil) {
        replyRespCode = respCode
        replyRespMessage = respMessage
        replyAuthCode = authCode
        replyState = state
    }
}

extension SdkResponse {
    /// The legacy SDK's reply as the core's input, exactly as received (no state: DTAuthorizeReq has none).
    public init(legacy reply: DingTalkLegacyAuthorizeReply) {
        self.init(flow: .legacySdk, errCode: String(reply.replyErrorCode), message: reply.replyErrorMessage,
                  code: reply.replyAccessCode, state: nil)
    }

    /// The new SDK's reply as the core's input, exactly as received.
    public init(openAuth reply: DingTalkOpenAuthReply) {
        self.init(flow: .newSdk, errCode: String(reply.replyRespCode), message: reply.replyRespMessage,
                  code: reply.replyAuthCode, state: reply.replyState)
    }
}

extension DingTalkAuth {
    /// Completes a legacy-SDK login from `DTAuthorizeResp` (or anything conforming).
    public func complete(legacy reply: DingTalkLegacyAuthorizeReply) throws -> LoginOutcome {
        try completeSdk(response: SdkResponse(legacy: reply))
    }

    /// Completes a new-SDK login from `ADTOpenAuthResp` (or anything conforming).
    public func complete(openAuth reply: DingTalkOpenAuthReply) throws -> LoginOutcome {
        try completeSdk(response: SdkResponse(openAuth: reply))
    }

    /// Completes a browser login from the URL DingTalk redirected to (ASWebAuthenticationSession's
    /// callback URL, or a universal link / custom-scheme URL delivered to the app).
    public func complete(callbackURL: URL) throws -> LoginOutcome {
        try completeBrowser(callbackUrl: callbackURL.absoluteString)
    }
}
