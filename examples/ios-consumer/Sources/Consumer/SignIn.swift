import DingTalkAuth

/// What an app writes first: a configuration the core accepts and the login object built on it.
public func makeSignIn() throws -> DingTalkLogin {
    var config = AuthConfig(clientId: "dingxxxxxxxxxxxx", platform: .ios, flows: [.browser])
    config.redirectUri = "com.example.app://dingtalk/callback"
    config.backendUrl = "https://api.example.com/v1/login"
    let store = KeyValuePendingLoginStore.keychain()
    return DingTalkLogin(auth: try DingTalkAuth(config: config, store: store, transport: URLSessionTransport()),
                         sdkSchemes: [], redirectURI: config.redirectUri)
}
