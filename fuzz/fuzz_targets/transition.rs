//! The transition rules (`onsite_core::transition::check`) on quotes that
//! the input mutates byte by byte (states, amounts, approvals, numbers,
//! text of any bytes, line counts), judged for every role: each pair gives
//! a verdict, never a panic, and what the rules accept keeps the
//! invariants (a quote sent is within the policy or granted; an approved
//! quote's approval is bound to its current revision).
//! Run: `cargo +nightly fuzz run transition -- -max_total_time=120`.
#![no_main]

use chrono::{NaiveDate, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use onsite_core::crdt::{DiscountRecord, DocId, Record};
use onsite_core::fixtures;
use onsite_core::money::Currency;
use onsite_core::quote::{
    Approval, ApprovalStatus, DiscountPolicy, DiscountRequest, Quote, QuoteLine, QuoteState, SignerAuth,
};
use onsite_core::sync::DeviceRole;
use onsite_core::transition::{self, Actor, Facts};
use rust_decimal::Decimal;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).single().unwrap_or_default()
}

struct F {
    policy: DiscountPolicy,
    grant: Option<DiscountRequest>,
}

impl Facts for F {
    fn policy(&mut self) -> onsite_core::Result<DiscountPolicy> {
        Ok(self.policy.clone())
    }
    fn cost(&mut self, sku: &str) -> onsite_core::Result<Option<Decimal>> {
        Ok((sku == "A").then(|| Decimal::new(500, 2)))
    }
    fn current_price(
        &mut self,
        _: &str,
        l: &QuoteLine,
        _: NaiveDate,
        _: Currency,
    ) -> onsite_core::Result<Option<Decimal>> {
        Ok((l.sku == "A").then(|| Decimal::new(1000, 2)))
    }
    fn record(&mut self, id: &DocId) -> onsite_core::Result<Option<Record>> {
        Ok(self.grant.clone().filter(|_| id.kind() == onsite_core::crdt::DocKind::Discount).map(|request| {
            Record::Discount(Box::new(DiscountRecord { quote_id: id.key().into(), account_id: "acc-1".into(), request }))
        }))
    }
    fn number_holder(&mut self, number: &str) -> onsite_core::Result<Option<String>> {
        Ok((number == "Q-TAKEN").then(|| "someone-else".into()))
    }
    fn order_of_quote(&mut self, _: &str) -> onsite_core::Result<Option<String>> {
        Ok(None)
    }
    fn now(&mut self) -> chrono::DateTime<Utc> {
        now()
    }
}

fn text(it: &mut impl Iterator<Item = u8>) -> String {
    let n = it.next().unwrap_or(0) as usize % 24;
    let bytes: Vec<u8> = it.take(n).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn mutate(q: &mut Quote, it: &mut impl Iterator<Item = u8>, steps: usize) {
    for _ in 0..steps {
        let Some(op) = it.next() else { return };
        let v = it.next().unwrap_or(0);
        match op % 14 {
            0 => q.state = QuoteState::ALL[v as usize % QuoteState::ALL.len()],
            1 => {
                if let Some(l) = q.lines.first_mut() {
                    l.discount_pct = Decimal::from(v % 101);
                }
            }
            2 => {
                if let Some(l) = q.lines.first_mut() {
                    l.unit_price = Decimal::new(i64::from(v) * 17, 2);
                }
            }
            3 => {
                if let Some(l) = q.lines.first_mut() {
                    l.qty = Decimal::from(u32::from(v) * 1000 + 1);
                }
            }
            4 => q.header_discount_pct = Decimal::from(v % 101),
            5 => {
                let hash = if v % 2 == 0 { q.revision_hash.clone() } else { format!("{v:064x}") };
                q.approval = Some(Approval {
                    quote_id: q.id.clone(),
                    revision_hash: hash,
                    signer_name: text(it),
                    signer_role: "Einkauf".into(),
                    auth: if v % 3 == 0 { SignerAuth::RepDeviceOnSite } else { SignerAuth::CustomerDevice },
                    device_time: now(),
                    device_id: if v % 5 == 0 { "tablet-1".into() } else { "phone-1".into() },
                    client_address: None,
                });
            }
            6 => q.approval = None,
            7 => q.revision = q.revision.saturating_add(u32::from(v % 3)),
            8 => q.number = if v % 2 == 0 { "Q-TAKEN".into() } else { format!("Q-{}", text(it)) },
            9 => q.notes = text(it),
            10 => {
                if v % 2 == 0 {
                    if let Some(l) = q.lines.first().cloned() {
                        q.lines.push(l);
                    }
                } else {
                    q.lines.pop();
                }
            }
            11 => q.sent_hash = (v % 2 == 0).then(|| q.revision_hash.clone()),
            12 => q.rep = text(it),
            _ => q.revision_hash = q.compute_hash(),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut it = data.iter().copied();
    let role = match it.next().unwrap_or(0) % 4 {
        0 => None,
        1 => Some(DeviceRole::Admin),
        2 => Some(DeviceRole::Rep),
        _ => Some(DeviceRole::Customer),
    };
    let actor = Actor { role, person: "rep-anna", device_id: "phone-1" };
    // A draft by Anna valid past the rules' clock, 100 × A at 10 € (the cost above is 5 €).
    let mut base = fixtures::quote("q-1", vec![fixtures::line("A", Decimal::from(100), Decimal::new(1000, 2))]);
    let _ = base.edit(|q| {
        q.rep = "rep-anna".into();
        q.valid_until = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default();
    });
    let grant = it.next().unwrap_or(0);
    let mut facts = F {
        policy: DiscountPolicy { min_margin_pct: Decimal::from(grant % 20), ..DiscountPolicy::default() },
        grant: (grant % 3 == 0).then(|| DiscountRequest {
            requested_by: "rep-anna".into(),
            requested_pct: Decimal::from(grant % 60),
            reason: "x".into(),
            requested_at: now(),
            decided_by: Some("backoffice".into()),
            approved: Some(grant % 2 == 0),
            decided_at: Some(now()),
            decision_reason: None,
        }),
    };
    let mut before = base.clone();
    mutate(&mut before, &mut it, 6);
    let mut after = before.clone();
    mutate(&mut after, &mut it, 12);
    let id = DocId::quote("q-1");
    let (b, a) = (Record::Quote(Box::new(before.clone())), Record::Quote(Box::new(after.clone())));
    let verdict = transition::check(&actor, &id, Some(&b), Some(&a), &mut facts).expect("facts do not fail here");
    if verdict.is_some() || before == after {
        return;
    }
    // Accepted: the invariants hold.
    assert!(after.validate().is_ok(), "an accepted record is valid");
    let content_changed = before.revision_hash != after.revision_hash;
    if after.state == QuoteState::Sent && (before.state != QuoteState::Sent || content_changed) {
        let cost = |s: &str| (s == "A").then(|| Decimal::new(500, 2));
        let reference = |l: &QuoteLine| (role.is_some() && l.sku == "A").then(|| Decimal::new(1000, 2));
        let c = facts.policy.check_against(&after, &cost, &reference);
        assert!(c.below_floor.is_empty(), "sent below the floor");
        if c.needs_approval {
            let ok = facts.grant.as_ref().is_some_and(|g| g.approved == Some(true) && g.requested_pct >= c.max_effective_pct);
            assert!(ok, "sent over the limit without a grant");
        }
    }
    if after.state == QuoteState::Approved && before.state != QuoteState::Approved {
        assert_eq!(after.approval_status(), ApprovalStatus::Approved, "approved without a bound approval");
        if role.is_some() {
            assert_eq!(role, Some(DeviceRole::Customer), "approved by the customer side only");
        }
    }
});
