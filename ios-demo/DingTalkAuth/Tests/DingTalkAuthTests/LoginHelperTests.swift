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

    func testATamperedStateFailsTheLoginWithAForeignReplyError() async throws {
        let auth = try makeAuth(.newSdk)
        let login = DingTalkLogin(auth: auth, sdkSchemes: [Fixture.newSdkClientId], redirectURI: Fixture.redirectURI)
        let presenter = ScriptedPresenter(.deliver { _, login in
            login.deliver(openAuth: OpenAuthReply(respCode: 0, authCode: "c", state: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        })
        presenter.login = login
        do {
            let outcome = try await login.login(.newSdk, presenter: presenter)
            XCTFail("expected a state error, got \(outcome)")
        } catch let e as AuthError {
            XCTAssertTrue(e.isForeignReply, "\(e)")
        }
        XCTAssertEqual(try auth.pendingCount(), 0, "the login the UI gave up on is discarded")
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
        // A late reply for it is refused, and reaches nobody as a login.
        var late: [DingTalkLoginResult] = []
        login.onLateResult { late.append($0) }
        login.deliver(openAuth: OpenAuthReply(respCode: 0, authCode: "c", state: request?.state))
        XCTAssertEqual(late.count, 1)
        XCTAssertThrowsError(try late[0].get())
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
