//! Versioned schema migrations: numbered SQL files under `core/migrations/`,
//! tracked with `PRAGMA user_version`, each applied in its own transaction.
//!
//! Rules for adding one: never edit a released file; add the next number;
//! keep each file a pure function of the previous schema. The upgrade test
//! below opens a frozen version-1 database and compares the result with a
//! fresh one, so a migration that diverges from a fresh install fails CI.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// `(version, name, sql)`, in order, versions 1, 2, … without gaps.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "0001_catalog", include_str!("../../migrations/0001_catalog.sql")),
    (2, "0002_accounts", include_str!("../../migrations/0002_accounts.sql")),
    (3, "0003_quotes", include_str!("../../migrations/0003_quotes.sql")),
    (4, "0004_content", include_str!("../../migrations/0004_content.sql")),
    (5, "0005_documents", include_str!("../../migrations/0005_documents.sql")),
    (6, "0006_hub", include_str!("../../migrations/0006_hub.sql")),
    (7, "0007_links", include_str!("../../migrations/0007_links.sql")),
    (8, "0008_scoring", include_str!("../../migrations/0008_scoring.sql")),
    (9, "0009_authority", include_str!("../../migrations/0009_authority.sql")),
    (10, "0010_search_terms", include_str!("../../migrations/0010_search_terms.sql")),
    (11, "0011_device_lifecycle", include_str!("../../migrations/0011_device_lifecycle.sql")),
    (12, "0012_erasure", include_str!("../../migrations/0012_erasure.sql")),
    (13, "0013_profiles", include_str!("../../migrations/0013_profiles.sql")),
    (14, "0014_sync_health", include_str!("../../migrations/0014_sync_health.sql")),
    (15, "0015_hub_link", include_str!("../../migrations/0015_hub_link.sql")),
    (16, "0016_blobs", include_str!("../../migrations/0016_blobs.sql")),
    (17, "0017_quote_lists", include_str!("../../migrations/0017_quote_lists.sql")),
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The version that added field-data documents: databases upgraded across
/// it get documents for their existing rows once (`docs::backfill`).
pub(super) const DOCUMENTS_VERSION: i64 = 5;

/// The version that moved contacts into person documents: databases
/// upgraded across it move theirs once (`erasure::upgrade`).
pub(super) const PERSON_VERSION: i64 = 12;

/// Brings the database up to [`SCHEMA_VERSION`]; refuses newer databases.
/// Returns the version the database had before (0 for a new file).
pub(super) fn migrate(conn: &mut Connection) -> Result<i64> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Applies the migrations up to `target`; returns the version found.
fn migrate_to(conn: &mut Connection, target: i64) -> Result<i64> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew { found: current, supported: SCHEMA_VERSION });
    }
    // Rebuilding a table (the only way to change a constraint in SQLite)
    // needs foreign keys off, outside the transaction; every migration
    // checks them itself before it commits.
    let fk: bool = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let result = (|| -> Result<()> {
        for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current && m.0 <= target) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)
                .map_err(|e| Error::Corrupt { what: "schema migration", reason: format!("{name} failed: {e}") })?;
            let broken: bool = tx.prepare("PRAGMA foreign_key_check")?.exists([])?;
            if broken {
                return Err(Error::Corrupt { what: "schema migration", reason: format!("{name} broke a reference") });
            }
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()?;
        }
        Ok(())
    })();
    conn.pragma_update(None, "foreign_keys", fk)?;
    result?;
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreOptions};

    /// The schema as SQLite sees it: every object's normalised SQL, sorted.
    fn schema(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")
            .unwrap_or_else(|e| panic!("{e}"));
        let rows = stmt
            .query_map([], |r| {
                let sql: Option<String> = r.get(3)?;
                let sql = sql.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "));
                Ok(format!(
                    "{}|{}|{}|{}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    sql.unwrap_or_default()
                ))
            })
            .unwrap_or_else(|e| panic!("{e}"));
        rows.map(|r| r.unwrap_or_else(|e| panic!("{e}"))).collect()
    }

    #[test]
    fn frozen_version_1_database_upgrades_to_the_fresh_schema() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let old = dir.path().join("v1.sqlite");
        {
            let c = Connection::open(&old)?;
            c.execute_batch(include_str!("../../tests/fixtures/schema_v1.sql"))?;
            let v: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
            assert_eq!(v, 1, "the fixture is a version-1 database");
        }
        // An app update on a device: the old plaintext store is encrypted
        // in place and upgraded in the same first open.
        let upgraded = Store::open(&old, crate::store::tests::encrypted())?;
        assert_eq!(upgraded.schema_version()?, SCHEMA_VERSION);
        assert!(!std::fs::read(&old)?.starts_with(b"SQLite format 3"), "encrypted on the way");
        let fresh = Store::open(dir.path().join("fresh.sqlite"), crate::store::tests::encrypted())?;
        let a = upgraded.read(|c| Ok(schema(c)))?;
        let b = fresh.read(|c| Ok(schema(c)))?;
        assert_eq!(a, b, "upgraded schema differs from a fresh one");

        // The version-1 data survived and is usable through the current API.
        let p = upgraded.product("DIN933-M8X40")?;
        assert_eq!(p.name, "Sechskantschraube DIN 933 M8×40, verzinkt");
        assert_eq!(upgraded.catalog_seq()?, 3);
        let hits = upgraded.search_products(&crate::store::ProductQuery::new("sechskant"))?;
        assert_eq!(hits.items.len(), 1, "search index carried over");
        // The index was rebuilt in today's words on the first open.
        for q in ["schraube", "m8x40", "din933", "groesse 9", "sechskantschruabe"] {
            let hits = upgraded.search_products(&crate::store::ProductQuery::new(q))?;
            assert_eq!(hits.items.len(), 1, "{q}: the upgraded index finds compounds, sizes, codes, typos");
        }
        let hit = &upgraded.search_products(&crate::store::ProductQuery::new("schraube"))?.items[0];
        assert_eq!(hit.tier, Some(crate::store::MatchTier::CompoundPart));
        assert!(upgraded.list_accounts(None, 0, 10)?.items.is_empty());
        Ok(())
    }

    #[test]
    fn a_version_4_database_gets_documents_for_its_field_data_once() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("v4.sqlite");
        let (account, contacts) = crate::sample::accounts(1, 3).remove(0);
        {
            let mut c = Connection::open(&path)?;
            assert_eq!(migrate_to(&mut c, 4)?, 0);
            // Rows as version 4 wrote them: plain tables, no documents.
            c.execute(
                "INSERT INTO accounts (id, name, billing_city, customer_group, updated_at)
                 VALUES (?1, ?2, ?3, ?4, '2026-01-01T00:00:00Z')",
                rusqlite::params![account.id, account.name, account.billing_address.city, account.customer_group],
            )?;
            let k = &contacts[0];
            c.execute(
                "INSERT INTO contacts (id, account_id, first_name, last_name, role, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, '2026-01-01T00:00:00Z')",
                rusqlite::params![k.id, account.id, k.first_name, k.last_name, k.role.as_str()],
            )?;
        }
        let s = Store::open(&path, StoreOptions::default())?;
        let docs: Vec<String> = s.documents()?.into_iter().map(|d| d.doc_id).collect();
        assert_eq!(docs, vec![format!("account/{}", account.id), format!("person/{}", contacts[0].id)]);
        assert_eq!(s.account(&account.id)?.name, account.name);
        // Editable through its document from now on.
        let mut k = s.contacts(&account.id)?.remove(0);
        k.phone = Some("+49 89 5555".into());
        s.save_contact(&k)?;
        assert_eq!(s.contacts(&account.id)?[0].phone, k.phone);
        drop(s);
        let again = Store::open(&path, StoreOptions::default())?;
        assert_eq!(again.documents()?.len(), 2, "no second backfill");
        Ok(())
    }

    #[test]
    fn newer_database_is_refused() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("future.sqlite");
        {
            let c = Connection::open(&path)?;
            c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)?;
        }
        let err = Store::open(&path, StoreOptions::default()).err();
        assert!(
            matches!(err, Some(Error::SchemaTooNew { found, supported }) if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
            "{err:?}"
        );
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("newer"), "{msg}");
        Ok(())
    }

    #[test]
    fn reopening_is_idempotent() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("db.sqlite");
        drop(Store::open(&path, StoreOptions::default())?);
        let s = Store::open(&path, StoreOptions::default())?;
        assert_eq!(s.schema_version()?, SCHEMA_VERSION);
        assert_eq!(s.tax_classes()?.len(), 2, "seed rows are not duplicated");
        Ok(())
    }

    #[test]
    fn migrations_are_numbered_without_gaps() {
        for (i, (v, name, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*v, i as i64 + 1);
            assert!(name.starts_with(&format!("{v:04}_")));
        }
    }
}
