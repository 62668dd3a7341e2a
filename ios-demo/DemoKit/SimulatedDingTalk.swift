import DingTalkAuth
import Foundation

/// What the simulated DingTalk answers.
public enum SimulatedAnswer: String, CaseIterable, Sendable {
    /// The user approves: the fake DingTalk mints a real code for this login.
    case approve
    /// The user backs out (SDK ErrCode -2; the browser sheet is closed).
    case cancel
    /// The user refuses (SDK ErrCode -4; browser `error=access_denied`).
    case deny
    /// DingTalk does not recognise the app (SDK ErrCode -4 with the message `key check error`: the bundle
    /// id does not match the console's registration).
    case keyCheckError
    /// Another app first opens a reply with a state this app never issued (a forged reply); it is ignored
    /// and DingTalk's genuine reply then completes the login.
    case tamperedState
    /// The reply is prepared but not delivered: it waits in `heldReply` until something opens it (the UI
    /// test kills the app first, then opens it, as DingTalk would relaunch the app).
    case holdReply
}

/// Plays DingTalk on a simulator, where DingTalk cannot be installed. It asks the fake DingTalk to mint
/// a code for the pending login (or answers cancel / deny / a tampered state) and returns through the
/// same path a real reply takes: SDK flows open a URL in the app's DingTalk URL scheme, which reaches
/// `DingTalkLogin.handle(url:)` and then this object as the SDK URL handler (as `DTOpenAPI.handleOpenURL`
/// would be), which delivers an SDK reply object; the browser flow returns the redirect URL as
/// `ASWebAuthenticationSession` does.
public final class SimulatedDingTalk: DingTalkPresenter, DingTalkSDKURLHandling, @unchecked Sendable {
    /// The host of the simulated SDK reply URLs (`<app id>://dingtalk-simulator/reply?...`).
    public static let replyHost = "dingtalk-simulator"

    private let fake: FakeDingTalkClient
    private let configuration: DemoConfiguration
    private let openURL: (URL) -> Void
    private let lock = NSLock()
    private var _answer: SimulatedAnswer = .approve
    private var _heldReply: URL?
    /// The login of a flow, which receives the SDK replies this simulator parses from its URLs (set by
    /// `DemoApp`; each flow's DingTalk application has its own login).
    public var router: ((LoginFlow) -> DingTalkLogin?)?

    /// - Parameters:
    ///   - openURL: how the app opens a URL (on iOS `UIApplication.shared.open`, which comes back through
    ///     `.onOpenURL`; in tests straight into `DingTalkLogin.handle(url:)`).
    public init(fake: FakeDingTalkClient, configuration: DemoConfiguration, openURL: @escaping (URL) -> Void) {
        self.fake = fake
        self.configuration = configuration
        self.openURL = openURL
    }

    /// What the next login is answered with.
    public var answer: SimulatedAnswer {
        get { lock.lock(); defer { lock.unlock() }; return _answer }
        set { lock.lock(); _answer = newValue; lock.unlock() }
    }

    private func setHeldReply(_ url: URL) {
        lock.lock(); defer { lock.unlock() }
        _heldReply = url
    }

    /// The reply prepared under `.holdReply`, not yet delivered.
    public var heldReply: URL? {
        lock.lock(); defer { lock.unlock() }
        return _heldReply
    }

    /// Called with the reply prepared under `.holdReply` (the demo shows it; the UI test opens it after
    /// killing the app).
    public var onHeldReply: ((URL) -> Void)?

    /// The user this simulator logs in as (the fake returns it as the identity).
    public var user: [String: Any] = ["nick": "Demo User", "unionId": "union-demo", "openId": "open-demo"]

    /// Plays DingTalk for `request` with the current `answer` (see the type's documentation).
    public func present(_ request: LoginRequest) async throws -> URL? {
        let answer = self.answer
        if answer == .tamperedState {
            // The forged reply comes first, through the app's URL scheme as any app could send it.
            openURL(request.flow == .browser ? try await browserRedirect(request, .tamperedState)
                                             : try await sdkReply(request, .tamperedState))
        }
        let genuine: SimulatedAnswer = answer == .tamperedState ? .approve : answer
        let reply: URL
        switch request.flow {
        case .legacySdk, .newSdk:
            reply = try await sdkReply(request, genuine)
        case .browser:
            if genuine == .cancel { throw CancellationError() }  // the user closed the sheet
            reply = try await browserRedirect(request, genuine)
        }
        if genuine == .holdReply {
            setHeldReply(reply)
            onHeldReply?(reply)
            return nil
        }
        if request.flow == .browser { return reply }
        openURL(reply)
        return nil
    }

    /// Parses a simulated SDK reply URL into the SDK's reply object and delivers it (what the DingTalk
    /// SDK's URL handler + delegate do with a real reply).
    public func handleDingTalkURL(_ url: URL) -> Bool {
        guard url.host == Self.replyHost, let router else { return false }
        let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
        guard let errCode = value("errCode").flatMap(Int.init) else { return false }
        switch value("flow") {
        case "legacy_sdk":
            guard let login = router(.legacySdk) else { return false }
            login.deliver(legacy: LegacyAuthorizeReply(errorCode: errCode, errorMessage: value("message"), accessCode: value("code")))
        case "new_sdk":
            guard let login = router(.newSdk) else { return false }
            login.deliver(openAuth: OpenAuthReply(respCode: Int64(errCode), respMessage: value("message"), authCode: value("code"),
                                                  state: value("state")))
        default:
            return false
        }
        return true
    }

    private func sdkReply(_ request: LoginRequest, _ answer: SimulatedAnswer) async throws -> URL {
        let legacy = request.flow == .legacySdk
        if legacy && answer == .tamperedState {
            throw DemoError.configuration("the legacy iOS SDK carries no state to tamper with; use the new SDK or the browser")
        }
        var c = URLComponents()
        c.scheme = legacy ? configuration.legacyAppId : configuration.clientId
        c.host = Self.replyHost
        c.path = "/reply"
        var items = [URLQueryItem(name: "flow", value: legacy ? "legacy_sdk" : "new_sdk")]
        switch answer {
        case .approve, .holdReply, .tamperedState:
            let code = try await fake.mint(flow: legacy ? "legacy_sdk" : "new_sdk", clientId: request.clientId,
                                           scope: legacy ? nil : request.scope, user: user)
            items += [URLQueryItem(name: "errCode", value: "0"), URLQueryItem(name: "code", value: code)]
        case .cancel:
            items += [URLQueryItem(name: "errCode", value: "-2"), URLQueryItem(name: "message", value: "user cancelled")]
        case .deny:
            items += [URLQueryItem(name: "errCode", value: "-4"), URLQueryItem(name: "message", value: "auth denied")]
        case .keyCheckError:
            items += [URLQueryItem(name: "errCode", value: "-4"), URLQueryItem(name: "message", value: "key check error")]
        }
        // The legacy iOS SDK has no state; the new SDK echoes it (or, tampered, something else).
        if !legacy, let state = request.state {
            items.append(URLQueryItem(name: "state", value: answer == .tamperedState ? Self.tamper(state) : state))
        }
        c.queryItems = items
        guard let url = c.url else { throw DemoError.configuration("the app id is not a valid URL scheme") }
        return url
    }

    private func browserRedirect(_ request: LoginRequest, _ answer: SimulatedAnswer) async throws -> URL {
        guard var c = request.redirectUri.flatMap({ URLComponents(string: $0) }), let state = request.state else {
            throw DemoError.configuration("the browser flow has no redirect URI")
        }
        var items: [URLQueryItem] = []
        switch answer {
        case .deny, .keyCheckError:  // the web login has no "key check error": DingTalk checks no app there
            items.append(URLQueryItem(name: "error", value: "access_denied"))
        default:
            let code = try await fake.mint(flow: "browser", clientId: request.clientId, scope: request.scope, user: user)
            items.append(URLQueryItem(name: "authCode", value: code))
        }
        items.append(URLQueryItem(name: "state", value: answer == .tamperedState ? Self.tamper(state) : state))
        c.queryItems = items
        guard let url = c.url else { throw DemoError.configuration("bad redirect URI") }
        return url
    }

    /// A well-formed state that is not the issued one (its first character changed).
    static func tamper(_ state: String) -> String {
        guard let first = state.first else { return "A" }
        return (first == "A" ? "B" : "A") + state.dropFirst()
    }
}

/// The fake DingTalk's control API (server/README.md): `POST /_fake/mint` creates the code the DingTalk
/// app would return for a pending login.
public struct FakeDingTalkClient: Sendable {
    /// The fake's base URL.
    public let base: String
    let http: DemoHTTPClient

    /// A client of the fake at `base`.
    public init(base: String, http: DemoHTTPClient) {
        self.base = base
        self.http = http
    }

    /// A fresh auth code for `flow` ("legacy_sdk", "new_sdk", "browser") and `user`.
    public func mint(flow: String, clientId: String, scope: String?, user: [String: Any]) async throws -> String {
        guard let url = URL(string: base + "/_fake/mint") else { throw DemoError.configuration("bad fake URL \(base)") }
        var body: [String: Any] = ["flow": flow, "clientId": clientId, "user": user]
        if let scope { body["scope"] = scope }
        let (status, data) = try await http.send(method: "POST", url: url, json: body)
        guard status == 200,
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let code = o["code"] as? String, !code.isEmpty else {
            throw DemoError.http("the fake DingTalk did not mint a code (HTTP \(status))")
        }
        return code
    }
}
