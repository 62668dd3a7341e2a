import Foundation

// The generated `AuthError` has the core's Display text as `description` and is a `LocalizedError` whose
// `errorDescription` is `String(reflecting: self)`, but it does not declare `CustomStringConvertible`: so
// "\(error)", `String(reflecting:)` and `localizedDescription` all printed the enum dump
// (`InvalidCallback(reason: "...")`). Declaring the conformance makes all three the core's sentence (never
// a code or a state). If a later UniFFI declares it itself, delete this line.
extension AuthError: CustomStringConvertible {}

// What an error means for the app is decided once, in the core (`errorHandling(error:)`,
// `errorMessage(error:)`); these are only Swift spellings of those calls.
extension AuthError {
    /// What the app should do about this error.
    public var handling: ErrorHandling { errorHandling(error: self) }

    /// The sentence for the end user (what happened and what to do), in English; `errorMessage(error:)`
    /// also gives its `MessageKey` for translations. `description` stays the technical text.
    public var userMessage: String { errorMessage(error: self).text }

    /// True for a reply that is not for the login in progress (forged, replayed, for another flow,
    /// unreadable, or nothing pending): ignore it rather than show a failure. The same as
    /// `handling == .ignoreReply`.
    public var isForeignReply: Bool { handling == .ignoreReply }
}
