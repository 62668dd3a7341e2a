// The pending-login store's logic over the key-value protocol (the Keychain backend has the same
// contract; it is compiled and exercised only on Apple platforms).
import DingTalkAuth
import Foundation
import XCTest

/// A backend that fails every call with a Keychain-like status, like a locked device or a missing entitlement.
final class FailingBackend: KeyValueBackend {
    let error: Error
    init(_ error: Error) { self.error = error }
    func write(_ value: Data, for key: String) throws { throw error }
    func read(_ key: String) throws -> Data? { throw error }
    func delete(_ key: String) throws { throw error }
    func allKeys() throws -> [String] { throw error }
}

final class StoreTests: XCTestCase {
    func testRoundTripReplaceRemoveAndList() throws {
        let store = KeyValuePendingLoginStore(backend: InMemoryKeyValueBackend())
        XCTAssertNil(try store.get(key: "k"))
        try store.put(key: "k", value: "v1")
        try store.put(key: "k", value: "v2 — ünïcode")
        XCTAssertEqual(try store.get(key: "k"), "v2 — ünïcode")
        try store.put(key: "other", value: "x")
        XCTAssertEqual(Set(try store.keys()), ["k", "other"])
        try store.remove(key: "k")
        try store.remove(key: "k")  // absent: no error
        XCTAssertNil(try store.get(key: "k"))
        XCTAssertEqual(try store.keys(), ["other"])
    }

    func testTheCoreKeepsItsRecordsThereAndNoSecrets() throws {
        let backend = InMemoryKeyValueBackend()
        let auth = try makeAuth(.browser, store: KeyValuePendingLoginStore(backend: backend))
        let request = try auth.begin(flow: .browser)
        let keys = try backend.allKeys()
        XCTAssertEqual(keys.count, 1)
        XCTAssertTrue(keys[0].hasPrefix("dingtalk-auth.v1."), keys[0])
        let value = String(decoding: try XCTUnwrap(try backend.read(keys[0])), as: UTF8.self)
        XCTAssertFalse(value.contains(try XCTUnwrap(request.state)), "the state itself is never stored")
    }

    func testALoginSurvivesANewProcessOverTheSameBackend() throws {
        let backend = InMemoryKeyValueBackend()
        let before = try makeAuth(.newSdk, store: KeyValuePendingLoginStore(backend: backend))
        let request = try before.begin(flow: .newSdk)
        let after = try makeAuth(.newSdk, store: KeyValuePendingLoginStore(backend: backend))
        XCTAssertEqual(try after.pendingCount(), 1)
        let outcome = try after.complete(openAuth: OpenAuthReply(respCode: 0, authCode: "c", state: request.state))
        XCTAssertEqual(outcome.grant?.flow(), .newSdk)
        // Used up, also for the instance that began it.
        let e = expectAuthError(try before.complete(openAuth: OpenAuthReply(respCode: 0, authCode: "c", state: request.state)))
        XCTAssertEqual(e?.isForeignReply, true)
    }

    func testBackendFailuresBecomeStoreErrorsWithoutValues() throws {
        let store = KeyValuePendingLoginStore(backend: FailingBackend(KeychainError(status: -25308, operation: "write")))
        do {
            try store.put(key: "k", value: "secret-value")
            XCTFail("expected StoreError")
        } catch let StoreError.Failed(reason) {
            XCTAssertTrue(reason.contains("-25308"), reason)
            XCTAssertFalse(reason.contains("secret-value"), reason)
        }
        let auth = try makeAuth(.browser, store: store)
        let e = expectAuthError(try auth.begin(flow: .browser))
        guard case .Store(let reason) = e else { return XCTFail("got \(String(describing: e))") }
        XCTAssertTrue(reason.contains("-25308"), reason)
    }

    func testAnyOtherBackendErrorIsNamedByDomainAndCode() {
        let store = KeyValuePendingLoginStore(backend: FailingBackend(NSError(domain: "TestDomain", code: 7)))
        XCTAssertThrowsError(try store.keys()) { error in
            guard case let StoreError.Failed(reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("TestDomain 7"), reason)
        }
    }

    func testNonUTF8ValueIsAStoreError() throws {
        let backend = InMemoryKeyValueBackend()
        try backend.write(Data([0xff, 0xfe, 0x00]), for: "k")
        XCTAssertThrowsError(try KeyValuePendingLoginStore(backend: backend).get(key: "k")) { error in
            guard case StoreError.Failed = error else { return XCTFail("\(error)") }
        }
    }
}
