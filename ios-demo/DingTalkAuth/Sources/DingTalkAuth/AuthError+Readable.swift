import Foundation

// The generated `AuthError` has the core's Display text as `description` and is a `LocalizedError` whose
// `errorDescription` is `String(reflecting: self)`, but it does not declare `CustomStringConvertible`: so
// "\(error)", `String(reflecting:)` and `localizedDescription` all printed the enum dump
// (`InvalidCallback(reason: "...")`). Declaring the conformance makes all three the core's sentence (never
// a code or a state). If a later UniFFI declares it itself, delete this line.
extension AuthError: CustomStringConvertible {}

extension AuthError {
    /// A sentence for the end user (what happened and what to do); `description` stays the technical one.
    public var userMessage: String {
        switch self {
        case .InvalidConfig:
            return "DingTalk login is not set up correctly in this app (\(self))."
        case .StateMissing, .StateMalformed, .StateUnknown, .StateReused, .FlowMismatch:
            return "That reply from DingTalk does not belong to the login in progress, so it was ignored. Please try again."
        case .StateExpired:
            return "The login took too long. Please try again."
        case .NoPendingLogin, .AmbiguousPendingLogin:
            return "No DingTalk login was waiting for that reply. Please start the login again."
        case .InvalidResponse, .InvalidCallback:
            return "DingTalk's reply could not be understood. Please try again."
        case .Store:
            return "The app could not save or read the login in progress. Please try again."
        case .HttpUnavailable:
            return "This app has no server configured to finish the login."
        case .Network:
            return "The server could not be reached. Check your connection and try again."
        case .Timeout:
            return "The server took too long to answer. Please try again."
        case .BackendRejected(let status, _):
            return "The server refused the login (HTTP \(status))."
        case .UnreadableBody:
            return "The server's answer could not be read."
        default:
            // Internal, and variants added later (e.g. TimeSource).
            return "DingTalk login failed unexpectedly (\(self))."
        }
    }

    /// True for the errors a reply throws when it does not name the login in progress (forged, replayed,
    /// for another flow): "not for this login", to be ignored rather than shown as a failure.
    public var isForeignReply: Bool {
        switch self {
        case .StateMissing, .StateMalformed, .StateUnknown, .StateReused, .FlowMismatch: return true
        default: return false
        }
    }
}
