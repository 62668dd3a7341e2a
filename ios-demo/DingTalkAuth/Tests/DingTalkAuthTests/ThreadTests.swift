// The generated objects are used from many threads at once: each answer is completed exactly once even
// when two arrive together (the core's lock, reached through the Swift calls on concurrent threads).
import DingTalkAuth
import Foundation
import XCTest

final class ThreadTests: XCTestCase {
    func testConcurrentCompletionsEachSucceedOnce() throws {
        let h = try Harness()
        let states = try (0..<16).map { _ in try XCTUnwrap(try h.auth.begin(flow: .newSdk).state) }
        let results = ResultBox(count: states.count * 2)
        // Every state is answered twice, concurrently: exactly one answer per state may win.
        DispatchQueue.concurrentPerform(iterations: states.count * 2) { i in
            let state = states[i % states.count]
            do {
                let outcome = try h.success(.newSdk, state: state)
                results.set(i, outcome.grant != nil ? "authorized" : "other")
            } catch let e as AuthError {
                results.set(i, e.caseName)
            } catch {
                results.set(i, "unexpected \(error)")
            }
        }
        for s in 0..<states.count {
            let pair = [results.get(s), results.get(s + states.count)].sorted()
            XCTAssertEqual(pair, ["StateReused", "authorized"], "state #\(s)")
        }
        XCTAssertEqual(try h.auth.pendingCount(), 0)
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String]
    init(count: Int) { values = Array(repeating: "", count: count) }
    func set(_ i: Int, _ v: String) { lock.lock(); values[i] = v; lock.unlock() }
    func get(_ i: Int) -> String { lock.lock(); defer { lock.unlock() }; return values[i] }
}
