//! The hub a device syncs with, kept in its encrypted store: the URL, the
//! token (a rotated one replaces it) and who the hub says the device is.
//! What `onsite device register` writes and `onsite device sync` reads.

use rusqlite::OptionalExtension;

use crate::{Error, Result, Store};

fn token_hash(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A device's link to its hub. The token is a secret: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct HubLink {
    /// The hub's base URL.
    pub hub_url: String,
    /// The device token.
    pub token: String,
    /// The person behind the device, as the hub's registry has it.
    pub person: String,
    /// Its role (`admin`, `rep`, `customer`).
    pub role: String,
    /// A customer's account.
    pub account_id: Option<String>,
    /// When the link was made (RFC 3339).
    pub linked_at: String,
}

impl std::fmt::Debug for HubLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubLink")
            .field("hub_url", &self.hub_url)
            .field("token", &"<redacted>")
            .field("person", &self.person)
            .field("role", &self.role)
            .field("account_id", &self.account_id)
            .finish()
    }
}

impl Store {
    /// The device's hub, if it was linked to one.
    pub fn hub_link(&self) -> Result<Option<HubLink>> {
        self.read_unleased(|c| {
            Ok(c.query_row(
                "SELECT hub_url, token, person, role, account_id, linked_at FROM hub_link WHERE id = 1",
                [],
                |r| {
                    Ok(HubLink {
                        hub_url: r.get(0)?,
                        token: r.get(1)?,
                        person: r.get(2)?,
                        role: r.get(3)?,
                        account_id: r.get(4)?,
                        linked_at: r.get(5)?,
                    })
                },
            )
            .optional()?)
        })
    }

    /// Links the device to a hub (replacing an earlier link).
    pub fn set_hub_link(&self, link: &HubLink) -> Result<()> {
        if !(link.hub_url.starts_with("https://") || link.hub_url.starts_with("http://")) {
            return Err(Error::validation("hub URL", "must start with https:// or http://"));
        }
        self.write_unleased(|tx| {
            tx.execute(
                "INSERT INTO hub_link (id, hub_url, token, person, role, account_id, linked_at)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET hub_url = ?1, token = ?2, person = ?3, role = ?4,
                     account_id = ?5, linked_at = ?6",
                rusqlite::params![link.hub_url, link.token, link.person, link.role, link.account_id, link.linked_at],
            )?;
            Ok(())
        })
    }

    /// Keeps a token the hub handed over as the successor of `replaced`
    /// (the driver does, before it uses the new one). The last 8 are kept.
    pub(crate) fn note_rotation(&self, replaced: &str, token: &str, expires_at: &str) -> Result<()> {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.write_unleased(|tx| {
            tx.execute(
                "INSERT INTO token_rotations (replaced_hash, token, expires_at, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (replaced_hash) DO UPDATE SET token = ?2, expires_at = ?3, at = ?4",
                rusqlite::params![token_hash(replaced), token, expires_at, now],
            )?;
            tx.execute(
                "DELETE FROM token_rotations WHERE replaced_hash NOT IN
                     (SELECT replaced_hash FROM token_rotations ORDER BY at DESC, rowid DESC LIMIT 8)",
                [],
            )?;
            tx.execute("UPDATE hub_link SET token = ?1 WHERE id = 1", [token])?;
            Ok(())
        })
    }

    /// The token to use in place of `token`: its newest successor a sync
    /// received (the hub accepts only that one once it was used), else
    /// `token` itself. What an app keeps after a sync that failed.
    pub fn current_token(&self, token: &str) -> Result<String> {
        self.read_unleased(|c| {
            let mut current = token.to_string();
            let mut stmt = c.prepare_cached("SELECT token FROM token_rotations WHERE replaced_hash = ?1")?;
            for _ in 0..8 {
                match stmt.query_row([token_hash(&current)], |r| r.get::<_, String>(0)).optional()? {
                    Some(next) if next != current => current = next,
                    _ => break,
                }
            }
            Ok(current)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_kept_and_a_rotation_replaces_its_token() {
        let (_d, store) = crate::store::tests::temp_store();
        assert_eq!(store.hub_link().unwrap(), None);
        let link = HubLink {
            hub_url: "https://hub.example".into(),
            token: "ost_old".into(),
            person: "rep-1".into(),
            role: "rep".into(),
            account_id: None,
            linked_at: "2026-12-02T07:00:00Z".into(),
        };
        store.set_hub_link(&link).unwrap();
        store.note_rotation("ost_old", "ost_new", "2027-01-01T00:00:00Z").unwrap();
        let back = store.hub_link().unwrap().unwrap();
        assert_eq!(back.token, "ost_new");
        assert!(!format!("{back:?}").contains("ost_new"), "Debug hides the token");
        assert!(store.set_hub_link(&HubLink { hub_url: "ftp://x".into(), ..link }).is_err());
    }

    #[test]
    fn an_old_token_leads_to_its_newest_successor() {
        let (_d, store) = crate::store::tests::temp_store();
        assert_eq!(store.current_token("ost_a").unwrap(), "ost_a");
        store.note_rotation("ost_a", "ost_b", "2027-01-01T00:00:00Z").unwrap();
        store.note_rotation("ost_b", "ost_c", "2027-02-01T00:00:00Z").unwrap();
        assert_eq!(store.current_token("ost_a").unwrap(), "ost_c");
        assert_eq!(store.current_token("ost_c").unwrap(), "ost_c");
        // A token the back office issued anew has no predecessor here.
        assert_eq!(store.current_token("ost_fresh").unwrap(), "ost_fresh");
        let kept: i64 =
            store.read(|c| Ok(c.query_row("SELECT count(*) FROM token_rotations", [], |r| r.get(0))?)).unwrap();
        assert_eq!(kept, 2);
    }
}
