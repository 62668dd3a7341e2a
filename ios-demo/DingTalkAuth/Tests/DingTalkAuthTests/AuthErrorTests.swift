// AuthError reads well everywhere: "\(error)", String(reflecting:) and localizedDescription give the core's
// sentence (not the enum dump), and userMessage a sentence for the end user.
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

    func testUserMessagesAreSentencesWithoutDetailsThatMeanNothingToUsers() {
        let cases: [AuthError] = [
            .StateExpired, .StateUnknown, .NoPendingLogin, .Timeout, .Network(reason: "refused"),
            .BackendRejected(status: 409, body: "{\"error\":\"code_replayed\"}"), .Store(reason: "locked"),
        ]
        for e in cases {
            XCTAssertTrue(e.userMessage.hasSuffix("."), "not a sentence: \(e.userMessage)")
            XCTAssertNotEqual(e.userMessage, e.description)
            XCTAssertFalse(e.userMessage.contains("{"), "a body leaked: \(e.userMessage)")
        }
        XCTAssertTrue(AuthError.BackendRejected(status: 409, body: "{}").userMessage.contains("409"))
    }

    func testForeignReplyClassification() {
        XCTAssertTrue(AuthError.StateUnknown.isForeignReply)
        XCTAssertTrue(AuthError.FlowMismatch.isForeignReply)
        XCTAssertFalse(AuthError.StateExpired.isForeignReply, "an expired login is this login, too late")
        XCTAssertFalse(AuthError.Timeout.isForeignReply)
    }
}
