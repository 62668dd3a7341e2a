// The async login helpers: a login waits for DingTalk's answer however it arrives (SDK delegate, routed
// URL, web-session callback), a closed sheet is a cancel, and an answer after a relaunch reaches the app.
import DingTalkAuth
import Foundation
import XCTest

/// A presenter that plays DingTalk synchronously: it returns a URL (web session), delivers an SDK reply
/// through the login, or throws.
final class ScriptedPresenter: DingTalkPresenter {
    enum Script {
        case returnURL((LoginRequest) -> URL)
        case deliver((LoginRequest, DingTalkLogin) -> Void)
        case fail(Error)
    }

    let script: Script
    weak var login: DingTalkLogin?
    private(set) var presented: [LoginRequest] = []

    init(_ script: Script) { self.script = script }

    func present(_ request: LoginRequest) async throws -> URL? {
        presented.append(request)
        switch script {
        case .returnURL(let make): return make(request)
        case .deliver(let act):
            act(request, login!)
            return nil
        case .fail(let error): throw error
        }
    }
}

final class LoginHelperTests: XCTestCase {
    func testBrowserLoginReturnsTheCallbacksVerdict() async throws {
        let auth = try makeAuth(.browser)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [], redirectURI: Fixture.redirectURI)
        let presenter = ScriptedPresenter(.returnURL { callbackURL($0, code: "the-code") })
        let outcome = try await login.login(.browser, presenter: presenter)
        XCTAssertEqual(outcome.grant?.flow(), .browser)
        XCTAssertEqual(presenter.presented.count, 1)
        XCTAssertNotNil(presenter.presented[0].authorizeUrl)
        XCTAssertEqual(try auth.pendingCount(), 0)
    }

    func testNewSdkLoginWaitsForTheDelegatesReply() async throws {
        let auth = try makeAuth(.newSdk)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [Fixture.newSdkClientId], redirectURI: Fixture.redirectURI)
        let presenter = ScriptedPresenter(.deliver { request, login in
            // What the new SDK's completion does, on another thread.
            DispatchQueue.global().async {
                login.deliver(openAuth: OpenAuthReply(respCode: 0, authCode: "c", state: request.state))
            }
        })
        presenter.login = login
        let outcome = try await login.login(.newSdk, presenter: presenter)
        XCTAssertEqual(outcome.grant?.flow(), .newSdk)
    }

    func testClosingTheSheetIsACancelAndForgetsThePendingLogin() async throws {
        let auth = try makeAuth(.browser)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [], redirectURI: Fixture.redirectURI)
        let presenter = ScriptedPresenter(.fail(CancellationError()))
        let outcome = try await login.login(.browser, presenter: presenter)
        XCTAssertTrue(outcome.isCancelled)
        XCTAssertEqual(try auth.pendingCount(), 0, "the abandoned login must not stay completable")
        // Its state can no longer be completed.
        let e = expectAuthError(try auth.complete(callbackURL: callbackURL(presenter.presented[0])))
        XCTAssertEqual(e?.isForeignReply, true)
    }

    func testDingTalkNotOpeningIsAnErrorAndForgetsThePendingLogin() async throws {
        let auth = try makeAuth(.newSdk)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [Fixture.newSdkClientId], redirectURI: Fixture.redirectURI)
        do {
            let outcome = try await login.login(.newSdk, presenter: ScriptedPresenter(.fail(DingTalkPresentationError.dingTalkDidNotOpen)))
            XCTFail("expected dingTalkDidNotOpen, got \(outcome)")
        } catch let e as DingTalkPresentationError {
            XCTAssertEqual(e, .dingTalkDidNotOpen)
            XCTAssertTrue(e.localizedDescription.contains("Install or update DingTalk"), e.localizedDescription)
        }
        XCTAssertEqual(try auth.pendingCount(), 0)
    }

    /// Another app opens the app's URL scheme with replies carrying a made-up state (a forged success, a
    /// forged cancel) while `login()` waits: neither is handed to the waiting call, neither discards its
    /// login, and DingTalk's genuine reply afterwards completes it. Android does the same for the same
    /// input: the decision is the core's `replyVerdict` (core/src/replies.rs).
    func testForgedRepliesWhileALoginWaitsAreIgnoredAndDingTalksReplyCompletesIt() async throws {
        let auth = try makeAuth(.newSdk)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [Fixture.newSdkClientId], redirectURI: Fixture.redirectURI)
        var ignored: [AuthError] = []
        login.onIgnoredReply { ignored.append($0) }
        let presenter = ScriptedPresenter(.deliver { request, login in
            login.deliver(openAuth: OpenAuthReply(respCode: 0, authCode: "forged", state: foreignState()))
            login.deliver(openAuth: OpenAuthReply(respCode: -2, respMessage: "user cancelled", state: foreignState()))
            login.deliver(openAuth: OpenAuthReply(respCode: 0, authCode: "genuine", state: request.state))
        })
        presenter.login = login
        let outcome = try await login.login(.newSdk, presenter: presenter)
        XCTAssertEqual(grantJson(try XCTUnwrap(outcome.grant))["code"] as? String, "genuine")
        XCTAssertEqual(ignored.map(\.caseName), ["StateUnknown", "StateUnknown"])
        XCTAssertEqual(try auth.pendingCount(), 0)
    }

    /// A forged browser redirect reaching the app's URL scheme while the web login is open does not end
    /// it: the redirect the web session itself returns does.
    func testAForgedBrowserRedirectDoesNotEndTheWebLogin() async throws {
        let auth = try makeAuth(.browser)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [], redirectURI: Fixture.redirectURI)
        var ignored = 0
        login.onIgnoredReply { _ in ignored += 1 }
        let presenter = ScriptedPresenter(.returnURL { request in
            // While the sheet is open, another app opens the redirect URI with a state of its own.
            XCTAssertTrue(login.handle(url: callbackURL(request, code: "forged", state: foreignState())))
            XCTAssertTrue(login.handle(url: callbackURL(request, code: nil, error: "access_denied", state: foreignState())))
            return callbackURL(request, code: "genuine")
        })
        let outcome = try await login.login(.browser, presenter: presenter)
        XCTAssertEqual(grantJson(try XCTUnwrap(outcome.grant))["code"] as? String, "genuine")
        XCTAssertEqual(ignored, 2)
    }

    /// A new-SDK cancel carrying the browser login's state is refused as a flow mismatch: the browser login
    /// neither ends nor is used up (the core's rule, `core/tests/login.rs`), so DingTalk's redirect
    /// afterwards still completes it.
    func testAFlowMismatchReplyLeavesTheWaitingLoginAsItWas() async throws {
        let auth = try DingTalkAuth(config: {
            var c = AuthConfig(clientId: Fixture.newSdkClientId, platform: .ios, flows: [.newSdk, .browser])
            c.redirectUri = Fixture.redirectURI
            return c
        }(), store: KeyValuePendingLoginStore(backend: InMemoryKeyValueBackend()))
        let login = DingTalkLogin(auth: auth, sdkSchemes: [Fixture.newSdkClientId], redirectURI: Fixture.redirectURI)
        var ignored: [AuthError] = []
        login.onIgnoredReply { ignored.append($0) }
        let presenter = ScriptedPresenter(.returnURL { request in
            login.deliver(openAuth: OpenAuthReply(respCode: -2, state: request.state))
            return callbackURL(request, code: "genuine")
        })
        let outcome = try await login.login(.browser, presenter: presenter)
        XCTAssertEqual(grantJson(try XCTUnwrap(outcome.grant))["code"] as? String, "genuine")
        XCTAssertEqual(ignored.map(\.caseName), ["FlowMismatch"])
    }

    /// DingTalk's message stays on every outcome that is not a success, and -4 "key check error" (DingTalk
    /// did not recognise the app) is not the user's refusal.
    func testDingTalksMessageIsKeptAndAnUnrecognisedAppIsNotADenial() async throws {
        func sdkLogin(_ reply: @escaping (LoginRequest) -> OpenAuthReply) async throws -> LoginOutcome {
            let login = DingTalkLogin(auth: try makeAuth(.newSdk), sdkSchemes: [Fixture.newSdkClientId], redirectURI: Fixture.redirectURI)
            let presenter = ScriptedPresenter(.deliver { request, login in login.deliver(openAuth: reply(request)) })
            presenter.login = login
            return try await login.login(.newSdk, presenter: presenter)
        }
        let cancelled = try await sdkLogin { OpenAuthReply(respCode: -2, respMessage: "user cancelled", state: $0.state) }
        XCTAssertTrue(cancelled.isCancelled)
        XCTAssertEqual(dingtalkMessage(cancelled), "user cancelled")
        let denied = try await sdkLogin { OpenAuthReply(respCode: -4, respMessage: "auth denied", state: $0.state) }
        XCTAssertTrue(denied.isDenied)
        XCTAssertEqual(dingtalkMessage(denied), "auth denied")
        let unrecognised = try await sdkLogin { OpenAuthReply(respCode: -4, respMessage: "key check error", state: $0.state) }
        guard case let .appIdentityMismatch(message, developerMessage, _) = unrecognised else { return XCTFail("\(unrecognised)") }
        XCTAssertEqual(message, "key check error")
        XCTAssertTrue(developerMessage.contains("bundle id"), developerMessage)

        let legacy = try makeAuth(.legacySdk)
        _ = try legacy.begin(flow: .legacySdk)
        let legacyDenied = try legacy.complete(legacy: LegacyAuthorizeReply(errorCode: -4, errorMessage: "auth denied"))
        guard case let .denied(legacyMessage, answeredBy) = legacyDenied else { return XCTFail("\(legacyDenied)") }
        XCTAssertEqual(legacyMessage, "auth denied")
        XCTAssertEqual(answeredBy, .dingTalkApp)
    }

    /// DingTalk could not be opened for a legacy login, which has no state: the pending login is abandoned
    /// all the same, so a stateless reply arriving later cannot complete it.
    func testALegacyLoginWhoseLaunchFailedIsAbandoned() async throws {
        let auth = try makeAuth(.legacySdk)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [Fixture.legacyAppId], redirectURI: nil)
        let presenter = DingTalkSDKPresenter { request in
            XCTAssertNil(request.state)
            return false  // DTOpenAPI.send answered NO
        }
        do {
            _ = try await login.login(.legacySdk, presenter: presenter)
            XCTFail("expected dingTalkDidNotOpen")
        } catch DingTalkPresentationError.dingTalkDidNotOpen {}
        XCTAssertEqual(try auth.pendingCount(), 0)
        XCTAssertEqual(expectAuthError(try auth.complete(legacy: LegacyAuthorizeReply(errorCode: 0, accessCode: "late"))), .NoPendingLogin)
    }

    /// The app was killed while DingTalk was in front: a new process, over the same store, gets the reply.
    func testAReplyAfterARelaunchReachesTheLateResultHandler() throws {
        let backend = InMemoryKeyValueBackend()
        let first = try makeAuth(.legacySdk, store: KeyValuePendingLoginStore(backend: backend))
        _ = try first.begin(flow: .legacySdk)
        // (process dies here)
        let relaunched = DingTalkLogin(auth: try makeAuth(.legacySdk, store: KeyValuePendingLoginStore(backend: backend)),
                                       sdkSchemes: [Fixture.legacyAppId], redirectURI: nil)
        relaunched.deliver(legacy: LegacyAuthorizeReply(errorCode: 0, accessCode: "late-code"))
        var results: [DingTalkLoginResult] = []
        relaunched.onLateResult { results.append($0) }  // set after the reply: still delivered, once
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(try results[0].get().grant?.flow(), .legacySdk)
        relaunched.onLateResult { results.append($0) }
        XCTAssertEqual(results.count, 1)
    }

    /// Before `onLateResult` is set, replies go to the core's buffer: one about this device's login is
    /// kept, a forged one is not (the buffer's policy is the core's, tested in Rust).
    func testOnlyRepliesAboutThisLoginWaitForTheLateResultHandler() throws {
        let auth = try makeAuth(.newSdk)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [Fixture.newSdkClientId], redirectURI: nil)
        let request = try auth.begin(flow: .newSdk)
        login.deliver(openAuth: OpenAuthReply(respCode: 0, authCode: "forged", state: foreignState()))
        login.deliver(openAuth: OpenAuthReply(respCode: -2, state: request.state))
        var results: [DingTalkLoginResult] = []
        login.onLateResult { results.append($0) }
        XCTAssertEqual(results.count, 1)
        XCTAssertTrue(try XCTUnwrap(try results.first?.get()).isCancelled)
    }

    /// After DingTalk's genuine answer reached a relaunched app, junk through the URL router (a forged
    /// cancel, the same reply again, an unreadable redirect) neither queues behind it nor reaches the
    /// handler after it: an app showing the latest result keeps showing the success.
    func testJunkAfterAGenuineAnswerNeverReachesTheLateResultHandler() throws {
        let backend = InMemoryKeyValueBackend()
        let request = try makeAuth(.browser, store: KeyValuePendingLoginStore(backend: backend)).begin(flow: .browser)
        // (process dies here; DingTalk's redirect relaunches the app)
        let auth = try makeAuth(.browser, store: KeyValuePendingLoginStore(backend: backend))
        let login = DingTalkLogin(auth: auth, sdkSchemes: [], redirectURI: Fixture.redirectURI)
        var ignored = 0
        login.onIgnoredReply { _ in ignored += 1 }
        let genuine = callbackURL(request, code: "genuine")
        let junk = [callbackURL(request, code: nil, error: "access_denied", state: foreignState()), genuine,
                    URL(string: Fixture.redirectURI + "?authCode=x")!, URL(string: Fixture.redirectURI)!]
        XCTAssertTrue(login.handle(url: genuine))
        for url in junk { XCTAssertTrue(login.handle(url: url), "\(url)") }
        var results: [DingTalkLoginResult] = []
        login.onLateResult { results.append($0) }
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(grantJson(try XCTUnwrap(try results[0].get().grant))["code"] as? String, "genuine")
        // With the handler set, junk still never reaches it.
        for url in junk { login.handle(url: url) }
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(ignored, 2 * junk.count)
    }
}

extension LoginHelperTests {
    /// A genuine but late reply (its login expired) arriving after DingTalk's answer is kept for the
    /// screen only while no answer is: it never follows the answer (the core's `UndeliveredReplies`).
    func testAnExpiredLoginsReplyNeverQueuesBehindAKeptAnswer() throws {
        let clock = ManualClock()
        var config = AuthConfig(clientId: Fixture.newSdkClientId, platform: .ios, flows: [.browser])
        config.redirectUri = Fixture.redirectURI
        config.pendingTtlSeconds = 60
        let auth = try DingTalkAuth.withTimeSource(config: config, store: SwiftStore(), time: clock)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [], redirectURI: Fixture.redirectURI)
        let answered = try auth.begin(flow: .browser)
        let late = try auth.begin(flow: .browser)
        XCTAssertTrue(login.handle(url: callbackURL(answered, code: "genuine")))
        clock.advance(seconds: 61)
        XCTAssertTrue(login.handle(url: callbackURL(late, code: "too-late")))
        var results: [DingTalkLoginResult] = []
        login.onLateResult { results.append($0) }
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(grantJson(try XCTUnwrap(try results[0].get().grant))["code"] as? String, "genuine")
    }
}

/// A presenter for an SDK flow: it "opens DingTalk" and the answer never comes.
struct SilentPresenter: DingTalkPresenter {
    let presented: (LoginRequest) -> Void
    func present(_ request: LoginRequest) async throws -> URL? {
        presented(request)
        return nil
    }
}

final class LoginCancellationTests: XCTestCase {
    /// Starts `login(flow)` with a presenter whose DingTalk never answers; returns once DingTalk "opened",
    /// with the request it was handed.
    private func startWaitingLogin(_ login: DingTalkLogin, _ flow: LoginFlow) async -> (Task<LoginOutcome, Error>, LoginRequest?) {
        let opened = expectation(description: "DingTalk opened")
        var request: LoginRequest?
        let task = Task { try await login.login(flow, presenter: SilentPresenter { request = $0; opened.fulfill() }) }
        await fulfillment(of: [opened], timeout: 10)
        return (task, request)
    }

    /// The user came back from DingTalk without an answer and tapped Cancel.
    func testCancelWaitingLoginReturnsCancelledAndDiscards() async throws {
        let auth = try makeAuth(.newSdk)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [Fixture.newSdkClientId], redirectURI: Fixture.redirectURI)
        let (task, request) = await startWaitingLogin(login, .newSdk)
        login.cancelWaitingLogin()
        let outcome = try await task.value
        XCTAssertTrue(outcome.isCancelled)
        XCTAssertEqual(try auth.pendingCount(), 0)
        // A late reply for it is refused as not for any login, and reaches nobody as a result.
        var late: [DingTalkLoginResult] = []
        var ignored: [AuthError] = []
        login.onLateResult { late.append($0) }
        login.onIgnoredReply { ignored.append($0) }
        login.deliver(openAuth: OpenAuthReply(respCode: 0, authCode: "c", state: request?.state))
        XCTAssertEqual(late.count, 0)
        XCTAssertEqual(ignored.map(\.caseName), ["StateUnknown"])
    }

    func testCancellingTheTaskCancelsTheLogin() async throws {
        let auth = try makeAuth(.browser)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [], redirectURI: Fixture.redirectURI)
        let (task, _) = await startWaitingLogin(login, .browser)
        task.cancel()
        let outcome = try await task.value
        XCTAssertTrue(outcome.isCancelled)
        XCTAssertEqual(try auth.pendingCount(), 0)
    }

    /// A second login replaces the first: the first returns cancelled, the second gets the answer.
    func testANewLoginAbandonsThePreviousOne() async throws {
        let auth = try makeAuth(.browser)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [], redirectURI: Fixture.redirectURI)
        let (first, _) = await startWaitingLogin(login, .browser)
        let second = try await login.login(.browser, presenter: ScriptedPresenter(.returnURL { callbackURL($0) }))
        XCTAssertEqual(second.grant?.flow(), .browser)
        let firstOutcome = try await first.value
        XCTAssertTrue(firstOutcome.isCancelled)
    }
}
