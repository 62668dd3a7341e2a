// End-to-end support: the servers scripts/with-demo-servers.sh started (read from DINGTALK_DEMO_*), an
// HTTP client for the fake DingTalk's admin endpoints and its authorize page, and the DingTalkAuth
// instances an app would build for each flow. The Kotlin counterpart of
// ios-demo/DingTalkAuth/Tests/DingTalkAuthE2ETests/E2ESupport.swift.
package dev.dingtalkauth.e2e

import dev.dingtalkauth.*
import dev.dingtalkauth.test.grantOf
import java.net.URI
import java.net.URLDecoder
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.UUID
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.longOrNull
import kotlinx.serialization.json.put
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.fail

// ---------------------------------------------------------------------------------------------------
// The servers

/**
 * What scripts/with-demo-servers.sh exports. A missing variable is a test failure, never a skip: these
 * tests exist to prove the whole path works, so not running them must not look like passing.
 */
class DemoEnv(
    /** Backend + fake DingTalk, any organisation allowed. */
    val backend: String,
    val fake: String,
    /** Backend + fake DingTalk with the corpId allow-list [allowedCorp]. */
    val orgBackend: String,
    val orgFake: String,
    val allowedCorp: String,
    /** An internal app's backend + fake DingTalk: logins resolve to members of the organisation [memberCorp]. */
    val memberBackend: String,
    val memberFake: String,
    val memberCorp: String,
    /** The demo credentials the fakes accept (the legacy AppKey and the v1.0 ClientId). */
    val legacyAppKey: String,
    val clientId: String,
    /** The backends' timeout towards the fakes. */
    val upstreamTimeoutMs: Long,
) {
    companion object {
        fun load(): DemoEnv {
            fun need(name: String): String {
                val v = System.getenv(name)
                if (v.isNullOrEmpty()) {
                    fail(
                        "$name is not set: the end-to-end tests need the demo servers. Run " +
                            "`scripts/test-kotlin.sh` (it starts them through scripts/with-demo-servers.sh) or " +
                            "`scripts/with-demo-servers.sh scripts/test-kotlin.sh`."
                    )
                }
                return v
            }
            val backend = need("DINGTALK_DEMO_BACKEND")
            val timeout = need("DINGTALK_DEMO_UPSTREAM_TIMEOUT_MS")
            val ms = timeout.toLongOrNull()?.takeIf { it > 0 }
                ?: fail("DINGTALK_DEMO_UPSTREAM_TIMEOUT_MS is not a positive number: $timeout")
            return DemoEnv(
                backend = backend,
                fake = need("DINGTALK_DEMO_FAKE"),
                orgBackend = need("DINGTALK_DEMO_ORG_BACKEND"),
                orgFake = need("DINGTALK_DEMO_ORG_FAKE"),
                allowedCorp = need("DINGTALK_DEMO_ALLOWED_CORP"),
                memberBackend = need("DINGTALK_DEMO_MEMBER_BACKEND"),
                memberFake = need("DINGTALK_DEMO_MEMBER_FAKE"),
                memberCorp = need("DINGTALK_DEMO_MEMBER_CORP"),
                legacyAppKey = need("DINGTALK_DEMO_LEGACY_APP_KEY"),
                clientId = need("DINGTALK_DEMO_CLIENT_ID"),
                upstreamTimeoutMs = ms,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// HTTP

/**
 * HTTP/1.1, never following redirects: the browser flow needs the authorize page's 302 Location as it
 * is (following it would try to reach the app's https redirect URI).
 */
object Http {
    private val client: HttpClient = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5))
        .build()

    fun send(method: String, url: String, json: JsonElement? = null): HttpResponse<String> {
        val b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
        if (json != null) {
            b.header("Content-Type", "application/json")
            b.method(method, HttpRequest.BodyPublishers.ofString(json.toString()))
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody())
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString())
    }
}

fun parseObject(text: String, what: String): JsonObject =
    try {
        Json.parseToJsonElement(text).jsonObject
    } catch (e: Exception) {
        fail("$what is not a JSON object: $text")
    }

fun JsonObject.str(name: String): String? = (this[name] as? JsonPrimitive)?.takeIf { it.isString }?.content

// ---------------------------------------------------------------------------------------------------
// The fake DingTalk's admin endpoints

/** The fake DingTalk at [base]: what the DingTalk app and login.dingtalk.com would do, plus its knobs. */
class FakeDingTalk(val base: String) {
    companion object {
        /** A user for mint / browser: unique per call, so each test can recognise its identity. */
        fun user(corpId: String? = null, tag: String = UUID.randomUUID().toString().take(8)): JsonObject =
            buildJsonObject {
                put("nick", "Kotlin E2E $tag")
                put("unionId", "union-$tag")
                put("openId", "open-$tag")
                if (corpId != null) put("corpId", corpId)
            }
    }

    /** POST /_fake/mint: the code the DingTalk app would hand back to the SDK. */
    fun mint(flow: String, clientId: String, scope: String? = null, user: JsonObject): String {
        val req = buildJsonObject {
            put("flow", flow)
            put("clientId", clientId)
            if (scope != null) put("scope", scope)
            put("user", user)
        }
        val r = Http.send("POST", "$base/_fake/mint", req)
        val code = if (r.statusCode() == 200) parseObject(r.body(), "mint answer").str("code") else null
        if (code.isNullOrEmpty()) fail("mint failed: HTTP ${r.statusCode()} ${r.body()}")
        return code
    }

    /** POST /_fake/faults. */
    fun setFault(endpoint: String, fault: JsonObject, times: Int? = null) {
        val req = buildJsonObject {
            put("endpoint", endpoint)
            put("fault", fault)
            if (times != null) put("times", times)
        }
        expect2xx(Http.send("POST", "$base/_fake/faults", req), "set fault")
    }

    /** DELETE /_fake/faults. */
    fun clearFaults() = expect2xx(Http.send("DELETE", "$base/_fake/faults"), "clear faults")

    /** POST /_fake/clock {"advanceMs"}; returns the fake's new now. */
    fun advanceClock(ms: Long): Long {
        val r = Http.send("POST", "$base/_fake/clock", buildJsonObject { put("advanceMs", ms) })
        expect2xx(r, "advance clock")
        return (parseObject(r.body(), "clock answer")["nowMs"] as? JsonPrimitive)?.longOrNull
            ?: fail("clock answer without nowMs: ${r.body()}")
    }

    /** POST /_fake/browser {"mode", "user"?}. */
    fun setBrowser(mode: String, user: JsonObject? = null) {
        val req = buildJsonObject {
            put("mode", mode)
            if (user != null) put("user", user)
        }
        expect2xx(Http.send("POST", "$base/_fake/browser", req), "set browser mode")
    }

    /** GET /_fake/stats: requests each DingTalk endpoint received. */
    fun stats(): Map<String, Long> {
        val r = Http.send("GET", "$base/_fake/stats")
        expect2xx(r, "stats")
        return parseObject(r.body(), "stats").mapValues { (_, v) -> (v as? JsonPrimitive)?.longOrNull ?: -1 }
    }

    /** What the browser does with `authorizeUrl`: GET it and return the 302's Location, not followed. */
    fun authorize(authorizeUrl: String): String {
        val r = Http.send("GET", authorizeUrl)
        val location = r.headers().firstValue("location").orElse(null)
        if (r.statusCode() != 302 || location == null) {
            fail("authorize page did not redirect: HTTP ${r.statusCode()} ${r.body().take(300)}")
        }
        return location
    }

    private fun expect2xx(r: HttpResponse<String>, what: String) {
        if (r.statusCode() !in 200..299) fail("$what failed: HTTP ${r.statusCode()} ${r.body()}")
    }
}

fun fault(kind: String, vararg extra: Pair<String, Long>): JsonObject = buildJsonObject {
    put("kind", kind)
    for ((k, v) in extra) put(k, v)
}

// ---------------------------------------------------------------------------------------------------
// The app side

const val E2E_REDIRECT_URI = "https://app.example.com/dingtalk/callback"

fun wireName(flow: LoginFlow): String = when (flow) {
    LoginFlow.LEGACY_SDK -> "legacy_sdk"
    LoginFlow.NEW_SDK -> "new_sdk"
    LoginFlow.BROWSER -> "browser"
}

/** The value of [name] in a URL's query, decoded. */
fun queryValue(url: String, name: String): String? {
    val q = URI.create(url).rawQuery ?: return null
    return q.split('&').map { it.split('=', limit = 2) }
        .firstOrNull { URLDecoder.decode(it[0], Charsets.UTF_8) == name }
        ?.let { URLDecoder.decode(it.getOrElse(1) { "" }, Charsets.UTF_8) }
}

fun enc(s: String): String = URLEncoder.encode(s, Charsets.UTF_8)

/** A login that DingTalk answered with a code: everything a test may look at afterwards. */
class CompletedLogin(
    val auth: DingTalkAuth,
    val request: LoginRequest,
    val code: String,
    val user: JsonObject,
    val outcome: LoginOutcome,
)

/** Parses the identity the backend answered. */
fun identity(response: BackendResponse): JsonObject = parseObject(response.body, "backend answer")

private val BASE64URL_43 = Regex("^[A-Za-z0-9_-]{43}$")

/** Checks the identity the backend returned is the user the fake was told to log in. */
fun assertIdentity(response: BackendResponse, user: JsonObject, flow: String, corpId: String? = null) {
    assertEquals(200.toUShort(), response.status, response.body)
    val id = identity(response)
    assertEquals(flow, id.str("flow"), "flow in ${response.body}")
    assertEquals(user.str("unionId"), id.str("unionId"), "unionId in ${response.body}")
    assertEquals(user.str("openId"), id.str("openId"), "openId in ${response.body}")
    assertEquals(user.str("nick"), id.str("nick"), "nick in ${response.body}")
    // 32 random bytes, base64url without padding: 43 characters.
    val token = id.str("sessionToken") ?: ""
    assertTrue(BASE64URL_43.matches(token), "sessionToken is not 43 base64url characters in ${response.body}")
    if (corpId != null) assertEquals(corpId, id.str("corpId"), "corpId in ${response.body}")
}

/**
 * Runs `submit`, expects `AuthException.BackendRejected(status, body with "error": code)` (and, when
 * given, `"retryable"`), and returns the parsed error body. Anything else fails the test. Neither the
 * exception's texts nor the body may contain [code].
 */
fun expectRejected(
    auth: DingTalkAuth,
    grant: AuthGrant,
    status: Int,
    error: String,
    retryable: Boolean? = null,
    secret: String? = null,
): JsonObject {
    val e = try {
        val r = runBlocking { auth.submit(grant) }
        fail("expected BackendRejected($status, $error), got HTTP ${r.status}: ${r.body}")
    } catch (e: AuthException.BackendRejected) {
        e
    } catch (e: AuthException) {
        fail("expected BackendRejected($status, $error), got ${e::class.simpleName}: ${e.message}")
    }
    assertEquals(status.toUShort(), e.status, "status; body ${e.body}")
    val o = parseObject(e.body, "error body")
    assertEquals(error, o.str("error"), "error code; body ${e.body}")
    if (retryable != null) {
        assertEquals(retryable, (o["retryable"] as? JsonPrimitive)?.booleanOrNull, "retryable; body ${e.body}")
    }
    if (secret != null) {
        for (t in listOf(e.body, e.message ?: "", e.toString())) {
            assertFalse(t.contains(secret), "the error echoes the code")
        }
    }
    return o
}

// ---------------------------------------------------------------------------------------------------
// Base class

/**
 * Loads the environment before each test (a missing one fails every test, with one clear message), and
 * afterwards closes the DingTalkAuth instances the test made and resets the fakes' global state
 * (faults, clock, browser mode). JUnit runs the tests of one JVM serially (no parallel execution is
 * configured), so a test that changes the fake cannot race another.
 */
abstract class E2ETest {
    protected lateinit var env: DemoEnv
    protected lateinit var fake: FakeDingTalk
    protected lateinit var orgFake: FakeDingTalk
    protected lateinit var memberFake: FakeDingTalk

    /** Clock offsets this test applied, per fake base URL, undone afterwards. */
    private val clockOffsets = mutableMapOf<String, Long>()
    private val auths = mutableListOf<DingTalkAuth>()

    @BeforeEach
    fun loadDemoServers() {
        env = DemoEnv.load()
        fake = FakeDingTalk(env.fake)
        orgFake = FakeDingTalk(env.orgFake)
        memberFake = FakeDingTalk(env.memberFake)
    }

    @AfterEach
    fun resetFakes() {
        auths.forEach { runCatching { it.close() } }
        auths.clear()
        if (!::env.isInitialized) return
        for (f in listOf(FakeDingTalk(env.fake), FakeDingTalk(env.orgFake), FakeDingTalk(env.memberFake))) {
            f.clearFaults()
            f.setBrowser("page", JsonObject(emptyMap())) // an empty patch: the fake's default user
            val offset = clockOffsets[f.base] ?: 0
            if (offset != 0L) f.advanceClock(-offset)
        }
        clockOffsets.clear()
    }

    /** Moves [f]'s clock; the reset after the test moves it back. */
    fun advanceClock(f: FakeDingTalk, ms: Long) {
        f.advanceClock(ms)
        clockOffsets[f.base] = (clockOffsets[f.base] ?: 0) + ms
    }

    /**
     * The DingTalkAuth an app builds: the legacy SDK uses the legacy AppKey as its client id, the new
     * SDK and the browser flow the v1.0 ClientId. `authorizeEndpoint` points the browser flow at the fake.
     */
    fun makeAuth(
        flow: LoginFlow,
        platform: Platform = Platform.ANDROID,
        backend: String = env.backend,
        fakeBase: String = env.fake,
        scope: OAuthScope? = null,
        time: TimeSource? = null,
        transport: HttpTransport? = null,
    ): DingTalkAuth {
        val v1 = flow != LoginFlow.LEGACY_SDK
        val config = AuthConfig(
            clientId = if (v1) env.clientId else env.legacyAppKey,
            platform = platform,
            flows = listOf(flow),
            redirectUri = if (v1) E2E_REDIRECT_URI else null,
            backendUrl = "$backend/v1/login",
            scope = if (v1) scope else null,
            authorizeEndpoint = if (flow == LoginFlow.BROWSER) "$fakeBase/oauth2/auth" else null,
        )
        val auth = if (time != null) DingTalkAuth.withTimeSource(config, null, time, transport) else DingTalkAuth(config, null, transport)
        auths += auth
        return auth
    }

    /**
     * begin → the fake DingTalk produces the code as the DingTalk app (SDK flows: POST /_fake/mint with
     * the request's client id and scope) or login.dingtalk.com (browser: GET authorizeUrl in mode
     * approve, the 302 taken as it is) would → completeSdk / completeBrowser.
     */
    fun runLogin(
        flow: LoginFlow,
        platform: Platform = Platform.ANDROID,
        backend: String = env.backend,
        via: FakeDingTalk = fake,
        scope: OAuthScope? = null,
        user: JsonObject = FakeDingTalk.user(),
        time: TimeSource? = null,
        transport: HttpTransport? = null,
    ): CompletedLogin {
        val auth = makeAuth(flow, platform, backend, via.base, scope, time, transport)
        val request = auth.begin(flow)
        assertEquals(flow, request.flow)
        return when (flow) {
            LoginFlow.LEGACY_SDK, LoginFlow.NEW_SDK -> {
                val code = via.mint(
                    flow = wireName(flow),
                    clientId = request.clientId,
                    scope = if (flow == LoginFlow.NEW_SDK) request.scope else null,
                    user = user,
                )
                val outcome = auth.completeSdk(SdkResponse(flow, "0", null, code, request.state))
                CompletedLogin(auth, request, code, user, outcome)
            }
            LoginFlow.BROWSER -> {
                val url = request.authorizeUrl ?: fail("browser request without authorizeUrl")
                assertTrue(url.startsWith("${via.base}/oauth2/auth?"), "authorizeUrl $url")
                via.setBrowser("approve", user)
                val location = via.authorize(url)
                assertTrue(location.startsWith("$E2E_REDIRECT_URI?"), "Location $location")
                assertEquals(request.state, queryValue(location, "state"), "state echoed")
                val code = queryValue(location, "authCode") ?: fail("no authCode in $location")
                val outcome = auth.completeBrowser(location)
                CompletedLogin(auth, request, code, user, outcome)
            }
        }
    }

    /**
     * A second login (new state) that DingTalk answers with an old [code]: what a replayed or
     * intercepted code looks like to the app.
     */
    fun secondLogin(code: String, first: CompletedLogin): AuthGrant {
        val flow = first.request.flow
        val request = first.auth.begin(flow)
        assertTrue(request.state != first.request.state, "a new login has a new state")
        val outcome = when (flow) {
            LoginFlow.LEGACY_SDK, LoginFlow.NEW_SDK ->
                first.auth.completeSdk(SdkResponse(flow, "0", null, code, request.state))
            LoginFlow.BROWSER ->
                first.auth.completeBrowser("$E2E_REDIRECT_URI?authCode=${enc(code)}&state=${enc(request.state!!)}")
        }
        return grantOf(outcome)
    }

    /** JSON null check for fields the backend sends as null. */
    fun isJsonNull(o: JsonObject, name: String): Boolean = o[name] is JsonNull
}
