import Foundation

/// Something that turns a DingTalk SDK's callback URL into its reply object and hands that reply on
/// (usually to `DingTalkLogin.deliver(legacy:)` / `deliver(openAuth:)` from the SDK's delegate). Wrap
/// `DTOpenAPI.handleOpenURL(_:delegate:)` or the new SDK's URL handler in one; the demo's simulated
/// DingTalk is another.
public protocol DingTalkSDKURLHandling: AnyObject {
    /// Handles `url` if it is this SDK's reply; returns whether it did.
    func handleDingTalkURL(_ url: URL) -> Bool
}

/// What a URL given to the app is, as far as DingTalk login is concerned.
public enum DingTalkCallbackKind: Equatable, Sendable {
    /// A reply of a DingTalk SDK: the URL scheme is the DingTalk app id.
    case sdkReply
    /// DingTalk's browser redirect to the configured redirect URI.
    case browserRedirect
    /// Anything else: not DingTalk's, leave it to the rest of the app.
    case other
}

/// Recognises DingTalk's callbacks among every URL the app receives. Pure value logic, no state.
public struct DingTalkCallbackMatcher: Equatable, Sendable {
    /// URL schemes of the app's DingTalk app ids (the legacy AppId / new-SDK ClientId), lower-cased.
    public let sdkSchemes: Set<String>
    /// The configured redirect URI, if the browser flow is used.
    public let redirectURI: URL?

    /// - Parameters:
    ///   - sdkSchemes: the DingTalk app ids registered as URL schemes (compared case-insensitively, as iOS does).
    ///   - redirectURI: the browser flow's redirect URI (`AuthConfig.redirectUri`).
    public init(sdkSchemes: [String], redirectURI: String?) {
        self.sdkSchemes = Set(sdkSchemes.map { $0.lowercased() }.filter { !$0.isEmpty })
        self.redirectURI = redirectURI.flatMap(URL.init(string:))
    }

    /// Which kind of callback `url` is. A redirect matches in scheme and host (case-insensitively), port
    /// and path (exactly); its query is left to the core's strict parser.
    public func classify(_ url: URL) -> DingTalkCallbackKind {
        if let redirect = redirectURI, Self.sameEndpoint(url, redirect) { return .browserRedirect }
        guard let scheme = url.scheme?.lowercased() else { return .other }
        // A custom-scheme redirect URI shares no scheme with the app ids, so the order does not matter.
        if sdkSchemes.contains(scheme) { return .sdkReply }
        return .other
    }

    static func sameEndpoint(_ a: URL, _ b: URL) -> Bool {
        guard let ca = URLComponents(url: a, resolvingAgainstBaseURL: false),
              let cb = URLComponents(url: b, resolvingAgainstBaseURL: false) else { return false }
        return ca.scheme?.lowercased() == cb.scheme?.lowercased()
            && (ca.host ?? "").lowercased() == (cb.host ?? "").lowercased()
            && effectivePort(ca) == effectivePort(cb)
            && normalizedPath(ca.percentEncodedPath) == normalizedPath(cb.percentEncodedPath)
    }

    private static func effectivePort(_ c: URLComponents) -> Int? {
        if let p = c.port { return p }
        switch c.scheme?.lowercased() {
        case "https": return 443
        case "http": return 80
        default: return nil
        }
    }

    private static func normalizedPath(_ p: String) -> String { p.isEmpty ? "/" : p }
}

/// One router over several logins, for an app whose DingTalk ids differ per flow (the legacy AppId and
/// the new-SDK / browser ClientId are separate applications, so each has its own `DingTalkAuth` and
/// `DingTalkLogin`). Call its `handle(url:)` from every place a URL arrives.
public struct DingTalkURLRouter {
    /// The logins asked, in order.
    public let logins: [DingTalkLogin]

    /// A router over `logins`.
    public init(_ logins: [DingTalkLogin]) {
        self.logins = logins
    }

    /// True when one of the logins recognised `url` as DingTalk's callback (the first that does takes it);
    /// false for every other URL.
    @discardableResult
    public func handle(url: URL) -> Bool {
        logins.contains { $0.handle(url: url) }
    }
}
