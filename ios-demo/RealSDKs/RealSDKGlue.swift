// The glue an app writes for DingTalk's real SDKs, compiled by the macOS workflow against the SDKs it
// could download (DingTalkAuthDemoRealSDKs in project.yml). Each SDK class conforms to the package's
// adapter protocols with an empty extension: if a protocol asked for a property the SDK's header does not
// have, with the type Swift imports it as, this file would not compile.
import DingTalkAuth
import UIKit

#if DINGTALK_LEGACY_SDK
extension DTAuthorizeResp: DingTalkLegacyAuthorizeReply {}
extension DTAuthorizeReq: DingTalkLegacyAuthorizeRequest {}

/// DTShareKit: its URL handler and delegate feed `DingTalkLogin`; `presenter` sends `DTAuthorizeReq`.
final class LegacySDKBridge: NSObject, DingTalkSDKURLHandling, DTOpenAPIDelegate {
    weak var login: DingTalkLogin?

    /// `DTOpenAPI.registerApp` with the legacy AppId, once at launch.
    static func register(appId: String) -> Bool { DTOpenAPI.registerApp(appId) }

    func handleDingTalkURL(_ url: URL) -> Bool { DTOpenAPI.handleOpen(url, delegate: self) }
    func onReq(_ req: DTBaseReq!) {}
    func onResp(_ resp: DTBaseResp!) {
        if let reply = resp as? DTAuthorizeResp { login?.deliver(legacy: reply) }
    }

    var presenter: DingTalkSDKPresenter {
        DingTalkSDKPresenter { request in
            await withCheckedContinuation { (sent: CheckedContinuation<Bool, Never>) in
                DispatchQueue.main.async {
                    let req = DTAuthorizeReq()
                    req.fill(from: request, bundleId: Bundle.main.bundleIdentifier ?? "")
                    DTOpenAPI.send(req) { sent.resume(returning: $0) }
                }
            }
        }
    }
}
#endif

#if DINGTALK_OPENAUTH_SDK
extension ADTOpenAuthResp: DingTalkOpenAuthReply {}
extension ADTOpenAuthReq: DingTalkOpenAuthRequest {}

/// ADTOpenAuthSDK: its URL handler and delegate feed `DingTalkLogin`; `presenter` sends `ADTOpenAuthReq`
/// over a view controller, which the SDK uses for its in-app web login when DingTalk cannot be opened.
final class OpenAuthSDKBridge: NSObject, DingTalkSDKURLHandling, ADTOpenAuthAPIDelegate {
    weak var login: DingTalkLogin?

    /// `registerApp:identifier:` with the ClientId and the bundle id, once at launch.
    static func register(clientId: String) -> Bool {
        ADTOpenAuthAPI.registerApp(clientId, identifier: Bundle.main.bundleIdentifier ?? "")
    }

    func handleDingTalkURL(_ url: URL) -> Bool { ADTOpenAuthAPI.handleOpen(url, delegate: self) }
    func onReq(_ req: ADTBaseReq!) {}
    func onResp(_ resp: ADTBaseResp!) {
        if let reply = resp as? ADTOpenAuthResp { login?.deliver(openAuth: reply) }
    }

    func presenter(over viewController: @escaping @MainActor () -> UIViewController) -> DingTalkSDKPresenter {
        DingTalkSDKPresenter { request in
            await MainActor.run {
                let req = ADTOpenAuthReq()
                req.fill(from: request)
                return ADTOpenAuthAPI.send(req, on: viewController())
            }
        }
    }
}
#endif
