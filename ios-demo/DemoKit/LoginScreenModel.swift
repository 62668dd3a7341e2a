import DingTalkAuth
import Foundation

/// The organisation's member the reference backend resolved the login to (an internal app's backend,
/// configured with the organisation's corp id): what the screen shows of them.
public struct DemoMember: Equatable, Sendable {
    /// The organisation's CorpId.
    public let corpId: String
    /// The member's userid in the organisation.
    public let userId: String
    /// Name in the organisation's contacts (nil when the backend checked membership only).
    public let name: String?
    /// Title (nil when the backend checked membership only; empty when the organisation set none).
    public let title: String?
    /// Department ids (nil when the backend checked membership only).
    public let departmentIds: [UInt64]?

    init(_ m: OrgMember) {
        corpId = m.corpId
        userId = m.userId
        name = m.name
        title = m.title
        departmentIds = m.departmentIds
    }

    /// The screen's lines: name, title, departments.
    public var lines: [String] {
        [name ?? userId, title.flatMap { $0.isEmpty ? nil : $0 },
         departmentIds.map { "departments " + $0.map(String.init).joined(separator: ", ") }].compactMap { $0 }
    }
}

/// The identity the reference backend answered for a login (never its session token in the UI).
public struct DemoIdentity: Equatable, Sendable {
    /// DingTalk nickname.
    public let nick: String
    /// DingTalk unionId.
    public let unionId: String
    /// DingTalk openId.
    public let openId: String
    /// Which flow made the code (`legacy_sdk`, `new_sdk`, `browser`).
    public let flow: String
    /// Whether the backend issued a session (its token is not shown).
    public let hasSession: Bool
    /// The organisation's member, when the backend resolves logins to members.
    public let member: DemoMember?

    /// Reads the backend's `POST /v1/login` answer with the core (`readLoginAnswer`); an answer that is
    /// not one throws `AuthError.UnreadableBody`.
    public init(backendResponse response: BackendResponse) throws {
        let answer = try readLoginAnswer(response: response)
        self.nick = answer.nick
        self.unionId = answer.unionId
        self.openId = answer.openId
        self.flow = answer.flow
        self.hasSession = !answer.sessionToken.isEmpty
        self.member = answer.member.map(DemoMember.init)
    }
}

/// What the login screen shows.
public enum LoginScreenState: Equatable, Sendable {
    /// Nothing happening.
    case idle
    /// A step in progress, as a sentence ("Waiting for DingTalk…").
    case working(String)
    /// Logged in.
    case signedIn(DemoIdentity)
    /// The login ended without an identity, as a sentence (cancel and deny included).
    case failed(String)
}

/// The login screen's logic: the three flows, DingTalk's verdict, the grant sent to the backend, the
/// identity or a sentence. The SwiftUI view only renders `state` and calls `signIn`.
public final class LoginScreenModel: @unchecked Sendable {
    private let logins: [LoginFlow: DingTalkLogin]
    private let presenter: (LoginFlow) -> DingTalkPresenter
    private let lock = NSLock()
    private var _state: LoginScreenState = .idle
    /// Called after every change of `state`, on the thread that changed it.
    public var onChange: ((LoginScreenState) -> Void)?
    private var _note: String?
    /// Called when a DingTalk reply arrived that belongs to no login of this app (forged, replayed, for
    /// another flow: the core's `replyVerdict` is `.notForUs`) and was ignored; the state does not change,
    /// a waiting login keeps waiting.
    public var onIgnoredReply: ((AuthError) -> Void)?

    /// - Parameters:
    ///   - logins: one `DingTalkLogin` per flow (each DingTalk application has its own).
    ///   - presenter: what opens DingTalk for a flow (the SDKs, the web session, or the simulator).
    public init(logins: [LoginFlow: DingTalkLogin], presenter: @escaping (LoginFlow) -> DingTalkPresenter) {
        self.logins = logins
        self.presenter = presenter
        for (_, login) in logins {
            // An answer nobody waits for: the app was relaunched by DingTalk's reply.
            login.onLateResult { [weak self] result in
                guard let self else { return }
                Task { await self.finish(login: login, result) }
            }
            login.onIgnoredReply { [weak self] error in
                self?.setNote("Ignored a DingTalk reply that was not for this login: \(error.userMessage)")
                self?.onIgnoredReply?(error)
            }
        }
    }

    /// A line for the developer under the result: DingTalk's own message, what to register when DingTalk
    /// did not recognise the app, or a reply that was ignored. Never shown to end users of a real app.
    public var note: String? {
        lock.lock(); defer { lock.unlock() }
        return _note
    }

    private func setNote(_ note: String?) {
        lock.lock(); _note = note; lock.unlock()
    }

    /// What the screen shows now.
    public var state: LoginScreenState {
        lock.lock(); defer { lock.unlock() }
        return _state
    }

    private func set(_ s: LoginScreenState) {
        lock.lock(); _state = s; lock.unlock()
        onChange?(s)
    }

    /// Logs in with `flow` and ends in `.signedIn` or `.failed`.
    public func signIn(_ flow: LoginFlow) async {
        guard let login = logins[flow] else { return set(.failed("The \(DemoText.name(flow)) is not enabled in this app.")) }
        setNote(nil)
        set(.working("Waiting for DingTalk…"))
        let result: DingTalkLoginResult
        do {
            result = .success(try await login.login(flow, presenter: presenter(flow)))
        } catch {
            result = .failure(error)
        }
        await finish(login: login, result)
    }

    /// DingTalk's verdict → the backend → the identity, or a sentence.
    func finish(login: DingTalkLogin, _ result: DingTalkLoginResult) async {
        do {
            let outcome = try result.get()
            guard case .authorized(let grant, _) = outcome else {
                // Cancelled, denied, not recognised or failed: the core's sentence for it, and for the
                // developer what DingTalk said (or what to register).
                setNote(DemoText.developerNote(for: outcome))
                return set(.failed(outcomeMessage(outcome: outcome).text))
            }
            set(.working("Signing in with the server…"))
            let response = try await login.auth.submit(grant: grant)
            set(.signedIn(try DemoIdentity(backendResponse: response)))
        } catch {
            set(.failed(DemoText.sentence(for: error)))
        }
    }
}

/// The demo's own texts: flow names, and sentences for the reference backend's error codes.
public enum DemoText {
    /// The flow's name in the UI.
    public static func name(_ flow: LoginFlow) -> String {
        switch flow {
        case .legacySdk: return "DingTalk app login (legacy SDK)"
        case .newSdk: return "DingTalk app login"
        case .browser: return "DingTalk web login"
        }
    }

    /// The developer's line for an outcome that is not a success: what to register when DingTalk did not
    /// recognise the app, else DingTalk's own message, if it sent one.
    public static func developerNote(for outcome: LoginOutcome) -> String? {
        switch outcome {
        case .authorized: return nil
        case let .appIdentityMismatch(dingtalkMessage, developerMessage, _):
            return developerMessage + (dingtalkMessage.map { " (DingTalk said: \($0))" } ?? "")
        case let .cancelled(message, _), let .denied(message, _), let .failed(_, _, message, _):
            return message.map { "DingTalk said: \($0)" }
        }
    }

    /// Any error of a login, as a sentence: the core's (`userMessage`), except that the reference
    /// backend's stable error codes (server/README.md) get their own.
    public static func sentence(for error: Error) -> String {
        if case let AuthError.BackendRejected(status, body) = error {
            let code = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["error"] as? String
            switch code {
            case "code_replayed": return "This DingTalk login was already used. Please log in again."
            case "clock_skew": return "The server's clock is wrong, so DingTalk refused it. Please tell the app's support."
            case "corp_not_allowed": return "Your DingTalk organisation is not allowed to use this app."
            case "invalid_grant", "invalid_code": return "DingTalk did not accept the login. Please log in again."
            case "dingtalk_unavailable", "dingtalk_timeout", "rate_limited":
                return "DingTalk is not answering the server right now. Please try again in a minute."
            default: return "The server refused the login (HTTP \(status)). Please try again later."
            }
        }
        if let auth = error as? AuthError { return auth.userMessage }
        if error is CancellationError { return "The login was interrupted." }
        return error.localizedDescription
    }
}
