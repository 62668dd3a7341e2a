import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The self-check's device checks from what an app has at hand: `UIApplication.shared.canOpenURL` (needs
/// `dingtalk` in `LSApplicationQueriesSchemes`), the SDKs' own support checks (e.g.
/// `DTOpenAPI.isDingTalkSupportOpenAPI()`), and a request to the backend.
///
/// ```swift
/// let env = DeviceSetupEnvironment(canOpenURL: { UIApplication.shared.canOpenURL($0) },
///                                  supports: { _ in DTOpenAPI.isDingTalkSupportOpenAPI() })
/// ```
public struct DeviceSetupEnvironment: SetupEnvironment {
    /// The URL whose openability means "DingTalk is installed".
    public static let dingTalkProbeURL = URL(string: "dingtalk://")!

    private let canOpenURL: (URL) -> Bool
    private let supports: (LoginFlow) -> Bool
    private let session: URLSession

    /// - Parameters:
    ///   - canOpenURL: `UIApplication.shared.canOpenURL`.
    ///   - supports: whether the installed DingTalk supports a flow's SDK.
    ///   - session: used for the backend probe (a HEAD request; any HTTP answer counts as reachable).
    public init(canOpenURL: @escaping (URL) -> Bool, supports: @escaping (LoginFlow) -> Bool,
                session: URLSession = URLSession(configuration: .ephemeral)) {
        self.canOpenURL = canOpenURL
        self.supports = supports
        self.session = session
    }

    /// See `SetupEnvironment.isDingTalkInstalled()`.
    public func isDingTalkInstalled() -> Bool { canOpenURL(Self.dingTalkProbeURL) }

    /// See `SetupEnvironment.isDingTalkSupporting(_:)`.
    public func isDingTalkSupporting(_ flow: LoginFlow) -> Bool { supports(flow) }

    /// See `SetupEnvironment.backendProblem(_:)`.
    public func backendProblem(_ url: URL) async -> String? {
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "HEAD"
        return await withCheckedContinuation { c in
            session.dataTask(with: request) { _, response, error in
                if response is HTTPURLResponse {
                    c.resume(returning: nil)
                } else {
                    c.resume(returning: error?.localizedDescription ?? "no HTTP answer")
                }
            }.resume()
        }
    }
}
