// GrantDelivery against a loopback backend that holds the first request: the app is killed while the
// backend has it (every in-memory object dropped, the store kept), and the next launch's delivery sends
// the same grant with the same idempotency key. What is kept and for how long is tested in Rust
// (core/src/kept_grant.rs); here, the layer's glue: the send, its state, the store crossing.
import DingTalkAuth
import Foundation
import XCTest

final class GrantDeliveryTests: XCTestCase {
    private var servers: [LoopbackServer] = []

    override func tearDown() {
        servers.forEach { $0.stop() }
        servers = []
        super.tearDown()
    }

    private func server(_ behaviour: ServerBehaviour) throws -> LoopbackServer {
        let s = try LoopbackServer(behaviour)
        servers.append(s)
        return s
    }

    /// A launch of the app: a core instance over `store` (the wall clock: a kept grant expires by it).
    private func launch(_ store: SwiftStore, backend: String) throws -> (DingTalkAuth, GrantDelivery) {
        let auth = try DingTalkAuth(config: makeConfig(backendUrl: backend), store: store)
        return (auth, try GrantDelivery(auth: auth, store: store, clientId: clientId))
    }

    private func authorizedGrant(_ auth: DingTalkAuth) throws -> AuthGrant {
        let state = try XCTUnwrap(try auth.begin(flow: .newSdk).state)
        let outcome = try auth.completeSdk(response: SdkResponse(flow: .newSdk, errCode: "0", message: nil, code: "kept-code", state: state))
        return try XCTUnwrap(outcome.grant)
    }

    /// Waits (bounded only to turn a hang into a failure) until `delivery` reaches a state `matches` accepts.
    private func awaitState(_ delivery: GrantDelivery, _ what: String, _ matches: @escaping (GrantDelivery.State) -> Bool) {
        let reached = expectation(description: what)
        let lock = NSLock()
        var done = false
        let stop = delivery.observe { state in
            lock.lock(); defer { lock.unlock() }
            if !done && matches(state) { done = true; reached.fulfill() }
        }
        wait(for: [reached], timeout: 60)
        stop()
    }

    func testTheAppKilledDuringTheSendRedeliversTheSameGrantOnce() throws {
        let answer = #"{"session":"s-1"}"#
        let backend = try server(.holdFirstThenRespond(status: 200, contentType: "application/json", body: Array(answer.utf8)))
        let store = SwiftStore()
        var first: (DingTalkAuth, GrantDelivery)? = try launch(store, backend: backend.url)
        let grant = try authorizedGrant(first!.0)
        first!.1.deliver(grant)
        XCTAssertEqual(backend.requestArrived.wait(timeout: .now() + 60), .success)
        // The OS ends the app while the backend holds the request: only the store is left.
        first = nil

        let (_, reborn) = try launch(store, backend: backend.url)
        awaitState(reborn, "delivered after relaunch") { if case .delivered = $0 { return true } else { return false } }
        guard case let .delivered(sent, response) = reborn.state else { return XCTFail("\(reborn.state)") }
        XCTAssertEqual(sent.idempotencyKey(), grant.idempotencyKey())
        XCTAssertEqual(sent.toJson(), grant.toJson())
        XCTAssertEqual(response.body, answer)
        let keys = backend.received.map { $0.headers["idempotency-key"] }
        XCTAssertEqual(keys, [grant.idempotencyKey(), grant.idempotencyKey()], "the same key both times: one exchange")

        reborn.acknowledge()
        guard case .idle = reborn.state else { return XCTFail("\(reborn.state)") }
        // Acknowledged: the next launch has nothing to send.
        let (_, third) = try launch(store, backend: backend.url)
        guard case .idle = third.state else { return XCTFail("\(third.state)") }
        XCTAssertEqual(backend.received.count, 2)
    }

    func testAFailedSendIsRetriedWithTheSameKeyAndKeptUntilAcknowledged() throws {
        let backend = try server(.respond(status: 503, contentType: "text/plain", body: Array("busy".utf8)))
        let store = SwiftStore()
        let (auth, delivery) = try launch(store, backend: backend.url)
        let grant = try authorizedGrant(auth)
        delivery.deliver(grant)
        awaitState(delivery, "failed") { if case .failed = $0 { return true } else { return false } }
        guard case let .failed(_, error) = delivery.state else { return XCTFail("\(delivery.state)") }
        XCTAssertEqual(error, .BackendRejected(status: 503, body: "busy"))
        // Still kept: a relaunch now would send it again.
        XCTAssertEqual(try KeptGrant(store: store, clientId: clientId).current()?.idempotencyKey(), grant.idempotencyKey())

        delivery.retry()
        awaitState(delivery, "failed again") { if case .failed = $0 { return true } else { return false } }
        XCTAssertEqual(backend.received.map { $0.headers["idempotency-key"] }, [grant.idempotencyKey(), grant.idempotencyKey()])
        delivery.acknowledge()
        XCTAssertNil(try KeptGrant(store: store, clientId: clientId).current())
    }
}
