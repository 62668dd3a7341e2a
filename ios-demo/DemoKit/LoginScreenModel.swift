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

/// The login screen's logic: the three flows, DingTalk's verdict, the grant handed to the library's
/// `GrantDelivery` (which sends it and keeps it until this model has shown the answer), the identity or
/// a sentence. The SwiftUI view only renders `state` and calls `signIn`.
public final class LoginScreenModel: @unchecked Sendable {
    private let logins: [LoginFlow: DingTalkLogin]
    private let deliveries: [LoginFlow: GrantDelivery]
    private let presenter: (LoginFlow) -> DingTalkPresenter
    private let lock = NSLock()
    private var _state: LoginScreenState = .idle
    private var settledWaiters: [CheckedContinuation<LoginScreenState, Never>] = []
    private var stopObserving: [() -> Void] = []
    /// Called after every change of `state`, on the thread that changed it.
    public var onChange: ((LoginScreenState) -> Void)?
    private var _note: String?
    /// Called when a DingTalk reply arrived that belongs to no login of this app (forged, replayed, for
    /// another flow: the core's `replyVerdict` is `.notForUs`) and was ignored; the state does not change,
    /// a waiting login keeps waiting.
    public var onIgnoredReply: ((AuthError) -> Void)?

    /// - Parameters:
    ///   - logins: one `DingTalkLogin` per flow (each DingTalk application has its own).
    ///   - deliveries: the `GrantDelivery` of each flow's DingTalk application (flows of one application
    ///     share one). A grant one of them is re-sending from a killed launch shows as soon as this is made.
    ///   - presenter: what opens DingTalk for a flow (the SDKs, the web session, or the simulator).
    public init(logins: [LoginFlow: DingTalkLogin], deliveries: [LoginFlow: GrantDelivery],
                presenter: @escaping (LoginFlow) -> DingTalkPresenter) {
        self.logins = logins
        self.deliveries = deliveries
        self.presenter = presenter
        var seen = Set<ObjectIdentifier>()
        for delivery in deliveries.values where seen.insert(ObjectIdentifier(delivery)).inserted {
            // Called at once with the delivery's state: a re-send from a killed launch is already on its way.
            let stop = delivery.observe { [weak self, weak delivery] state in
                guard let self, let delivery else { return }
                self.delivery(delivery, reached: state)
            }
            stopObserving.append(stop)
        }
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

    deinit { stopObserving.forEach { $0() } }

    private func set(_ s: LoginScreenState) {
        lock.lock()
        _state = s
        var waiters: [CheckedContinuation<LoginScreenState, Never>] = []
        if case .working = s {} else { swap(&waiters, &settledWaiters) }
        lock.unlock()
        onChange?(s)
        waiters.forEach { $0.resume(returning: s) }
    }

    /// The state once no step is in progress: at once when none is, else when the step ends (a login, or
    /// a grant a killed launch left being sent again).
    public func settled() async -> LoginScreenState {
        await withCheckedContinuation { continuation in
            lock.lock()
            guard case .working = _state else {
                let now = _state
                lock.unlock()
                return continuation.resume(returning: now)
            }
            settledWaiters.append(continuation)
            lock.unlock()
        }
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

    /// DingTalk's verdict → the flow's `GrantDelivery` → (`delivery(_:reached:)`) the identity, or a
    /// sentence. Returns when the screen shows the end of it.
    func finish(login: DingTalkLogin, _ result: DingTalkLoginResult) async {
        let outcome: LoginOutcome
        do {
            outcome = try result.get()
        } catch {
            return set(.failed(DemoText.sentence(for: error)))
        }
        guard case .authorized(let grant, _) = outcome else {
            // Cancelled, denied, not recognised or failed: the core's sentence for it, and for the
            // developer what DingTalk said (or what to register).
            setNote(DemoText.developerNote(for: outcome))
            return set(.failed(outcomeMessage(outcome: outcome).text))
        }
        guard let flow = logins.first(where: { $0.value === login })?.key, let delivery = deliveries[flow] else {
            return set(.failed("No delivery of grants is set up for this login."))
        }
        set(.working("Signing in with the server…"))
        delivery.deliver(grant)
        _ = await settled()
    }

    /// What a delivery reached: the screen shows it, then the grant is acknowledged (dropped from the
    /// store: until then a killed launch sends it again).
    private func delivery(_ delivery: GrantDelivery, reached state: GrantDelivery.State) {
        switch state {
        case .idle:
            return
        case .sending:
            set(.working("Signing in with the server…"))
        case let .delivered(_, response):
            do {
                set(.signedIn(try DemoIdentity(backendResponse: response)))
            } catch {
                set(.failed(DemoText.sentence(for: error)))
            }
            delivery.acknowledge()
        case let .failed(_, error):
            set(.failed(DemoText.sentence(for: error)))
            delivery.acknowledge()
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
