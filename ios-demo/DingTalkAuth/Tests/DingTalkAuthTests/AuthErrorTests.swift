// AuthError reads well everywhere: "\(error)", String(reflecting:) and localizedDescription give the core's
// sentence (not the enum dump); userMessage, handling and isForeignReply reach the core's decisions.
import DingTalkAuth
import Foundation
import XCTest

final class AuthErrorTests: XCTestCase {
    func testEveryPrintingIsTheCoresSentence() throws {
        let auth = try makeAuth(.browser)
        _ = try auth.begin(flow: .browser)
        let url = URL(string: Fixture.redirectURI + "?authCode=a&authCode=b&state=x")!
        let error: Error = try XCTUnwrap(expectAuthError(try auth.complete(callbackURL: url)))
        let texts = ["\(error)", String(reflecting: error), error.localizedDescription]
        for text in texts {
            XCTAssertFalse(text.isEmpty)
            XCTAssertFalse(text.contains("InvalidCallback(reason:"), "an enum dump, not a sentence: \(text)")
            XCTAssertFalse(text.contains("operation couldn"), "Foundation's fallback: \(text)")
            XCTAssertFalse(text.contains("authCode=a"), "a code leaked into the text: \(text)")
        }
        XCTAssertEqual(Set(texts).count, 1, "\(texts)")
    }

    func testPayloadlessVariantsReadAsSentences() {
        XCTAssertEqual("\(AuthError.StateExpired)", "the pending login expired")
        XCTAssertEqual(AuthError.StateUnknown.localizedDescription, "no pending login has this state")
        XCTAssertTrue("\(AuthError.InvalidConfig(reason: "client_id: empty"))".contains("client_id: empty"))
    }

    /// `handling`, `userMessage` and `isForeignReply` are the core's decisions (tested in Rust), reached
    /// with the error's fields: a body that says "retryable" makes a refusal worth retrying, the status
    /// is in the sentence.
    func testTheCoresDecisionsAreReachedWithTheErrorsFields() {
        XCTAssertEqual(AuthError.StateUnknown.handling, .ignoreReply)
        XCTAssertTrue(AuthError.StateUnknown.isForeignReply)
        XCTAssertFalse(AuthError.StateExpired.isForeignReply)
        XCTAssertEqual(AuthError.BackendRejected(status: 503, body: #"{"error":"dingtalk_timeout","retryable":true}"#).handling, .retrySubmit)
        XCTAssertEqual(AuthError.BackendRejected(status: 409, body: #"{"error":"code_replayed","retryable":false}"#).handling, .logInAgain)
        let refused = AuthError.BackendRejected(status: 409, body: "{}")
        XCTAssertTrue(refused.userMessage.contains("409"), refused.userMessage)
        XCTAssertEqual(refused.userMessage, errorMessage(error: refused).text)
        XCTAssertNotEqual(refused.userMessage, refused.description, "the user's sentence is not the technical text")
    }

    func testAStartProblemReadsAsTheCoresSentence() {
        let e = DingTalkPresentationError.dingTalkDidNotOpen
        XCTAssertEqual(e.localizedDescription, startProblemMessage(problem: .dingTalkDidNotOpen).text)
        XCTAssertEqual(startProblemMessage(problem: e.problem).key, .dingTalkDidNotOpen)
    }
}
