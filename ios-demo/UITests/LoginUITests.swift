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
        let done = NSPredicate(format: "label BEGINSWITH 'Logged in' OR label CONTAINS 'cancelled' OR label CONTAINS 'declined' OR label CONTAINS 'ignored' OR label CONTAINS 'again'")
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

    func testTamperedState() {
        let app = launch(answer: "tamperedState")
        app.buttons["login.browser"].tap()
        XCTAssertTrue(finalStatus(app).contains("does not belong to the login in progress"))
    }

    /// The app is killed while "DingTalk" holds the reply; DingTalk's reply then relaunches it, and the
    /// login completes from the Keychain-backed pending login.
    func testAppKilledBetweenBeginAndReply() throws {
        var app = launch(answer: "holdReply")
        app.buttons["login.newsdk"].tap()
        let held = app.staticTexts["simulator.heldReply"]
        XCTAssertTrue(held.waitForExistence(timeout: 30))
        let reply = try XCTUnwrap(URL(string: held.label))
        app.terminate()

        app = launch(answer: "approve", resetKeychain: false)
        guard #available(iOS 16.4, *) else { throw XCTSkip("XCUIApplication.open(_:) needs iOS 16.4") }
        app.open(reply)  // what DingTalk does: open the app's URL scheme with its answer
        XCTAssertTrue(finalStatus(app).hasPrefix("Logged in as"))
        XCTAssertEqual(app.staticTexts["identity.flow"].label, "flow new_sdk")
    }

    func testSelfCheckPasses() {
        let app = launch(answer: "approve")
        app.tabBars.buttons["Self-check"].tap()
        app.buttons["selfcheck.run"].tap()
        XCTAssertTrue(app.staticTexts["selfcheck.result"].waitForExistence(timeout: 30))
    }
}
