// Configuration errors are reported at construction (or when a flow that is not enabled is used).
import DingTalkAuth
import Foundation
import XCTest

final class ConfigTests: XCTestCase {
    private func invalid(_ config: AuthConfig, mentions field: String, file: StaticString = #filePath, line: UInt = #line) {
        let error = expectAuthError(try DingTalkAuth(config: config), file: file, line: line)
        guard let error else { return }
        guard case let .InvalidConfig(reason) = error else {
            return XCTFail("expected InvalidConfig, got \(error)", file: file, line: line)
        }
        XCTAssertTrue(reason.contains(field), "reason \"\(reason)\" does not name \(field)", file: file, line: line)
    }

    func testDefaultsOfTheRecord() {
        let c = AuthConfig(clientId: "x", platform: .ios, flows: [.legacySdk])
        XCTAssertNil(c.redirectUri)
        XCTAssertNil(c.backendUrl)
        XCTAssertNil(c.scope)
        XCTAssertEqual(c.pendingTtlSeconds, 600)
        XCTAssertEqual(c.connectTimeoutMs, 10_000)
        XCTAssertEqual(c.requestTimeoutMs, 30_000)
        XCTAssertFalse(c.exclusiveLogin)
        XCTAssertNil(c.authorizeEndpoint)
    }

    func testMinimalLegacyOnlyConfigNeedsNoRedirect() throws {
        let auth = try DingTalkAuth(config: AuthConfig(clientId: "dingoa123", platform: .ios, flows: [.legacySdk]))
        XCTAssertNil(try auth.begin(flow: .legacySdk).state)
    }

    func testEachBadFieldIsNamed() {
        var c = makeConfig(); c.clientId = ""
        invalid(c, mentions: "client_id")
        c = makeConfig(); c.clientId = "ding abc"
        invalid(c, mentions: "client_id")
        invalid(makeConfig(flows: []), mentions: "flows")
        invalid(makeConfig(flows: [.browser, .browser]), mentions: "flows")
        invalid(makeConfig(flows: [.browser], redirectUri: nil), mentions: "redirect_uri")
        invalid(makeConfig(flows: [.newSdk], redirectUri: nil), mentions: "redirect_uri")
        invalid(makeConfig(redirectUri: "http://app.example.com/cb"), mentions: "redirect_uri")
        invalid(makeConfig(redirectUri: "https://app.example.com/cb#frag"), mentions: "redirect_uri")
        invalid(makeConfig(backendUrl: "http://api.example.com/login"), mentions: "backend_url")
        invalid(makeConfig(backendUrl: "ftp://api.example.com/"), mentions: "backend_url")
        invalid(makeConfig(ttl: 0), mentions: "pending_ttl_seconds")
        invalid(makeConfig(ttl: 3601), mentions: "pending_ttl_seconds")
        invalid(makeConfig(requestTimeoutMs: 0), mentions: "request_timeout_ms")
        c = makeConfig(); c.connectTimeoutMs = 0
        invalid(c, mentions: "connect_timeout_ms")
        c = makeConfig(); c.corpId = ""
        invalid(c, mentions: "corp_id")
        c = makeConfig(); c.authorizeEndpoint = "http://login.example.com/oauth2/auth"
        invalid(c, mentions: "authorize_endpoint")
    }

    func testLoopbackAndEmulatorHttpAreAllowed() throws {
        for backend in ["http://127.0.0.1:8080/login", "http://localhost/login", "http://10.0.2.2:8080/login", "https://api.example.com/login"] {
            XCTAssertNoThrow(try DingTalkAuth(config: makeConfig(backendUrl: backend)), backend)
        }
    }

    func testFlowsThatAreNotEnabled() throws {
        let h = try Harness(makeConfig(flows: [.newSdk]))
        XCTAssertEqual(expectAuthError(try h.auth.begin(flow: .browser))?.caseName, "InvalidConfig")
        XCTAssertEqual(expectAuthError(try h.auth.begin(flow: .legacySdk))?.caseName, "InvalidConfig")
        XCTAssertEqual(expectAuthError(try h.auth.completeBrowser(callbackUrl: "\(redirectUri)?authCode=a&state=b"))?.caseName, "InvalidConfig")
        XCTAssertEqual(expectAuthError(try h.success(.legacySdk, state: foreignState()))?.caseName, "InvalidConfig")
    }

    func testSubmitWithoutBackendUrl() async throws {
        let h = try Harness()
        let state = try XCTUnwrap(try h.auth.begin(flow: .newSdk).state)
        let grant = try XCTUnwrap(try h.success(.newSdk, code: "unsent-code", state: state).grant)
        let error = await expectAuthError(secrets: ["unsent-code", state]) { try await h.auth.submit(grant: grant) }
        XCTAssertEqual(error?.caseName, "HttpUnavailable")
    }

    func testErrorDescriptionsAreReadable() {
        // errorDescription (LocalizedError) is what apps show; it must name the problem.
        let error = expectAuthError(try DingTalkAuth(config: makeConfig(ttl: 0)))
        XCTAssertTrue(error?.localizedDescription.contains("pending_ttl_seconds") ?? false, error?.localizedDescription ?? "")
    }

    func testInitLoggingCanBeCalledRepeatedly() throws {
        initLogging(level: .warn)
        initLogging(level: .error)
        // Logging on does not change behaviour.
        let h = try Harness()
        XCTAssertNotNil(try h.success(.newSdk, state: try h.auth.begin(flow: .newSdk).state).grant)
    }
}
