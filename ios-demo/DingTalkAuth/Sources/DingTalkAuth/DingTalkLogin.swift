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
/// // SceneDelegate: willConnectTo: login.handle(DingTalkIncomingURLs(connectionOptions))  (a cold start)
/// //                openURLContexts: login.handle(DingTalkIncomingURLs(URLContexts))
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
    private var ignoredHandler: ((AuthError) -> Void)?
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
    /// before a handler was set are delivered to it at once, in order, as the core keeps them
    /// (`UndeliveredReplies`): DingTalk's answers always, a failed login only while no answer waits. A
    /// reply that is not for this device's login never reaches it (see `onIgnoredReply`).
    public func onLateResult(_ handler: @escaping (DingTalkLoginResult) -> Void) {
        lock.lock()
        lateHandler = handler
        let pending = undelivered.takeAll()
        lock.unlock()
        pending.forEach { handler($0.result) }
    }

    /// Called with every reply refused as not for this device's login (forged, replayed, for another
    /// flow, unreadable: the core's `replyVerdict` is `.notForUs`). Such a reply never ends a waiting
    /// login and never reaches `onLateResult`; this is for logs or a passing note.
    public func onIgnoredReply(_ handler: @escaping (AuthError) -> Void) {
        lock.lock(); defer { lock.unlock() }
        ignoredHandler = handler
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
    public func deliver(legacy reply: some DingTalkLegacyAuthorizeReply) {
        finish(flow: .legacySdk) { try self.auth.complete(legacy: reply) }
    }

    /// Call from the new SDK's `onResp` with the `ADTOpenAuthResp`.
    public func deliver(openAuth reply: some DingTalkOpenAuthReply) {
        finish(flow: .newSdk) { try self.auth.complete(openAuth: reply) }
    }

    /// Begins a login of `flow`, hands it to `presenter`, and returns DingTalk's verdict. One login at a
    /// time: a new call abandons the previous one. An abandoned login (a new call, `cancelWaitingLogin()`,
    /// the calling task cancelled, the presenter throwing `CancellationError`) returns `.cancelled` and
    /// its pending login is abandoned (`DingTalkAuth.abandon(request:)`, for every flow, the legacy one
    /// without state included), so a late reply cannot complete it. A reply that is not for this login
    /// (the core's `replyVerdict` is `.notForUs`: a made-up state, a replay, another flow's reply)
    /// never ends the wait: the call keeps waiting for DingTalk's own reply.
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
            // Cancelled, or DingTalk could not be opened, before a verdict: forget the pending login so it
            // cannot be completed later. If forgetting fails the login still expires at its TTL.
            try? auth.abandon(request: request)
            if error is CancellationError { return .cancelled(dingtalkMessage: nil, answeredBy: .unknown) }
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
                        // Straight back from the web session this login opened: nothing else will answer,
                        // so its verdict, whatever it is, ends this login.
                        self.finishPresented(id: id, url: url)
                    }
                } catch {
                    self.resumeWaiter(id: id, .failure(error))
                }
            }
        }
    }

    /// The URL the login `id`'s own web session returned.
    private func finishPresented(id: UUID, url: URL) {
        guard matcher.classify(url) == .browserRedirect else {
            resumeWaiter(id: id, .failure(AuthError.InvalidCallback(
                reason: "the web session returned a URL that is not the redirect URI")))
            return
        }
        let result = DingTalkLoginResult { try auth.complete(callbackURL: url) }
        if resumeWaiter(id: id, result) { return }
        deliverLate(LoginReply(flow: .browser, result))  // the call gave up meanwhile: like any late answer
    }

    /// A reply that reached the app through the router or an SDK delegate. Where it goes is the core's
    /// decision (`replyVerdict`), the same as on Android: not for us → only `onIgnoredReply`; otherwise
    /// the login waiting for its flow, or else `onLateResult`.
    private func finish(flow: LoginFlow, _ complete: () throws -> LoginOutcome) {
        let reply = LoginReply(flow: flow, DingTalkLoginResult { try complete() })
        if case let .refused(_, error) = reply, replyVerdict(reply: reply) == .notForUs {
            lock.lock()
            let handler = ignoredHandler
            lock.unlock()
            handler?(error)
            return
        }
        if resumeWaiter(flow: flow, reply.result) { return }
        deliverLate(reply)
    }

    private func deliverLate(_ reply: LoginReply) {
        lock.lock()
        let handler = lateHandler
        if handler == nil { _ = undelivered.offer(reply: reply) }
        lock.unlock()
        handler?(reply.result)
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

/// Why a presenter could not hand a login to DingTalk. `DingTalkLogin.login` rethrows it after abandoning
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

/// The presenter of an SDK flow: `send` hands the request to the SDK and says whether it went out; the
/// answer arrives later through `DingTalkLogin.handle(url:)` and the SDK's delegate. When `send` answers
/// false, `login` abandons the pending login and throws `DingTalkPresentationError.dingTalkDidNotOpen`.
///
/// ```swift
/// DingTalkSDKPresenter { @MainActor request in   // ADTOpenAuthSDK; DTShareKit is the same with DTAuthorizeReq
///     let req = ADTOpenAuthReq(); req.fill(from: request)
///     return ADTOpenAuthAPI.send(req, on: viewController)
/// }
/// ```
public struct DingTalkSDKPresenter: DingTalkPresenter {
    private let send: (LoginRequest) async -> Bool

    /// A presenter sending each request with `send`.
    public init(send: @escaping (LoginRequest) async -> Bool) {
        self.send = send
    }

    /// Sends `request`; nil: the answer comes through the URL router.
    public func present(_ request: LoginRequest) async throws -> URL? {
        guard await send(request) else { throw DingTalkPresentationError.dingTalkDidNotOpen }
        return nil
    }
}
