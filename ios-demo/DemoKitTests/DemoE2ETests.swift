// Whole logins driven by the demo's view models, as the SwiftUI app drives them, against the reference
// backend + fake DingTalk that scripts/with-demo-servers.sh starts (DINGTALK_DEMO_*). The simulated
// DingTalk mints real codes at the fake and answers through the same URL path a real reply takes. Without
// the servers every test fails (never skips).
import DingTalkAuth
import DingTalkAuthDemoKit
import Foundation
import XCTest

final class DemoE2ETests: XCTestCase {
    private var configuration: DemoConfiguration!
    private let http = URLSessionHTTPClient()

    override func setUpWithError() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["DINGTALK_DEMO_BACKEND"] != nil, env["DINGTALK_DEMO_FAKE"] != nil else {
            XCTFail("DINGTALK_DEMO_BACKEND / DINGTALK_DEMO_FAKE are not set: run scripts/test-ios.sh (it starts the "
                + "servers through scripts/with-demo-servers.sh)")
            throw DemoError.configuration("no demo servers")
        }
        configuration = try DemoConfiguration.load(environment: env, info: try demoInfoPlist())
    }

    /// A demo app over `backend` (the Keychain stand-in), whose URL opener is its own router, as on iOS.
    private func makeApp(_ backend: KeyValueBackend, transport: HttpTransport = URLSessionTransport()) throws -> DemoApp {
        final class Box { var app: DemoApp? }
        let box = Box()
        let app = try DemoApp(configuration: configuration, storeBackend: backend, http: http,
                              openURL: { url in XCTAssertTrue(box.app?.handle(url: url) ?? false, "the reply was not routed: \(url)") },
                              environment: SimulatedSetupEnvironment(http: http), transport: transport)
        box.app = app
        app.simulator.user = ["nick": "iOS demo \(UUID().uuidString.prefix(6))", "unionId": "union-\(UUID().uuidString)",
                              "openId": "open-\(UUID().uuidString)"]
        return app
    }

    private func signIn(_ flow: LoginFlow, answer: SimulatedAnswer) async throws -> (DemoApp, LoginScreenState) {
        let app = try makeApp(InMemoryKeyValueBackend())
        app.simulator.answer = answer
        await app.loginScreen.signIn(flow)
        return (app, app.loginScreen.state)
    }

    private func assertSignedIn(_ app: DemoApp, _ state: LoginScreenState, flow: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        guard case .signedIn(let identity) = state else { return XCTFail("not signed in: \(state)", file: file, line: line) }
        XCTAssertEqual(identity.flow, flow, file: file, line: line)
        XCTAssertEqual(identity.unionId, app.simulator.user["unionId"] as? String, file: file, line: line)
        XCTAssertEqual(identity.nick, app.simulator.user["nick"] as? String, file: file, line: line)
        XCTAssertTrue(identity.hasSession, file: file, line: line)
    }

    private func assertFailed(_ state: LoginScreenState, _ sentence: String, file: StaticString = #filePath, line: UInt = #line) {
        guard case .failed(let text) = state else { return XCTFail("expected a failure, got \(state)", file: file, line: line) }
        XCTAssertEqual(text, sentence, file: file, line: line)
    }

    // MARK: success per flow

    func testLegacySdkLogin() async throws {
        let (app, state) = try await signIn(.legacySdk, answer: .approve)
        assertSignedIn(app, state, flow: "legacy_sdk")
    }

    func testNewSdkLogin() async throws {
        let (app, state) = try await signIn(.newSdk, answer: .approve)
        assertSignedIn(app, state, flow: "new_sdk")
    }

    func testBrowserLogin() async throws {
        let (app, state) = try await signIn(.browser, answer: .approve)
        assertSignedIn(app, state, flow: "browser")
    }

    // MARK: an internal app's member

    /// The backend scripts/with-demo-servers.sh starts with `--corp-id`: the screen's identity carries the
    /// organisation's member (read by the core's `readLoginAnswer`), shown as name, title, departments.
    func testMemberLoginShowsNameTitleAndDepartments() async throws {
        let env = ProcessInfo.processInfo.environment
        let corp = try XCTUnwrap(env["DINGTALK_DEMO_MEMBER_CORP"], "run scripts/test-ios.sh (it starts the servers)")
        configuration.backendURL = try XCTUnwrap(env["DINGTALK_DEMO_MEMBER_BACKEND"])
        configuration.fakeURL = try XCTUnwrap(env["DINGTALK_DEMO_MEMBER_FAKE"])
        let app = try makeApp(InMemoryKeyValueBackend())
        // The fake organisation's one member, as DingTalk's account side knows them.
        app.simulator.user = ["nick": "iOS demo member", "unionId": "fakeUnionId0001", "openId": "open-member"]
        app.simulator.answer = .approve
        await app.loginScreen.signIn(.newSdk)
        guard case .signedIn(let identity) = app.loginScreen.state else {
            return XCTFail("not signed in: \(app.loginScreen.state)")
        }
        let member = try XCTUnwrap(identity.member, "no member")
        XCTAssertEqual(member.corpId, corp)
        XCTAssertEqual(member.userId, "fakeUserId0001")
        XCTAssertEqual(member.lines, ["张三", "Engineer", "departments 1"])
    }

    func testAPlainBackendsIdentityHasNoMember() async throws {
        let (app, state) = try await signIn(.newSdk, answer: .approve)
        assertSignedIn(app, state, flow: "new_sdk")
        guard case .signedIn(let identity) = state else { return }
        XCTAssertNil(identity.member)
    }

    // MARK: cancel, deny, tampered

    func testCancelEachFlow() async throws {
        for flow in [LoginFlow.legacySdk, .newSdk, .browser] {
            let (app, state) = try await signIn(flow, answer: .cancel)
            assertFailed(state, outcomeMessage(outcome: .cancelled(dingtalkMessage: nil, answeredBy: .unknown)).text)
            XCTAssertEqual(try app.logins[flow]!.auth.pendingCount(), 0, "\(flow)")
        }
    }

    func testDenyEachFlow() async throws {
        for flow in [LoginFlow.legacySdk, .newSdk, .browser] {
            let (app, state) = try await signIn(flow, answer: .deny)
            assertFailed(state, outcomeMessage(outcome: .denied(dingtalkMessage: nil, answeredBy: .unknown)).text)
            // DingTalk's own words stay for the developer.
            XCTAssertEqual(app.loginScreen.note, flow == .browser ? "DingTalk said: access_denied" : "DingTalk said: auth denied")
        }
    }

    /// -4 "key check error" reads as "DingTalk did not recognise this app", with what to register for the
    /// developer, never as the user's refusal.
    func testKeyCheckErrorIsTheAppNotRecognised() async throws {
        for flow in [LoginFlow.legacySdk, .newSdk] {
            let (app, state) = try await signIn(flow, answer: .keyCheckError)
            guard case .failed(let text) = state else { return XCTFail("\(flow): \(state)") }
            XCTAssertNotEqual(text, outcomeMessage(outcome: .denied(dingtalkMessage: nil, answeredBy: .unknown)).text)
            XCTAssertTrue(text.contains("did not recognise this app"), text)
            let note = try XCTUnwrap(app.loginScreen.note)
            XCTAssertTrue(note.contains("bundle id") && note.hasSuffix("(DingTalk said: key check error)"), note)
        }
    }

    /// The fake DingTalk's request counters (`GET /_fake/stats`).
    private func fakeStats() async throws -> [String: Int] {
        let (status, body) = try await http.send(method: "GET", url: URL(string: configuration.fakeURL + "/_fake/stats")!, json: nil)
        XCTAssertEqual(status, 200)
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        return o.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    /// Another app opens a forged reply (a state this app never issued) while the login waits: it is
    /// ignored (a note, no code exchanged for it), and DingTalk's genuine reply then signs the user in.
    func testAForgedReplyIsIgnoredAndTheGenuineOneSignsIn() async throws {
        for (flow, wire) in [(LoginFlow.newSdk, "new_sdk"), (.browser, "browser")] {
            let before = try await fakeStats()
            let (app, state) = try await signIn(flow, answer: .tamperedState)
            assertSignedIn(app, state, flow: wire)
            XCTAssertEqual(app.loginScreen.note, "Ignored a DingTalk reply that was not for this login: \(AuthError.StateUnknown.userMessage)")
            XCTAssertEqual(try app.logins[flow]!.auth.pendingCount(), 0, "\(flow)")
            let after = try await fakeStats()
            XCTAssertEqual(after["token"].map { $0 - (before["token"] ?? 0) }, 1, "only the genuine code is exchanged (\(flow))")
        }
    }

    // MARK: the app killed between begin and the reply

    /// The reply is held while the "process" dies; a new app over the same Keychain stand-in receives it
    /// through its URL router and signs in. Opening the same reply again is refused with a sentence.
    func testAppKilledBetweenBeginAndReply() async throws {
        for (flow, wire) in [(LoginFlow.legacySdk, "legacy_sdk"), (.newSdk, "new_sdk"), (.browser, "browser")] {
            let keychain = InMemoryKeyValueBackend()
            var reply: URL?
            do {
                let first = try makeApp(keychain)
                first.simulator.answer = .holdReply
                let held = expectation(description: "reply held (\(flow))")
                first.simulator.onHeldReply = { reply = $0; held.fulfill() }
                _ = Task { await first.loginScreen.signIn(flow) }  // never answered: the app dies (no cancel: that would discard)
                await fulfillment(of: [held], timeout: 20)
            }
            let url = try XCTUnwrap(reply)

            let second = try makeApp(keychain)
            let done = expectation(description: "relaunched app finished (\(flow))")
            second.loginScreen.onChange = { state in
                if case .working = state { return }
                done.fulfill()
            }
            XCTAssertTrue(second.handle(url: url), "\(flow): the relaunched app must recognise DingTalk's reply")
            await fulfillment(of: [done], timeout: 20)
            guard case .signedIn(let identity) = second.loginScreen.state else {
                XCTFail("\(flow): not signed in after relaunch: \(second.loginScreen.state)")
                continue
            }
            XCTAssertEqual(identity.flow, wire)

            // The same reply again (replayed by another app, or opened twice): recognised as DingTalk's,
            // refused by the core, and ignored: the screen still shows the login that happened.
            let ignored = expectation(description: "replay ignored (\(flow))")
            var changes = 0
            second.loginScreen.onChange = { _ in changes += 1 }
            second.loginScreen.onIgnoredReply = { _ in ignored.fulfill() }
            XCTAssertTrue(second.handle(url: url))
            await fulfillment(of: [ignored], timeout: 20)
            XCTAssertEqual(changes, 0)
            guard case .signedIn = second.loginScreen.state else {
                XCTFail("\(flow): a replayed reply changed the screen: \(second.loginScreen.state)")
                continue
            }
        }
    }

    // MARK: the app killed while the backend had the grant

    /// The first launch's send reaches the backend, which exchanges the code, and the app is killed
    /// before it reads the answer. The next launch over the same Keychain sends the kept grant again at
    /// once, with the same idempotency key: the backend answers from its first exchange (DingTalk sees
    /// one), the screen signs in, and the grant is dropped once shown. A demo that sent the grant
    /// itself instead of through `GrantDelivery` would leave the second launch idle.
    func testAGrantTheKilledAppLeftIsSentAgainAtTheNextLaunch() async throws {
        let keychain = InMemoryKeyValueBackend()
        let before = try await fakeStats()
        let lost = TransportLosingTheAnswer()
        let unionId: String?
        do {
            let first = try makeApp(keychain, transport: lost)
            first.simulator.answer = .approve
            unionId = first.simulator.user["unionId"] as? String
            _ = Task { await first.loginScreen.signIn(.newSdk) }  // never ends: the app dies first
            await fulfillment(of: [lost.answered], timeout: 20)
        }
        let firstKey = try XCTUnwrap(lost.keys.first)

        let resent = RecordingTransport()
        let second = try makeApp(keychain, transport: resent)
        let shown = await second.loginScreen.settled()
        guard case .signedIn(let identity) = shown else {
            return XCTFail("the next launch did not sign in with the kept grant: \(second.loginScreen.state)")
        }
        XCTAssertEqual(identity.unionId, unionId)
        XCTAssertEqual(identity.flow, "new_sdk")
        XCTAssertEqual(resent.keys, [firstKey], "the same grant, under the same key")
        let after = try await fakeStats()
        XCTAssertEqual(after["token"].map { $0 - (before["token"] ?? 0) }, 1, "DingTalk exchanged the code once")

        // Shown, so acknowledged: a third launch has nothing to send.
        let idle = RecordingTransport()
        let third = try makeApp(keychain, transport: idle)
        let nothing = await third.loginScreen.settled()
        XCTAssertEqual(nothing, .idle)
        XCTAssertEqual(idle.keys, [])
    }

    /// Not simulated: the browser flow goes to the app's real presenter (on iOS the web session over the
    /// fake's consent page), here a stand-in that approves through the fake's authorize endpoint; the SDK
    /// flows stay simulated.
    func testRealPresenterForTheBrowserFlowWhenNotSimulated() async throws {
        final class ConsentPage: DingTalkPresenter {
            var presented: [LoginFlow] = []
            let fake: FakeDingTalkClient
            init(fake: FakeDingTalkClient) { self.fake = fake }
            func present(_ request: LoginRequest) async throws -> URL? {
                presented.append(request.flow)
                let code = try await fake.mint(flow: "browser", clientId: request.clientId, scope: request.scope, user: [:])
                var c = URLComponents(string: try XCTUnwrap(request.redirectUri))!
                c.queryItems = [URLQueryItem(name: "authCode", value: code), URLQueryItem(name: "state", value: request.state)]
                return c.url
            }
        }
        var c = configuration!
        c.simulated = false
        let page = ConsentPage(fake: FakeDingTalkClient(base: c.fakeURL, http: http))
        final class Box { var app: DemoApp? }
        let box = Box()
        let app = try DemoApp(configuration: c, storeBackend: InMemoryKeyValueBackend(), http: http,
                              openURL: { url in _ = box.app?.handle(url: url) },
                              realPresenter: { flow in flow == .browser ? page : nil },
                              environment: SimulatedSetupEnvironment(http: http))
        box.app = app
        XCTAssertTrue(try XCTUnwrap(c.authConfig(for: .browser).authorizeEndpoint).hasPrefix(c.fakeURL),
                      "the browser flow must open the fake's consent page, never login.dingtalk.com")
        await app.loginScreen.signIn(.browser)
        guard case .signedIn(let identity) = app.loginScreen.state else { return XCTFail("\(app.loginScreen.state)") }
        XCTAssertEqual(identity.flow, "browser")
        await app.loginScreen.signIn(.legacySdk)
        guard case .signedIn(let legacy) = app.loginScreen.state else { return XCTFail("\(app.loginScreen.state)") }
        XCTAssertEqual(legacy.flow, "legacy_sdk")
        XCTAssertEqual(page.presented, [.browser], "the SDK flow must not reach the browser presenter")
    }

    func testURLsThatAreNotDingTalksAreLeftToTheApp() throws {
        let app = try makeApp(InMemoryKeyValueBackend())
        XCTAssertFalse(app.handle(url: URL(string: "https://example.com/dingtalk/callback?authCode=x&state=y")!))
        XCTAssertFalse(app.handle(url: URL(string: "otherapp://open")!))
    }

    // MARK: self-check

    func testSelfCheckOfTheDemoIsCleanAgainstTheRunningBackend() async throws {
        let app = try makeApp(InMemoryKeyValueBackend())
        let findings = await app.selfCheck.run(infoPlist: try demoInfoPlist())
        XCTAssertEqual(findings, [])
    }

    func testSelfCheckReportsAStoppedBackend() async throws {
        var c = configuration!
        c.backendURL = "http://127.0.0.1:9"  // discard port: nothing listens
        let check = SelfCheckModel(requirements: c.setupRequirements, environment: SimulatedSetupEnvironment(http: http))
        var info = try demoInfoPlist()
        info["LSApplicationQueriesSchemes"] = ["dingtalk"]
        let problems = await check.run(infoPlist: info).map(\.problem)
        XCTAssertEqual(problems, [.queriesSchemesMissing, .queriesSchemesMissing, .backendUnreachable])  // legacy and new SDK
    }
}

/// URLSession to the backend, recording each request's idempotency key.
final class RecordingTransport: HttpTransport, @unchecked Sendable {
    private let inner = URLSessionTransport()
    private let lock = NSLock()
    private var sent: [String] = []

    /// The `Idempotency-Key` of every request, in order.
    var keys: [String] {
        lock.lock(); defer { lock.unlock() }
        return sent
    }

    func record(_ request: HttpRequest) {
        let key = request.headers.first { $0.key.lowercased() == "idempotency-key" }?.value ?? "(none)"
        lock.lock(); sent.append(key); lock.unlock()
    }

    func send(request: HttpRequest) async throws -> HttpResponse {
        record(request)
        return try await inner.send(request: request)
    }
}

/// The app killed between the backend's answer and the app reading it: each request reaches the
/// backend, and its answer never comes back (the send stays suspended, as in a process that is gone).
final class TransportLosingTheAnswer: HttpTransport, @unchecked Sendable {
    private let recorder = RecordingTransport()
    private let lock = NSLock()
    private var parked: [CheckedContinuation<Void, Never>] = []
    /// Fulfilled when the backend answered the first request.
    let answered = XCTestExpectation(description: "the backend answered the first send")

    var keys: [String] { recorder.keys }

    func send(request: HttpRequest) async throws -> HttpResponse {
        _ = try await recorder.send(request: request)
        answered.fulfill()
        // Kept (never resumed, never released): nothing of the dead app reads the answer.
        await withCheckedContinuation { continuation in
            lock.lock(); parked.append(continuation); lock.unlock()
        }
        throw CancellationError()
    }
}

/// The demo app's real Info.plist (ios-demo/App/Info.plist), with the demo's DingTalk ids.
func demoInfoPlist() throws -> [String: Any] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("App/Info.plist")
    guard let info = try PropertyListSerialization.propertyList(from: Data(contentsOf: url), format: nil) as? [String: Any] else {
        throw DemoError.configuration("ios-demo/App/Info.plist is not a dictionary")
    }
    return info
}
