// Shared fixtures of the package tests: a PendingLoginStore and a TimeSource written in Swift (as an app
// would), configurations, the plist fixture directory, and assertion helpers for AuthError.
import DingTalkAuth
import Foundation
import XCTest

/// An in-memory PendingLoginStore implemented in Swift: it stands for the app's Keychain-backed store,
/// and outlives the DingTalkAuth instances that use it (that is how a login survives process death).
final class SwiftStore: PendingLoginStore, @unchecked Sendable {
    private let lock = NSLock()
    private var map: [String: String] = [:]
    private var failure: String?
    private(set) var calls = 0

    /// Every later call throws StoreError.Failed(reason:) with this reason (nil: work again).
    func failAll(with reason: String?) {
        lock.lock(); defer { lock.unlock() }
        failure = reason
    }

    /// A copy of the whole content, for checks of what the core writes.
    var snapshot: [String: String] {
        lock.lock(); defer { lock.unlock() }
        return map
    }

    func set(_ key: String, _ value: String?) {
        lock.lock(); defer { lock.unlock() }
        map[key] = value
    }

    private func enter() throws {
        lock.lock()
        calls += 1
        let f = failure
        lock.unlock()
        if let f { throw StoreError.Failed(reason: f) }
    }

    func put(key: String, value: String) throws {
        try enter()
        lock.lock(); defer { lock.unlock() }
        map[key] = value
    }

    func get(key: String) throws -> String? {
        try enter()
        lock.lock(); defer { lock.unlock() }
        return map[key]
    }

    func remove(key: String) throws {
        try enter()
        lock.lock(); defer { lock.unlock() }
        map[key] = nil
    }

    func keys() throws -> [String] {
        try enter()
        lock.lock(); defer { lock.unlock() }
        return Array(map.keys)
    }
}

/// A clock the test moves by hand: expiry is tested without sleeping.
final class ManualClock: TimeSource, @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64

    init(_ startMs: Int64 = 1_700_000_000_000) { now = startMs }

    func nowMs() -> Int64 {
        lock.lock(); defer { lock.unlock() }
        return now
    }

    func advance(ms: Int64) {
        lock.lock(); defer { lock.unlock() }
        now += ms
    }

    func advance(seconds: Int64) { advance(ms: seconds * 1000) }
}

let clientId = "dingtestclient42"
let redirectUri = "https://app.example.com/dingtalk/callback"

let allFlows: [LoginFlow] = [.legacySdk, .newSdk, .browser]

func makeConfig(
    platform: Platform = .android,
    flows: [LoginFlow] = allFlows,
    redirectUri: String? = redirectUri,
    backendUrl: String? = nil,
    scope: OAuthScope? = nil,
    ttl: UInt32 = 600,
    requestTimeoutMs: UInt32 = 30_000
) -> AuthConfig {
    var c = AuthConfig(clientId: clientId, platform: platform, flows: flows)
    c.redirectUri = redirectUri
    c.backendUrl = backendUrl
    c.scope = scope
    c.pendingTtlSeconds = ttl
    c.requestTimeoutMs = requestTimeoutMs
    return c
}

/// A DingTalkAuth over a Swift store and a manual clock.
struct Harness {
    let auth: DingTalkAuth
    let store: SwiftStore
    let clock: ManualClock

    init(_ config: AuthConfig = makeConfig(), store: SwiftStore = SwiftStore(), clock: ManualClock = ManualClock()) throws {
        self.store = store
        self.clock = clock
        self.auth = try DingTalkAuth.withTimeSource(config: config, store: store, time: clock)
    }

    func success(_ flow: LoginFlow, code: String = "code-\(UUID().uuidString)", state: String?) throws -> LoginOutcome {
        try auth.completeSdk(response: SdkResponse(flow: flow, errCode: "0", message: nil, code: code, state: state))
    }
}

/// A well-formed state nobody issued (43 base64url characters, like real ones).
func foreignState() -> String {
    var s = ""
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    for _ in 0..<43 { s.append(alphabet[Int.random(in: 0..<alphabet.count)]) }
    return s
}

/// The same state with one character changed (still well-formed).
func tampered(_ state: String) -> String {
    var chars = Array(state)
    let i = chars.count / 2
    chars[i] = chars[i] == "A" ? "B" : "A"
    return String(chars)
}

/// Every way an app might print an error.
func descriptions(of error: Error) -> [String] {
    [String(describing: error), String(reflecting: error), error.localizedDescription, "\(error)"]
}

/// Runs `body`, expects an AuthError, and returns it (nil, with a recorded failure, otherwise).
/// Also checks that none of the ways of printing the error shows a secret.
@discardableResult
func expectAuthError<T>(
    _ body: @autoclosure () throws -> T,
    secrets: [String?] = [],
    file: StaticString = #filePath,
    line: UInt = #line
) -> AuthError? {
    authError(in: Result { try body() }, secrets: secrets, file: file, line: line)
}

func expectAuthError<T>(
    secrets: [String?] = [],
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () async throws -> T
) async -> AuthError? {
    let result: Result<T, Error>
    do { result = .success(try await body()) } catch { result = .failure(error) }
    return authError(in: result, secrets: secrets, file: file, line: line)
}

private func authError<T>(in result: Result<T, Error>, secrets: [String?], file: StaticString, line: UInt) -> AuthError? {
    switch result {
    case let .success(value):
        XCTFail("expected an AuthError, got \(value)", file: file, line: line)
    case let .failure(error as AuthError):
        assertNoSecrets(error, secrets, file: file, line: line)
        return error
    case let .failure(error):
        XCTFail("expected an AuthError, got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}

func assertNoSecrets(_ error: Error, _ secrets: [String?], file: StaticString = #filePath, line: UInt = #line) {
    for text in descriptions(of: error) {
        for case let secret? in secrets where !secret.isEmpty {
            XCTAssertFalse(text.contains(secret), "error text reveals a secret: \(text)", file: file, line: line)
        }
    }
}

/// Pattern helpers: AuthError has associated values, so it is not Equatable-compared directly.
extension AuthError {
    var caseName: String {
        switch self {
        case .InvalidConfig: return "InvalidConfig"
        case .StateMissing: return "StateMissing"
        case .StateMalformed: return "StateMalformed"
        case .StateUnknown: return "StateUnknown"
        case .StateExpired: return "StateExpired"
        case .StateReused: return "StateReused"
        case .FlowMismatch: return "FlowMismatch"
        case .NoPendingLogin: return "NoPendingLogin"
        case .AmbiguousPendingLogin: return "AmbiguousPendingLogin"
        case .InvalidResponse: return "InvalidResponse"
        case .InvalidCallback: return "InvalidCallback"
        case .Store: return "Store"
        case .HttpUnavailable: return "HttpUnavailable"
        case .Network: return "Network"
        case .Timeout: return "Timeout"
        case .BackendRejected: return "BackendRejected"
        case .UnreadableBody: return "UnreadableBody"
        case .TimeSource: return "TimeSource"
        case .Internal: return "Internal"
        }
    }
}

func XCTAssertAuthError(
    _ error: AuthError?,
    _ expected: String,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    guard let error else { return }  // the failure was already recorded
    XCTAssertEqual(error.caseName, expected, "unexpected error \(error)", file: file, line: line)
}

extension LoginOutcome {
    var grant: AuthGrant? {
        if case let .authorized(grant, _) = self { return grant }
        return nil
    }
}

/// Parses the grant's JSON (wire format v1).
func grantJson(_ grant: AuthGrant, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
    let text = grant.toJson()
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        XCTFail("grant JSON does not parse", file: file, line: line)
        return [:]
    }
    return object
}

func isBase64Url(_ s: String) -> Bool {
    s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
}

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
    var isCancelled: Bool {
        if case .cancelled = self { return true }
        return false
    }

    var isDenied: Bool {
        if case .denied = self { return true }
        return false
    }
}
