import Foundation

/// Something that turns a DingTalk SDK's callback URL into its reply object and hands that reply on
/// (usually to `DingTalkLogin.deliver(legacy:)` / `deliver(openAuth:)` from the SDK's delegate). Wrap
/// `DTOpenAPI.handleOpenURL(_:delegate:)` or the new SDK's URL handler in one; the demo's simulated
/// DingTalk is another.
public protocol DingTalkSDKURLHandling: AnyObject {
    /// Handles `url` if it is this SDK's reply; returns whether it did.
    func handleDingTalkURL(_ url: URL) -> Bool
}

/// What a URL given to the app is, as far as DingTalk login is concerned: `.sdkReply`,
/// `.browserRedirect` or `.other` (the core's `CallbackKind`).
public typealias DingTalkCallbackKind = CallbackKind

/// Recognises DingTalk's callbacks among every URL the app receives. The decision is the core's
/// (`classifyCallbackUrl`), made exactly as `completeBrowser` later compares the redirect, so a URL
/// taken as DingTalk's redirect is never refused for being another endpoint.
public struct DingTalkCallbackMatcher: Equatable, Sendable {
    /// URL schemes of the app's DingTalk app ids (the legacy AppId / new-SDK ClientId), lower-cased.
    public let sdkSchemes: Set<String>
    /// The configured redirect URI, if the browser flow is used.
    public let redirectURI: URL?
    private let redirectURIText: String?

    /// - Parameters:
    ///   - sdkSchemes: the DingTalk app ids registered as URL schemes (compared case-insensitively, as iOS does).
    ///   - redirectURI: the browser flow's redirect URI (`AuthConfig.redirectUri`).
    public init(sdkSchemes: [String], redirectURI: String?) {
        self.sdkSchemes = Set(sdkSchemes.map { $0.lowercased() }.filter { !$0.isEmpty })
        self.redirectURI = redirectURI.flatMap(URL.init(string:))
        self.redirectURIText = redirectURI
    }

    /// Which kind of callback `url` is.
    public func classify(_ url: URL) -> DingTalkCallbackKind {
        classifyCallbackUrl(url: url.absoluteString, sdkSchemes: sdkSchemes.sorted(), redirectUri: redirectURIText)
    }
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
