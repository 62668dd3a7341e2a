import Foundation

/// One problem the setup self-check found, with what to do about it.
public struct SetupFinding: Equatable, Sendable, CustomStringConvertible {
    /// How bad it is.
    public enum Severity: String, Sendable {
        /// Login will not work.
        case error
        /// Login may not work for some users, or works worse.
        case warning
    }

    /// What was found; stable, for tests and analytics.
    public enum Problem: String, Sendable {
        /// No URL type (`CFBundleURLTypes`) has the DingTalk app id as a scheme: the SDK's reply never arrives.
        case appIdURLSchemeMissing = "app_id_url_scheme_missing"
        /// The Info.plist's `CFBundleIdentifier` is not the bundle id registered in DingTalk's console:
        /// DingTalk does not recognise the app (`LoginOutcome.appIdentityMismatch`).
        case bundleIdMismatch = "bundle_id_mismatch"
        /// `LSApplicationQueriesSchemes` lacks schemes an SDK queries: it believes DingTalk is not installed
        /// (the new SDK then opens its in-app web login instead of DingTalk).
        case queriesSchemesMissing = "queries_schemes_missing"
        /// `LSApplicationQueriesSchemes` has more than iOS's 50 entries: the extra ones are ignored.
        case queriesSchemesOverLimit = "queries_schemes_over_limit"
        /// The redirect URI is not usable or does not match what the Info.plist declares.
        case redirectURIMismatch = "redirect_uri_mismatch"
        /// DingTalk is not installed (SDK flows need it; offer the browser flow).
        case dingTalkNotInstalled = "dingtalk_not_installed"
        /// The installed DingTalk does not support this SDK.
        case dingTalkTooOld = "dingtalk_too_old"
        /// The backend did not answer.
        case backendUnreachable = "backend_unreachable"
    }

    /// How bad it is.
    public let severity: Severity
    /// What was found.
    public let problem: Problem
    /// What is wrong, in a sentence.
    public let message: String
    /// What to do, in a sentence.
    public let fix: String

    /// A finding.
    public init(_ severity: Severity, _ problem: Problem, message: String, fix: String) {
        self.severity = severity
        self.problem = problem
        self.message = message
        self.fix = fix
    }

    /// "error: <message> Fix: <fix>".
    public var description: String { "\(severity.rawValue): \(message) Fix: \(fix)" }
}

/// What the app is configured for, to check its Info.plist and environment against.
public struct SetupRequirements: Sendable {
    /// The flows the app uses.
    public var flows: [LoginFlow]
    /// The DingTalk app ids the SDK flows reply to through a URL scheme (legacy AppId, new-SDK ClientId).
    public var sdkAppIds: [String]
    /// The redirect URI the app configured (`AuthConfig.redirectUri`).
    public var redirectURI: String?
    /// The backend the grant goes to (`AuthConfig.backendUrl`).
    public var backendURL: String?
    /// The bundle id registered in DingTalk's developer console (the legacy SDK's "iOS Bundle ID", the
    /// new SDK's `registerApp:identifier:`); nil: not checked.
    public var registeredBundleId: String?

    /// Requirements for these flows and ids.
    public init(flows: [LoginFlow], sdkAppIds: [String], redirectURI: String? = nil, backendURL: String? = nil,
                registeredBundleId: String? = nil) {
        self.flows = flows
        self.sdkAppIds = sdkAppIds
        self.redirectURI = redirectURI
        self.backendURL = backendURL
        self.registeredBundleId = registeredBundleId
    }

    var usesSDK: Bool { flows.contains(.legacySdk) || flows.contains(.newSdk) }
}

/// What the self-check asks the device. On iOS: `UIApplication.canOpenURL` and the SDKs' own checks
/// (`DTOpenAPI.isDingTalkInstalled()`, `isDingTalkSupportOpenAPI()`), and a request to the backend.
public protocol SetupEnvironment {
    /// Whether DingTalk is installed (needs `dingtalk` in `LSApplicationQueriesSchemes`).
    func isDingTalkInstalled() -> Bool
    /// Whether the installed DingTalk supports `flow`'s SDK.
    func isDingTalkSupporting(_ flow: LoginFlow) -> Bool
    /// Whether `url` answers at all (any HTTP status counts): nil when it does, else the reason.
    func backendProblem(_ url: URL) async -> String?
}

/// The setup self-check: the causes of "the callback never arrives" and "DingTalk is not found", each
/// with what to do.
public enum DingTalkSetupCheck {
    /// The schemes an SDK flow asks `canOpenURL` about, so they must be in `LSApplicationQueriesSchemes`:
    /// - legacy (DTShareKit): `dingtalk`, `dingtalk-open` (DingTalk's iOS SDK guide,
    ///   https://open.dingtalk.com/document/dingstart/mini-app-access) and `dingtalk-sso`, which
    ///   `isDingTalkSupportSSO` queries (the SDK's login readme, reproduced at
    ///   https://cocoapods.org/pods/MCDingTalk); without them its checks report DingTalk missing;
    /// - new (ADTOpenAuthSDK): `dingtalk`, `dingtalk-openauth`, `dingtalk-openauth2` (DingTalk's iOS login
    ///   guide, https://open.dingtalk.com/document/dingstart/mini-app-procedures-for-authorized-logon-to-ios-applications):
    ///   optional there, because without them the SDK opens its in-app web login instead of DingTalk;
    /// - browser: none.
    public static func queriesSchemes(for flow: LoginFlow) -> [String] {
        switch flow {
        case .legacySdk: return ["dingtalk", "dingtalk-open", "dingtalk-sso"]
        case .newSdk: return ["dingtalk", "dingtalk-openauth", "dingtalk-openauth2"]
        case .browser: return []
        }
    }

    /// iOS ignores `LSApplicationQueriesSchemes` entries past this many (both guides above say so).
    public static let queriesSchemesLimit = 50
    /// The Info.plist key under which an app may record its redirect URI (checked against the config).
    public static let redirectURIInfoKey = "DingTalkRedirectURI"

    /// Checks an Info.plist (`Bundle.main.infoDictionary`, or a parsed file) against `requirements`.
    public static func check(infoPlist info: [String: Any], requirements: SetupRequirements) -> [SetupFinding] {
        var findings: [SetupFinding] = []
        let schemes = urlSchemes(info)
        findings += checkBundleId(info: info, requirements: requirements)
        if requirements.usesSDK {
            // Both SDKs reply by opening `<app id>://…`: DingTalk's guides register the AppKey / Client ID
            // as a URL scheme (URL identifier "dingtalk").
            for id in requirements.sdkAppIds where !schemes.contains(id.lowercased()) {
                findings.append(SetupFinding(
                    .error, .appIdURLSchemeMissing,
                    message: "No URL type has the scheme \"\(id)\", so DingTalk cannot return to the app.",
                    fix: "Add a URL type (CFBundleURLTypes) with URL scheme \"\(id)\" (Target > Info > URL Types)."))
            }
            findings += checkQueriesSchemes(info: info, flows: requirements.flows)
        }
        findings += checkRedirect(info: info, schemes: schemes, requirements: requirements)
        return findings
    }

    private static func checkBundleId(info: [String: Any], requirements: SetupRequirements) -> [SetupFinding] {
        guard requirements.usesSDK, let registered = requirements.registeredBundleId else { return [] }
        let actual = info["CFBundleIdentifier"] as? String ?? ""
        // "$(PRODUCT_BUNDLE_IDENTIFIER)" in a source Info.plist: only the built app's value can be compared.
        guard !actual.contains("$(") else { return [] }
        guard actual != registered else { return [] }
        return [SetupFinding(
            .error, .bundleIdMismatch,
            message: "The app's bundle id is \"\(actual)\", but \"\(registered)\" is registered in DingTalk's console, so DingTalk does not recognise the app.",
            fix: "Register \"\(actual)\" as the iOS Bundle ID in DingTalk's developer console (or build with the registered one).")]
    }

    private static func checkQueriesSchemes(info: [String: Any], flows: [LoginFlow]) -> [SetupFinding] {
        var findings: [SetupFinding] = []
        let queries = info["LSApplicationQueriesSchemes"] as? [Any] ?? []
        let listed = Set(queries.compactMap { ($0 as? String)?.lowercased() })
        for flow in [LoginFlow.legacySdk, .newSdk] where flows.contains(flow) {
            let missing = queriesSchemes(for: flow).filter { !listed.contains($0) }
            guard !missing.isEmpty else { continue }
            let legacy = flow == .legacySdk
            findings.append(SetupFinding(
                legacy ? .error : .warning, .queriesSchemesMissing,
                message: "LSApplicationQueriesSchemes lacks \(missing.joined(separator: ", ")), so the \(legacy ? "legacy" : "new") SDK "
                    + (legacy ? "cannot see DingTalk." : "opens its in-app web login instead of DingTalk."),
                fix: "Add \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) to LSApplicationQueriesSchemes in Info.plist."))
        }
        if queries.count > queriesSchemesLimit {
            let needed = flows.flatMap(queriesSchemes(for:))
            let ignored = Set(queries.dropFirst(queriesSchemesLimit).compactMap { ($0 as? String)?.lowercased() })
            var lost: [String] = []
            for s in needed where ignored.contains(s) && !lost.contains(s) { lost.append(s) }
            findings.append(SetupFinding(
                .error, .queriesSchemesOverLimit,
                message: "LSApplicationQueriesSchemes has \(queries.count) entries; iOS ignores all after the first \(queriesSchemesLimit)"
                    + (lost.isEmpty ? "." : ", including \(lost.joined(separator: ", "))."),
                fix: "Keep at most \(queriesSchemesLimit) entries and put DingTalk's schemes first."))
        }
        return findings
    }

    /// Reads an Info.plist file (XML or binary) and checks it.
    public static func check(infoPlistAt url: URL, requirements: SetupRequirements) throws -> [SetupFinding] {
        let data = try Data(contentsOf: url)
        guard let info = try PropertyListSerialization.propertyList(from: data, format: nil) as? [String: Any] else {
            throw CocoaError(.propertyListReadCorrupt)
        }
        return check(infoPlist: info, requirements: requirements)
    }

    /// Checks the device and the backend.
    public static func check(environment env: SetupEnvironment, requirements: SetupRequirements) async -> [SetupFinding] {
        var findings: [SetupFinding] = []
        let sdkFlows = requirements.flows.filter { $0 != .browser }
        // How bad a missing or old DingTalk is, is the core's rule (the same on Android): an error for a
        // flow that needs DingTalk (legacy), a warning for one that falls back to a web login (new SDK).
        if !sdkFlows.isEmpty {
            if !env.isDingTalkInstalled() {
                if let severity = dingtalkUnavailableSeverity(flows: requirements.flows, platform: .ios) {
                    let fallback = requirements.flows.contains(.browser)
                        ? "Offer the browser login (it is enabled)." : "Enable the browser flow as a fallback, or ask the user to install DingTalk."
                    findings.append(SetupFinding(
                        SetupFinding.Severity(severity), .dingTalkNotInstalled,
                        message: "DingTalk is not installed on this device (or LSApplicationQueriesSchemes hides it).",
                        fix: fallback))
                }
            } else {
                for flow in sdkFlows where !env.isDingTalkSupporting(flow) {
                    guard let severity = dingtalkUnavailableSeverity(flows: [flow], platform: .ios) else { continue }
                    findings.append(SetupFinding(
                        SetupFinding.Severity(severity), .dingTalkTooOld,
                        message: "The installed DingTalk is too old for the \(flow == .legacySdk ? "legacy" : "new") SDK login.",
                        fix: "Ask the user to update DingTalk, or offer the browser login."))
                }
            }
        }
        if let backend = requirements.backendURL {
            if let url = URL(string: backend), url.scheme != nil {
                if let problem = await env.backendProblem(url) {
                    findings.append(SetupFinding(
                        .error, .backendUnreachable,
                        message: "The backend at \(backend) did not answer: \(problem).",
                        fix: "Start the backend, or check AuthConfig.backendUrl and the network (ATS allows plain HTTP only for loopback in debug builds)."))
                }
            } else {
                findings.append(SetupFinding(
                    .error, .backendUnreachable,
                    message: "The backend URL \"\(backend)\" is not a URL.", fix: "Fix AuthConfig.backendUrl."))
            }
        }
        return findings
    }

    /// Every URL scheme the Info.plist registers, lower-cased.
    static func urlSchemes(_ info: [String: Any]) -> Set<String> {
        let types = info["CFBundleURLTypes"] as? [[String: Any]] ?? []
        return Set(types.flatMap { ($0["CFBundleURLSchemes"] as? [Any] ?? []).compactMap { ($0 as? String)?.lowercased() } })
    }

    private static func checkRedirect(info: [String: Any], schemes: Set<String>, requirements: SetupRequirements) -> [SetupFinding] {
        guard requirements.flows.contains(.browser) || requirements.flows.contains(.newSdk) else { return [] }
        guard let redirect = requirements.redirectURI, let url = URL(string: redirect), let scheme = url.scheme?.lowercased() else {
            return [SetupFinding(.error, .redirectURIMismatch,
                                 message: "No usable redirect URI is configured for the browser / new-SDK login.",
                                 fix: "Set AuthConfig.redirectUri to the redirect URI registered in the DingTalk developer console.")]
        }
        var findings: [SetupFinding] = []
        if let declared = info[redirectURIInfoKey] as? String, declared != redirect {
            findings.append(SetupFinding(
                .error, .redirectURIMismatch,
                message: "The redirect URI in the app's configuration (\(redirect)) differs from \(redirectURIInfoKey) in Info.plist (\(declared)).",
                fix: "Use one redirect URI everywhere, exactly as registered in the DingTalk developer console."))
        }
        if scheme != "https" && scheme != "http" && !schemes.contains(scheme) {
            findings.append(SetupFinding(
                .error, .redirectURIMismatch,
                message: "The redirect URI's scheme \"\(scheme)\" is not a URL type of the app, so the redirect cannot reach it.",
                fix: "Add a URL type with scheme \"\(scheme)\", or use an https universal link as the redirect URI."))
        }
        return findings
    }
}

extension SetupFinding.Severity {
    /// The core's severity.
    init(_ severity: SetupSeverity) {
        switch severity {
        case .error: self = .error
        case .warning: self = .warning
        }
    }
}
