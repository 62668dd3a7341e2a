// The store's logic with a JVM AES-GCM key: Robolectric has no AndroidKeyStore, so AndroidKeyStoreKey
// itself runs only on a device (the instrumented tests in hosted CI use the app's real store).
package dev.dingtalkauth.android

import android.content.Context
import androidx.test.core.app.ApplicationProvider
import androidx.test.ext.junit.runners.AndroidJUnit4
import dev.dingtalkauth.StoreException
import java.security.GeneralSecurityException
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class KeystorePendingLoginStoreTest {
    private val context: Context = ApplicationProvider.getApplicationContext()
    private val prefs = context.getSharedPreferences("store-test", Context.MODE_PRIVATE)
    private fun key(): SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    private val k = key()
    private val store = KeystorePendingLoginStore(prefs, AesGcmCipher { k })

    @Test
    fun valuesRoundTripAndAreNotStoredInClear() {
        store.put("dingtalk-auth.v1.a", "{\"flow\":\"browser\",\"hash\":\"abc\"}")
        assertEquals("{\"flow\":\"browser\",\"hash\":\"abc\"}", store.get("dingtalk-auth.v1.a"))
        val raw = prefs.getString("dingtalk-auth.v1.a", null)!!
        assertFalse(raw, raw.contains("browser"))
        assertEquals(listOf("dingtalk-auth.v1.a"), store.keys())
        store.remove("dingtalk-auth.v1.a")
        assertNull(store.get("dingtalk-auth.v1.a"))
        assertEquals(emptyList<String>(), store.keys())
    }

    @Test
    fun eachSealIsFresh() {
        store.put("k1", "same")
        val first = prefs.getString("k1", null)
        store.put("k1", "same")
        assertTrue("a new IV every time", first != prefs.getString("k1", null))
    }

    @Test
    fun aValueMovedToAnotherKeyDoesNotOpenAndIsDropped() {
        store.put("k1", "one")
        prefs.edit().putString("k2", prefs.getString("k1", null)).commit()
        assertNull(store.get("k2"))
        assertFalse("dropped", prefs.contains("k2"))
        assertEquals("one", store.get("k1"))
    }

    @Test
    fun aTamperedOrForeignValueReadsAsAbsent() {
        store.put("k1", "one")
        val raw = android.util.Base64.decode(prefs.getString("k1", null), 0)
        raw[raw.size - 1] = (raw[raw.size - 1].toInt() xor 1).toByte()
        prefs.edit().putString("k1", android.util.Base64.encodeToString(raw, 0)).commit()
        assertNull(store.get("k1"))
        prefs.edit().putString("k3", "not base64 !!").commit()
        assertNull(store.get("k3"))
        // Sealed under another key (a restored backup whose keystore key is gone).
        KeystorePendingLoginStore(prefs, AesGcmCipher { key() }).put("k4", "x")
        assertNull(store.get("k4"))
    }

    @Test
    fun aFailingKeystoreIsAStoreError() {
        val broken = KeystorePendingLoginStore(prefs, AesGcmCipher { throw GeneralSecurityException("no keystore") })
        assertThrows(StoreException.Failed::class.java) { broken.put("k", "v") }
        store.put("k", "v")
        assertThrows(StoreException.Failed::class.java) { broken.get("k") }
    }
}
