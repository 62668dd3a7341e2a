#if canImport(AuthenticationServices) && !os(watchOS) && !os(tvOS)
import AuthenticationServices
import Foundation

/// The browser flow's presenter: the one place that owns `ASWebAuthenticationSession`, its presentation
/// anchor and `prefersEphemeralWebBrowserSession`. Compiled on Apple platforms only (not verified on
/// Linux; the logic it feeds, `DingTalkLogin`, is).
public final class WebAuthenticationPresenter: NSObject, DingTalkPresenter, ASWebAuthenticationPresentationContextProviding {
    /// The window the login sheet is presented over.
    private let anchor: () -> ASPresentationAnchor
    /// True: no cookies shared with Safari (the user types the DingTalk password every time, and no
    /// "wants to use dingtalk.com to sign in" prompt). False: an existing DingTalk web login is reused.
    public var prefersEphemeralWebBrowserSession: Bool
    private var session: ASWebAuthenticationSession?

    /// - Parameters:
    ///   - prefersEphemeralWebBrowserSession: see the property.
    ///   - anchor: returns the window to present over (e.g. the key window of the active scene); called on
    ///     the main thread.
    public init(prefersEphemeralWebBrowserSession: Bool = false, anchor: @escaping () -> ASPresentationAnchor) {
        self.anchor = anchor
        self.prefersEphemeralWebBrowserSession = prefersEphemeralWebBrowserSession
    }

    /// See `ASWebAuthenticationPresentationContextProviding`.
    public func presentationAnchor(for session: ASWebAuthenticationSession) -> ASPresentationAnchor {
        anchor()  // AuthenticationServices calls this on the main thread
    }

    /// Opens `request.authorizeUrl` and returns the redirect URL; closing the sheet throws `CancellationError`.
    public func present(_ request: LoginRequest) async throws -> URL? {
        try await presentOnMainActor(request)
    }

    /// The session is created and started on the main thread, as AuthenticationServices requires.
    @MainActor
    private func presentOnMainActor(_ request: LoginRequest) async throws -> URL? {
        guard let authorize = request.authorizeUrl.flatMap(URL.init(string:)),
              let redirect = request.redirectUri.flatMap(URL.init(string:)), let scheme = redirect.scheme else {
            throw AuthError.InvalidConfig(reason: "the browser flow needs authorizeUrl and redirectUri")
        }
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<URL?, Error>) in
            let completion: ASWebAuthenticationSession.CompletionHandler = { url, error in
                if let error = error as? ASWebAuthenticationSessionError, error.code == .canceledLogin {
                    c.resume(throwing: CancellationError())
                } else if let error {
                    c.resume(throwing: error)
                } else {
                    c.resume(returning: url)
                }
            }
            let session: ASWebAuthenticationSession
            if #available(iOS 17.4, macOS 14.4, *), scheme.lowercased() == "https", let host = redirect.host {
                // A universal-link redirect URI: matched by host and path, no custom scheme needed.
                session = ASWebAuthenticationSession(url: authorize, callback: .https(host: host, path: redirect.path),
                                                     completionHandler: completion)
            } else {
                session = ASWebAuthenticationSession(url: authorize, callbackURLScheme: scheme, completionHandler: completion)
            }
            session.presentationContextProvider = self
            session.prefersEphemeralWebBrowserSession = prefersEphemeralWebBrowserSession
            self.session = session
            if !session.start() {
                c.resume(throwing: AuthError.InvalidConfig(reason: "ASWebAuthenticationSession could not start"))
            }
        }
    }
}
#endif
