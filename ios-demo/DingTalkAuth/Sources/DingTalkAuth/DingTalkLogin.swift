import Foundation

/// Opens DingTalk (an SDK request, a web authentication session, or the demo's simulated DingTalk) for a
/// login that has begun.
public protocol DingTalkPresenter {
    /// Hands `request` to DingTalk. Returns the callback URL when DingTalk's answer comes straight back
    /// (a web authentication session), or nil when it will arrive later through `DingTalkLogin.handle(url:)`
    /// (SDK flows: DingTalk opens the app's URL scheme). Throw `CancellationError` when the user closed it.
    func present(_ request: LoginRequest) async throws -> URL?
}

/// What a login ended with, for answers that arrive while no `login` call is waiting (the app was killed
/// while DingTalk was in front and relaunched by DingTalk's reply).
public typealias DingTalkLoginResult = Result<LoginOutcome, Error>

/// The app's one entry point for DingTalk login: `async` login per flow, one URL router for every way a
/// URL reaches the app, and the SDK delegates' reply hand-off. Thread-safe.
///
/// ```swift
/// // AppDelegate:   func application(_ app: UIApplication, open url: URL, options: …) -> Bool { login.handle(url: url) }
/// // SceneDelegate: URLContexts.forEach { _ = login.handle(url: $0.url) }
/// // SwiftUI:       .onOpenURL { _ = login.handle(url: $0) }
/// ```
public final class DingTalkLogin: @unchecked Sendable {
    /// The core, for `submit` and anything not wrapped here.
    public let auth: DingTalkAuth
    /// Recognises DingTalk's callbacks.
    public let matcher: DingTalkCallbackMatcher

    private let lock = NSLock()
    private var sdkHandlers: [DingTalkSDKURLHandling]
    private struct Waiter {
        let id: UUID
        let flow: LoginFlow
        let continuation: CheckedContinuation<LoginOutcome, Error>
    }

    private var waiter: Waiter?
    private var lateHandler: ((DingTalkLoginResult) -> Void)?
    /// Replies that came before `onLateResult`: which ones are kept, and how many, is the core's policy.
    private let undelivered = UndeliveredReplies()

    /// - Parameters:
    ///   - auth: the core instance (give it a persistent store, e.g. `KeychainPendingLoginStore`).
    ///   - sdkSchemes: the DingTalk app ids registered as URL schemes (legacy AppId, new-SDK ClientId).
    ///   - redirectURI: the browser flow's redirect URI, as configured in `auth`.
    ///   - sdkHandlers: the SDKs' URL handlers (none for a browser-only app).
    public init(auth: DingTalkAuth, sdkSchemes: [String], redirectURI: String?,
                sdkHandlers: [DingTalkSDKURLHandling] = []) {
        self.auth = auth
        self.matcher = DingTalkCallbackMatcher(sdkSchemes: sdkSchemes, redirectURI: redirectURI)
        self.sdkHandlers = sdkHandlers
    }

    /// Adds an SDK URL handler (e.g. once the SDK is registered).
    public func addSDKHandler(_ handler: DingTalkSDKURLHandling) {
        lock.lock(); defer { lock.unlock() }
        sdkHandlers.append(handler)
    }

    /// Where answers go that no `login` call is waiting for (after a relaunch). Answers that arrived
    /// before a handler was set are delivered to it at once, in order: every outcome and every error
    /// about this device's login (the last few of them), never a reply to ignore (`isForeignReply`).
    public func onLateResult(_ handler: @escaping (DingTalkLoginResult) -> Void) {
        lock.lock()
        lateHandler = handler
        let pending = undelivered.takeAll()
        lock.unlock()
        pending.forEach { handler($0.result) }
    }

    /// The one URL router: call it from `application(_:open:options:)`, a `SceneDelegate` and `.onOpenURL`.
    /// Returns true when `url` was DingTalk's callback (and was handled), false for everything else, which
    /// the app must then route itself.
    @discardableResult
    public func handle(url: URL) -> Bool {
        switch matcher.classify(url) {
        case .other:
            return false
        case .browserRedirect:
            finish(flow: .browser) { try self.auth.complete(callbackURL: url) }
            return true
        case .sdkReply:
            lock.lock()
            let handlers = sdkHandlers
            lock.unlock()
            // The SDK parses its URL and calls back `deliver(legacy:)` / `deliver(openAuth:)`.
            return handlers.contains { $0.handleDingTalkURL(url) }
        }
    }

    /// Call from the legacy SDK's `onResp` with the `DTAuthorizeResp`.
    public func deliver(legacy reply: DingTalkLegacyAuthorizeReply) {
        finish(flow: .legacySdk) { try self.auth.complete(legacy: reply) }
    }

    /// Call from the new SDK's completion with the `ADTOpenAuthResp`.
    public func deliver(openAuth reply: DingTalkOpenAuthReply) {
        finish(flow: .newSdk) { try self.auth.complete(openAuth: reply) }
    }

    /// Begins a login of `flow`, hands it to `presenter`, and returns DingTalk's verdict. One login at a
    /// time: a new call abandons the previous one. An abandoned login (a new call, `cancelWaitingLogin()`,
    /// the calling task cancelled, the presenter throwing `CancellationError`) returns `.cancelled` and
    /// its pending login is discarded, so a late reply cannot complete it.
    public func login(_ flow: LoginFlow, presenter: DingTalkPresenter) async throws -> LoginOutcome {
        let request = try auth.begin(flow: flow)
        let id = UUID()
        do {
            return try await withTaskCancellationHandler {
                try await wait(id: id, flow: flow, request: request, presenter: presenter)
            } onCancel: {
                self.resumeWaiter(id: id, .failure(CancellationError()))
            }
        } catch {
            // Cancelled or refused before a verdict: forget the pending login so it cannot be completed later.
            if let state = request.state { try? auth.discard(state: state) }
            if error is CancellationError { return .cancelled }
            throw error
        }
    }

    /// Gives up the login a `login` call is waiting for (e.g. the user came back from DingTalk without an
    /// answer and tapped "Cancel"): that call returns `.cancelled`.
    public func cancelWaitingLogin() {
        lock.lock()
        let w = waiter
        waiter = nil
        lock.unlock()
        w?.continuation.resume(throwing: CancellationError())
    }

    private func wait(id: UUID, flow: LoginFlow, request: LoginRequest, presenter: DingTalkPresenter) async throws -> LoginOutcome {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<LoginOutcome, Error>) in
            if Task.isCancelled {  // cancelled before the waiter existed: onCancel found nothing to resume
                c.resume(throwing: CancellationError())
                return
            }
            lock.lock()
            let previous = waiter
            waiter = Waiter(id: id, flow: flow, continuation: c)
            lock.unlock()
            previous?.continuation.resume(throwing: CancellationError())
            Task {
                do {
                    if let url = try await presenter.present(request) {
                        // Straight back from a web session: through the same router as any other URL.
                        if !self.handle(url: url) {
                            self.resumeWaiter(id: id, .failure(AuthError.InvalidCallback(
                                reason: "the web session returned a URL that is not the redirect URI")))
                        }
                    }
                } catch {
                    self.resumeWaiter(id: id, .failure(error))
                }
            }
        }
    }

    private func finish(flow: LoginFlow, _ complete: () throws -> LoginOutcome) {
        let result: DingTalkLoginResult
        do { result = .success(try complete()) } catch { result = .failure(error) }
        if resumeWaiter(flow: flow, result) { return }
        lock.lock()
        let handler = lateHandler
        if handler == nil { _ = undelivered.offer(reply: LoginReply(flow: flow, result)) }
        lock.unlock()
        handler?(result)
    }

    /// Resumes the waiting login with `result` if it waits for `flow`; returns whether it did.
    @discardableResult
    private func resumeWaiter(flow: LoginFlow, _ result: DingTalkLoginResult) -> Bool {
        resumeWaiter(if: { $0.flow == flow }, result)
    }

    /// Resumes the login `id` if it is still the one waiting (not one that replaced it).
    @discardableResult
    private func resumeWaiter(id: UUID, _ result: DingTalkLoginResult) -> Bool {
        resumeWaiter(if: { $0.id == id }, result)
    }

    private func resumeWaiter(if matches: (Waiter) -> Bool, _ result: DingTalkLoginResult) -> Bool {
        lock.lock()
        guard let w = waiter, matches(w) else { lock.unlock(); return false }
        waiter = nil
        lock.unlock()
        w.continuation.resume(with: result)
        return true
    }
}

private extension LoginReply {
    /// A reply as the core's buffer keeps it. The core's calls throw only `AuthError`; anything else
    /// would be a bug in this layer, kept as `Internal` rather than lost.
    init(flow: LoginFlow, _ result: DingTalkLoginResult) {
        switch result {
        case let .success(outcome): self = .outcome(flow: flow, outcome: outcome)
        case let .failure(error as AuthError): self = .refused(flow: flow, error: error)
        case let .failure(error): self = .refused(flow: flow, error: .Internal(reason: "\(error)"))
        }
    }

    var result: DingTalkLoginResult {
        switch self {
        case let .outcome(_, outcome): return .success(outcome)
        case let .refused(_, error): return .failure(error)
        }
    }
}

/// Why a presenter could not hand a login to DingTalk. `DingTalkLogin.login` rethrows it after discarding
/// the pending login. Its sentence and translation key are the core's (`startProblemMessage(problem:)`).
public enum DingTalkPresentationError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// DingTalk did not open: not installed, too old, or the SDK refused the request
    /// (`DTOpenAPI.send` answered false); iOS cannot tell these apart.
    case dingTalkDidNotOpen

    /// The core's name for this start problem.
    public var problem: StartProblem {
        switch self {
        case .dingTalkDidNotOpen: return .dingTalkDidNotOpen
        }
    }

    /// The technical text (logs).
    public var description: String { "DingTalk could not be opened" }

    /// The sentence for the user (`localizedDescription`).
    public var errorDescription: String? { startProblemMessage(problem: problem).text }
}
