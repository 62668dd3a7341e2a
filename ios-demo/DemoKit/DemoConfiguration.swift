import DingTalkAuth
import Foundation

/// Where the demo's servers are and which DingTalk application it plays. Read from the launch
/// environment (the same DINGTALK_DEMO_* names scripts/with-demo-servers.sh exports, so UI tests and
/// Linux tests pass them unchanged) with the Info.plist's values as defaults.
public struct DemoConfiguration: Equatable, Sendable {
    /// The reference backend's base URL (the grant goes to `<backend>/v1/login`).
    public var backendURL: String
    /// The fake DingTalk's base URL (its `/_fake/mint` plays the DingTalk app in simulated mode).
    public var fakeURL: String
    /// The legacy SDK's AppId (also its URL scheme).
    public var legacyAppId: String
    /// The new SDK / browser ClientId (also the new SDK's URL scheme).
    public var clientId: String
    /// The redirect URI of the new SDK and browser flows.
    public var redirectURI: String
    /// Play DingTalk with the fake instead of opening the real app (simulators cannot install DingTalk).
    public var simulated: Bool

    /// The URL schemes DingTalk's SDK replies arrive on. The demo's ids must be valid URL schemes; a real
    /// app registers its own ids.
    public var sdkSchemes: [String] { [legacyAppId, clientId] }

    /// - Parameters:
    ///   - environment: `ProcessInfo.processInfo.environment`.
    ///   - info: `Bundle.main.infoDictionary` (keys `DingTalkDemoBackend`, `DingTalkDemoFake`, `DingTalkAppIds`,
    ///     `DingTalkRedirectURI`).
    public static func load(environment: [String: String], info: [String: Any]) throws -> DemoConfiguration {
        let ids = info["DingTalkAppIds"] as? [String] ?? []
        func pick(_ env: String, _ plist: String?) throws -> String {
            if let v = environment[env], !v.isEmpty { return v }
            if let v = plist, !v.isEmpty { return v }
            throw DemoError.configuration("\(env) is not set and the Info.plist has no default")
        }
        return DemoConfiguration(
            backendURL: try pick("DINGTALK_DEMO_BACKEND", info["DingTalkDemoBackend"] as? String),
            fakeURL: try pick("DINGTALK_DEMO_FAKE", info["DingTalkDemoFake"] as? String),
            legacyAppId: try pick("DINGTALK_DEMO_LEGACY_APP_KEY", ids.first),
            clientId: try pick("DINGTALK_DEMO_CLIENT_ID", ids.dropFirst().first),
            redirectURI: try pick("DINGTALK_DEMO_REDIRECT_URI", info[DingTalkSetupCheck.redirectURIInfoKey] as? String),
            simulated: environment["DINGTALK_DEMO_SIMULATED"].map { $0 != "0" } ?? true
        )
    }

    /// The core's configuration for `flow` (the legacy SDK answers to its own AppId).
    public func authConfig(for flow: LoginFlow) -> AuthConfig {
        var c = AuthConfig(clientId: flow == .legacySdk ? legacyAppId : clientId, platform: .ios, flows: [flow])
        c.backendUrl = backendURL + "/v1/login"
        if flow != .legacySdk { c.redirectUri = redirectURI }
        // The browser flow opens the fake DingTalk's consent page: the demo's ids exist only there.
        if flow == .browser { c.authorizeEndpoint = fakeURL + "/oauth2/auth" }
        return c
    }

    /// The bundle id the demo's DingTalk applications are registered with (ios-demo/project.yml's
    /// PRODUCT_BUNDLE_IDENTIFIER).
    public static let registeredBundleId = "dev.dingtalkauth.demo"

    /// What the self-check checks this configuration against.
    public var setupRequirements: SetupRequirements {
        SetupRequirements(flows: [.legacySdk, .newSdk, .browser], sdkAppIds: sdkSchemes, redirectURI: redirectURI,
                          backendURL: backendURL, registeredBundleId: Self.registeredBundleId)
    }
}

/// The demo's own errors (anything that is not the library's `AuthError`).
public enum DemoError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The demo is not configured.
    case configuration(String)
    /// An HTTP exchange with the fake DingTalk or the backend failed.
    case http(String)
    /// The backend's answer was not the identity it should be.
    case unexpectedAnswer(String)

    /// The technical text (logs).
    public var description: String {
        switch self {
        case .configuration(let s): return "demo configuration: \(s)"
        case .http(let s): return "HTTP: \(s)"
        case .unexpectedAnswer(let s): return "unexpected answer: \(s)"
        }
    }

    /// The sentence for the user (`localizedDescription`).
    public var errorDescription: String? {
        switch self {
        case .configuration(let s): return "The demo is not configured: \(s)."
        case .http(let s): return "The demo servers could not be reached (\(s))."
        case .unexpectedAnswer: return "The server's answer was not an identity."
        }
    }
}
