// End-to-end support: the servers scripts/with-demo-servers.sh started (read from DINGTALK_DEMO_*), a
// small HTTP/1.1 client over POSIX sockets for the fake DingTalk's admin endpoints and its authorize page,
// and the DingTalkAuth instances an app would build for each flow.
//
// Why raw sockets and not URLSession: FoundationNetworking on Linux follows redirects for tasks with a
// completion handler without asking the delegate, and the browser flow needs the 302's Location as it is
// (following it would try to reach the app's https redirect URI). A socket client also keeps libcurl out.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DingTalkAuth
import Foundation
import XCTest

struct E2EError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - The servers

/// What scripts/with-demo-servers.sh exports. Missing variables are an error, never a skip: these tests
/// exist to prove the whole path works, so not running them must not look like passing.
struct DemoEnv {
    /// Backend + fake DingTalk, any organisation allowed.
    let backend: String
    let fake: String
    /// Backend + fake DingTalk with the corpId allow-list [allowedCorp].
    let orgBackend: String
    let orgFake: String
    let allowedCorp: String
    /// An internal app's backend + fake DingTalk: logins resolve to members of the organisation [memberCorp].
    let memberBackend: String
    let memberFake: String
    let memberCorp: String
    /// The demo credentials the fakes accept (the legacy AppKey and the v1.0 ClientId).
    let legacyAppKey: String
    let clientId: String
    /// The backends' timeout towards the fakes.
    let upstreamTimeoutMs: Int

    static func load() throws -> DemoEnv {
        let env = ProcessInfo.processInfo.environment
        func need(_ name: String) throws -> String {
            guard let v = env[name], !v.isEmpty else {
                throw E2EError(
                    "\(name) is not set: the end-to-end tests need the demo servers. Run "
                        + "`scripts/test-ios.sh` (it starts them through scripts/with-demo-servers.sh).")
            }
            return v
        }
        let backend = try need("DINGTALK_DEMO_BACKEND")
        let timeout = try need("DINGTALK_DEMO_UPSTREAM_TIMEOUT_MS")
        guard let ms = Int(timeout), ms > 0 else {
            throw E2EError("DINGTALK_DEMO_UPSTREAM_TIMEOUT_MS is not a positive number: \(timeout)")
        }
        return DemoEnv(
            backend: backend,
            fake: try need("DINGTALK_DEMO_FAKE"),
            orgBackend: try need("DINGTALK_DEMO_ORG_BACKEND"),
            orgFake: try need("DINGTALK_DEMO_ORG_FAKE"),
            allowedCorp: try need("DINGTALK_DEMO_ALLOWED_CORP"),
            memberBackend: try need("DINGTALK_DEMO_MEMBER_BACKEND"),
            memberFake: try need("DINGTALK_DEMO_MEMBER_FAKE"),
            memberCorp: try need("DINGTALK_DEMO_MEMBER_CORP"),
            legacyAppKey: try need("DINGTALK_DEMO_LEGACY_APP_KEY"),
            clientId: try need("DINGTALK_DEMO_CLIENT_ID"),
            upstreamTimeoutMs: ms
        )
    }
}

// MARK: - HTTP/1.1 over a socket

struct HTTPResponse {
    var status: Int
    /// Header names lower-cased.
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> [String: Any] {
        guard let o = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw E2EError("not a JSON object (HTTP \(status)): \(text)")
        }
        return o
    }
}

/// One request, `Connection: close`, the whole answer read until EOF. Never follows redirects.
/// Only numeric IPv4 hosts (the demo servers listen on 127.0.0.1).
func http(_ method: String, _ url: String, json: Any? = nil, timeoutSeconds: Int = 20) throws -> HTTPResponse {
    guard let comps = URLComponents(string: url), comps.scheme == "http", let host = comps.host else {
        throw E2EError("unsupported URL \(url)")
    }
    let port = UInt16(comps.port ?? 80)
    var target = comps.percentEncodedPath.isEmpty ? "/" : comps.percentEncodedPath
    if let q = comps.percentEncodedQuery { target += "?" + q }

    var body: [UInt8] = []
    if let json {
        body = Array(try JSONSerialization.data(withJSONObject: json))
    }
    var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nAccept: */*\r\n"
    if json != nil { head += "Content-Type: application/json\r\n" }
    if json != nil || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
    head += "\r\n"
    let request = Array(head.utf8) + body

    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw E2EError("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))

    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { throw E2EError("not an IPv4 address: \(host)") }
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw E2EError("connect \(host):\(port): \(String(cString: strerror(errno)))") }

    var sent = 0
    while sent < request.count {
        let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw E2EError("write to \(url): \(String(cString: strerror(errno)))") }
        sent += n
    }

    var raw: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 16 * 1024)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { throw E2EError("read from \(url): \(String(cString: strerror(errno)))") }
        if n == 0 { break }
        raw += buf[0..<n]
    }
    return try parseResponse(raw, url: url)
}

private func parseResponse(_ raw: [UInt8], url: String) throws -> HTTPResponse {
    let sep: [UInt8] = [13, 10, 13, 10]
    guard let end = raw.indices.first(where: { raw[$0...].starts(with: sep) }) else {
        throw E2EError("incomplete HTTP answer from \(url) (\(raw.count) bytes)")
    }
    let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
    let statusParts = lines[0].split(separator: " ")
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
        throw E2EError("bad status line from \(url): \(lines[0])")
    }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = Array(raw[(end + 4)...])
    if headers["transfer-encoding"]?.lowercased() == "chunked" {
        body = try dechunk(body)
    } else if let len = headers["content-length"].flatMap(Int.init), len <= body.count {
        body = Array(body[..<len])
    }
    return HTTPResponse(status: status, headers: headers, body: body)
}

private func dechunk(_ data: [UInt8]) throws -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < data.count {
        guard let lf = data[i...].firstIndex(of: 10) else { throw E2EError("bad chunked body") }
        let sizeText = String(decoding: data[i..<lf], as: UTF8.self)
            .split(separator: ";")[0].trimmingCharacters(in: .whitespacesAndNewlines)
        guard let size = Int(sizeText, radix: 16) else { throw E2EError("bad chunk size \(sizeText)") }
        if size == 0 { break }
        let start = lf + 1
        guard start + size <= data.count else { throw E2EError("truncated chunk") }
        out += data[start..<(start + size)]
        i = start + size + 2
    }
    return out
}

// MARK: - The fake DingTalk's admin endpoints

/// The fake DingTalk at `base`: what the DingTalk app and login.dingtalk.com would do, plus its knobs.
struct FakeDingTalk {
    let base: String

    /// A user for mint / browser: unique per call unless given, so each test can recognise its identity.
    static func user(corpId: String? = nil, tag: String = UUID().uuidString.prefix(8).lowercased()) -> [String: Any] {
        var u: [String: Any] = [
            "nick": "Swift E2E \(tag)",
            "unionId": "union-\(tag)",
            "openId": "open-\(tag)",
        ]
        if let corpId { u["corpId"] = corpId }
        return u
    }

    /// POST /_fake/mint: the code the DingTalk app would hand back to the SDK.
    func mint(flow: String, clientId: String, scope: String? = nil, user: [String: Any]) throws -> String {
        var req: [String: Any] = ["flow": flow, "clientId": clientId, "user": user]
        if let scope { req["scope"] = scope }
        let r = try http("POST", base + "/_fake/mint", json: req)
        guard r.status == 200, let code = try r.json()["code"] as? String, !code.isEmpty else {
            throw E2EError("mint failed: HTTP \(r.status) \(r.text)")
        }
        return code
    }

    /// POST /_fake/faults.
    func setFault(endpoint: String, fault: [String: Any], times: Int? = nil) throws {
        var req: [String: Any] = ["endpoint": endpoint, "fault": fault]
        if let times { req["times"] = times }
        try expect2xx(http("POST", base + "/_fake/faults", json: req), "set fault")
    }

    /// DELETE /_fake/faults.
    func clearFaults() throws {
        try expect2xx(http("DELETE", base + "/_fake/faults"), "clear faults")
    }

    /// POST /_fake/clock {"advanceMs"}; returns the fake's new now.
    @discardableResult
    func advanceClock(ms: Int64) throws -> Int64 {
        let r = try http("POST", base + "/_fake/clock", json: ["advanceMs": ms])
        try expect2xx(r, "advance clock")
        guard let now = try r.json()["nowMs"] as? NSNumber else { throw E2EError("clock answer without nowMs: \(r.text)") }
        return now.int64Value
    }

    /// POST /_fake/browser {"mode", "user"?}.
    func setBrowser(mode: String, user: [String: Any]? = nil) throws {
        var req: [String: Any] = ["mode": mode]
        if let user { req["user"] = user }
        try expect2xx(http("POST", base + "/_fake/browser", json: req), "set browser mode")
    }

    /// GET /_fake/stats: requests each DingTalk endpoint received.
    func stats() throws -> [String: Int] {
        let r = try http("GET", base + "/_fake/stats")
        try expect2xx(r, "stats")
        var out: [String: Int] = [:]
        for (k, v) in try r.json() { out[k] = (v as? NSNumber)?.intValue }
        return out
    }

    /// What the browser does with `authorizeUrl`: GET it and return the 302's Location, not followed.
    func authorize(_ authorizeUrl: String) throws -> String {
        let r = try http("GET", authorizeUrl)
        guard r.status == 302, let location = r.headers["location"] else {
            throw E2EError("authorize page did not redirect: HTTP \(r.status) \(r.text.prefix(300))")
        }
        return location
    }

    private func expect2xx(_ r: HTTPResponse, _ what: String) throws {
        guard (200..<300).contains(r.status) else { throw E2EError("\(what) failed: HTTP \(r.status) \(r.text)") }
    }
}

// MARK: - The app side

let e2eRedirectUri = "https://app.example.com/dingtalk/callback"

/// The DingTalkAuth an app builds: the legacy SDK uses the legacy AppKey as its client id, the new SDK and
/// the browser flow the v1.0 ClientId. `authorizeEndpoint` points the browser flow at the fake.
func makeAuth(
    _ env: DemoEnv,
    flow: LoginFlow,
    platform: Platform = .android,
    backend: String? = nil,
    fake: String? = nil,
    scope: OAuthScope? = nil
) throws -> DingTalkAuth {
    let clientId = flow == .legacySdk ? env.legacyAppKey : env.clientId
    var c = AuthConfig(clientId: clientId, platform: platform, flows: [flow])
    c.backendUrl = (backend ?? env.backend) + "/v1/login"
    if flow != .legacySdk {
        c.redirectUri = e2eRedirectUri
        c.scope = scope
    }
    if flow == .browser { c.authorizeEndpoint = (fake ?? env.fake) + "/oauth2/auth" }
    return try DingTalkAuth(config: c)
}

extension LoginOutcome {
    var grant: AuthGrant? {
        if case let .authorized(grant, _) = self { return grant }
        return nil
    }

    var name: String {
        switch self {
        case .authorized: return "Authorized"
        case .cancelled: return "Cancelled"
        case .denied: return "Denied"
        case .appIdentityMismatch: return "AppIdentityMismatch"
        case .failed: return "Failed"
        }
    }
}

func requireGrant(_ outcome: LoginOutcome, file: StaticString = #filePath, line: UInt = #line) throws -> AuthGrant {
    guard let g = outcome.grant else {
        XCTFail("expected Authorized, got \(outcome.name)", file: file, line: line)
        throw E2EError("expected Authorized, got \(outcome.name)")
    }
    return g
}

/// The identity the backend answered, parsed.
func identity(_ response: BackendResponse) throws -> [String: Any] {
    guard let o = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any] else {
        throw E2EError("backend answer is not a JSON object: \(response.body)")
    }
    return o
}

/// Checks the identity the backend returned is the user the fake was told to log in.
func assertIdentity(
    _ response: BackendResponse,
    user: [String: Any],
    flow: String,
    corpId: String? = nil,
    file: StaticString = #filePath,
    line: UInt = #line
) throws {
    XCTAssertEqual(response.status, 200, file: file, line: line)
    let id = try identity(response)
    XCTAssertEqual(id["flow"] as? String, flow, "flow in \(response.body)", file: file, line: line)
    XCTAssertEqual(id["unionId"] as? String, user["unionId"] as? String, "unionId in \(response.body)", file: file, line: line)
    XCTAssertEqual(id["openId"] as? String, user["openId"] as? String, "openId in \(response.body)", file: file, line: line)
    XCTAssertEqual(id["nick"] as? String, user["nick"] as? String, "nick in \(response.body)", file: file, line: line)
    let token = id["sessionToken"] as? String ?? ""
    // A JWT signed with Ed25519: three base64url parts, a header with alg EdDSA and the key's kid.
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    XCTAssertEqual(parts.count, 3, "sessionToken in \(response.body)", file: file, line: line)
    for part in parts {
        XCTAssertTrue(!part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") },
                      "sessionToken part is not base64url: \(part)", file: file, line: line)
    }
    if let first = parts.first {
        var b64 = first.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        b64 += String(repeating: "=", count: (4 - b64.count % 4) % 4)
        let header = Data(base64Encoded: b64)
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        XCTAssertEqual(header["alg"] as? String, "EdDSA", "JWT header in \(response.body)", file: file, line: line)
        XCTAssertFalse((header["kid"] as? String ?? "").isEmpty, "JWT header without kid in \(response.body)", file: file, line: line)
    }
    if let corpId {
        XCTAssertEqual(id["corpId"] as? String, corpId, "corpId in \(response.body)", file: file, line: line)
    }
}

/// Runs `submit`, expects `AuthError.BackendRejected(status, body with "error": code)`, and returns the
/// parsed error body. Records a failure for anything else.
@discardableResult
func expectRejected(
    _ auth: DingTalkAuth,
    _ grant: AuthGrant,
    status: UInt16,
    error code: String,
    retryable: Bool? = nil,
    file: StaticString = #filePath,
    line: UInt = #line
) async -> [String: Any]? {
    do {
        let r = try await auth.submit(grant: grant)
        XCTFail("expected BackendRejected(\(status), \(code)), got HTTP \(r.status): \(r.body)", file: file, line: line)
        return nil
    } catch let AuthError.BackendRejected(got, body) {
        XCTAssertEqual(got, status, "status; body \(body)", file: file, line: line)
        guard let o = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            XCTFail("error body is not JSON: \(body)", file: file, line: line)
            return nil
        }
        XCTAssertEqual(o["error"] as? String, code, "error code; body \(body)", file: file, line: line)
        if let retryable {
            XCTAssertEqual(o["retryable"] as? Bool, retryable, "retryable; body \(body)", file: file, line: line)
        }
        return o
    } catch {
        XCTFail("expected BackendRejected(\(status), \(code)), got \(error)", file: file, line: line)
        return nil
    }
}

/// Base class: loads the environment (a missing one fails every test), and resets the fakes' global
/// state (faults, clock, browser mode) after each test. XCTest runs the tests of one process serially,
/// so a test that changes the fake cannot race another.
class E2ETestCase: XCTestCase {
    var env: DemoEnv!
    var fake: FakeDingTalk!
    var orgFake: FakeDingTalk!
    var memberFake: FakeDingTalk!
    /// Clock offsets this test applied, per fake base URL, undone in tearDown.
    private var clockOffsets: [String: Int64] = [:]

    /// Without the servers, each test fails here with one clear message (a throwing setUp would also
    /// count it as skipped), and neither setUp, the test body nor tearDown runs.
    override func invokeTest() {
        do {
            env = try DemoEnv.load()
        } catch {
            XCTFail("\(error)")
            return
        }
        fake = FakeDingTalk(base: env.fake)
        orgFake = FakeDingTalk(base: env.orgFake)
        memberFake = FakeDingTalk(base: env.memberFake)
        super.invokeTest()
    }

    /// Moves `f`'s clock; tearDown moves it back.
    func advanceClock(_ f: FakeDingTalk, ms: Int64) throws {
        try f.advanceClock(ms: ms)
        clockOffsets[f.base, default: 0] += ms
    }

    override func tearDownWithError() throws {
        if let env {
            for f in [FakeDingTalk(base: env.fake), FakeDingTalk(base: env.orgFake), FakeDingTalk(base: env.memberFake)] {
                try f.clearFaults()
                try f.setBrowser(mode: "page", user: [:])  // an empty patch: the fake's default user
                if let offset = clockOffsets[f.base], offset != 0 { try f.advanceClock(ms: -offset) }
            }
        }
        clockOffsets = [:]
        try super.tearDownWithError()
    }
}

// MARK: - One login, step by step

func wireName(_ flow: LoginFlow) -> String {
    switch flow {
    case .legacySdk: return "legacy_sdk"
    case .newSdk: return "new_sdk"
    case .browser: return "browser"
    }
}

/// A login that DingTalk answered with a code: everything a test may look at afterwards.
struct CompletedLogin {
    let auth: DingTalkAuth
    let request: LoginRequest
    let code: String
    let user: [String: Any]
    let outcome: LoginOutcome
}

/// The value of `name` in a URL's query.
func queryValue(_ url: String, _ name: String) -> String? {
    URLComponents(string: url)?.queryItems?.first(where: { $0.name == name })?.value
}

/// begin → the fake DingTalk produces the code as the DingTalk app (SDK flows: POST /_fake/mint with the
/// request's client id and scope) or login.dingtalk.com (browser: GET authorizeUrl in mode approve, the
/// 302 taken as it is) would → completeSdk / completeBrowser.
func runLogin(
    _ env: DemoEnv,
    _ flow: LoginFlow,
    platform: Platform = .android,
    backend: String? = nil,
    fake: FakeDingTalk? = nil,
    scope: OAuthScope? = nil,
    user: [String: Any] = FakeDingTalk.user(),
    auth existing: DingTalkAuth? = nil,
    file: StaticString = #filePath,
    line: UInt = #line
) throws -> CompletedLogin {
    let fake = fake ?? FakeDingTalk(base: env.fake)
    let auth = try existing ?? makeAuth(env, flow: flow, platform: platform, backend: backend, fake: fake.base, scope: scope)
    let request = try auth.begin(flow: flow)
    XCTAssertEqual(request.flow, flow, file: file, line: line)
    switch flow {
    case .legacySdk, .newSdk:
        let code = try fake.mint(
            flow: wireName(flow),
            clientId: request.clientId,
            scope: flow == .newSdk ? request.scope : nil,
            user: user)
        let outcome = try auth.completeSdk(
            response: SdkResponse(flow: flow, errCode: "0", message: nil, code: code, state: request.state))
        return CompletedLogin(auth: auth, request: request, code: code, user: user, outcome: outcome)
    case .browser:
        guard let url = request.authorizeUrl else { throw E2EError("browser request without authorizeUrl") }
        XCTAssertTrue(url.hasPrefix(fake.base + "/oauth2/auth?"), "authorizeUrl \(url)", file: file, line: line)
        try fake.setBrowser(mode: "approve", user: user)
        let location = try fake.authorize(url)
        XCTAssertTrue(location.hasPrefix(e2eRedirectUri + "?"), "Location \(location)", file: file, line: line)
        XCTAssertEqual(queryValue(location, "state"), request.state, "state echoed", file: file, line: line)
        guard let code = queryValue(location, "authCode") else { throw E2EError("no authCode in \(location)") }
        let outcome = try auth.completeBrowser(callbackUrl: location)
        return CompletedLogin(auth: auth, request: request, code: code, user: user, outcome: outcome)
    }
}

/// A second login (new state) that DingTalk answers with an old `code`: what a replayed or intercepted
/// code looks like to the app.
func secondLogin(with code: String, _ first: CompletedLogin) throws -> AuthGrant {
    let flow = first.request.flow
    let request = try first.auth.begin(flow: flow)
    XCTAssertNotEqual(request.state, first.request.state)
    let outcome: LoginOutcome
    switch flow {
    case .legacySdk, .newSdk:
        outcome = try first.auth.completeSdk(
            response: SdkResponse(flow: flow, errCode: "0", message: nil, code: code, state: request.state))
    case .browser:
        var c = URLComponents(string: e2eRedirectUri)!
        c.queryItems = [URLQueryItem(name: "authCode", value: code), URLQueryItem(name: "state", value: request.state)]
        outcome = try first.auth.completeBrowser(callbackUrl: c.string!)
    }
    return try requireGrant(outcome)
}
