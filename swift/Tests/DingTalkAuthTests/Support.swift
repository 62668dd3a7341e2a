// Shared fixtures of the package tests: configurations, a core instance over an in-memory store, and the
// fixture directory.
import DingTalkAuth
import Foundation
import XCTest

/// The app ids and redirect URI the fixture plists are written for.
enum Fixture {
    static let legacyAppId = "dingoalegacyapp"
    static let newSdkClientId = "dingclientnewsdk"
    static let redirectURI = "com.example.dingtalkdemo://dingtalk/callback"

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    static func plist(_ name: String) -> URL { directory.appendingPathComponent(name + ".plist") }

    static var requirements: SetupRequirements {
        SetupRequirements(flows: [.legacySdk, .newSdk, .browser], sdkAppIds: [legacyAppId, newSdkClientId],
                          redirectURI: redirectURI, backendURL: "http://127.0.0.1:9/v1/login")
    }
}

/// A core instance for one flow, as an iOS app builds it, over `store` (a fresh in-memory one by default).
func makeAuth(_ flow: LoginFlow, store: PendingLoginStore? = nil) throws -> DingTalkAuth {
    let clientId = flow == .legacySdk ? Fixture.legacyAppId : Fixture.newSdkClientId
    var config = AuthConfig(clientId: clientId, platform: .ios, flows: [flow])
    if flow != .legacySdk { config.redirectUri = Fixture.redirectURI }
    return try DingTalkAuth(config: config, store: store ?? KeyValuePendingLoginStore(backend: InMemoryKeyValueBackend()))
}

/// The browser callback DingTalk would redirect to for `request`.
func callbackURL(_ request: LoginRequest, code: String? = "code-123", error: String? = nil, state: String? = nil) -> URL {
    var c = URLComponents(string: Fixture.redirectURI)!
    var items: [URLQueryItem] = []
    if let code { items.append(URLQueryItem(name: "authCode", value: code)) }
    if let error { items.append(URLQueryItem(name: "error", value: error)) }
    items.append(URLQueryItem(name: "state", value: state ?? request.state))
    c.queryItems = items
    return c.url!
}

extension LoginOutcome {
    var grant: AuthGrant? {
        if case let .authorized(grant) = self { return grant }
        return nil
    }

    var isCancelled: Bool {
        if case .cancelled = self { return true }
        return false
    }

    var isDenied: Bool {
        if case .denied = self { return true }
        return false
    }
}

/// Runs `body`, expects it to throw an `AuthError`, and returns it.
func expectAuthError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> AuthError? {
    do {
        _ = try body()
        XCTFail("expected an AuthError", file: file, line: line)
        return nil
    } catch let e as AuthError {
        return e
    } catch {
        XCTFail("expected an AuthError, got \(error)", file: file, line: line)
        return nil
    }
}
