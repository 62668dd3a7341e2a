// The Keychain backend on a simulator, hosted by the demo app (a SwiftPM test bundle runs in Xcode's
// xctest agent, which has no application-identifier: every SecItem call there fails with -34018).
// macOS / Xcode only (target DingTalkAuthDemoTests of ios-demo/project.yml).
#if canImport(Security)
import DingTalkAuth
import Foundation
import Security
import XCTest

final class KeychainStoreTests: XCTestCase {
    private var backend: KeychainKeyValueBackend!

    override func setUpWithError() throws {
        // A service of its own per test run, emptied before and after.
        backend = KeychainKeyValueBackend(service: "dev.dingtalkauth.tests.\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        for key in try backend.allKeys() { try backend.delete(key) }
    }

    func testRoundTripReplaceDeleteAndList() throws {
        XCTAssertNil(try backend.read("k"))
        XCTAssertEqual(try backend.allKeys(), [])
        try backend.write(Data("v1".utf8), for: "k")
        try backend.write(Data("v2".utf8), for: "k")
        XCTAssertEqual(try backend.read("k"), Data("v2".utf8))
        try backend.write(Data("x".utf8), for: "other")
        XCTAssertEqual(Set(try backend.allKeys()), ["k", "other"])
        try backend.delete("k")
        try backend.delete("k")
        XCTAssertNil(try backend.read("k"))
    }

    func testItemsAreThisDeviceOnly() throws {
        try backend.write(Data("v".utf8), for: "k")
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: backend.service,
            kSecAttrAccount as String: "k",
            kSecReturnAttributes as String: true,
        ]
        var result: CFTypeRef?
        XCTAssertEqual(SecItemCopyMatching(query as CFDictionary, &result), errSecSuccess)
        let attributes = try XCTUnwrap(result as? [String: Any])
        XCTAssertEqual(attributes[kSecAttrAccessible as String] as? String,
                       kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly as String)
    }

    private func makeAuth() throws -> DingTalkAuth {
        var config = AuthConfig(clientId: "dingdemoclientid", platform: .ios, flows: [.newSdk])
        config.redirectUri = "dev.dingtalkauth.demo://dingtalk/callback"
        return try DingTalkAuth(config: config, store: KeyValuePendingLoginStore(backend: backend))
    }

    /// A second core instance (the relaunched app) completes the login the first began.
    func testALoginSurvivesOverTheKeychain() throws {
        let request = try makeAuth().begin(flow: .newSdk)
        let outcome = try makeAuth().complete(openAuth: OpenAuthReply(respCode: 0, authCode: "c", state: request.state))
        guard case .authorized(let grant) = outcome else { return XCTFail("not authorized: \(outcome)") }
        XCTAssertEqual(grant.flow(), .newSdk)
    }
}
#endif
