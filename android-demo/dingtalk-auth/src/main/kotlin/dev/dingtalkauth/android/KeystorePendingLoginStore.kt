package dev.dingtalkauth.android

import android.annotation.SuppressLint
import android.content.Context
import android.content.SharedPreferences
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import dev.dingtalkauth.PendingLoginStore
import dev.dingtalkauth.StoreException
import java.security.GeneralSecurityException
import java.security.KeyStore
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/** Seals and opens the store's values. Separate from the store so its logic is testable off-device. */
interface ValueCipher {
    /** Encrypts [plain], authenticating [aad] with it. */
    fun seal(plain: ByteArray, aad: ByteArray): ByteArray

    /** Decrypts what [seal] returned for the same [aad]; throws [GeneralSecurityException] otherwise. */
    fun open(sealed: ByteArray, aad: ByteArray): ByteArray
}

/**
 * AES-256-GCM with a 96-bit IV chosen by the cipher (AndroidKeyStore keys refuse caller IVs), laid out
 * as `version(1) || iv(12) || ciphertext+tag`. [key] is called for every operation.
 */
class AesGcmCipher(private val key: () -> SecretKey) : ValueCipher {
    override fun seal(plain: ByteArray, aad: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, key())
        cipher.updateAAD(aad)
        val body = cipher.doFinal(plain)
        val iv = cipher.iv
        check(iv.size == IV_BYTES) { "unexpected IV size ${iv.size}" }
        return byteArrayOf(VERSION) + iv + body
    }

    override fun open(sealed: ByteArray, aad: ByteArray): ByteArray {
        if (sealed.size < 1 + IV_BYTES + TAG_BITS / 8 || sealed[0] != VERSION) {
            throw AEADBadTagException("not a sealed value")
        }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(TAG_BITS, sealed, 1, IV_BYTES))
        cipher.updateAAD(aad)
        return cipher.doFinal(sealed, 1 + IV_BYTES, sealed.size - 1 - IV_BYTES)
    }

    private companion object {
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val VERSION: Byte = 1
        const val IV_BYTES = 12
        const val TAG_BITS = 128
    }
}

/** The AES key in AndroidKeyStore: never leaves secure hardware (where there is some). */
object AndroidKeyStoreKey {
    /** The key under [alias], created on first use. Throws [GeneralSecurityException] without a keystore. */
    fun getOrCreate(alias: String): SecretKey {
        val ks = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        (ks.getKey(alias, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
        generator.init(
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }
}

/**
 * [PendingLoginStore] over SharedPreferences, each value sealed with AES-GCM under a key kept in
 * AndroidKeyStore ([create]), the entry's key bound as associated data so values cannot be swapped.
 * Values are the core's records: pending logins (a hash of the state, the flow, times: never a code or a
 * state) and, while a [GrantDelivery] delivers it, the grant with its code (at most 15 minutes).
 *
 * A value that does not open (tampered, or the key was lost with a backup restore) is removed and
 * reads as absent: the login it belonged to then fails as unknown, never succeeds. A keystore that
 * fails outright is a [StoreException.Failed] (the core reports `AuthException.Store`).
 */
class KeystorePendingLoginStore(
    private val prefs: SharedPreferences,
    private val cipher: ValueCipher,
) : PendingLoginStore {
    override fun put(key: String, value: String) {
        val sealed = guard("seal") { cipher.seal(value.toByteArray(Charsets.UTF_8), key.toByteArray(Charsets.UTF_8)) }
        // commit, not apply: the record must be on disk before DingTalk comes to the front and the OS
        // may kill this process.
        if (!prefs.edit().putString(key, Base64.encodeToString(sealed, Base64.NO_WRAP)).commit()) {
            throw StoreException.Failed("could not write SharedPreferences")
        }
    }

    override fun get(key: String): String? {
        val stored = prefs.getString(key, null) ?: return null
        return try {
            val sealed = Base64.decode(stored, Base64.NO_WRAP)
            String(cipher.open(sealed, key.toByteArray(Charsets.UTF_8)), Charsets.UTF_8)
        } catch (e: IllegalArgumentException) { // not base64
            dropUnreadable(key)
        } catch (e: AEADBadTagException) {
            dropUnreadable(key)
        } catch (e: GeneralSecurityException) {
            throw StoreException.Failed("keystore: ${e.javaClass.simpleName}")
        } catch (e: RuntimeException) { // ProviderException and friends from the keystore
            throw StoreException.Failed("keystore: ${e.javaClass.simpleName}")
        }
    }

    private fun dropUnreadable(key: String): String? {
        prefs.edit().remove(key).commit()
        return null
    }

    override fun remove(key: String) {
        if (!prefs.edit().remove(key).commit()) throw StoreException.Failed("could not write SharedPreferences")
    }

    override fun keys(): List<String> = prefs.all.keys.toList()

    private inline fun <T> guard(what: String, block: () -> T): T =
        try {
            block()
        } catch (e: GeneralSecurityException) {
            throw StoreException.Failed("$what: ${e.javaClass.simpleName}")
        } catch (e: RuntimeException) {
            throw StoreException.Failed("$what: ${e.javaClass.simpleName}")
        }

    companion object {
        /** The SharedPreferences file the default store uses (nothing else should write to it). */
        const val PREFS_NAME = "dev.dingtalkauth.pending"
        /** The AndroidKeyStore alias of the default store's key. */
        const val KEY_ALIAS = "dev.dingtalkauth.pending.v1"

        /** The store over [PREFS_NAME] with the AndroidKeyStore key [KEY_ALIAS]. */
        @SuppressLint("ApplySharedPref")
        fun create(context: Context): KeystorePendingLoginStore =
            KeystorePendingLoginStore(
                context.getSharedPreferences(PREFS_NAME, Context.MODE_PRIVATE),
                AesGcmCipher(CachedKey(KEY_ALIAS)),
            )
    }

    /** Looks the key up once per process; a failure is retried on the next call. */
    private class CachedKey(private val alias: String) : () -> SecretKey {
        @Volatile private var key: SecretKey? = null
        override fun invoke(): SecretKey = key ?: AndroidKeyStoreKey.getOrCreate(alias).also { key = it }
    }
}
