import Foundation

/// The URLs UIKit hands the app at one of its entry points, as plain values, so every entry point ends
/// in the same `handle(url:)` and the routing is tested without UIKit. Where DingTalk's reply arrives
/// (UIKit's documentation of `UIScene.ConnectionOptions` and `UIApplication.LaunchOptionsKey.url`):
/// - app running, scene delegate: `scene(_:openURLContexts:)`, universal links in `scene(_:continue:)`;
/// - **cold start** (iOS killed the app while DingTalk was in front, and DingTalk's reply launches it),
///   scene delegate: only `scene(_:willConnectTo:options:)`, as `connectionOptions.urlContexts` and, for
///   a universal link, `connectionOptions.userActivities`; `openURLContexts` is not called for it;
/// - no scenes: `launchOptions[.url]`; UIKit then also calls `application(_:open:options:)` with the
///   same URL (unless `didFinishLaunching` returned false), whose second delivery the core refuses as a
///   replay and `DingTalkLogin` ignores;
/// - SwiftUI: `.onOpenURL` receives the running and the cold-start case alike.
public struct DingTalkIncomingURLs: Equatable, Sendable {
    /// URLs opened in the app's URL schemes (an SDK reply, a custom-scheme redirect).
    public var urls: [URL]
    /// Universal links (`NSUserActivityTypeBrowsingWeb` activities' `webpageURL`): an https redirect URI.
    public var universalLinks: [URL]

    /// These URLs and universal links.
    public init(urls: [URL] = [], universalLinks: [URL] = []) {
        self.urls = urls
        self.universalLinks = universalLinks
    }

    /// Every URL, scheme URLs first.
    public var all: [URL] { urls + universalLinks }
}

extension DingTalkLogin {
    /// Routes every URL of `incoming` through `handle(url:)`; returns the ones that were not DingTalk's,
    /// for the app to route itself.
    @discardableResult
    public func handle(_ incoming: DingTalkIncomingURLs) -> [URL] {
        incoming.all.filter { !handle(url: $0) }
    }
}

extension DingTalkURLRouter {
    /// Routes every URL of `incoming` through `handle(url:)`; returns the ones that were not DingTalk's.
    @discardableResult
    public func handle(_ incoming: DingTalkIncomingURLs) -> [URL] {
        incoming.all.filter { !handle(url: $0) }
    }
}

#if canImport(UIKit) && os(iOS)
import UIKit

// The UIKit entry points as `DingTalkIncomingURLs`: compiled only with the iOS SDK (the macOS workflow);
// each is one property read, the routing itself is the tested code above.
extension DingTalkIncomingURLs {
    /// `scene(_:willConnectTo:options:)`: what a cold start delivers.
    public init(_ connectionOptions: UIScene.ConnectionOptions) {
        self.init(urls: connectionOptions.urlContexts.map(\.url),
                  universalLinks: connectionOptions.userActivities.compactMap(Self.universalLink))
    }

    /// `scene(_:openURLContexts:)`: a running app.
    public init(_ urlContexts: Set<UIOpenURLContext>) {
        self.init(urls: urlContexts.map(\.url))
    }

    /// `scene(_:continue:)` or `application(_:continue:restorationHandler:)`: a universal link.
    public init(_ userActivity: NSUserActivity) {
        self.init(universalLinks: Self.universalLink(userActivity).map { [$0] } ?? [])
    }

    /// `application(_:didFinishLaunchingWithOptions:)` of an app without scenes.
    public init(launchOptions: [UIApplication.LaunchOptionsKey: Any]?) {
        self.init(urls: (launchOptions?[.url] as? URL).map { [$0] } ?? [])
    }

    private static func universalLink(_ activity: NSUserActivity) -> URL? {
        activity.activityType == NSUserActivityTypeBrowsingWeb ? activity.webpageURL : nil
    }
}
#endif
