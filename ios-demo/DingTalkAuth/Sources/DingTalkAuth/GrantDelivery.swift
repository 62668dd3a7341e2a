import Foundation

/// Sends the grant of an authorized login to your backend and keeps it until you `acknowledge()` the
/// outcome, so nothing between DingTalk's answer and the backend's loses the login:
///
/// - a view going away does not cancel the send: this object (keep one for the app, beside
///   `DingTalkLogin`) runs it, and `state` keeps the answer for the next view;
/// - if the OS kills the app during the send, the grant is in `store` (the same store as the pending
///   logins, e.g. `KeychainPendingLoginStore`), and the next launch's `GrantDelivery` sends it again
///   when it is created;
/// - a failed send is repeated by `retry()`.
///
/// Every repeat sends the same grant with the same `Idempotency-Key`, so the backend exchanges the
/// single-use code once and answers repeats with the first exchange's result. What is kept, for how
/// long (15 minutes: as long as the backend answers the idempotency key) and when it is dropped is the core's `KeptGrant`; this class only runs
/// the send and publishes its `State`. Thread-safe.
public final class GrantDelivery: @unchecked Sendable {
    /// Where the delivery is.
    public enum State {
        /// No grant to deliver: log in.
        case idle
        /// The grant is on its way to the backend.
        case sending(AuthGrant)
        /// The backend took the grant and answered: show it, then `acknowledge()`.
        case delivered(AuthGrant, BackendResponse)
        /// Sending failed: `retry()`, or show the error and `acknowledge()`.
        case failed(AuthGrant, AuthError)
    }

    private let auth: DingTalkAuth
    private let kept: KeptGrant
    private let lock = NSLock()
    private var current: State = .idle
    private var attempt = 0
    private var task: Task<Void, Never>?
    private var observers: [UUID: (State) -> Void] = [:]

    /// - Parameters:
    ///   - auth: the core instance whose `submit` sends the grant.
    ///   - store: where the grant is kept; nil keeps it in memory (it then does not survive the app
    ///     being killed).
    ///   - clientId: the DingTalk application's id, as in `auth`'s configuration.
    /// - Throws: `AuthError.InvalidConfig` for an impossible `clientId`, `AuthError.Store` if the
    ///   store fails while looking for a grant left by a previous launch.
    public init(auth: DingTalkAuth, store: PendingLoginStore?, clientId: String) throws {
        self.auth = auth
        self.kept = try KeptGrant(store: store, clientId: clientId)
        // A previous launch kept a grant and ended before the app acknowledged it: send it again.
        if let left = try kept.current() { send(left) }
    }

    deinit { task?.cancel() }

    /// The delivery's state now.
    public var state: State {
        lock.lock(); defer { lock.unlock() }
        return current
    }

    /// Calls `handler` with the state now and after every change (on the thread that changed it),
    /// until the returned closure is called.
    public func observe(_ handler: @escaping (State) -> Void) -> () -> Void {
        let id = UUID()
        lock.lock()
        observers[id] = handler
        let now = current
        lock.unlock()
        handler(now)
        return { [weak self] in
            guard let self else { return }
            self.lock.lock(); defer { self.lock.unlock() }
            self.observers[id] = nil
        }
    }

    /// Keeps `grant` and sends it (a grant being sent before is superseded: the user logged in again).
    public func deliver(_ grant: AuthGrant) {
        do {
            try kept.keep(grant: grant)
        } catch {
            set(.failed(grant, error as? AuthError ?? .Internal(reason: "\(error)")), cancelling: true)
            return
        }
        send(grant)
    }

    /// `deliver`s the grant of an authorized outcome; ignores every other outcome.
    public func deliver(_ outcome: LoginOutcome) {
        if case let .authorized(grant, _) = outcome { deliver(grant) }
    }

    /// Sends the kept grant again after a failure. If it can no longer be delivered (older than the
    /// backend's 15-minute idempotency window), the state becomes `.idle`: the user logs in again.
    public func retry() {
        guard case .failed = state else { return }
        switch Result(catching: { try kept.current() }) {
        case let .success(grant?): send(grant)
        case .success(nil): set(.idle, cancelling: true)
        case let .failure(error):
            if case let .failed(grant, _) = state {
                set(.failed(grant, error as? AuthError ?? .Internal(reason: "\(error)")), cancelling: true)
            }
        }
    }

    /// The app has shown the outcome (`.delivered` or `.failed`): drops the grant.
    public func acknowledge() {
        let grant: AuthGrant
        switch state {
        case let .delivered(g, _), let .failed(g, _): grant = g
        case .idle, .sending: return
        }
        _ = try? kept.acknowledge(idempotencyKey: grant.idempotencyKey())
        set(.idle, cancelling: false)
    }

    private func send(_ grant: AuthGrant) {
        lock.lock()
        task?.cancel()
        attempt += 1
        let mine = attempt
        lock.unlock()
        set(.sending(grant), cancelling: false)
        // Weak: an app that drops this object (it is being torn down) ends the send with it (`deinit`).
        let started = Task { [auth, weak self] in
            let outcome: State
            do {
                outcome = .delivered(grant, try await auth.submit(grant: grant))
            } catch {
                if Task.isCancelled { return }
                outcome = .failed(grant, error as? AuthError ?? .Internal(reason: "\(error)"))
            }
            // A newer send (or an acknowledge) replaced this attempt meanwhile: its outcome wins.
            self?.set(outcome, ifAttempt: mine)
        }
        lock.lock()
        if attempt == mine { task = started }
        lock.unlock()
    }

    private func set(_ state: State, cancelling: Bool) {
        lock.lock()
        if cancelling { task?.cancel(); attempt += 1 }
        current = state
        let notify = Array(observers.values)
        lock.unlock()
        notify.forEach { $0(state) }
    }

    private func set(_ state: State, ifAttempt mine: Int) {
        lock.lock()
        guard attempt == mine, case .sending = current else { lock.unlock(); return }
        current = state
        let notify = Array(observers.values)
        lock.unlock()
        notify.forEach { $0(state) }
    }
}
