// XCUITest on a simulator (macOS only; not run on Linux). Each test launches the demo app against the
// reference backend + fake DingTalk the workflow started (DINGTALK_DEMO_BACKEND / _FAKE reach this runner
// as TEST_RUNNER_DINGTALK_DEMO_*), picks the simulated DingTalk's answer, taps a login and reads the
// result the app shows.
import XCTest

final class LoginUITests: XCTestCase {
    override func setUp() {
        continueAfterFailure = false
    }

    private func launch(answer: String, resetKeychain: Bool = true) -> XCUIApplication {
        let app = XCUIApplication()
        let env = ProcessInfo.processInfo.environment
        for name in ["DINGTALK_DEMO_BACKEND", "DINGTALK_DEMO_FAKE", "DINGTALK_DEMO_LEGACY_APP_KEY", "DINGTALK_DEMO_CLIENT_ID"] {
            if let value = env[name] { app.launchEnvironment[name] = value }
        }
        XCTAssertNotNil(app.launchEnvironment["DINGTALK_DEMO_BACKEND"],
                        "DINGTALK_DEMO_BACKEND is not set: run through scripts/ios-simulator-tests.sh under scripts/with-demo-servers.sh")
        app.launchEnvironment["DINGTALK_DEMO_ANSWER"] = answer
        app.launchEnvironment["DINGTALK_DEMO_RESET_KEYCHAIN"] = resetKeychain ? "1" : "0"
        app.launch()
        return app
    }

    /// Waits until the status shows something other than progress and returns it.
    private func finalStatus(_ app: XCUIApplication, file: StaticString = #filePath, line: UInt = #line) -> String {
        let status = app.staticTexts["login.status"]
        let done = NSPredicate(format: "label BEGINSWITH 'Logged in' OR label CONTAINS 'cancelled' OR label CONTAINS 'declined' OR label CONTAINS 'ignored' OR label CONTAINS 'again' OR label CONTAINS 'recognise'")
        let expectation = XCTNSPredicateExpectation(predicate: done, object: status)
        XCTAssertEqual(XCTWaiter().wait(for: [expectation], timeout: 30), .completed, "status: \(status.label)", file: file, line: line)
        return status.label
    }

    /// Approves a login started with `button` and expects the identity of `flow` on screen.
    private func checkSuccess(_ button: String, flow: String, file: StaticString = #filePath, line: UInt = #line) {
        let app = launch(answer: "approve")
        app.buttons[button].tap()
        XCTAssertTrue(finalStatus(app).hasPrefix("Logged in as"), file: file, line: line)
        XCTAssertEqual(app.staticTexts["identity.flow"].label, "flow \(flow)", file: file, line: line)
    }

    func testLegacySdkSuccess() { checkSuccess("login.legacy", flow: "legacy_sdk") }

    func testNewSdkSuccess() { checkSuccess("login.newsdk", flow: "new_sdk") }

    func testBrowserSuccess() { checkSuccess("login.browser", flow: "browser") }

    func testCancel() {
        let app = launch(answer: "cancel")
        app.buttons["login.newsdk"].tap()
        XCTAssertEqual(finalStatus(app), "You cancelled the DingTalk login.")
    }

    func testDeny() {
        let app = launch(answer: "deny")
        app.buttons["login.legacy"].tap()
        // The core's sentence for a denied login (outcomeMessage).
        XCTAssertEqual(finalStatus(app), "You declined to share your DingTalk identity with this app.")
    }

    /// Another app opens a forged reply first: it is ignored (a note), and DingTalk's reply completes the login.
    func testForgedReplyIsIgnoredAndTheLoginCompletes() {
        for button in ["login.newsdk", "login.browser"] {
            let app = launch(answer: "tamperedState")
            app.buttons[button].tap()
            XCTAssertTrue(finalStatus(app).hasPrefix("Logged in as"), button)
            XCTAssertTrue(app.staticTexts["login.note"].label.hasPrefix("Ignored a DingTalk reply"), button)
        }
    }

    /// ErrCode -4 with "key check error": not "you refused", but the app is not recognised, and the
    /// developer is told what to register.
    func testKeyCheckErrorIsNotADenial() {
        let app = launch(answer: "keyCheckError")
        app.buttons["login.newsdk"].tap()
        XCTAssertTrue(finalStatus(app).contains("did not recognise this app"))
        XCTAssertTrue(app.staticTexts["login.note"].label.contains("bundle id"))
    }

    /// Starts a login with `button` while "DingTalk" holds its reply, then kills the app; returns the
    /// terminated app and the held reply.
    private func heldReplyOfAKilledApp(_ button: String) throws -> (XCUIApplication, URL) {
        let app = launch(answer: "holdReply")
        app.buttons[button].tap()
        let held = app.staticTexts["simulator.heldReply"]
        XCTAssertTrue(held.waitForExistence(timeout: 30))
        let reply = try XCTUnwrap(URL(string: held.label))
        app.terminate()
        return (app, reply)
    }

    /// The app is killed while "DingTalk" holds the reply; the app is started again, DingTalk's reply
    /// then arrives, and the login completes from the Keychain-backed pending login.
    func testAppKilledBetweenBeginAndReply() throws {
        let (_, reply) = try heldReplyOfAKilledApp("login.newsdk")
        let app = launch(answer: "approve", resetKeychain: false)
        guard #available(iOS 16.4, *) else { throw XCTSkip("XCUIApplication.open(_:) needs iOS 16.4") }
        app.open(reply)  // what DingTalk does: open the app's URL scheme with its answer
        XCTAssertTrue(finalStatus(app).hasPrefix("Logged in as"))
        XCTAssertEqual(app.staticTexts["identity.flow"].label, "flow new_sdk")
    }

    /// A cold start: the app is not running when DingTalk's reply arrives, so the reply launches it
    /// (for a scene-based app that is `scene(_:willConnectTo:options:)`'s `urlContexts`; SwiftUI hands
    /// it to `.onOpenURL`). The pending login comes from the Keychain and completes.
    func testDingTalksReplyLaunchesTheTerminatedApp() throws {
        let (app, reply) = try heldReplyOfAKilledApp("login.legacy")
        XCTAssertEqual(app.state, .notRunning)
        guard #available(iOS 16.4, *) else { throw XCTSkip("XCUIApplication.open(_:) needs iOS 16.4") }
        // Not launched first: opening the URL is what launches it. The XCUIApplication keeps its
        // launchEnvironment (the demo servers), and the Keychain is kept this time.
        app.launchEnvironment["DINGTALK_DEMO_RESET_KEYCHAIN"] = "0"
        app.open(reply)
        XCTAssertTrue(finalStatus(app).hasPrefix("Logged in as"))
        XCTAssertEqual(app.staticTexts["identity.flow"].label, "flow legacy_sdk")
    }

    func testSelfCheckPasses() {
        let app = launch(answer: "approve")
        app.tabBars.buttons["Self-check"].tap()
        app.buttons["selfcheck.run"].tap()
        XCTAssertTrue(app.staticTexts["selfcheck.result"].waitForExistence(timeout: 30))
    }
}
