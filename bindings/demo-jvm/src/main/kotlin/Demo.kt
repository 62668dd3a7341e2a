// The README's first command, `scripts/demo.sh`, runs this program: one "Login with DingTalk" per flow
// through the UniFFI-generated Kotlin bindings (package dev.dingtalkauth) on the JVM, against the
// reference backend and the fake DingTalk of server/, both on loopback.
//
// Read it top to bottom as an example of how an app uses the library:
//   1. legacy SDK (DDShare)   2. new SDK (ddopenauth)   3. browser (Custom Tabs)
//   4. the user cancels       5. a spent code comes back in another login
//   6. an internal app: the organisation's member, read typed from the backend's answer
// Where a real app calls a DingTalk SDK or opens a browser, the demo asks the fake DingTalk for what the
// DingTalk app or login.dingtalk.com would answer (POST /_fake/mint, GET /oauth2/auth).
//
// Environment (scripts/with-demo-servers.sh sets the first four; set them yourself to use other servers):
//   DINGTALK_DEMO_BACKEND         the reference backend, e.g. http://127.0.0.1:8080 (the app posts to /v1/login)
//   DINGTALK_DEMO_FAKE            the fake DingTalk, e.g. http://127.0.0.1:8081
//   DINGTALK_DEMO_LEGACY_APP_KEY  the legacy mobile app's AppKey, known to the fake and the backend
//   DINGTALK_DEMO_CLIENT_ID       the v1.0 app's ClientId, known to the fake and the backend
//   DINGTALK_DEMO_REDIRECT_URI    optional, default https://app.example/dingtalk/cb
//   DINGTALK_DEMO_MEMBER_BACKEND, DINGTALK_DEMO_MEMBER_FAKE, DINGTALK_DEMO_MEMBER_CORP  an internal app's
//                                 backend (started with --corp-id) and its fake; scenario 6 runs only with them
//
// Nothing secret is printed: codes, states, nonces, keys and session tokens show their first 4 characters.
// Exits 1 if any step does not give the expected result.
package dev.dingtalkauth.demo

import dev.dingtalkauth.AuthConfig
import dev.dingtalkauth.AuthException
import dev.dingtalkauth.AuthGrant
import dev.dingtalkauth.DingTalkAuth
import dev.dingtalkauth.LogLevel
import dev.dingtalkauth.LoginFlow
import dev.dingtalkauth.LoginOutcome
import dev.dingtalkauth.LoginRequest
import dev.dingtalkauth.Platform
import dev.dingtalkauth.SdkResponse
import dev.dingtalkauth.initLogging
import dev.dingtalkauth.readLoginAnswer
import java.io.IOException
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.put

fun main(): Unit = runBlocking {
    val env = DemoEnvironment.read()
    val fake = FakeDingTalk(env.fake)
    println("dingtalk-auth demo: backend ${env.backend}, fake DingTalk ${env.fake}")

    // Routes the library's own log lines to stderr (logcat / os_log on a phone). They never contain a
    // code, a state or a token; WARN keeps this walk-through readable.
    initLogging(LogLevel.WARN)

    // Set up once, one DingTalkAuth per DingTalk application. The legacy SDK logs in to the legacy mobile
    // app (its AppKey); the new SDK and the browser flow to the v1.0 app (its ClientId). No AppSecret or
    // ClientSecret anywhere: those live on the backend only.
    val legacyApp = DingTalkAuth(
        AuthConfig(
            clientId = env.legacyAppKey,
            platform = Platform.ANDROID,
            flows = listOf(LoginFlow.LEGACY_SDK),
            backendUrl = "${env.backend}/v1/login",
        ),
    )
    val v1App = DingTalkAuth(
        AuthConfig(
            clientId = env.clientId,
            platform = Platform.ANDROID,
            flows = listOf(LoginFlow.NEW_SDK, LoginFlow.BROWSER),
            redirectUri = env.redirectUri,
            backendUrl = "${env.backend}/v1/login",
            // Only because DingTalk is faked: a real app leaves this null (https://login.dingtalk.com/oauth2/auth).
            authorizeEndpoint = "${env.fake}/oauth2/auth",
        ),
    )

    val results = listOf(
        section("1. Legacy SDK (DDShare SendAuth on Android)") { legacySdkLogin(legacyApp, fake) },
        section("2. New SDK (ddopenauth on Android)") { newSdkLogin(v1App, fake) },
        section("3. Browser (Custom Tabs, login.dingtalk.com)") { browserLogin(v1App, fake) },
        section("4. The user backs out in DingTalk (ErrCode -2)") { cancelledLogin(legacyApp) },
        section("5. A spent code comes back in a second login") { replayedCode(v1App, fake) },
    ) + listOfNotNull(
        env.member?.let { m ->
            section("6. An internal app: the organisation's member") { memberLogin(m, env) }
        },
    )
    if (env.member == null) println("\n(scenario 6, the organisation's member, needs DINGTALK_DEMO_MEMBER_*: not run)")
    legacyApp.close()
    v1App.close()

    val failed = results.count { !it }
    println()
    println(if (failed == 0) "demo: all ${results.size} scenarios gave the expected result"
            else "demo: $failed of ${results.size} scenarios FAILED")
    exitProcess(if (failed == 0) 0 else 1)
}

// --- 1. Legacy SDK ---------------------------------------------------------------------------------

suspend fun legacySdkLogin(auth: DingTalkAuth, fake: FakeDingTalk) {
    // Begin: the library creates a pending login with a fresh single-use state. The app copies the values
    // into DDShare's SendAuth.Req (req.scope, req.state) and calls ddShareApi.sendReq(req).
    val request = auth.begin(LoginFlow.LEGACY_SDK)
    step("app → DingTalk", "SendAuth.Req scope=${request.scope} state=${redact(request.state)}")

    // The DingTalk app asks the user and answers DDShareActivity.onResp with ErrCode 0, a temporary auth
    // code and the state. The backend exchanges the code at DingTalk (sns/getuserinfo_bycode, signed with
    // the AppSecret).
    answerSdkLogin(auth, fake, request, demoUser("legacy"), "legacy_sdk") { code ->
        "onResp ErrCode 0, code=${redact(code)}, state=${redact(request.state)}"
    }
}

// --- 2. New SDK ------------------------------------------------------------------------------------

suspend fun newSdkLogin(auth: DingTalkAuth, fake: FakeDingTalk) {
    // AuthLoginParamBuilder: appId = clientId, redirect = redirectUri, scope, state, nonce.
    val request = auth.begin(LoginFlow.NEW_SDK)
    step(
        "app → DingTalk",
        "AuthLoginParam appId=${request.clientId} redirect=${request.redirectUri} scope=${request.scope} " +
            "state=${redact(request.state)} nonce=${redact(request.nonce)}",
    )

    // The DingTalk app answers DDAuthActivity with an authCode and the state. The backend exchanges the
    // code at DingTalk's v1.0 API (oauth2/userAccessToken, then contact/users/me).
    answerSdkLogin(auth, fake, request, demoUser("new-sdk"), "new_sdk") { code ->
        "DDAuthActivity error=0, authCode=${redact(code)}, state=${redact(request.state)}"
    }
}

/**
 * DingTalk's app approves an SDK login for [user] (here the fake DingTalk mints the code the DingTalk app
 * would hand back, [wire] being the flow's name in its API); the app passes the answer on exactly as
 * received, the library checks the state and packages the code, and the grant goes to the backend.
 */
suspend fun answerSdkLogin(
    auth: DingTalkAuth, fake: FakeDingTalk, request: LoginRequest, user: JsonObject, wire: String,
    reply: (code: String) -> String,
) {
    val code = fake.mintCode(flow = wire, clientId = request.clientId, user = user)
    step("DingTalk → app", reply(code))
    val outcome = auth.completeSdk(
        SdkResponse(flow = request.flow, errCode = "0", message = null, code = code, state = request.state),
    )
    submitAndShowIdentity(auth, expectAuthorized(outcome), expectedFlow = wire, user = user)
}

// --- 3. Browser ------------------------------------------------------------------------------------

suspend fun browserLogin(auth: DingTalkAuth, fake: FakeDingTalk) {
    // The fake's consent page approves at once for this user (a real user taps 同意 on login.dingtalk.com).
    val user = demoUser("browser")
    fake.approveBrowserLogins(user)

    // Begin: the app opens request.authorizeUrl in a Custom Tab.
    val request = auth.begin(LoginFlow.BROWSER)
    val authorizeUrl = requireNotNull(request.authorizeUrl) { "a browser login has an authorize URL" }
    step("app → DingTalk", "open ${redactUrl(authorizeUrl)}")

    // DingTalk redirects to the redirect URI (an App Link on a phone) with authCode and state.
    val callbackUrl = fake.openInBrowser(authorizeUrl)
    step("DingTalk → app", "302 to ${redactUrl(callbackUrl)}")

    // The app hands the whole callback URL to the library: it must match the redirect URI exactly.
    val outcome = auth.completeBrowser(callbackUrl)
    val grant = expectAuthorized(outcome)

    submitAndShowIdentity(auth, grant, expectedFlow = "browser", user = user)
}

// --- 4. Cancel -------------------------------------------------------------------------------------

fun cancelledLogin(auth: DingTalkAuth) {
    val request = auth.begin(LoginFlow.LEGACY_SDK)
    step("app → DingTalk", "SendAuth.Req scope=${request.scope} state=${redact(request.state)}")

    // The user backs out in DingTalk: ErrCode -2 and no code. That is an outcome, not an exception, and it
    // uses up the pending login.
    step("DingTalk → app", "onResp ErrCode -2, no code, state=${redact(request.state)}")
    val outcome = auth.completeSdk(
        SdkResponse(flow = LoginFlow.LEGACY_SDK, errCode = "-2", message = null, code = null, state = request.state),
    )
    step("outcome", describe(outcome))
    expect(outcome is LoginOutcome.Cancelled) { "expected Cancelled, got ${describe(outcome)}" }
    ok("the app shows the login screen again; nothing to send")
}

// --- 5. Replayed code ------------------------------------------------------------------------------

suspend fun replayedCode(auth: DingTalkAuth, fake: FakeDingTalk) {
    // A first login succeeds and the backend exchanges its code.
    val first = auth.begin(LoginFlow.NEW_SDK)
    val user = demoUser("replay")
    val code = fake.mintCode(flow = "new_sdk", clientId = first.clientId, user = user)
    step("first login", "state=${redact(first.state)}, DingTalk answers code=${redact(code)}")
    val firstGrant = expectAuthorized(auth.completeSdk(SdkResponse(LoginFlow.NEW_SDK, "0", null, code, first.state)))
    step("app → backend", "HTTP ${auth.submit(firstGrant).status}: logged in, the code is spent")

    // The same code arrives again, this time as the answer to a second, genuine login (a replayed or
    // intercepted answer). Its state is the second login's, so the app accepts it; the backend remembers
    // every code it exchanged and refuses this one without asking DingTalk.
    val second = auth.begin(LoginFlow.NEW_SDK)
    step("second login", "state=${redact(second.state)}, the same code=${redact(code)} comes back")
    val secondGrant = expectAuthorized(auth.completeSdk(SdkResponse(LoginFlow.NEW_SDK, "0", null, code, second.state)))
    step("app → backend", "submit(grant): POST /v1/login, Idempotency-Key ${redact(secondGrant.idempotencyKey())}")
    try {
        auth.submit(secondGrant)
        throw DemoFailure("the backend accepted a code it had already exchanged")
    } catch (e: AuthException.BackendRejected) {
        // A typed error: the HTTP status and the backend's JSON body (which never echoes the code).
        val error = Json.parseToJsonElement(e.body).jsonObject.string("error")
        step("backend → app", "AuthException.BackendRejected status=${e.status} error=$error")
        expect(e.status.toInt() == 409 && error == "code_replayed") { "expected 409 code_replayed, got ${e.status} ${e.body}" }
    }
    ok("refused: a code is exchanged at most once")
}

// --- 6. An internal app's member ---------------------------------------------------------------------

suspend fun memberLogin(member: MemberServers, env: DemoEnvironment) {
    // An internal app (企业内部应用) whose backend runs with --corp-id: every login is resolved to a member
    // of the organisation (outsiders get 403 not_org_member), and the answer carries that member.
    val app = DingTalkAuth(
        AuthConfig(
            clientId = env.clientId,
            platform = Platform.ANDROID,
            flows = listOf(LoginFlow.NEW_SDK),
            redirectUri = env.redirectUri,
            backendUrl = "${member.backend}/v1/login",
        ),
    )
    app.use {
        val request = it.begin(LoginFlow.NEW_SDK)
        step("app → DingTalk", "AuthLoginParam appId=${request.clientId} scope=${request.scope} state=${redact(request.state)}")
        // The fake organisation's member (its default user): DingTalk knows them by their unionId.
        val user = buildJsonObject {
            put("nick", "张三 (DingTalk nick)")
            put("unionId", "fakeUnionId0001")
            put("openId", "demo-open-member")
        }
        val code = FakeDingTalk(member.fake).mintCode(flow = "new_sdk", clientId = request.clientId, user = user)
        step("DingTalk → app", "DDAuthActivity error=0, authCode=${redact(code)}, state=${redact(request.state)}")
        val grant = expectAuthorized(it.completeSdk(SdkResponse(LoginFlow.NEW_SDK, "0", null, code, request.state)))
        step("app → backend", "submit(grant): POST /v1/login")

        // readLoginAnswer: the backend's answer, typed (printing it redacts the session token).
        val answer = readLoginAnswer(it.submit(grant))
        val m = answer.member ?: throw DemoFailure("the answer carries no member")
        step("member", "${m.name} · ${m.title} · departments ${m.departmentIds?.joinToString()}")
        step("", "userId ${m.userId} in organisation ${m.corpId}; session token ${redact(answer.sessionToken)}")
        expect(m.corpId == member.corpId) { "member of ${m.corpId}, expected ${member.corpId}" }
        expect(m.name != null && m.departmentIds != null) { "the member's details are missing: $m" }
        ok("signed in as ${m.name}, a member of ${m.corpId}")
    }
}

// --- What every successful login ends with ---------------------------------------------------------

/** `when` over every outcome, without `else`: a new outcome kind would not compile. */
fun describe(outcome: LoginOutcome): String = when (outcome) {
    is LoginOutcome.Authorized -> "Authorized"
    is LoginOutcome.Cancelled -> "Cancelled (the user backed out)"
    is LoginOutcome.Denied -> "Denied (the user refused)"
    is LoginOutcome.AppIdentityMismatch -> "AppIdentityMismatch: ${outcome.developerMessage}"
    is LoginOutcome.Failed -> "Failed ${outcome.reason} errCode=${outcome.errCode} message=${outcome.dingtalkMessage}"
}

fun expectAuthorized(outcome: LoginOutcome): AuthGrant {
    step("outcome", describe(outcome))
    return when (outcome) {
        is LoginOutcome.Authorized -> outcome.grant.also { step("grant", it.redactedDescription()) }
        is LoginOutcome.Cancelled, is LoginOutcome.Denied, is LoginOutcome.AppIdentityMismatch, is LoginOutcome.Failed ->
            throw DemoFailure("expected Authorized, got ${describe(outcome)}")
    }
}

/** `submit` posts grant.toJson() with its Idempotency-Key; the backend answers who logged in. */
suspend fun submitAndShowIdentity(auth: DingTalkAuth, grant: AuthGrant, expectedFlow: String, user: JsonObject) {
    step("app → backend", "submit(grant): POST /v1/login, Idempotency-Key ${redact(grant.idempotencyKey())}")
    val response = auth.submit(grant)
    val identity = Json.parseToJsonElement(response.body).jsonObject
    step("backend → app", "HTTP ${response.status}")
    printJson(redactFields(identity, "sessionToken"))

    expect(identity.string("flow") == expectedFlow) { "identity flow ${identity.string("flow")}, expected $expectedFlow" }
    expect(identity.string("unionId") == user.string("unionId")) { "identity is not the user DingTalk logged in" }
    expect(!identity.string("sessionToken").isNullOrEmpty()) { "no session token" }
    ok("logged in as ${identity.string("nick")} (unionId ${identity.string("unionId")})")
}

// --- The fake DingTalk: what the DingTalk app and login.dingtalk.com would do ------------------------

class FakeDingTalk(private val base: String) {
    private val http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER) // the browser flow needs the 302 itself
        .connectTimeout(Duration.ofSeconds(5))
        .build()

    /** The code the DingTalk app would hand back to the SDK for [user]. */
    fun mintCode(flow: String, clientId: String, user: JsonObject): String {
        val body = buildJsonObject {
            put("flow", flow)
            put("clientId", clientId)
            put("user", user)
        }
        val answer = post("/_fake/mint", body)
        return requireNotNull(Json.parseToJsonElement(answer).jsonObject.string("code")) { "mint gave no code" }
    }

    /** From now on the authorize page logs [user] in and approves at once. */
    fun approveBrowserLogins(user: JsonObject) {
        post("/_fake/browser", buildJsonObject { put("mode", "approve"); put("user", user) })
    }

    /** GET the authorize URL as a browser would; returns where DingTalk redirects (the callback URL). */
    fun openInBrowser(authorizeUrl: String): String {
        val response = send(HttpRequest.newBuilder(URI.create(authorizeUrl)).timeout(Duration.ofSeconds(10)).GET().build())
        expect(response.statusCode() == 302) { "authorize page answered ${response.statusCode()}: ${response.body().take(200)}" }
        return response.headers().firstValue("location").orElseThrow { DemoFailure("302 without Location") }
    }

    private fun post(path: String, body: JsonElement): String {
        val response = send(
            HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(),
        )
        expect(response.statusCode() in 200..299) { "POST $path answered ${response.statusCode()}: ${response.body().take(200)}" }
        return response.body()
    }

    private fun send(request: HttpRequest): HttpResponse<String> =
        try {
            http.send(request, HttpResponse.BodyHandlers.ofString())
        } catch (e: IOException) {
            throw DemoFailure("cannot reach the fake DingTalk at $base (${e::class.simpleName})")
        }
}

/** A DingTalk user per scenario, so the identity the backend returns can be checked against it. */
fun demoUser(tag: String): JsonObject = buildJsonObject {
    put("nick", "Demo user ($tag)")
    put("unionId", "demo-union-$tag")
    put("openId", "demo-open-$tag")
}

// --- Plumbing: environment, printing, redaction, checks ---------------------------------------------

/** An internal app's backend (started with `--corp-id`), its fake DingTalk and the organisation's corpId. */
class MemberServers(val backend: String, val fake: String, val corpId: String)

class DemoEnvironment(
    val backend: String,
    val fake: String,
    val legacyAppKey: String,
    val clientId: String,
    val redirectUri: String,
    val member: MemberServers?,
) {
    companion object {
        fun read(): DemoEnvironment {
            fun need(name: String): String = System.getenv(name)?.takeIf { it.isNotBlank() } ?: run {
                System.err.println("$name is not set. Run scripts/demo.sh, which starts the servers, or set " +
                    "DINGTALK_DEMO_BACKEND, DINGTALK_DEMO_FAKE, DINGTALK_DEMO_LEGACY_APP_KEY and DINGTALK_DEMO_CLIENT_ID.")
                exitProcess(2)
            }
            return DemoEnvironment(
                backend = need("DINGTALK_DEMO_BACKEND").trimEnd('/'),
                fake = need("DINGTALK_DEMO_FAKE").trimEnd('/'),
                legacyAppKey = need("DINGTALK_DEMO_LEGACY_APP_KEY"),
                clientId = need("DINGTALK_DEMO_CLIENT_ID"),
                redirectUri = System.getenv("DINGTALK_DEMO_REDIRECT_URI")?.takeIf { it.isNotBlank() }
                    ?: "https://app.example/dingtalk/cb",
                member = listOf("BACKEND", "FAKE", "CORP")
                    .map { System.getenv("DINGTALK_DEMO_MEMBER_$it")?.takeIf { v -> v.isNotBlank() } }
                    .takeIf { it.all { v -> v != null } }
                    ?.let { (b, f, c) -> MemberServers(b!!.trimEnd('/'), f!!.trimEnd('/'), c!!) },
            )
        }
    }
}

class DemoFailure(message: String) : Exception(message)

fun expect(condition: Boolean, message: () -> String) {
    if (!condition) throw DemoFailure(message())
}

/** Runs one scenario; prints ✓ or ✗ and never lets one failure hide the others. */
suspend fun section(title: String, scenario: suspend () -> Unit): Boolean {
    println()
    println("── $title " + "─".repeat(maxOf(3, 72 - title.length)))
    return try {
        scenario()
        true
    } catch (e: DemoFailure) {
        println("  ✗ FAILED: ${e.message}")
        false
    } catch (e: AuthException) {
        // Library errors never carry a code, state or token, so their text is safe to print.
        println("  ✗ FAILED: unexpected AuthException.${e::class.simpleName}: ${e.message}")
        false
    } catch (e: Exception) {
        println("  ✗ FAILED: ${e::class.qualifiedName}: ${e.message}")
        false
    }
}

fun step(label: String, text: String) = println("  ${label.padEnd(15)} $text")

fun ok(text: String) = println("  ✓ $text")

fun printJson(json: JsonElement) {
    Json { prettyPrint = true }.encodeToString(JsonElement.serializer(), json)
        .lines().forEach { println(" ".repeat(18) + it) }
}

/** First 4 characters and an ellipsis: enough to tell values apart, useless to an attacker. */
fun redact(secret: String?): String = when {
    secret == null -> "(none)"
    secret.length <= 4 -> "…"
    else -> secret.take(4) + "…"
}

/** The URL with the values of state, authCode, code and nonce redacted. */
fun redactUrl(url: String): String =
    Regex("""([?&](?:state|authCode|code|nonce)=)([^&#]*)""").replace(url) { m -> m.groupValues[1] + redact(m.groupValues[2]) }

fun redactFields(json: JsonObject, vararg names: String): JsonObject =
    JsonObject(json.mapValues { (k, v) -> if (k in names && v is JsonPrimitive) JsonPrimitive(redact(v.content)) else v })

fun JsonObject.string(name: String): String? = (this[name] as? JsonPrimitive)?.takeIf { it.isString }?.content
