package dev.dingtalkauth.test

import dev.dingtalkauth.*
import java.util.concurrent.Callable
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.*
import org.junit.jupiter.api.Test

/** The generated objects' lifetimes, and calls from many Kotlin threads at once. */
class LifetimeAndThreadsTest {
    private val clock = ManualClock()

    @Test
    fun `a closed DingTalkAuth refuses calls instead of crashing`() {
        val a = auth(clock, RecordingStore())
        a.begin(LoginFlow.NEW_SDK)
        a.close()
        assertThrows(IllegalStateException::class.java) { a.begin(LoginFlow.NEW_SDK) }
        a.close() // closing twice is harmless
    }

    @Test
    fun `a grant outlives the DingTalkAuth that made it`() {
        val grant = auth(clock, RecordingStore()).use { a ->
            grantOf(a.completeSdk(ok(LoginFlow.NEW_SDK, a.begin(LoginFlow.NEW_SDK).state)))
        }
        grant.use {
            assertEquals(LoginFlow.NEW_SDK, it.flow())
            assertTrue(it.toJson().contains(CODE))
        }
        assertThrows(IllegalStateException::class.java) { grant.toJson() }
    }

    @Test
    fun `UndeliveredReplies keeps a grant alive after its Kotlin handle is closed`() {
        UndeliveredReplies().use { replies ->
            auth(clock, RecordingStore()).use { a ->
                val grant = grantOf(a.completeSdk(ok(LoginFlow.NEW_SDK, a.begin(LoginFlow.NEW_SDK).state)))
                assertTrue(replies.offer(LoginReply.Outcome(LoginFlow.NEW_SDK, LoginOutcome.Authorized(grant, AnsweredBy.DING_TALK_APP))))
                assertFalse(replies.offer(LoginReply.Refused(LoginFlow.NEW_SDK, AuthException.StateUnknown())))
                grant.close()
            }
            assertFalse(replies.isEmpty())
            val kept = replies.takeAll().single() as LoginReply.Outcome
            assertEquals(LoginFlow.NEW_SDK, kept.flow)
            (kept.outcome as LoginOutcome.Authorized).grant.use { assertTrue(it.toJson().contains(CODE)) }
            assertTrue(replies.isEmpty())
        }
    }

    @Test
    fun `without a store the pending logins live and die with the instance`() {
        val state = auth(clock, null).use { it.begin(LoginFlow.NEW_SDK).state!! }
        auth(clock, null).use { b ->
            assertCount(0, b)
            expectAuthError<AuthException.StateUnknown>(state, CODE) { b.completeSdk(ok(LoginFlow.NEW_SDK, state)) }
        }
    }

    @Test
    fun `one instance serves many threads at once, with a Kotlin store`() {
        val threads = 8
        val perThread = 6 // 48 logins in flight: below the core's bound on pending records
        val store = RecordingStore()
        val pool = Executors.newFixedThreadPool(threads)
        try {
            auth(clock, store).use { a ->
                val start = CyclicBarrier(threads)
                val tasks = (0 until threads).map { t ->
                    Callable {
                        start.await(10, TimeUnit.SECONDS) // all threads call into the library together
                        val states = (0 until perThread).map { a.begin(LoginFlow.NEW_SDK).state!! }
                        states.map { s -> grantOf(a.completeSdk(ok(LoginFlow.NEW_SDK, s, code = "$CODE$t"))).flow() }
                    }
                }
                val flows = pool.invokeAll(tasks).flatMap { it.get(30, TimeUnit.SECONDS) }
                assertEquals(List(threads * perThread) { LoginFlow.NEW_SDK }, flows)
                assertCount(0, a)
            }
        } finally {
            pool.shutdownNow()
        }
    }
}
