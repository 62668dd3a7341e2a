import DingTalkAuth
import Foundation

/// What DingTalk sends back for a `LoginRequest`, built without DingTalk, for an app's unit tests (the
/// Swift side of the Android testing artifact's `DingTalkReplies`): hand it to the same call a real reply
/// reaches (`DingTalkLogin.handle(url:)`, `deliver(openAuth:)`, `deliver(legacy:)`), or let
/// `presenter(for:answering:)` answer a `login` call the way DingTalk would. The code is whatever the
/// test chooses; a test of the whole login gives the backend a stand-in that accepts it.
///
/// ```swift
/// let outcome = try await login.login(.browser, presenter: DingTalkReplies.presenter(for: login, answering: .approved(code: "test-code")))
/// ```
public enum DingTalkReplies {
    /// How the simulated DingTalk answers.
    public enum Answer: Equatable, Sendable {
        /// The user approves: DingTalk sends `code`.
        case approved(code: String)
        /// The user backs out (ErrCode -2; the browser page sends no redirect: the session is closed).
        case cancelled
        /// The user refuses (ErrCode -4; the browser page redirects with `error=access_denied`).
        case denied
    }

    /// The browser flow: the redirect DingTalk's login page sends (`redirectUri?authCode=…&state=…`).
    public static func browserApproved(_ request: LoginRequest, code: String) throws -> URL {
        try redirect(request, ("authCode", code))
    }

    /// The browser flow when the user refuses: the redirect with DingTalk's `error` parameter.
    public static func browserDenied(_ request: LoginRequest, error: String = "access_denied") throws -> URL {
        try redirect(request, ("error", error))
    }

    /// The new SDK (ADTOpenAuthSDK): the `ADTOpenAuthResp` values when the user approves.
    public static func newSdkApproved(_ request: LoginRequest, code: String) -> OpenAuthReply {
        OpenAuthReply(respCode: 0, authCode: code, state: request.state)
    }

    /// The new SDK's reply with DingTalk's code (`-2` the user backed out, `-4` refused).
    public static func newSdkFailed(_ request: LoginRequest, respCode: Int64 = -2, message: String? = nil) -> OpenAuthReply {
        OpenAuthReply(respCode: respCode, respMessage: message, state: request.state)
    }

    /// The legacy SDK (DTShareKit): the `DTAuthorizeResp` values when the user approves (it has no state).
    public static func legacyApproved(code: String) -> LegacyAuthorizeReply {
        LegacyAuthorizeReply(errorCode: 0, accessCode: code)
    }

    /// The legacy SDK's failure (`-2` the user backed out, `-4` refused), with DingTalk's message.
    public static func legacyFailed(errorCode: Int = -2, message: String? = nil) -> LegacyAuthorizeReply {
        LegacyAuthorizeReply(errorCode: errorCode, errorMessage: message)
    }

    /// A presenter that answers `login`'s request as DingTalk would: the browser flow's web session
    /// returns the redirect (or is closed, for `.cancelled`); the SDK flows' reply is delivered to `login`
    /// as the SDK delegate would deliver it.
    public static func presenter(for login: DingTalkLogin, answering answer: Answer) -> DingTalkPresenter {
        ReplyingPresenter(login: login, answer: answer)
    }

    /// Thrown for a request no reply can answer (a browser login without a redirect URI).
    public struct Unanswerable: Error, CustomStringConvertible {
        /// Why.
        public let description: String
    }

    private static func redirect(_ request: LoginRequest, _ answer: (String, String)) throws -> URL {
        guard request.flow == .browser else {
            throw Unanswerable(description: "a browser redirect answers a browser login, not \(request.flow)")
        }
        guard let base = request.redirectUri, var parts = URLComponents(string: base) else {
            throw Unanswerable(description: "the browser login has no usable redirect URI")
        }
        var items = parts.queryItems ?? []
        items.append(URLQueryItem(name: answer.0, value: answer.1))
        if let state = request.state { items.append(URLQueryItem(name: "state", value: state)) }
        parts.queryItems = items
        guard let url = parts.url else { throw Unanswerable(description: "the redirect URI does not take a query") }
        return url
    }
}

private struct ReplyingPresenter: DingTalkPresenter {
    let login: DingTalkLogin
    let answer: DingTalkReplies.Answer

    func present(_ request: LoginRequest) async throws -> URL? {
        switch (request.flow, answer) {
        case let (.browser, .approved(code)): return try DingTalkReplies.browserApproved(request, code: code)
        case (.browser, .denied): return try DingTalkReplies.browserDenied(request)
        case (.browser, .cancelled): throw CancellationError()  // the user closed the web session
        case let (.newSdk, .approved(code)): login.deliver(openAuth: DingTalkReplies.newSdkApproved(request, code: code))
        case (.newSdk, .cancelled): login.deliver(openAuth: DingTalkReplies.newSdkFailed(request, respCode: -2))
        case (.newSdk, .denied): login.deliver(openAuth: DingTalkReplies.newSdkFailed(request, respCode: -4))
        case let (.legacySdk, .approved(code)): login.deliver(legacy: DingTalkReplies.legacyApproved(code: code))
        case (.legacySdk, .cancelled): login.deliver(legacy: DingTalkReplies.legacyFailed(errorCode: -2))
        case (.legacySdk, .denied): login.deliver(legacy: DingTalkReplies.legacyFailed(errorCode: -4))
        }
        return nil
    }
}
