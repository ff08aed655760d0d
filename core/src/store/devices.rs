//! The hub's device registry, rep assignments and back-office listings on
//! the embedded store (the PostgreSQL backend of the server keeps the same
//! in its own tables).

use std::collections::BTreeSet;

use chrono::Utc;
use rusqlite::{Connection, Row, params};

use super::Store;
use super::codec::json;
use crate::approval_link::{ApprovalLink, LinkKey};
use crate::devices::{DeviceRecord, NewDevice, TokenSecrets};
use crate::error::{Error, Result};
use crate::quote::{Order, Quote, QuoteListing, QuoteState};
use crate::roles::DeviceRole;
use crate::sync::DeviceScope;

const DEVICE_COLS: &str = "device_id, person, role, account_id, label, created_at, revoked_at, last_seen_at, \
                           token_expires_at, lost_at, wiped_at";
/// The column after [`DEVICE_COLS`] in a query that selects more.
const AFTER_COLS: usize = 11;

fn device_from_row(r: &Row<'_>) -> Result<DeviceRecord> {
    let role: String = r.get(2)?;
    Ok(DeviceRecord {
        device_id: r.get(0)?,
        person: r.get(1)?,
        role: DeviceRole::parse(&role)
            .ok_or_else(|| Error::Corrupt { what: "device role", reason: format!("unknown role {role:?}") })?,
        account_id: r.get(3)?,
        label: r.get(4)?,
        created_at: r.get(5)?,
        revoked_at: r.get(6)?,
        last_seen_at: r.get(7)?,
        token_expires_at: r.get(8)?,
        lost_at: r.get(9)?,
        wiped_at: r.get(10)?,
    })
}

fn device_in(c: &Connection, id: &str) -> Result<DeviceRecord> {
    let mut stmt = c.prepare_cached(&format!("SELECT {DEVICE_COLS} FROM hub_devices WHERE device_id = ?1"))?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(r) => device_from_row(r),
        None => Err(Error::not_found("device", id)),
    }
}

fn assigned_in(c: &Connection, rep: &str) -> Result<BTreeSet<String>> {
    let mut stmt = c.prepare_cached("SELECT account_id FROM hub_assignments WHERE rep = ?1")?;
    let rows = stmt.query_map([rep], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl Store {
    /// Registers a device with the hash of its token and its link key (see
    /// [`TokenSecrets::of`]); `device_id` is the id the hub assigned.
    pub fn register_device(&self, device_id: &str, new: &NewDevice, secrets: &TokenSecrets) -> Result<DeviceRecord> {
        new.validate()?;
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO hub_devices (device_id, person, role, account_id, label, token_hash, created_at, link_key,
                   token_expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                device_id,
                new.person.trim(),
                new.role.as_str(),
                new.account_id,
                new.label,
                &secrets.hash[..],
                Utc::now().to_rfc3339(),
                &secrets.link_key.0[..],
                secrets.expires_at_text()
            ])?;
            device_in(tx, device_id)
        })
    }

    /// The device a token hash belongs to, if it is registered and not
    /// revoked, whatever else its standing (expired, lost: the caller
    /// decides by [`DeviceRecord::standing`]). The token staged for it
    /// ([`Store::stage_device_token`]) authenticates too, and its first use
    /// makes it the device's token (the old one stops working). Notes the
    /// time it was seen when the last note is more than a minute old (a
    /// read otherwise: the writer stays free for syncs).
    pub fn authenticate_device(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        let found = self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {DEVICE_COLS}, next_token_hash = ?1 FROM hub_devices
                 WHERE (token_hash = ?1 OR next_token_hash = ?1) AND revoked_at IS NULL"
            ))?;
            let mut rows = stmt.query([&token_hash[..]])?;
            match rows.next()? {
                Some(r) => Ok(Some((device_from_row(r)?, r.get::<_, Option<bool>>(AFTER_COLS)?.unwrap_or(false)))),
                None => Ok(None),
            }
        })?;
        let Some((mut device, staged)) = found else { return Ok(None) };
        if staged {
            // A concurrent request with the same new token may have made it
            // the device's token already: then it is found as that.
            let promoted = self.write(|tx| {
                tx.prepare_cached(
                    "UPDATE hub_devices SET token_hash = next_token_hash, token_expires_at = next_token_expires_at,
                       next_token_hash = NULL, next_token_expires_at = NULL, next_token_staged_at = NULL
                     WHERE device_id = ?1 AND next_token_hash = ?2 AND revoked_at IS NULL",
                )?
                .execute(params![device.device_id, &token_hash[..]])?;
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {DEVICE_COLS} FROM hub_devices WHERE token_hash = ?1 AND revoked_at IS NULL"
                ))?;
                let mut rows = stmt.query([&token_hash[..]])?;
                rows.next()?.map(device_from_row).transpose()
            })?;
            let Some(d) = promoted else { return Ok(None) };
            device = d;
        }
        let now = Utc::now();
        let stale = device.seen_note_stale(now);
        if stale {
            let at = now.to_rfc3339();
            let n = self.write(|tx| {
                Ok(tx
                    .prepare_cached(
                        "UPDATE hub_devices SET last_seen_at = ?2 WHERE device_id = ?1 AND revoked_at IS NULL",
                    )?
                    .execute(params![device.device_id, at])?)
            })?;
            if n == 0 {
                return Ok(None);
            }
            device.last_seen_at = Some(at);
        }
        Ok(Some(device))
    }

    /// Stages a device's next token (during a sync, before the current one
    /// expires): both authenticate until the device first uses the new
    /// one. A staged token younger than `unless_staged_after` (RFC 3339 in
    /// UTC with milliseconds, `…T12:00:00.000Z`, as the staging time is kept) is
    /// kept and nothing is staged (`false`): concurrent requests of one
    /// device all keep a valid token. An older unused one is replaced, so a
    /// device whose answer was lost gets another later.
    pub fn stage_device_token(
        &self,
        device_id: &str,
        secrets: &TokenSecrets,
        unless_staged_after: &str,
    ) -> Result<bool> {
        self.write(|tx| {
            let d = device_in(tx, device_id)?;
            if d.revoked_at.is_some() || d.lost_at.is_some() {
                return Err(Error::Conflict { what: "device", reason: "revoked or reported lost".into() });
            }
            let n = tx
                .prepare_cached(
                    "UPDATE hub_devices SET next_token_hash = ?2, next_token_expires_at = ?3, next_token_staged_at = ?4
                     WHERE device_id = ?1 AND (next_token_hash IS NULL OR next_token_staged_at <= ?5)",
                )?
                .execute(params![
                    device_id,
                    &secrets.hash[..],
                    secrets.expires_at_text(),
                    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    unless_staged_after
                ])?;
            Ok(n > 0)
        })
    }

    /// A new token for a registered device (its old one expired or
    /// leaked): the same device id, so the store on the device keeps its
    /// data; the old and any staged token stop working, the approval-link
    /// key stays. Refused for a revoked or lost device.
    pub fn reissue_device_token(&self, device_id: &str, secrets: &TokenSecrets) -> Result<DeviceRecord> {
        self.write(|tx| {
            let d = device_in(tx, device_id)?;
            if d.revoked_at.is_some() || d.lost_at.is_some() {
                return Err(Error::Conflict { what: "device", reason: "revoked or reported lost".into() });
            }
            tx.prepare_cached(
                "UPDATE hub_devices SET token_hash = ?2, token_expires_at = ?3,
                   next_token_hash = NULL, next_token_expires_at = NULL, next_token_staged_at = NULL
                 WHERE device_id = ?1",
            )?
            .execute(params![device_id, &secrets.hash[..], secrets.expires_at_text()])?;
            device_in(tx, device_id)
        })
    }

    /// Reports a device lost: its next contact with the hub is answered
    /// with a wipe. Marking it again keeps the first time. Refused for a
    /// revoked device, which could not be told to wipe.
    pub fn mark_device_lost(&self, device_id: &str) -> Result<DeviceRecord> {
        self.write(|tx| {
            let d = device_in(tx, device_id)?;
            if d.revoked_at.is_some() {
                return Err(Error::Conflict {
                    what: "device",
                    reason: "revoked: its token no longer reaches the hub, so it cannot be told to wipe".into(),
                });
            }
            tx.prepare_cached("UPDATE hub_devices SET lost_at = coalesce(lost_at, ?2) WHERE device_id = ?1")?
                .execute(params![device_id, Utc::now().to_rfc3339()])?;
            device_in(tx, device_id)
        })
    }

    /// The device whose (revoked) token hash reported a wipe already, so a
    /// report whose answer was lost can be sent again and learn it landed.
    pub fn wiped_device(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {DEVICE_COLS} FROM hub_devices WHERE token_hash = ?1 AND wiped_at IS NOT NULL"
            ))?;
            let mut rows = stmt.query([&token_hash[..]])?;
            rows.next()?.map(device_from_row).transpose()
        })
    }

    /// Records a lost device's report that it wiped its data, once: its
    /// token is revoked with it, so a second report is not accepted.
    pub fn record_device_wiped(&self, device_id: &str) -> Result<DeviceRecord> {
        self.write(|tx| {
            let now = Utc::now().to_rfc3339();
            let n = tx
                .prepare_cached(
                    "UPDATE hub_devices SET wiped_at = ?2, revoked_at = ?2, next_token_hash = NULL
                     WHERE device_id = ?1 AND lost_at IS NOT NULL AND revoked_at IS NULL",
                )?
                .execute(params![device_id, now])?;
            if n == 0 {
                return Err(Error::Conflict { what: "device", reason: "not reported lost, or already wiped".into() });
            }
            device_in(tx, device_id)
        })
    }

    /// Revokes a device's token; its next request is refused. Refused for a
    /// device reported lost whose wipe is pending (revoking would keep the
    /// wipe from reaching it; its report revokes the token).
    pub fn revoke_device(&self, device_id: &str) -> Result<DeviceRecord> {
        self.write(|tx| {
            if let Ok(d) = device_in(tx, device_id)
                && d.lost_at.is_some()
                && d.revoked_at.is_none()
            {
                return Err(Error::Conflict {
                    what: "device",
                    reason: "reported lost, its wipe is pending: revoking would keep the wipe from reaching it".into(),
                });
            }
            let n = tx
                .prepare_cached("UPDATE hub_devices SET revoked_at = ?2 WHERE device_id = ?1 AND revoked_at IS NULL")?
                .execute(params![device_id, Utc::now().to_rfc3339()])?;
            let d = device_in(tx, device_id)?;
            if n == 0 && d.revoked_at.is_none() {
                return Err(Error::not_found("device", device_id));
            }
            Ok(d)
        })
    }

    /// A registered device with the key its approval links are signed with
    /// (`None` for devices registered before links existed), for checking
    /// a link it signed.
    pub fn device_link_key(&self, device_id: &str) -> Result<Option<(DeviceRecord, Option<LinkKey>)>> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {DEVICE_COLS}, link_key FROM hub_devices WHERE device_id = ?1"))?;
            let mut rows = stmt.query([device_id])?;
            let Some(r) = rows.next()? else { return Ok(None) };
            let key: Option<Vec<u8>> = r.get(AFTER_COLS)?;
            Ok(Some((device_from_row(r)?, key.as_deref().and_then(LinkKey::from_bytes))))
        })
    }

    /// Keeps this device's approval-link key, derived from the first token
    /// the hub issued it; from now on its quote PDFs carry signed links
    /// ([`Store::approval_link`]). The key is the device's for life (the
    /// hub keeps the same): a rotated or renewed token is refused here,
    /// since links signed with a key derived from it would not verify.
    pub fn set_approval_link_key(&self, token: &str) -> Result<()> {
        if token.trim().is_empty() {
            return Err(Error::validation("token", "must not be empty"));
        }
        let key = LinkKey::from_token(token);
        self.write(|tx| {
            let kept: Option<Vec<u8>> = tx.query_row("SELECT link_key FROM device WHERE id = 1", [], |r| r.get(0))?;
            match kept {
                Some(k) if k[..] == key.0[..] => Ok(()),
                Some(_) => Err(Error::Conflict {
                    what: "approval-link key",
                    reason: "the device has one, from its first token; a later token does not change it".into(),
                }),
                None => {
                    tx.execute("UPDATE device SET link_key = ?1 WHERE id = 1", [&key.0[..]])?;
                    Ok(())
                }
            }
        })
    }

    /// The signed approval link for a quote's current revision under the
    /// hub's public address `base_url`, valid through the quote's validity.
    /// Needs the link key ([`Store::set_approval_link_key`]).
    pub fn approval_link(&self, quote_id: &str, base_url: &str) -> Result<String> {
        let quote = self.quote(quote_id)?;
        match self.signed_link(&quote)? {
            Some(link) => Ok(link.url(base_url)),
            None => Err(Error::validation(
                "approval link",
                "this device has no link key yet: set it from the device's hub token first",
            )),
        }
    }

    pub(crate) fn signed_link(&self, quote: &Quote) -> Result<Option<ApprovalLink>> {
        let (device_id, key) = self.read(|c| {
            let (id, key): (String, Option<Vec<u8>>) =
                c.query_row("SELECT device_id, link_key FROM device WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok((id, key.as_deref().and_then(LinkKey::from_bytes)))
        })?;
        let Some(key) = key else { return Ok(None) };
        ApprovalLink::sign(quote, &device_id, &key)
            .map(Some)
            .map_err(|e| Error::validation("approval link", e.to_string()))
    }

    /// Every registered device, newest first.
    pub fn devices(&self) -> Result<Vec<DeviceRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {DEVICE_COLS} FROM hub_devices ORDER BY created_at DESC, device_id"
            ))?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(device_from_row(r)?);
            }
            Ok(out)
        })
    }

    /// The accounts assigned to a rep.
    pub fn assigned_accounts(&self, rep: &str) -> Result<BTreeSet<String>> {
        self.read(|c| assigned_in(c, rep))
    }

    /// The scope of a registered device, from its role and assignments.
    pub fn device_scope(&self, device: &DeviceRecord) -> Result<DeviceScope> {
        let assigned = match device.role {
            DeviceRole::Rep => self.assigned_accounts(&device.person)?,
            DeviceRole::Admin | DeviceRole::Customer => BTreeSet::new(),
        };
        Ok(DeviceScope::for_device(device, assigned))
    }

    /// Takes `remove` away from a rep and assigns `add`, in one
    /// transaction. Newly assigned accounts' documents get a new sequence
    /// number, so the rep's devices, whose cursors are past them, are
    /// offered them on their next sync. Returns the rep's accounts after.
    pub fn assign_accounts(&self, rep: &str, add: &[String], remove: &[String]) -> Result<BTreeSet<String>> {
        if rep.trim().is_empty() {
            return Err(Error::validation("rep", "must not be empty"));
        }
        self.write(|tx| {
            for a in remove {
                tx.prepare_cached("DELETE FROM hub_assignments WHERE rep = ?1 AND account_id = ?2")?
                    .execute(params![rep, a])?;
            }
            let mut added_now = Vec::new();
            for a in add {
                let added = tx
                    .prepare_cached("INSERT OR IGNORE INTO hub_assignments (rep, account_id) VALUES (?1, ?2)")?
                    .execute(params![rep, a])?;
                if added > 0 {
                    super::docs::touch_account(tx, a)?;
                    added_now.push(a.clone());
                }
            }
            super::catalog::republish_price_lists_in(tx, &added_now)?;
            // The new accounts' customers receive the rep's profile.
            if !added_now.is_empty() {
                super::catalog::republish_rep_profile_in(tx, rep)?;
            }
            assigned_in(tx, rep)
        })
    }

    /// Quotes for the back office, newest first: all, or those in `state`,
    /// or with `pending_discount` only those whose discount request waits
    /// for a decision.
    pub fn quote_listings(&self, state: Option<QuoteState>, pending_discount: bool) -> Result<Vec<QuoteListing>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT body FROM quotes WHERE ?1 IS NULL OR state = ?1 ORDER BY updated_at DESC, number",
            )?;
            let mut rows = stmt.query([state.map(QuoteState::as_str)])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let q: Quote = json("quote body", &r.get::<_, String>(0)?)?;
                let l = QuoteListing::of(&q)?;
                if !pending_discount || l.discount_pending() {
                    out.push(l);
                }
            }
            Ok(out)
        })
    }

    /// A page of the quotes `q` selects, newest first (`offset`, at most
    /// `limit`), and how many it selects in all: filtered and cut in SQL,
    /// only the page's bodies decoded.
    pub fn quote_page(
        &self,
        q: &crate::quote::QuoteQuery,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<QuoteListing>, usize)> {
        // Only the filters given, so the planner picks their index
        // (`?1 IS NULL OR …` would scan every quote, 0017_quote_lists.sql).
        let mut conds: Vec<&str> = Vec::new();
        let mut args: Vec<String> = Vec::new();
        let mut add = |cond: &'static str, v: Option<String>| {
            if let Some(v) = v {
                conds.push(cond);
                args.push(v);
            }
        };
        add("state = ?", q.state.map(|s| s.as_str().to_string()));
        add("rep = ?", q.rep.clone());
        add("account_id = ?", q.account_id.clone());
        add("valid_until >= ?", q.valid_from.map(|d| d.to_string()));
        add("valid_until <= ?", q.valid_to.map(|d| d.to_string()));
        let filter = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
        self.read(|c| {
            let total: i64 = c
                .prepare_cached(&format!("SELECT count(*) FROM quotes {filter}"))?
                .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
            // The page's rows first (sorting keys only), then their bodies.
            let mut paged: Vec<rusqlite::types::Value> = args.iter().map(|a| a.clone().into()).collect();
            paged.push((limit as i64).into());
            paged.push((offset as i64).into());
            let mut stmt = c.prepare_cached(&format!(
                "SELECT rowid FROM quotes {filter} ORDER BY updated_at DESC, number DESC LIMIT ? OFFSET ?"
            ))?;
            let ids: Vec<i64> = stmt
                .query_map(rusqlite::params_from_iter(paged.iter()), |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            let mut body = c.prepare_cached("SELECT body FROM quotes WHERE rowid = ?1")?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let quote: Quote = json("quote body", &body.query_row([id], |r| r.get::<_, String>(0))?)?;
                out.push(QuoteListing::of(&quote)?);
            }
            Ok((out, total as usize))
        })
    }

    /// Orders for the back office, newest first, optionally of one account.
    pub fn order_listings(&self, account_id: Option<&str>) -> Result<Vec<Order>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT body FROM orders WHERE ?1 IS NULL OR account_id = ?1 ORDER BY created_at DESC, id",
            )?;
            let mut rows = stmt.query([account_id])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(json("order body", &r.get::<_, String>(0)?)?);
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::token_hash;
    use crate::store::tests::temp_store;

    fn rep(person: &str) -> NewDevice {
        NewDevice { person: person.into(), role: DeviceRole::Rep, account_id: None, label: "tablet".into() }
    }

    #[test]
    fn a_registered_token_authenticates_until_revoked() {
        let (_dir, store) = temp_store();
        let d = store.register_device("dev-1", &rep("rep-anna"), &TokenSecrets::of("secret")).unwrap();
        assert_eq!(d.role, DeviceRole::Rep);
        assert!(store.authenticate_device(&token_hash("wrong")).unwrap().is_none());
        let seen = store.authenticate_device(&token_hash("secret")).unwrap().unwrap();
        assert_eq!(seen.device_id, "dev-1");
        assert!(seen.last_seen_at.is_some());
        store.revoke_device("dev-1").unwrap();
        assert!(store.authenticate_device(&token_hash("secret")).unwrap().is_none());
        assert!(matches!(store.revoke_device("nope"), Err(Error::NotFound { .. })));
        // The same token hash cannot be registered twice.
        assert!(store.register_device("dev-2", &rep("rep-bob"), &TokenSecrets::of("secret")).is_err());
    }

    /// Any staged token counts as old enough to replace.
    const ANY: &str = "9999-12-31T00:00:00Z";

    #[test]
    fn a_staged_token_works_alongside_the_old_one_until_first_used() {
        let (_dir, store) = temp_store();
        store.register_device("dev-1", &rep("rep-anna"), &TokenSecrets::of("old")).unwrap();
        let later = Utc::now() + chrono::Duration::days(120);
        assert!(store.stage_device_token("dev-1", &TokenSecrets::expiring("lost-in-transit", later), ANY).unwrap());
        // A concurrent request of the same device gets no other token while
        // the staged one is young: every answer leaves a valid token.
        let an_hour_ago =
            (Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        assert!(!store.stage_device_token("dev-1", &TokenSecrets::expiring("second", later), &an_hour_ago).unwrap());
        assert!(store.authenticate_device(&token_hash("second")).unwrap().is_none());
        // The answer carrying it was lost: the device still has the old
        // token, which works, and is handed another once the first is old.
        assert!(store.authenticate_device(&token_hash("old")).unwrap().is_some());
        assert!(store.stage_device_token("dev-1", &TokenSecrets::expiring("new", later), ANY).unwrap());
        assert!(store.authenticate_device(&token_hash("lost-in-transit")).unwrap().is_none(), "replaced");
        assert!(store.authenticate_device(&token_hash("old")).unwrap().is_some());
        let d = store.authenticate_device(&token_hash("new")).unwrap().unwrap();
        assert_eq!(d.token_expires_at, TokenSecrets::expiring("new", later).expires_at_text());
        assert!(store.authenticate_device(&token_hash("old")).unwrap().is_none(), "the old token ends with first use");
        assert!(store.authenticate_device(&token_hash("new")).unwrap().is_some(), "found as the device's token now");
        // The link key is the device's for life.
        let (_, key) = store.device_link_key("dev-1").unwrap().unwrap();
        assert_eq!(key.unwrap().0, LinkKey::from_token("old").0);
    }

    #[test]
    fn a_reissued_token_replaces_the_old_and_keeps_the_device() {
        let (_dir, store) = temp_store();
        let soon = Utc::now() - chrono::Duration::days(1);
        store.register_device("dev-1", &rep("rep-anna"), &TokenSecrets::expiring("expired", soon)).unwrap();
        let expired = store.authenticate_device(&token_hash("expired")).unwrap().unwrap();
        assert_eq!(expired.standing(Utc::now()), crate::devices::Standing::Expired);
        let later = Utc::now() + chrono::Duration::days(90);
        let d = store.reissue_device_token("dev-1", &TokenSecrets::expiring("fresh", later)).unwrap();
        assert_eq!(d.device_id, "dev-1");
        assert!(store.authenticate_device(&token_hash("expired")).unwrap().is_none());
        let now = store.authenticate_device(&token_hash("fresh")).unwrap().unwrap();
        assert_eq!(now.standing(Utc::now()), crate::devices::Standing::Active);
        let (_, key) = store.device_link_key("dev-1").unwrap().unwrap();
        assert_eq!(key.unwrap().0, LinkKey::from_token("expired").0, "links already sent keep working");
        store.revoke_device("dev-1").unwrap();
        assert!(store.reissue_device_token("dev-1", &TokenSecrets::of("x")).is_err(), "not for a revoked device");
        assert!(matches!(store.reissue_device_token("nope", &TokenSecrets::of("y")), Err(Error::NotFound { .. })));
    }

    #[test]
    fn a_lost_device_is_told_to_wipe_and_reports_back_once() {
        let (_dir, store) = temp_store();
        store.register_device("dev-1", &rep("rep-anna"), &TokenSecrets::of("t")).unwrap();
        assert!(matches!(store.record_device_wiped("dev-1"), Err(Error::Conflict { .. })), "not lost");
        let lost = store.mark_device_lost("dev-1").unwrap();
        let at = lost.lost_at.clone().unwrap();
        assert_eq!(store.mark_device_lost("dev-1").unwrap().lost_at.as_deref(), Some(at.as_str()));
        let seen = store.authenticate_device(&token_hash("t")).unwrap().unwrap();
        assert_eq!(seen.standing(Utc::now()), crate::devices::Standing::Lost);
        assert!(store.stage_device_token("dev-1", &TokenSecrets::of("n"), ANY).is_err(), "no new token for it");
        assert!(store.reissue_device_token("dev-1", &TokenSecrets::of("n")).is_err());
        assert!(matches!(store.revoke_device("dev-1"), Err(Error::Conflict { .. })), "the wipe must reach it");
        let wiped = store.record_device_wiped("dev-1").unwrap();
        assert!(wiped.wiped_at.is_some() && wiped.revoked_at.is_some());
        assert!(store.authenticate_device(&token_hash("t")).unwrap().is_none());
        assert!(store.record_device_wiped("dev-1").is_err(), "once");
        assert_eq!(store.wiped_device(&token_hash("t")).unwrap().map(|d| d.device_id).as_deref(), Some("dev-1"));
        assert!(store.wiped_device(&token_hash("other")).unwrap().is_none());
        assert!(matches!(store.mark_device_lost("nope"), Err(Error::NotFound { .. })));
        // A revoked device cannot be told to wipe: marking it lost is refused.
        store.register_device("dev-2", &rep("rep-bob"), &TokenSecrets::of("u")).unwrap();
        store.revoke_device("dev-2").unwrap();
        assert!(matches!(store.mark_device_lost("dev-2"), Err(Error::Conflict { .. })));
    }

    #[test]
    fn assigning_an_account_widens_the_scope_and_renumbers_its_documents() {
        let (_dir, store) = temp_store();
        let (acc, _) = crate::sample::accounts(1, 7).remove(0);
        store.save_account(&acc).unwrap();
        let before = store.documents().unwrap()[0].seq;
        let d = store.register_device("dev-1", &rep("rep-anna"), &TokenSecrets::of("t")).unwrap();
        assert_eq!(store.device_scope(&d).unwrap().accounts, Some(BTreeSet::new()));
        let now = store.assign_accounts("rep-anna", std::slice::from_ref(&acc.id), &[]).unwrap();
        assert!(now.contains(&acc.id));
        assert!(store.device_scope(&d).unwrap().allows(&acc.id));
        assert!(store.documents().unwrap()[0].seq > before, "the account's documents are offered again");
        let now = store.assign_accounts("rep-anna", &[], std::slice::from_ref(&acc.id)).unwrap();
        assert!(now.is_empty());
    }
}
