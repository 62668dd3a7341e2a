import DingTalkAuth
import Foundation

/// Everything the demo app is made of, assembled once at launch: one `DingTalkLogin` per flow over a
/// persistent store, one `GrantDelivery` per DingTalk application over the same store, the simulated
/// DingTalk, the login screen and the self-check. The SwiftUI app and the Linux tests build it the same
/// way; only `storeBackend`, `openURL`, `transport` and `environment` differ.
public final class DemoApp: @unchecked Sendable {
    /// The configuration it was built from.
    public let configuration: DemoConfiguration
    /// One login per flow (each DingTalk application id has its own core instance).
    public let logins: [LoginFlow: DingTalkLogin]
    /// The library's delivery of a flow's grants to the backend: one per DingTalk application (the new
    /// SDK and the browser share one, as they share the client id and so the kept grant). Created with
    /// the app, so a grant a killed launch left unacknowledged is sent again at once.
    public let deliveries: [LoginFlow: GrantDelivery]
    /// Plays DingTalk when `configuration.simulated`.
    public let simulator: SimulatedDingTalk
    /// The login screen.
    public let loginScreen: LoginScreenModel
    /// The self-check screen.
    public let selfCheck: SelfCheckModel

    /// - Parameters:
    ///   - storeBackend: the Keychain on iOS (`KeychainKeyValueBackend`), memory in tests. The same backend
    ///     after a relaunch is what lets a login survive the app being killed.
    ///   - openURL: how the app opens a URL (`UIApplication.shared.open`).
    ///   - realPresenter: what opens DingTalk for a flow when `configuration.simulated` is false (the SDKs'
    ///     request senders, `WebAuthenticationPresenter`); nil (for a flow, or at all) means the simulator.
    ///   - environment: the device checks of the self-check.
    ///   - transport: how `submit` reaches the backend: the app's HTTP stack (the default artifacts have
    ///     no HTTP client of their own; nil uses the `http` build's).
    public init(configuration: DemoConfiguration, storeBackend: KeyValueBackend, http: DemoHTTPClient,
                openURL: @escaping (URL) -> Void, realPresenter: ((LoginFlow) -> DingTalkPresenter?)? = nil,
                environment: SetupEnvironment, transport: HttpTransport? = URLSessionTransport()) throws {
        self.configuration = configuration
        let store = KeyValuePendingLoginStore(backend: storeBackend)
        var logins: [LoginFlow: DingTalkLogin] = [:]
        var deliveries: [LoginFlow: GrantDelivery] = [:]
        var byClientId: [String: GrantDelivery] = [:]
        for flow in [LoginFlow.legacySdk, .newSdk, .browser] {
            let config = configuration.authConfig(for: flow)
            let auth = try DingTalkAuth(config: config, store: store, transport: transport)
            logins[flow] = DingTalkLogin(auth: auth, sdkSchemes: flow == .legacySdk ? [configuration.legacyAppId] : flow == .newSdk ? [configuration.clientId] : [],
                                         redirectURI: flow == .browser ? configuration.redirectURI : nil)
            if byClientId[config.clientId] == nil {
                byClientId[config.clientId] = try GrantDelivery(auth: auth, store: store, clientId: config.clientId)
            }
            deliveries[flow] = byClientId[config.clientId]
        }
        self.logins = logins
        self.deliveries = deliveries
        let simulator = SimulatedDingTalk(fake: FakeDingTalkClient(base: configuration.fakeURL, http: http),
                                          configuration: configuration, openURL: openURL)
        self.simulator = simulator
        // The simulator's SDK URL handler only takes its own replies (host "dingtalk-simulator"), so it
        // can stay registered beside a real SDK's handler.
        logins[.legacySdk]?.addSDKHandler(simulator)
        logins[.newSdk]?.addSDKHandler(simulator)
        let real = configuration.simulated ? nil : realPresenter
        loginScreen = LoginScreenModel(logins: logins, deliveries: deliveries) { flow in real?(flow) ?? simulator }
        selfCheck = SelfCheckModel(requirements: configuration.setupRequirements, environment: environment)
        // The simulator delivers SDK replies to the login of the flow it parsed; both share its handler.
        simulator.router = { [weak self] flow in self?.logins[flow] }
    }

    /// The app's single URL entry point (`.onOpenURL`, `application(_:open:options:)`, `SceneDelegate`):
    /// true when one of the logins recognised `url` as DingTalk's.
    @discardableResult
    public func handle(url: URL) -> Bool { router.handle(url: url) }

    private var router: DingTalkURLRouter {
        DingTalkURLRouter([LoginFlow.legacySdk, .newSdk, .browser].compactMap { logins[$0] })
    }
}

/// The self-check screen's logic: the Info.plist findings and the device/backend findings, as rows.
public final class SelfCheckModel: @unchecked Sendable {
    /// What the app is configured for.
    public let requirements: SetupRequirements
    private let environment: SetupEnvironment

    /// A model checking against `requirements`.
    public init(requirements: SetupRequirements, environment: SetupEnvironment) {
        self.requirements = requirements
        self.environment = environment
    }

    /// Runs every check; an empty list means all is well.
    public func run(infoPlist: [String: Any]) async -> [SetupFinding] {
        DingTalkSetupCheck.check(infoPlist: infoPlist, requirements: requirements)
            + (await DingTalkSetupCheck.check(environment: environment, requirements: requirements))
    }
}

/// The self-check's device checks in simulated mode: DingTalk is played by the simulator (so it counts as
/// installed and current), and the backend is probed over HTTP.
public struct SimulatedSetupEnvironment: SetupEnvironment {
    let http: DemoHTTPClient

    /// Probes with `http`.
    public init(http: DemoHTTPClient) { self.http = http }

    /// See `SetupEnvironment.isDingTalkInstalled()`.
    public func isDingTalkInstalled() -> Bool { true }
    /// See `SetupEnvironment.isDingTalkSupporting(_:)`.
    public func isDingTalkSupporting(_ flow: LoginFlow) -> Bool { true }
    /// See `SetupEnvironment.backendProblem(_:)`.
    public func backendProblem(_ url: URL) async -> String? {
        do {
            _ = try await http.send(method: "GET", url: url, json: nil)  // any status: it answered
            return nil
        } catch {
            return "\(error)"
        }
    }
}
