// The setup self-check against real plist files, good and broken, and a scripted environment.
import DingTalkAuth
import Foundation
import XCTest

struct ScriptedEnvironment: SetupEnvironment {
    var installed = true
    var supported: Set<String> = ["legacy", "new"]
    var backendAnswer: String?
    func isDingTalkInstalled() -> Bool { installed }
    func isDingTalkSupporting(_ flow: LoginFlow) -> Bool { supported.contains(flow == .legacySdk ? "legacy" : "new") }
    func backendProblem(_ url: URL) async -> String? { backendAnswer }
}

final class SetupCheckTests: XCTestCase {
    private func problems(_ name: String, _ req: SetupRequirements = Fixture.requirements) throws -> [SetupFinding.Problem] {
        try DingTalkSetupCheck.check(infoPlistAt: Fixture.plist(name), requirements: req).map(\.problem)
    }

    func testAGoodPlistHasNoFindings() throws {
        XCTAssertEqual(try problems("Good"), [])
        XCTAssertEqual(try problems("GoodBinary"), [], "binary plists read the same")
    }

    func testTheDemoAppsOwnInfoPlistPasses() throws {
        // ios-demo/DingTalkAuth/Tests/DingTalkAuthTests/<this file> → ios-demo/App/Info.plist
        let demo = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("App/Info.plist")
        let info = try XCTUnwrap(PropertyListSerialization.propertyList(from: Data(contentsOf: demo), format: nil) as? [String: Any])
        let redirect = try XCTUnwrap(info[DingTalkSetupCheck.redirectURIInfoKey] as? String)
        let ids = try XCTUnwrap(info["DingTalkAppIds"] as? [String])
        let req = SetupRequirements(flows: [.legacySdk, .newSdk, .browser], sdkAppIds: ids, redirectURI: redirect)
        XCTAssertEqual(DingTalkSetupCheck.check(infoPlist: info, requirements: req), [])
    }

    func testMissingAppIdURLType() throws {
        let findings = try DingTalkSetupCheck.check(infoPlistAt: Fixture.plist("MissingLegacyURLType"), requirements: Fixture.requirements)
        XCTAssertEqual(findings.map(\.problem), [.appIdURLSchemeMissing])
        XCTAssertEqual(findings[0].severity, .error)
        XCTAssertTrue(findings[0].message.contains(Fixture.legacyAppId), findings[0].message)
        XCTAssertTrue(findings[0].fix.contains("CFBundleURLTypes"), findings[0].fix)
    }

    /// Each SDK's schemes: the legacy SDK cannot see DingTalk without them (error); the new SDK falls back
    /// to its in-app web login (warning). Each missing one is named.
    func testMissingQueriesSchemesNamesEachOnePerSDK() throws {
        let findings = try DingTalkSetupCheck.check(infoPlistAt: Fixture.plist("MissingQueriesSchemes"), requirements: Fixture.requirements)
        XCTAssertEqual(findings.map(\.problem), [.queriesSchemesMissing, .queriesSchemesMissing])
        XCTAssertEqual(findings.map(\.severity), [.error, .warning])
        XCTAssertEqual(findings[0].fix, "Add \"dingtalk-open\", \"dingtalk-sso\" to LSApplicationQueriesSchemes in Info.plist.")
        XCTAssertTrue(findings[0].message.contains("legacy SDK cannot see DingTalk"), findings[0].message)
        XCTAssertEqual(findings[1].fix, "Add \"dingtalk-openauth\", \"dingtalk-openauth2\" to LSApplicationQueriesSchemes in Info.plist.")
        XCTAssertTrue(findings[1].message.contains("in-app web login"), findings[1].message)
        let newOnly = SetupRequirements(flows: [.newSdk], sdkAppIds: [Fixture.newSdkClientId], redirectURI: Fixture.redirectURI)
        XCTAssertEqual(try problems("MissingQueriesSchemes", newOnly), [.queriesSchemesMissing])
    }

    func testOverFiftyQueriesSchemes() throws {
        let findings = try DingTalkSetupCheck.check(infoPlistAt: Fixture.plist("QueriesOverLimit"), requirements: Fixture.requirements)
        XCTAssertEqual(findings.map(\.problem), [.queriesSchemesOverLimit])
        XCTAssertTrue(findings[0].message.contains("53 entries"), findings[0].message)
        XCTAssertTrue(findings[0].message.hasSuffix("including dingtalk-sso, dingtalk-openauth, dingtalk-openauth2."), findings[0].message)
    }

    /// The built app's bundle id against the one registered in DingTalk's console (an unexpanded
    /// `$(PRODUCT_BUNDLE_IDENTIFIER)` of a source plist cannot be compared and is not reported).
    func testTheBundleIdIsTheRegisteredOne() throws {
        var req = Fixture.requirements
        req.registeredBundleId = "com.example.dingtalkdemo"
        XCTAssertEqual(try problems("Good", req), [])
        req.registeredBundleId = "com.example.other"
        let findings = try DingTalkSetupCheck.check(infoPlistAt: Fixture.plist("Good"), requirements: req)
        XCTAssertEqual(findings.map(\.problem), [.bundleIdMismatch])
        XCTAssertEqual(findings[0].severity, .error)
        XCTAssertTrue(findings[0].message.contains("\"com.example.dingtalkdemo\""), findings[0].message)
        XCTAssertTrue(findings[0].fix.contains("iOS Bundle ID"), findings[0].fix)
        var info = try XCTUnwrap(PropertyListSerialization.propertyList(from: Data(contentsOf: Fixture.plist("Good")), format: nil) as? [String: Any])
        info["CFBundleIdentifier"] = "$(PRODUCT_BUNDLE_IDENTIFIER)"
        XCTAssertEqual(DingTalkSetupCheck.check(infoPlist: info, requirements: req), [])
        // A browser-only app registers no bundle id with DingTalk.
        let browserOnly = SetupRequirements(flows: [.browser], sdkAppIds: [], redirectURI: Fixture.redirectURI,
                                            registeredBundleId: "com.example.other")
        XCTAssertEqual(try problems("Good", browserOnly), [])
    }

    func testRedirectURIMismatchAndUnregisteredScheme() throws {
        XCTAssertEqual(try problems("RedirectMismatch"), [.redirectURIMismatch])
        XCTAssertEqual(try problems("RedirectSchemeNotRegistered"), [.redirectURIMismatch])
        var noRedirect = Fixture.requirements
        noRedirect.redirectURI = nil
        XCTAssertEqual(try problems("Good", noRedirect), [.redirectURIMismatch])
    }

    func testABrowserOnlyAppNeedsNoSDKEntries() throws {
        let req = SetupRequirements(flows: [.browser], sdkAppIds: [], redirectURI: Fixture.redirectURI)
        XCTAssertEqual(try problems("MissingQueriesSchemes", req), [])
        XCTAssertEqual(try problems("MissingLegacyURLType", req), [])
    }

    func testAnUnreadableFileThrows() {
        let notPlist = Fixture.directory.appendingPathComponent("does-not-exist.plist")
        XCTAssertThrowsError(try DingTalkSetupCheck.check(infoPlistAt: notPlist, requirements: Fixture.requirements))
    }

    func testEnvironment() async {
        let req = Fixture.requirements
        var env = ScriptedEnvironment()
        let clean = await DingTalkSetupCheck.check(environment: env, requirements: req)
        XCTAssertEqual(clean, [])
        env.installed = false
        let notInstalled = await DingTalkSetupCheck.check(environment: env, requirements: req)
        XCTAssertEqual(notInstalled.map(\.problem), [.dingTalkNotInstalled])
        XCTAssertTrue(notInstalled[0].fix.contains("browser"), notInstalled[0].fix)
        env.installed = true
        env.supported = ["legacy"]
        let old = await DingTalkSetupCheck.check(environment: env, requirements: req)
        XCTAssertEqual(old.map(\.problem), [.dingTalkTooOld])
        XCTAssertTrue(old[0].message.contains("new SDK"), old[0].message)
        env.supported = ["legacy", "new"]
        env.backendAnswer = "connection refused"
        let down = await DingTalkSetupCheck.check(environment: env, requirements: req)
        XCTAssertEqual(down.map(\.problem), [.backendUnreachable])
        XCTAssertTrue(down[0].message.contains("connection refused"), down[0].message)
    }

    /// How serious a missing or old DingTalk is, is the core's rule (`dingtalkUnavailableSeverity`, the
    /// same on Android): the legacy SDK cannot log in without DingTalk, the new SDK falls back to its
    /// in-app web login.
    func testDingTalkMissingOrOldIsAsSeriousAsTheCoreSays() async {
        func severities(_ flows: [LoginFlow], installed: Bool) async -> [SetupFinding.Severity] {
            let req = SetupRequirements(flows: flows, sdkAppIds: [Fixture.legacyAppId, Fixture.newSdkClientId], redirectURI: Fixture.redirectURI)
            let env = ScriptedEnvironment(installed: installed, supported: [])
            return await DingTalkSetupCheck.check(environment: env, requirements: req).map(\.severity)
        }
        let legacyMissing = await severities([.legacySdk], installed: false)
        let newMissing = await severities([.newSdk], installed: false)
        let bothMissing = await severities([.legacySdk, .newSdk], installed: false)
        let bothOld = await severities([.legacySdk, .newSdk], installed: true)
        XCTAssertEqual(legacyMissing, [.error])
        XCTAssertEqual(newMissing, [.warning])
        XCTAssertEqual(bothMissing, [.error])
        XCTAssertEqual(bothOld, [.error, .warning])
    }

    func testBrowserOnlyAppDoesNotCareAboutDingTalkInstalled() async {
        let req = SetupRequirements(flows: [.browser], sdkAppIds: [], redirectURI: Fixture.redirectURI)
        let findings = await DingTalkSetupCheck.check(environment: ScriptedEnvironment(installed: false), requirements: req)
        XCTAssertEqual(findings, [])
    }
}

final class DeviceSetupEnvironmentTests: XCTestCase {
    func testDingTalkIsDetectedThroughItsScheme() {
        var asked: [URL] = []
        let env = DeviceSetupEnvironment(canOpenURL: { asked.append($0); return false }, supports: { $0 == .legacySdk })
        XCTAssertFalse(env.isDingTalkInstalled())
        XCTAssertEqual(asked.map(\.absoluteString), ["dingtalk://"])
        XCTAssertTrue(env.isDingTalkSupporting(.legacySdk))
        XCTAssertFalse(env.isDingTalkSupporting(.newSdk))
    }

    /// Against the reference backend scripts/test-ios.sh started, and a port nobody listens on.
    func testBackendProbe() async throws {
        let env = DeviceSetupEnvironment(canOpenURL: { _ in true }, supports: { _ in true })
        let backend = try XCTUnwrap(ProcessInfo.processInfo.environment["DINGTALK_DEMO_BACKEND"],
                                    "DINGTALK_DEMO_BACKEND is not set: run scripts/test-ios.sh")
        let up = await env.backendProblem(URL(string: backend + "/v1/login")!)
        XCTAssertNil(up)
        let down = await env.backendProblem(URL(string: "http://127.0.0.1:9/v1/login")!)
        XCTAssertNotNil(down)
    }
}
