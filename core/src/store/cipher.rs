//! Encryption at rest: the store's key, and what a database file holds.
//!
//! SQLite3 Multiple Ciphers (the `onsite-sqlite` crate) encrypts every page
//! of the database and of its WAL with ChaCha20-Poly1305; the key is a raw
//! 256-bit key, never a password, so opening costs no key derivation
//! (ADR 20). A plaintext store opened with a key is encrypted in place,
//! crash-safely: an encrypted copy is written beside it and renamed over it,
//! so a crash leaves either the old file or the new one.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::{Error, KeyError, Result};

/// The first 16 bytes of every plaintext SQLite database.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A store's 256-bit encryption key. Its bytes are overwritten when it is
/// dropped and never printed (`Debug` shows `StoreKey(<redacted>)`).
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey([u8; StoreKey::LEN]);

impl StoreKey {
    /// Key length in bytes.
    pub const LEN: usize = 32;

    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<StoreKey> {
        let mut key = [0u8; StoreKey::LEN];
        getrandom::fill(&mut key).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        Ok(StoreKey(key))
    }

    /// The key of 32 raw bytes (an Android Keystore- or Keychain-unwrapped
    /// key); any other length is [`KeyError::Malformed`].
    pub fn from_bytes(bytes: &[u8]) -> Result<StoreKey> {
        let key: [u8; StoreKey::LEN] = bytes.try_into().map_err(|_| Error::Key(KeyError::Malformed))?;
        Ok(StoreKey(key))
    }

    /// The key from 64 hexadecimal digits (a key file; surrounding white
    /// space is ignored).
    pub fn from_hex(text: &str) -> Result<StoreKey> {
        let text = text.trim().as_bytes();
        if text.len() != 2 * StoreKey::LEN {
            return Err(Error::Key(KeyError::Malformed));
        }
        let mut key = [0u8; StoreKey::LEN];
        for (i, pair) in text.chunks_exact(2).enumerate() {
            let hi = hex_value(pair[0]).ok_or(Error::Key(KeyError::Malformed))?;
            let lo = hex_value(pair[1]).ok_or(Error::Key(KeyError::Malformed))?;
            key[i] = hi << 4 | lo;
        }
        Ok(StoreKey(key))
    }

    /// The key as 64 lower-case hexadecimal digits (for a key file).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Gives `conn` this key; must be the first statement on a connection.
    pub(crate) fn apply(&self, conn: &Connection) -> Result<()> {
        let mut value = Secret(format!("raw:{}", self.to_hex()));
        let r = conn.pragma_update(None, "key", value.0.as_str());
        value.wipe();
        r?;
        Ok(())
    }
}

impl Drop for StoreKey {
    fn drop(&mut self) {
        self.0.fill(0);
        std::hint::black_box(&self.0);
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(<redacted>)")
    }
}

/// A string holding key material, overwritten when dropped.
struct Secret(String);

impl Secret {
    fn wipe(&mut self) {
        // Replace every byte with an ASCII zero in place: the buffer keeps
        // its allocation and the key's digits are gone from it.
        let len = self.0.len();
        self.0.clear();
        self.0.extend(std::iter::repeat_n('0', len));
        std::hint::black_box(&self.0);
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.wipe();
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// What a database file holds, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileState {
    /// No file, or an empty one: a new database.
    New,
    /// A plaintext SQLite database.
    Plain,
    /// Anything else: encrypted (or not a database at all).
    Encrypted,
}

/// Reads the first bytes of `path`.
pub(crate) fn file_state(path: &Path) -> Result<FileState> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::New),
        Err(e) => return Err(e.into()),
    };
    let mut head = Vec::with_capacity(16);
    file.by_ref().take(16).read_to_end(&mut head)?;
    Ok(match head.as_slice() {
        [] => FileState::New,
        h if h == SQLITE_HEADER => FileState::Plain,
        _ => FileState::Encrypted,
    })
}

/// Turns a failure to read an encrypted file with `key` into the reason a
/// caller can act on: a file whose size is not a whole number of pages is
/// damaged; otherwise the key does not open it.
pub(crate) fn refused(path: &Path, e: rusqlite::Error) -> Error {
    if !matches!(e.sqlite_error_code(), Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)) {
        return e.into();
    }
    match check_whole_pages(path) {
        Ok(()) => Error::Key(KeyError::Wrong),
        Err(e) => e,
    }
}

/// An encrypted file is a whole number of pages (512 bytes at the least);
/// anything else was cut short or appended to.
pub(crate) fn check_whole_pages(path: &Path) -> Result<()> {
    let len = fs::metadata(path)?.len();
    if len < 512 || len % 512 != 0 {
        return Err(Error::Corrupt {
            what: "database file",
            reason: format!("{len} bytes is not a whole number of pages"),
        });
    }
    Ok(())
}

/// The file an in-place encryption writes before renaming it over the store.
pub(crate) fn encrypting_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".encrypting");
    path.with_file_name(name)
}

/// Encrypts the plaintext database at `path` with `key`, crash-safely: the
/// encrypted copy is written to a file beside it, synced, checked, and
/// renamed over the original (the rename is the commit). A leftover copy
/// from an interrupted run is discarded first.
pub(crate) fn encrypt_in_place(path: &Path, key: &StoreKey) -> Result<()> {
    let tmp = encrypting_path(path);
    remove_if_present(&tmp)?;
    let plain = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    // Hold the file alone until the copy replaces it: leaving WAL mode
    // needs every other connection gone (else SQLITE_BUSY, and nothing is
    // changed), moves everything into the main file, and in exclusive
    // locking mode the lock it takes is kept until this connection closes,
    // so no write can land in the old file after the copy was taken.
    plain.busy_timeout(std::time::Duration::ZERO)?; // another connection: fail now, change nothing
    plain.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    let mode: String = plain.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(Error::Corrupt { what: "journal mode", reason: format!("could not leave WAL (got {mode})") });
    }
    let mut target = Secret(format!("{}?key=raw:{}", file_uri(&tmp), key.to_hex()));
    let r = plain.execute("VACUUM INTO ?1", [target.0.as_str()]);
    target.wipe();
    r?;
    File::open(&tmp)?.sync_all()?;
    {
        let check = Connection::open_with_flags(&tmp, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        key.apply(&check)?;
        let ok: String = check.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if ok != "ok" {
            return Err(Error::Corrupt { what: "encrypted copy", reason: ok });
        }
    }
    // No WAL or shared-memory index of the plaintext file may meet the
    // encrypted one (there are none after leaving WAL mode; a crash of an
    // earlier attempt may have left some).
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_os_string();
        side.push(suffix);
        remove_if_present(Path::new(&side))?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(path)?;
    // The lock goes with the old, now unlinked, file.
    plain.close().map_err(|(_, e)| e)?;
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// Makes a rename in `path`'s directory durable (a no-op where directories
/// cannot be opened).
fn sync_dir(path: &Path) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Ok(d) = OpenOptions::new().read(true).open(dir) {
        // Some file systems refuse fsync on a directory; the rename stands.
        let _ = d.sync_all();
    }
    Ok(())
}

/// `path` as an SQLite `file:` URI (RFC 3986 escaping, so `?`, `#`, `%` and
/// spaces in a path are file name, not URI syntax).
fn file_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for b in absolute.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::import::{Format, parse};
    use crate::store::{Store, StoreOptions};
    use rust_decimal::Decimal;

    const CATALOG: &str = "sku;name;unit;list_price;tax_class\nKOST-1;Kostenträger;pc;10,00;DE-STD\n";

    fn with_key(key: &StoreKey) -> StoreOptions {
        StoreOptions { key: Some(key.clone()), ..Default::default() }
    }

    /// A store holding a buying center (name, e-mail, phone) and a product
    /// cost: what a lost tablet must not give away.
    fn fill(store: &Store) -> Result<()> {
        store.import_catalog(parse(CATALOG.as_bytes(), Format::Csv), &mut |_| {})?;
        store.set_product_costs(&[("KOST-1".into(), Decimal::new(7_654_321, 4))])?;
        let mut c = fixtures::contact("c-1", "a-1");
        c.first_name = "Wilhelmina".into();
        c.last_name = "Quastenflosser".into();
        c.email = Some("wilhelmina.quastenflosser@example.com".into());
        c.phone = Some("+49 30 98765432".into());
        store.save_account_with_contacts(&fixtures::account("a-1"), &[c])
    }

    const SECRETS: [&str; 6] =
        ["Wilhelmina", "Quastenflosser", "quastenflosser@example", "98765432", "765.4321", "7654321"];

    fn leaks(bytes: &[u8]) -> Vec<&'static str> {
        SECRETS.iter().copied().filter(|s| bytes.windows(s.len()).any(|w| w == s.as_bytes())).collect()
    }

    fn side(path: &Path, suffix: &str) -> PathBuf {
        let mut p = path.as_os_str().to_os_string();
        p.push(suffix);
        PathBuf::from(p)
    }

    #[test]
    fn an_encrypted_store_and_its_wal_give_away_nothing() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("tablet.sqlite");
        let key = StoreKey::generate()?;
        let store = Store::open(&path, with_key(&key))?;
        fill(&store)?;
        // While open, the latest writes are in the WAL.
        let wal = fs::read(side(&path, "-wal"))?;
        assert!(wal.len() > 4096, "the writes are in the WAL ({} bytes)", wal.len());
        assert_eq!(leaks(&wal), Vec::<&str>::new(), "nothing readable in the WAL");
        assert_eq!(leaks(&fs::read(&path)?), Vec::<&str>::new());
        drop(store);
        let bytes = fs::read(&path)?;
        assert_ne!(&bytes[..16], SQLITE_HEADER, "no SQLite header");
        assert_eq!(leaks(&bytes), Vec::<&str>::new(), "nothing readable in the file");
        // The control: the same data in a plaintext store is readable.
        let plain_path = dir.path().join("plain.sqlite");
        drop(Store::open(&plain_path, StoreOptions::default()).and_then(|s| fill(&s).map(|_| s))?);
        assert_eq!(leaks(&fs::read(&plain_path)?).len(), SECRETS.len() - 1, "the check finds plain text");
        // And the key opens it again, with everything in it.
        let again = Store::open(&path, with_key(&key))?;
        assert_eq!(again.product_cost("KOST-1")?, Some(Decimal::new(7_654_321, 4)));
        assert_eq!(again.account("a-1")?.id, "a-1");
        Ok(())
    }

    #[test]
    fn a_wrong_or_missing_key_is_a_typed_error_and_changes_nothing() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("tablet.sqlite");
        let key = StoreKey::generate()?;
        fill(&Store::open(&path, with_key(&key))?)?;
        let before = fs::read(&path)?;
        let wrong = Store::open(&path, with_key(&StoreKey::generate()?));
        assert!(matches!(wrong, Err(Error::Key(KeyError::Wrong))), "{wrong:?}");
        let missing = Store::open(&path, StoreOptions::default());
        assert!(matches!(missing, Err(Error::Key(KeyError::Required))), "{missing:?}");
        assert_eq!(fs::read(&path)?, before, "no new database over the old one");
        assert!(!side(&path, "-wal").exists());
        let e = Error::Key(KeyError::Wrong);
        assert_eq!(e.storage_reason(), Some(crate::StorageReason::WrongKey));
        assert_eq!(Store::open(&path, with_key(&key))?.product_count()?, 1, "the right key still opens it");
        Ok(())
    }

    #[test]
    fn a_damaged_file_is_corrupt_not_a_wrong_key() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let key = StoreKey::generate()?;
        let path = dir.path().join("tablet.sqlite");
        fill(&Store::open(&path, with_key(&key))?)?;
        let bytes = fs::read(&path)?;
        fs::write(&path, &bytes[..bytes.len() - 100])?;
        let r = Store::open(&path, with_key(&key));
        assert!(matches!(r, Err(Error::Corrupt { .. })), "{r:?}");
        assert_eq!(r.err().and_then(|e| e.storage_reason()), Some(crate::StorageReason::Corrupt));
        // A plaintext header over garbage, opened without a key.
        let garbage = dir.path().join("garbage.sqlite");
        let mut g = SQLITE_HEADER.to_vec();
        g.extend(std::iter::repeat_n(0xA5u8, 8192));
        fs::write(&garbage, g)?;
        let r = Store::open(&garbage, StoreOptions::default());
        assert_eq!(r.err().and_then(|e| e.storage_reason()), Some(crate::StorageReason::Corrupt));
        Ok(())
    }

    #[test]
    fn a_plaintext_store_is_encrypted_in_place_on_first_open_with_a_key() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("old.sqlite");
        fill(&Store::open(&path, StoreOptions::default())?)?;
        assert_eq!(file_state(&path)?, FileState::Plain);
        let key = StoreKey::generate()?;
        let refused = Store::open(&path, StoreOptions { encrypt_plaintext: false, ..with_key(&key) });
        assert!(matches!(refused, Err(Error::Key(KeyError::NotEncrypted))), "{refused:?}");
        assert_eq!(file_state(&path)?, FileState::Plain, "refused: left as it was");

        let store = Store::open(&path, with_key(&key))?;
        assert_eq!(file_state(&path)?, FileState::Encrypted);
        assert_eq!(store.product_cost("KOST-1")?, Some(Decimal::new(7_654_321, 4)), "nothing lost");
        assert_eq!(store.account("a-1")?.id, "a-1");
        assert!(!encrypting_path(&path).exists(), "no copy left beside it");
        drop(store);
        assert_eq!(leaks(&fs::read(&path)?), Vec::<&str>::new());
        assert!(matches!(Store::open(&path, StoreOptions::default()), Err(Error::Key(KeyError::Required))));
        Ok(())
    }

    #[test]
    fn a_store_open_elsewhere_is_not_encrypted_under_it() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("old.sqlite");
        let other = Store::open(&path, StoreOptions::default())?;
        fill(&other)?;
        let key = StoreKey::generate()?;
        let r = Store::open(&path, with_key(&key));
        assert_eq!(r.as_ref().err().and_then(|e| e.storage_reason()), Some(crate::StorageReason::Unavailable), "{r:?}");
        // The other connection keeps working on the one file, nothing lost.
        other.set_product_costs(&[("KOST-1".into(), Decimal::new(42, 0))])?;
        drop(other);
        assert_eq!(file_state(&path)?, FileState::Plain);
        let store = Store::open(&path, with_key(&key))?;
        assert_eq!(store.product_cost("KOST-1")?, Some(Decimal::new(42, 0)));
        Ok(())
    }

    #[test]
    fn a_leftover_copy_of_an_interrupted_encryption_is_discarded() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("old.sqlite");
        fill(&Store::open(&path, StoreOptions::default())?)?;
        fs::write(encrypting_path(&path), b"half a copy")?;
        let key = StoreKey::generate()?;
        assert_eq!(Store::open(&path, with_key(&key))?.product_count()?, 1);
        assert!(!encrypting_path(&path).exists());
        Ok(())
    }

    #[test]
    fn keys_round_trip_through_hex_and_refuse_bad_lengths() -> Result<()> {
        let k = StoreKey::generate()?;
        assert_eq!(StoreKey::from_hex(&k.to_hex())?, k);
        assert_eq!(StoreKey::from_bytes(k.as_bytes())?, k);
        assert_ne!(StoreKey::generate()?, k, "two keys differ");
        assert!(matches!(StoreKey::from_bytes(&[1; 31]), Err(Error::Key(KeyError::Malformed))));
        assert!(matches!(StoreKey::from_hex("zz"), Err(Error::Key(KeyError::Malformed))));
        assert!(matches!(StoreKey::from_hex(&"g".repeat(64)), Err(Error::Key(KeyError::Malformed))));
        assert_eq!(format!("{k:?}"), "StoreKey(<redacted>)");
        let options = StoreOptions { key: Some(k.clone()), ..Default::default() };
        assert!(!format!("{options:?}").contains(&k.to_hex()[..16]), "no key in a log line");
        Ok(())
    }

    #[test]
    fn the_linked_sqlite_is_sqlite3mc_with_chacha20() -> Result<()> {
        let c = Connection::open_in_memory()?;
        let cipher: String = c.query_row("PRAGMA cipher", [], |r| r.get(0))?;
        assert_eq!(cipher, "chacha20", "SQLite3 Multiple Ciphers is linked, not a system SQLite");
        Ok(())
    }

    #[test]
    fn file_uris_escape_what_sqlite_would_read_as_syntax() {
        let uri = file_uri(Path::new("/a b/c?d#e%f.sqlite"));
        assert!(uri.starts_with("file:/"), "{uri}");
        assert!(uri.ends_with("/a%20b/c%3Fd%23e%25f.sqlite"), "{uri}");
    }
}
