// The store's key: a random 256-bit key made by the core, kept on disk only
// wrapped (encrypted) by a platform key, and handed to the core on open.
package app.onsite

import java.io.File
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import uniffi.onsite.OpenException
import uniffi.onsite.generateStoreKey
import uniffi.onsite_core.StorageReason

/**
 * The platform part of encryption at rest: wraps and unwraps the store's key
 * with a key the platform keeps. On Android that is [app.onsite.android.AndroidKeystoreVault]
 * (a non-exportable AES key in the Android Keystore); JVM tests and desktop
 * tools use [SoftwareKeyVault].
 */
interface KeyVault {
    /** Encrypts [key] with the platform key. */
    fun wrap(key: ByteArray): ByteArray

    /** Decrypts what [wrap] returned; throws if the platform key is gone or the blob was altered. */
    fun unwrap(wrapped: ByteArray): ByteArray
}

/**
 * AES-256-GCM wrapping with a key held in memory: the same flow as the Android
 * Keystore without the hardware. For JVM tests and tools, not for phones.
 */
class SoftwareKeyVault(master: ByteArray) : KeyVault {
    private val key = SecretKeySpec(master.copyOf(), "AES")

    init { require(master.size == 32) { "the master key must be 32 bytes" } }

    override fun wrap(key: ByteArray): ByteArray = aesGcmWrap(this.key, key)

    override fun unwrap(wrapped: ByteArray): ByteArray = aesGcmUnwrap(this.key, wrapped)

    companion object {
        /** A vault with a fresh random master key. */
        @JvmStatic
        fun generate(): SoftwareKeyVault = SoftwareKeyVault(ByteArray(32).also { SecureRandom().nextBytes(it) })
    }
}

private const val IV_BYTES = 12
private const val TAG_BITS = 128

internal fun aesGcmWrap(key: javax.crypto.SecretKey, plain: ByteArray): ByteArray {
    val cipher = Cipher.getInstance("AES/GCM/NoPadding")
    cipher.init(Cipher.ENCRYPT_MODE, key)
    return cipher.iv + cipher.doFinal(plain)
}

internal fun aesGcmUnwrap(key: javax.crypto.SecretKey, wrapped: ByteArray): ByteArray {
    require(wrapped.size > IV_BYTES) { "the wrapped key is truncated" }
    val cipher = Cipher.getInstance("AES/GCM/NoPadding")
    cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(TAG_BITS, wrapped, 0, IV_BYTES))
    return cipher.doFinal(wrapped, IV_BYTES, wrapped.size - IV_BYTES)
}

/**
 * Where a store's wrapped key lives: `<database>.key` beside the database.
 * The file holds only the wrapped key, useless without the platform key.
 */
object StoreKeys {
    /** The file that holds the wrapped key of the database at [path]. */
    @JvmStatic
    fun keyFile(path: String): File = File("$path.key")

    /**
     * The key of the database at [path]: unwrapped from its key file, or, for a
     * store that has none yet (a new one, or a plaintext one from an older app,
     * which the core then encrypts in place), a new key, wrapped and written
     * durably before the database is touched. A key that cannot be unwrapped
     * (the platform key was deleted) is `OpenException.Storage` with reason
     * `WRONG_KEY`: erase the store and sync it anew.
     */
    @JvmStatic
    fun keyFor(path: String, vault: KeyVault): ByteArray {
        val file = keyFile(path)
        if (file.exists()) {
            return try {
                vault.unwrap(file.readBytes())
            } catch (e: Exception) {
                throw OpenException.Storage(StorageReason.WRONG_KEY, "the store's key cannot be unwrapped: ${e.javaClass.simpleName}")
            }
        }
        if (isEncryptedFile(File(path))) {
            // Its key is gone: a new key would not open it, and must not be kept.
            throw OpenException.Storage(StorageReason.KEY_REQUIRED, "the store is encrypted and its key file is missing")
        }
        val key = generateStoreKey()
        val tmp = File("${file.path}.tmp")
        java.io.FileOutputStream(tmp).use { out ->
            out.write(vault.wrap(key))
            out.fd.sync()
        }
        if (!tmp.renameTo(file)) throw OpenException.Storage(StorageReason.UNAVAILABLE, "cannot write the key file")
        return key
    }

    /** Whether [db] exists, is not empty and does not start as a plaintext SQLite file does. */
    private fun isEncryptedFile(db: File): Boolean {
        if (!db.isFile || db.length() == 0L) return false
        val head = ByteArray(16)
        val n = db.inputStream().use { it.read(head) }
        return n < 16 || !head.contentEquals("SQLite format 3\u0000".toByteArray(Charsets.US_ASCII))
    }
}
