// The SwiftUI shell of the demo. It only renders DemoKit's models (ios-demo/DemoKit, built and tested on
// Linux) and forwards URLs; no login logic lives here. Compiled only by Xcode (not verified on Linux).
import DingTalkAuth
import SwiftUI
import UIKit

@main
struct DingTalkAuthDemoApp: App {
    @StateObject private var store = DemoStore()

    var body: some Scene {
        WindowGroup {
            RootView()
                .environmentObject(store)
                // The one URL entry point: DingTalk's SDK replies (app-id schemes) and the browser redirect.
                .onOpenURL { url in _ = store.handle(url: url) }
        }
    }
}

/// Bridges DemoKit's plain-Swift models to SwiftUI (main-thread @Published copies of their state).
@MainActor
final class DemoStore: ObservableObject {
    @Published var loginState: LoginScreenState = .idle
    /// DingTalk's own message, what to register, or an ignored reply (LoginScreenModel.note).
    @Published var note: String?
    @Published var findings: [SetupFinding]?
    @Published var heldReply: URL?
    @Published var answer: SimulatedAnswer = .approve {
        didSet { app?.simulator.answer = answer }
    }
    let launchError: String?
    let app: DemoApp?

    init() {
        let environment = ProcessInfo.processInfo.environment
        let info = Bundle.main.infoDictionary ?? [:]
        let http = URLSessionHTTPClient()
        let keychain = KeychainKeyValueBackend(service: "dev.dingtalkauth.demo.pending-logins")
        if environment["DINGTALK_DEMO_RESET_KEYCHAIN"] == "1" {
            // UI tests start from an empty store, except the relaunch in the "app killed" test.
            for key in (try? keychain.allKeys()) ?? [] { try? keychain.delete(key) }
        }
        var built: DemoApp?
        var failure: String?
        do {
            let configuration = try DemoConfiguration.load(environment: environment, info: info)
            built = try DemoApp(
                configuration: configuration, storeBackend: keychain, http: http,
                // Opening our own URL scheme comes back through .onOpenURL: the path a real DingTalk reply takes.
                openURL: { url in DispatchQueue.main.async { UIApplication.shared.open(url) } },
                realPresenter: Self.webSessionForBrowser,
                environment: SimulatedSetupEnvironment(http: http))
        } catch {
            failure = "\(error)"
        }
        app = built
        launchError = failure
        if let answer = environment["DINGTALK_DEMO_ANSWER"].flatMap(SimulatedAnswer.init(rawValue:)) {
            self.answer = answer
            built?.simulator.answer = answer
        }
        built?.loginScreen.onChange = { [weak self, weak built] state in
            let note = built?.loginScreen.note
            DispatchQueue.main.async { self?.loginState = state; self?.note = note }
        }
        // A grant a killed launch left may have been re-sent (and shown) before onChange was set.
        loginState = built?.loginScreen.state ?? .idle
        built?.loginScreen.onIgnoredReply = { [weak self, weak built] _ in
            let note = built?.loginScreen.note
            DispatchQueue.main.async { self?.note = note }
        }
        built?.simulator.onHeldReply = { [weak self] url in
            DispatchQueue.main.async { self?.heldReply = url }
        }
    }

    /// DINGTALK_DEMO_SIMULATED=0: the browser flow opens the fake DingTalk's real consent page in an
    /// ASWebAuthenticationSession (approve / deny by hand); the SDK flows stay simulated, since no DingTalk
    /// SDK is linked into the demo.
    private static let webSession = WebAuthenticationPresenter(prefersEphemeralWebBrowserSession: true) {
        UIApplication.shared.connectedScenes.compactMap { ($0 as? UIWindowScene)?.keyWindow }.first ?? UIWindow()
    }

    private static func webSessionForBrowser(_ flow: LoginFlow) -> DingTalkPresenter? {
        flow == .browser ? webSession : nil
    }

    func handle(url: URL) -> Bool { app?.handle(url: url) ?? false }

    func signIn(_ flow: LoginFlow) {
        guard let app else { return }
        Task { await app.loginScreen.signIn(flow) }
    }

    func deliverHeldReply() {
        guard let url = heldReply else { return }
        UIApplication.shared.open(url)
    }

    func runSelfCheck() {
        guard let app else { return }
        let info = Bundle.main.infoDictionary ?? [:]
        Task {
            let result = await app.selfCheck.run(infoPlist: info)
            await MainActor.run { self.findings = result }
        }
    }
}
