// Views only render DemoStore; accessibility identifiers are what ios-demo/UITests look for.
import DingTalkAuth
import SwiftUI

struct RootView: View {
    @EnvironmentObject var store: DemoStore

    var body: some View {
        if let error = store.launchError {
            Text("The demo could not start: \(error)").padding().accessibilityIdentifier("launch.error")
        } else {
            TabView {
                LoginView().tabItem { Label("Login", systemImage: "person.crop.circle") }
                SelfCheckView().tabItem { Label("Self-check", systemImage: "checklist") }
            }
        }
    }
}

struct LoginView: View {
    @EnvironmentObject var store: DemoStore

    var body: some View {
        NavigationView {
            Form {
                Section(header: Text("Simulated DingTalk answers")) {
                    Picker("Answer", selection: $store.answer) {
                        ForEach(SimulatedAnswer.allCases, id: \.self) { Text($0.rawValue).tag($0) }
                    }
                    .accessibilityIdentifier("simulator.answer")
                }
                Section(header: Text("Log in")) {
                    Button(DemoText.name(.legacySdk)) { store.signIn(.legacySdk) }.accessibilityIdentifier("login.legacy")
                    Button(DemoText.name(.newSdk)) { store.signIn(.newSdk) }.accessibilityIdentifier("login.newsdk")
                    Button(DemoText.name(.browser)) { store.signIn(.browser) }.accessibilityIdentifier("login.browser")
                }
                Section(header: Text("Result")) {
                    result
                    if let note = store.note {
                        Text(note).font(.caption).foregroundColor(.secondary).accessibilityIdentifier("login.note")
                    }
                }
                if let reply = store.heldReply {
                    Section(header: Text("Held DingTalk reply")) {
                        Text(reply.absoluteString).font(.caption).accessibilityIdentifier("simulator.heldReply")
                        Button("Deliver it now") { store.deliverHeldReply() }.accessibilityIdentifier("simulator.deliver")
                    }
                }
            }
            .navigationTitle("DingTalk login")
        }
    }

    @ViewBuilder private var result: some View {
        switch store.loginState {
        case .idle:
            Text("Not logged in").accessibilityIdentifier("login.status")
        case .working(let step):
            HStack { ProgressView(); Text(step) }.accessibilityIdentifier("login.status")
        case .signedIn(let identity):
            VStack(alignment: .leading) {
                Text("Logged in as \(identity.nick)").accessibilityIdentifier("login.status")
                if let member = identity.member {
                    // An internal app's backend: the organisation's member (name, title, departments).
                    ForEach(member.lines, id: \.self) { Text($0) }.accessibilityIdentifier("identity.member")
                }
                Text("unionId \(identity.unionId)").font(.caption).accessibilityIdentifier("identity.unionId")
                Text("flow \(identity.flow)").font(.caption).accessibilityIdentifier("identity.flow")
            }
        case .failed(let sentence):
            Text(sentence).foregroundColor(.red).accessibilityIdentifier("login.status")
        }
    }
}

struct SelfCheckView: View {
    @EnvironmentObject var store: DemoStore

    var body: some View {
        NavigationView {
            List {
                Button("Run the self-check") { store.runSelfCheck() }.accessibilityIdentifier("selfcheck.run")
                if let findings = store.findings {
                    if findings.isEmpty {
                        Text("All checks passed").accessibilityIdentifier("selfcheck.result")
                    }
                    ForEach(findings, id: \.description) { finding in
                        VStack(alignment: .leading) {
                            Text(finding.message)
                            Text(finding.fix).font(.caption).foregroundColor(.secondary)
                        }
                        .accessibilityIdentifier("selfcheck.finding.\(finding.problem.rawValue)")
                    }
                }
            }
            .navigationTitle("Setup self-check")
        }
    }
}
