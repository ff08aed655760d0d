//! Encrypting a plaintext store in place survives `kill -9` at any moment:
//! the test kills a child process that encrypts a store, at delays spread
//! over the whole operation, and after every kill finds either the old
//! plaintext file or the new encrypted one, complete (ADR 20).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use onsite_core::import::CatalogBatch;
use onsite_core::{KeyError, Store, StoreKey, StoreOptions, sample};

use crate::common::{import, rows};

const CHILD: &str = "ONSITE_ENCRYPT_CHILD";
const PRODUCTS: usize = 6_000;
const KILLS: u32 = 16;

fn keyed(key: &StoreKey) -> StoreOptions {
    StoreOptions { key: Some(key.clone()), ..Default::default() }
}

fn side(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_os_string();
    p.push(suffix);
    PathBuf::from(p)
}

/// Copies the template store (a plaintext file, no WAL) to `path`, removing
/// what an earlier round left.
fn fresh_copy(template: &Path, path: &Path) {
    for s in ["-wal", "-shm", ".encrypting"] {
        let _ = std::fs::remove_file(side(path, s));
    }
    std::fs::copy(template, path).unwrap();
}

#[test]
fn encryption_in_place_survives_kill_9() {
    // In the child: encrypt the store named by the environment, and exit.
    if let (Ok(path), Ok(hex)) = (std::env::var(CHILD), std::env::var("ONSITE_ENCRYPT_KEY")) {
        let key = StoreKey::from_hex(&hex).unwrap();
        drop(Store::open(path, keyed(&key)).unwrap());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.sqlite");
    {
        let store = Store::open(&template, StoreOptions::default()).unwrap();
        import(&store, CatalogBatch { products: rows(&sample::products(PRODUCTS, 11)), ..Default::default() });
    }
    assert!(!side(&template, "-wal").exists());
    let key = StoreKey::generate().unwrap();
    let path = dir.path().join("tablet.sqlite");

    // How long one whole encryption takes here, to spread the kills over it.
    fresh_copy(&template, &path);
    let started = Instant::now();
    drop(Store::open(&path, keyed(&key)).unwrap());
    let whole = started.elapsed();

    let exe = std::env::current_exe().unwrap();
    let (mut plain, mut encrypted) = (0, 0);
    for round in 0..KILLS {
        fresh_copy(&template, &path);
        let mut child = Command::new(&exe)
            .args(["encryption::encryption_in_place_survives_kill_9", "--exact", "--test-threads=1"])
            .env(CHILD, &path)
            .env("ONSITE_ENCRYPT_KEY", key.to_hex())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Process start-up plus a fraction of the encryption, up to 1.5 times it.
        std::thread::sleep(Duration::from_millis(15) + whole.mul_f64(1.5 * f64::from(round) / f64::from(KILLS)));
        let _ = child.kill(); // SIGKILL; the child may have finished already
        let status = child.wait().unwrap();
        // Killed (no exit code) or finished; a child that failed on its own
        // (exit 127 when it could not be executed, 101 when it panicked)
        // encrypted nothing, and the rounds below would pass without it.
        assert!(status.success() || status.code().is_none(), "round {round}: the child failed: {status}");

        // Either the old file, readable without a key...
        match Store::open(&path, StoreOptions::default()) {
            Ok(s) => {
                assert_eq!(s.product_count().unwrap(), PRODUCTS as u64, "round {round}: the plaintext store is whole");
                plain += 1;
            }
            // ...or the new one, which the key opens.
            Err(onsite_core::Error::Key(KeyError::Required)) => encrypted += 1,
            Err(e) => panic!("round {round}: neither the old nor the new file: {e}"),
        }
        // And opening with the key always ends with the whole, encrypted store.
        let s = Store::open(&path, keyed(&key)).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(s.product_count().unwrap(), PRODUCTS as u64, "round {round}: nothing lost");
        drop(s);
        assert!(!side(&path, ".encrypting").exists(), "round {round}: no copy left");
    }
    eprintln!("{KILLS} kills during a {whole:?} encryption: {plain} found plaintext, {encrypted} encrypted");
    assert_eq!(plain + encrypted, KILLS);
    assert!(plain > 0, "some kills landed before the rename (the test would not test otherwise)");
}
