// Benchmark of the Swift bindings (run by scripts/bench-swift.sh, release build):
//  1. cold start: from the first library call (constructing DingTalkAuth, which loads and checks the
//     UniFFI contract) to the first begin() returning, in fresh processes;
//  2. one completeSdk() on the success path (begin(.newSdk) untimed, then completeSdk with its state),
//     with the Rust in-memory store and with a PendingLoginStore written in Swift;
//  3. the same validation written directly in Swift, as a baseline for the FFI + Rust cost.
// Medians of per-call wall-clock times after a warm-up.
import DingTalkAuth
import Foundation

#if canImport(Glibc)
import Glibc
#endif

@inline(__always) func nowNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func median(_ xs: [UInt64]) -> Double {
    let s = xs.sorted()
    if s.isEmpty { return .nan }
    return s.count % 2 == 1 ? Double(s[s.count / 2]) : Double(s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func fmt(_ ns: Double) -> String {
    ns >= 1_000_000 ? String(format: "%9.2f ms", ns / 1_000_000) : String(format: "%9.2f µs", ns / 1_000)
}

let config = AuthConfig(clientId: "dingbenchclient", platform: .android, flows: [.legacySdk, .newSdk, .browser],
                        redirectUri: "https://app.example.com/dingtalk/callback")

// MARK: cold start (child process mode)

if CommandLine.arguments.dropFirst().first == "--cold-once" {
    let t0 = nowNs()
    let auth = try DingTalkAuth(config: config)
    let t1 = nowNs()
    _ = try auth.begin(flow: .newSdk)
    let t2 = nowNs()
    print("\(t1 - t0) \(t2 - t0)")
    exit(0)
}

// MARK: a Swift store, as an app would write one

final class SwiftStore: PendingLoginStore, @unchecked Sendable {
    private let lock = NSLock()
    private var map: [String: String] = [:]
    func put(key: String, value: String) throws { lock.lock(); map[key] = value; lock.unlock() }
    func get(key: String) throws -> String? { lock.lock(); defer { lock.unlock() }; return map[key] }
    func remove(key: String) throws { lock.lock(); map[key] = nil; lock.unlock() }
    func keys() throws -> [String] { lock.lock(); defer { lock.unlock() }; return Array(map.keys) }
}

// MARK: the same validation in plain Swift (baseline)

/// What the library does on the success path, minus SHA-256 (no CryptoKit on Linux): strict ErrCode
/// parse, state shape check, lookup in a dictionary of pending logins, constant-time compare of the
/// stored token, used / expiry / flow checks, mark used, code plausibility, grant JSON.
final class NativeValidator {
    struct Pending { var token: [UInt8]; var flow: LoginFlow; var expiresMs: Int64; var used: Bool }
    enum Failure: Error { case response, stateMissing, malformed, unknown, reused, expired, flowMismatch }
    private var pending: [String: Pending] = [:]
    private let ttlMs: Int64 = 600_000
    private var rng = SystemRandomNumberGenerator()

    private func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    private func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func begin(_ flow: LoginFlow) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = rng.next() }
        let state = base64url(bytes)
        let utf8 = Array(state.utf8)
        pending[String(state.prefix(22))] = Pending(token: utf8, flow: flow, expiresMs: nowMs() + ttlMs, used: false)
        return state
    }

    static func parseErrCode(_ raw: String) -> Int32? {
        let digits = raw.hasPrefix("-") ? raw.dropFirst() : Substring(raw)
        guard !digits.isEmpty, digits.count <= 10, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int32(raw)
    }

    func complete(flow: LoginFlow, errCode: String, code: String?, state: String?) throws -> String {
        guard let err = NativeValidator.parseErrCode(errCode) else { throw Failure.response }
        guard err == 0 else { throw Failure.response }  // the bench only takes the success path
        guard let state else { throw Failure.stateMissing }
        let bytes = Array(state.utf8)
        guard !bytes.isEmpty, bytes.count <= 1024,
              bytes.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 })
        else { throw Failure.malformed }
        let key = String(state.prefix(22))
        guard var rec = pending[key], rec.token.count == bytes.count else { throw Failure.unknown }
        var diff: UInt8 = 0
        for i in 0..<bytes.count { diff |= rec.token[i] ^ bytes[i] }
        guard diff == 0 else { throw Failure.unknown }
        guard !rec.used else { throw Failure.reused }
        rec.used = true
        pending[key] = rec
        let now = nowMs()
        guard now <= rec.expiresMs else { throw Failure.expired }
        guard rec.flow == flow else { throw Failure.flowMismatch }
        guard let code, !code.isEmpty, code.utf8.count <= 512, code.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { throw Failure.response }
        let idem = base64url(Array(bytes.prefix(32)))
        // Built by hand like serde does (JSONSerialization is far slower on Linux and would flatter Rust).
        return "{\"version\":1,\"flow\":\"new_sdk\",\"client_id\":\(jsonString("dingbenchclient")),\"platform\":\"android\","
            + "\"code\":\(jsonString(code)),\"scope\":\"openid\",\"issued_at_ms\":\(now),\"idempotency_key\":\"\(idem)\"}"
    }
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}

// MARK: measurements

let args = CommandLine.arguments.dropFirst()
let iterations = Int(args.first { $0.hasPrefix("--iterations=") }?.dropFirst("--iterations=".count) ?? "") ?? 5000
let warmup = max(iterations / 10, 200)
let coldRuns = Int(args.first { $0.hasPrefix("--cold-runs=") }?.dropFirst("--cold-runs=".count) ?? "") ?? 15

func measureRust(store: PendingLoginStore?) throws -> (complete: Double, beginAndComplete: Double) {
    let auth = try DingTalkAuth(config: config, store: store)
    var completeNs: [UInt64] = []
    var bothNs: [UInt64] = []
    completeNs.reserveCapacity(iterations)
    bothNs.reserveCapacity(iterations)
    for i in 0..<(warmup + iterations) {
        let t0 = nowNs()
        let req = try auth.begin(flow: .newSdk)
        let t1 = nowNs()
        let outcome = try auth.completeSdk(response: SdkResponse(flow: .newSdk, errCode: "0", message: nil, code: "benchcode\(i)", state: req.state))
        let t2 = nowNs()
        guard case .authorized = outcome else { fatalError("unexpected outcome \(outcome)") }
        if i >= warmup {
            completeNs.append(t2 - t1)
            bothNs.append(t2 - t0)
        }
    }
    return (median(completeNs), median(bothNs))
}

func measureNative() throws -> (complete: Double, beginAndComplete: Double) {
    let v = NativeValidator()
    var completeNs: [UInt64] = []
    var bothNs: [UInt64] = []
    for i in 0..<(warmup + iterations) {
        let t0 = nowNs()
        let state = v.begin(.newSdk)
        let t1 = nowNs()
        let json = try v.complete(flow: .newSdk, errCode: "0", code: "benchcode\(i)", state: state)
        let t2 = nowNs()
        precondition(!json.isEmpty)
        if i >= warmup {
            completeNs.append(t2 - t1)
            bothNs.append(t2 - t0)
        }
    }
    // The baseline must produce the same kind of answer: a parseable grant (checked outside the timing).
    let sample = try v.complete(flow: .newSdk, errCode: "0", code: "c\"q", state: v.begin(.newSdk))
    let parsed = try JSONSerialization.jsonObject(with: Data(sample.utf8)) as? [String: Any]
    precondition(parsed?["code"] as? String == "c\"q", "baseline JSON is wrong: \(sample)")
    return (median(completeNs), median(bothNs))
}

func measureCold() throws -> (construct: Double, firstBegin: Double)? {
    guard let exe = Bundle.main.executablePath ?? CommandLine.arguments.first else { return nil }
    var construct: [UInt64] = []
    var first: [UInt64] = []
    for _ in 0..<coldRuns {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["--cold-once"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw NSError(domain: "bench", code: Int(p.terminationStatus)) }
        let parts = String(decoding: out, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt64($0) }
        guard parts.count == 2 else { throw NSError(domain: "bench: bad child output", code: 1) }
        construct.append(parts[0])
        first.append(parts[1])
    }
    return (median(construct), median(first))
}

print("DingTalkAuth Swift bench: \(iterations) iterations after \(warmup) warm-up, \(coldRuns) cold processes; medians")
let rustMemory = try measureRust(store: nil)
let rustSwiftStore = try measureRust(store: SwiftStore())
let native = try measureNative()
print("                                          completeSdk   begin+completeSdk")
print("Rust via UniFFI, Rust memory store     \(fmt(rustMemory.complete))        \(fmt(rustMemory.beginAndComplete))")
print("Rust via UniFFI, Swift store (callbacks)\(fmt(rustSwiftStore.complete))        \(fmt(rustSwiftStore.beginAndComplete))")
print("plain Swift validation (no SHA-256)    \(fmt(native.complete))        \(fmt(native.beginAndComplete))")
if let cold = try measureCold() {
    print("cold start, fresh process: DingTalkAuth(config:) \(fmt(cold.construct)); first call -> first begin() returned \(fmt(cold.firstBegin))")
}
