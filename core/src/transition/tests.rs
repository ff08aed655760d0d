//! The transition table, rule by rule, on plain records with facts held in
//! memory; and a property test over random edits by random roles.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::account::Contact;
use crate::crdt::{AccountRecord, ActivitiesRecord, DiscountRecord};
use crate::fixtures;
use crate::quote::{Approval, DiscountRequest, Order, Quote, QuoteLine, QuoteState};
use crate::roles::DeviceRole;

/// Facts held in memory: a policy, costs, one price per SKU, documents.
#[derive(Default, Clone)]
pub(crate) struct MemFacts {
    pub(crate) policy: DiscountPolicy,
    pub(crate) costs: HashMap<String, Decimal>,
    pub(crate) prices: HashMap<String, Decimal>,
    pub(crate) records: HashMap<DocId, Record>,
}

impl Facts for MemFacts {
    fn policy(&mut self) -> Result<DiscountPolicy> {
        Ok(self.policy.clone())
    }
    fn cost(&mut self, sku: &str) -> Result<Option<Decimal>> {
        Ok(self.costs.get(sku).copied())
    }
    fn current_price(&mut self, _: &str, l: &QuoteLine, _: NaiveDate, _: Currency) -> Result<Option<Decimal>> {
        Ok(self.prices.get(&l.sku).copied())
    }
    fn record(&mut self, id: &DocId) -> Result<Option<Record>> {
        Ok(self.records.get(id).cloned())
    }
    fn number_holder(&mut self, number: &str) -> Result<Option<String>> {
        Ok(self.records.values().find_map(|r| match r {
            Record::Quote(q) if q.number == number => Some(q.id.clone()),
            _ => None,
        }))
    }
    fn order_of_quote(&mut self, quote_id: &str) -> Result<Option<String>> {
        Ok(self.records.values().find_map(|r| match r {
            Record::Order(o) if o.quote_id.as_deref() == Some(quote_id) => Some(o.id.clone()),
            _ => None,
        }))
    }
    fn now(&mut self) -> Timestamp {
        now()
    }
}

pub(crate) fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).single().unwrap_or_default()
}

/// The account of [`draft`].
pub(crate) const ACCOUNT: &str = fixtures::ACCOUNT_ID;
pub(crate) const REP: Actor<'static> = Actor { role: Some(DeviceRole::Rep), person: "rep-anna", device_id: "tablet-1" };
pub(crate) const BOSS: Actor<'static> =
    Actor { role: Some(DeviceRole::Admin), person: "backoffice", device_id: "office-1" };
pub(crate) const EVA: Actor<'static> = Actor { role: Some(DeviceRole::Customer), person: "eva", device_id: "phone-1" };

/// 100 pieces of `sku` at `price` cents with `discount` %.
pub(crate) fn line(sku: &str, price: i64, discount: i64) -> QuoteLine {
    QuoteLine {
        discount_pct: Decimal::new(discount, 0),
        ..fixtures::line(sku, Decimal::new(100, 0), Decimal::new(price, 2))
    }
}

/// A draft by Anna, valid past the rules' clock ([`now`]).
pub(crate) fn draft(id: &str) -> Quote {
    let mut q = fixtures::quote(id, vec![line("A", 1000, 0)]);
    let _ = q.edit(|q| {
        q.rep = "rep-anna".into();
        q.valid_until = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default();
    });
    q
}

pub(crate) fn facts() -> MemFacts {
    let mut f = MemFacts::default();
    f.prices.insert("A".into(), Decimal::new(1000, 2));
    f.costs.insert("A".into(), Decimal::new(500, 2));
    f
}

fn quote_id(q: &Quote) -> DocId {
    DocId::quote(&q.id)
}

fn judge_quote(actor: &Actor<'_>, before: Option<&Quote>, after: &Quote, f: &mut MemFacts) -> Option<RefusalCode> {
    let b = before.map(|q| Record::Quote(Box::new(q.clone())));
    let a = Record::Quote(Box::new(after.clone()));
    check(actor, &quote_id(after), b.as_ref(), Some(&a), f).ok().flatten().map(|r| r.code)
}

/// `q` as sent (whether or not the policy would let it be: the rules judge).
fn sent(q: &Quote) -> Quote {
    let mut s = q.clone();
    s.state = QuoteState::Sent;
    s.sent_hash = Some(s.revision_hash.clone());
    s
}

fn approval(q: &Quote, device: &str) -> Approval {
    fixtures::approval(q, "Eva Weiß", device, now())
}

#[test]
fn a_rep_sends_within_the_policy_and_not_beyond_it() {
    let mut f = facts();
    let q = draft("q-1");
    assert_eq!(judge_quote(&REP, None, &q, &mut f), None, "a new draft");
    assert_eq!(judge_quote(&REP, Some(&q), &sent(&q), &mut f), None, "sent within the limit");

    // Straight to sent with 90 %: refused by the policy in force.
    let mut greedy = q.clone();
    greedy.lines[0].discount_pct = Decimal::new(90, 0);
    greedy.revision_hash = greedy.compute_hash();
    greedy.state = QuoteState::Sent;
    greedy.sent_hash = Some(greedy.revision_hash.clone());
    f.costs.clear();
    assert_eq!(judge_quote(&REP, Some(&q), &greedy, &mut f), Some(RefusalCode::DiscountApprovalRequired));
    assert_eq!(judge_quote(&REP, None, &greedy, &mut f), Some(RefusalCode::DiscountApprovalRequired), "new, too");
    // Below the margin floor, even with a grant.
    f.costs.insert("A".into(), Decimal::new(500, 2));
    f.policy.min_margin_pct = Decimal::new(10, 0);
    let grant = DiscountRequest {
        requested_by: "rep-anna".into(),
        requested_pct: Decimal::new(90, 0),
        reason: "Wettbewerb".into(),
        requested_at: now(),
        decided_by: Some("backoffice".into()),
        approved: Some(true),
        decided_at: Some(now()),
        decision_reason: None,
    };
    let d = DiscountRecord { quote_id: q.id.clone(), account_id: ACCOUNT.into(), request: grant };
    f.records.insert(DocId::discount(&q.id), Record::Discount(Box::new(d)));
    assert_eq!(judge_quote(&REP, Some(&q), &greedy, &mut f), Some(RefusalCode::BelowMarginFloor));
    // A lowered unit price counts as discount against the prices in force.
    f.records.clear();
    f.costs.clear();
    f.policy.min_margin_pct = Decimal::ZERO;
    let mut cheap = q.clone();
    cheap.lines[0].unit_price = Decimal::new(100, 2);
    cheap.revision_hash = cheap.compute_hash();
    let cheap_sent = sent(&cheap);
    assert_eq!(judge_quote(&REP, Some(&q), &cheap_sent, &mut f), Some(RefusalCode::DiscountApprovalRequired));
    // The device's own write judges prices by the day it was given (the hub by its clock).
    assert_eq!(judge_quote(&Actor::LOCAL, Some(&q), &cheap_sent, &mut f), None);

    // A quote of only options nobody chose is not sent (it would order nothing).
    let mut options = q.clone();
    options.lines.iter_mut().for_each(|l| l.position = crate::quote::Position::Optional);
    options.revision_hash = options.compute_hash();
    assert_eq!(judge_quote(&REP, Some(&q), &sent(&options), &mut f), Some(RefusalCode::InvalidRecord));
    options.lines[0].chosen = true;
    options.revision_hash = options.compute_hash();
    assert_eq!(judge_quote(&REP, Some(&q), &sent(&options), &mut f), None, "one chosen counts");
}

#[test]
fn a_granted_discount_covers_exactly_what_was_granted() {
    let mut f = facts();
    let mut q = draft("q-2");
    q.lines[0].discount_pct = Decimal::new(12, 0);
    q.revision_hash = q.compute_hash();
    let grant = |pct: i64, by: &str| DiscountRequest {
        requested_by: "rep-anna".into(),
        requested_pct: Decimal::new(pct, 0),
        reason: "Rahmenvertrag".into(),
        requested_at: now(),
        decided_by: Some(by.into()),
        approved: Some(true),
        decided_at: Some(now()),
        decision_reason: None,
    };
    let put = |f: &mut MemFacts, r: DiscountRequest| {
        let d = DiscountRecord { quote_id: "q-2".into(), account_id: ACCOUNT.into(), request: r };
        f.records.insert(DocId::discount("q-2"), Record::Discount(Box::new(d)));
    };
    put(&mut f, grant(12, "backoffice"));
    assert_eq!(judge_quote(&REP, Some(&q), &sent(&q), &mut f), None, "12 % granted");
    // The approved 12 % raised to 45 % (still above cost): refused.
    let mut raised = q.clone();
    raised.lines[0].discount_pct = Decimal::new(45, 0);
    raised.revision_hash = raised.compute_hash();
    assert_eq!(judge_quote(&REP, Some(&q), &sent(&raised), &mut f), Some(RefusalCode::DiscountApprovalRequired));
}

#[test]
fn discount_decisions_are_the_back_offices_by_another_person_and_final() {
    let asked = DiscountRecord {
        quote_id: "q-3".into(),
        account_id: ACCOUNT.into(),
        request: DiscountRequest {
            requested_by: "rep-anna".into(),
            requested_pct: Decimal::new(20, 0),
            reason: "intern: Wettbewerber bietet 18 %".into(),
            requested_at: now(),
            decided_by: None,
            approved: None,
            decided_at: None,
            decision_reason: None,
        },
    };
    let judge = |actor: &Actor<'_>, b: Option<&DiscountRecord>, a: &DiscountRecord| {
        let b = b.map(|d| Record::Discount(Box::new(d.clone())));
        let a = Record::Discount(Box::new(a.clone()));
        let mut f = facts();
        f.records.insert(DocId::quote("q-3"), Record::Quote(Box::new(draft("q-3"))));
        check(actor, &DocId::discount("q-3"), b.as_ref(), Some(&a), &mut f).ok().flatten().map(|r| r.code)
    };
    let mut planted = asked.clone();
    planted.account_id = "acc-other".into();
    assert_eq!(judge(&REP, None, &planted), Some(RefusalCode::Immutable), "a request for another account's quote");
    assert_eq!(judge(&REP, None, &asked), None);
    let mut as_other = asked.clone();
    as_other.request.requested_by = "rep-ben".into();
    assert_eq!(judge(&REP, None, &as_other), Some(RefusalCode::IdentityMismatch));
    assert_eq!(judge(&EVA, None, &asked), Some(RefusalCode::NotPermitted), "customers never see requests");
    let decided = |by: &str| {
        let mut d = asked.clone();
        d.request.decided_by = Some(by.into());
        d.request.approved = Some(true);
        d.request.decided_at = Some(now());
        d
    };
    assert_eq!(judge(&REP, Some(&asked), &decided("backoffice")), Some(RefusalCode::NotPermitted));
    assert_eq!(judge(&BOSS, Some(&asked), &decided("backoffice")), None);
    assert_eq!(judge(&BOSS, Some(&asked), &decided("someone-else")), Some(RefusalCode::IdentityMismatch));
    let self_approval = Actor { person: "rep-anna", ..BOSS };
    assert_eq!(judge(&self_approval, Some(&asked), &decided("rep-anna")), Some(RefusalCode::NotPermitted));
    let mut overturned = decided("backoffice");
    overturned.request.approved = Some(false);
    assert_eq!(judge(&BOSS, Some(&decided("backoffice")), &overturned), Some(RefusalCode::Immutable));
}

#[test]
fn the_state_machine_and_what_stays_immutable() {
    let mut f = facts();
    let q = sent(&draft("q-4"));
    // An edit of a sent quote is a new revision, back to draft.
    let mut r2 = q.clone();
    assert!(r2.edit(|q| q.lines[0].qty = Decimal::new(200, 0)).is_ok());
    assert_eq!(judge_quote(&REP, Some(&q), &r2, &mut f), None);
    // The same edit without a new revision: refused.
    let mut sneaky = q.clone();
    sneaky.lines[0].qty = Decimal::new(5000, 0);
    sneaky.revision_hash = sneaky.compute_hash();
    sneaky.sent_hash = Some(sneaky.revision_hash.clone());
    assert_eq!(judge_quote(&REP, Some(&q), &sneaky, &mut f), Some(RefusalCode::Immutable));
    // An ordered quote's lines never change; nor does its state go back.
    let mut ordered = q.clone();
    ordered.approval = Some(approval(&q, "phone-1"));
    ordered.state = QuoteState::Ordered;
    let mut relined = ordered.clone();
    relined.lines[0].qty = Decimal::new(1, 0);
    relined.revision_hash = relined.compute_hash();
    relined.revision += 1;
    assert_eq!(judge_quote(&REP, Some(&ordered), &relined, &mut f), Some(RefusalCode::Immutable));
    let mut reopened = ordered.clone();
    reopened.state = QuoteState::Sent;
    assert_eq!(judge_quote(&REP, Some(&ordered), &reopened, &mut f), Some(RefusalCode::IllegalTransition));
    // Identity fields never change.
    let mut renumbered = q.clone();
    renumbered.number = "Q-AAAA-BBBB-CCCC".into();
    assert_eq!(judge_quote(&REP, Some(&q), &renumbered, &mut f), Some(RefusalCode::Immutable));
    let mut reowned = q.clone();
    reowned.rep = "rep-ben".into();
    assert_eq!(judge_quote(&REP, Some(&q), &reowned, &mut f), Some(RefusalCode::Immutable));
    // A rep creates quotes only under their own name.
    let mut foreign = draft("q-5");
    foreign.rep = "rep-ben".into();
    assert_eq!(judge_quote(&REP, None, &foreign, &mut f), Some(RefusalCode::IdentityMismatch));
    // Waiting for a decision needs a request; leaving it needs the decision.
    let mut waiting = draft("q-6");
    waiting.state = QuoteState::NeedsDiscountApproval;
    assert_eq!(judge_quote(&REP, None, &waiting, &mut f), Some(RefusalCode::IllegalTransition));
}

#[test]
fn approvals_come_from_the_customer_side_for_the_current_revision_once() {
    let mut f = facts();
    let q = sent(&draft("q-7"));
    let mut ok = q.clone();
    ok.approval = Some(approval(&q, "phone-1"));
    ok.state = QuoteState::Approved;
    assert_eq!(judge_quote(&EVA, Some(&q), &ok, &mut f), None);
    // By the rep's tablet or the back office: refused (issue 23 brings signatures).
    assert_eq!(judge_quote(&REP, Some(&q), &ok, &mut f), Some(RefusalCode::IllegalTransition));
    // Naming another device, or the web link, or with an address.
    let mut other = ok.clone();
    other.approval = Some(approval(&q, "phone-2"));
    assert_eq!(judge_quote(&EVA, Some(&q), &other, &mut f), Some(RefusalCode::ApprovalInvalid));
    // Bound to no revision.
    let mut unbound = ok.clone();
    if let Some(a) = unbound.approval.as_mut() {
        a.revision_hash = "0".repeat(64);
    }
    assert_eq!(judge_quote(&EVA, Some(&q), &unbound, &mut f), Some(RefusalCode::ApprovalInvalid));
    // Rewritten afterwards (signer, time, address): refused.
    let mut rewritten = ok.clone();
    if let Some(a) = rewritten.approval.as_mut() {
        a.signer_name = "Jemand Anderes".into();
    }
    assert_eq!(judge_quote(&EVA, Some(&ok), &rewritten, &mut f), Some(RefusalCode::ApprovalInvalid));
    let mut removed = ok.clone();
    removed.approval = None;
    removed.state = QuoteState::Sent;
    assert!(judge_quote(&EVA, Some(&ok), &removed, &mut f).is_some());
    // A customer changes nothing else: not the price, not an approved quote's state.
    let mut cheaper = q.clone();
    cheaper.lines[0].unit_price = Decimal::new(1, 2);
    cheaper.revision_hash = cheaper.compute_hash();
    assert_eq!(judge_quote(&EVA, Some(&q), &cheaper, &mut f), Some(RefusalCode::NotPermitted));
    assert_eq!(judge_quote(&EVA, None, &draft("q-8"), &mut f), Some(RefusalCode::NotPermitted));
}

#[test]
fn records_are_never_emptied_and_always_valid() {
    let q = draft("q-9");
    let b = Record::Quote(Box::new(q.clone()));
    for actor in [REP, BOSS, EVA, Actor::LOCAL] {
        let r = check(&actor, &quote_id(&q), Some(&b), None, &mut facts()).ok().flatten();
        assert_eq!(r.map(|r| r.code), Some(RefusalCode::DeletionForbidden), "{actor:?}");
    }
    let mut nul = q.clone();
    nul.notes = "a\u{0}b".into();
    assert_eq!(judge_quote(&BOSS, Some(&q), &nul, &mut facts()), Some(RefusalCode::InvalidRecord));
    // An unchanged record is accepted even if it breaks a later rule.
    let legacy = Record::Quote(Box::new(nul.clone()));
    assert_eq!(check(&REP, &quote_id(&q), Some(&legacy), Some(&legacy), &mut facts()).ok().flatten(), None);
}

fn account() -> AccountRecord {
    let (account, contacts) = crate::sample::accounts(1, 5).remove(0);
    AccountRecord { account, contacts, deleted: false }
}

#[test]
fn accounts_and_activities_by_role() {
    let a = account();
    let id = DocId::account(&a.account.id);
    let judge = |actor: &Actor<'_>, b: &AccountRecord, after: &AccountRecord| {
        let (b, after) = (Record::Account(Box::new(b.clone())), Record::Account(Box::new(after.clone())));
        check(actor, &id, Some(&b), Some(&after), &mut facts()).ok().flatten().map(|r| r.code)
    };
    let mut renamed = a.clone();
    renamed.account.name = "Neu GmbH".into();
    assert_eq!(judge(&REP, &a, &renamed), None);
    assert_eq!(judge(&EVA, &a, &renamed), Some(RefusalCode::NotPermitted));
    let mut regrouped = a.clone();
    regrouped.account.customer_group = Some("A-PLUS".into());
    assert_eq!(judge(&REP, &a, &regrouped), Some(RefusalCode::NotPermitted));
    assert_eq!(judge(&BOSS, &a, &regrouped), None);
    // Only the back office records a VAT ID's confirmation, also on a new account.
    let mut confirmed = a.clone();
    confirmed.account.vat_confirmation = Some(crate::account::VatConfirmation {
        vat_id: a.account.vat_id.clone().unwrap_or_else(|| "DE136695976".into()),
        confirmed_on: now().date_naive(),
        reference: "WAPIAAAAZ1Vy3GQd".into(),
    });
    assert_eq!(judge(&REP, &a, &confirmed), Some(RefusalCode::NotPermitted));
    assert_eq!(judge(&BOSS, &a, &confirmed), None);
    assert_eq!(judge(&REP, &confirmed, &a), Some(RefusalCode::NotPermitted), "nor removes it");
    let mut wrong = confirmed.clone();
    wrong.account.vat_confirmation.as_mut().unwrap().vat_id = "DE136695977".into();
    assert_eq!(judge(&BOSS, &a, &wrong), Some(RefusalCode::InvalidRecord), "a wrong check digit");
    let created = Record::Account(Box::new(confirmed.clone()));
    let verdict = check(&REP, &id, None, Some(&created), &mut facts()).ok().flatten().map(|r| r.code);
    assert_eq!(verdict, Some(RefusalCode::NotPermitted), "a new account brings none");
    let mut deleted = a.clone();
    deleted.deleted = true;
    assert_eq!(judge(&REP, &a, &deleted), Some(RefusalCode::DeletionForbidden));
    let mut fewer = a.clone();
    fewer.contacts.pop();
    assert_eq!(judge(&REP, &a, &fewer), Some(RefusalCode::DeletionForbidden));
    let mut huge = a.clone();
    huge.account.name = "x".repeat(1 << 20);
    assert_eq!(judge(&BOSS, &a, &huge), Some(RefusalCode::InvalidRecord));

    let activity = |by: &str, n: u32| crate::activity::Activity {
        id: format!("act-{n}"),
        account_id: a.account.id.clone(),
        contact_id: None,
        kind: crate::activity::ActivityKind::Visit,
        at: now(),
        by: by.into(),
        subject: "Besuch".into(),
        notes: String::new(),
    };
    let month = |items: Vec<crate::activity::Activity>| ActivitiesRecord {
        account_id: a.account.id.clone(),
        period: "2026-11".into(),
        activities: items,
    };
    let aid = DocId::activities(&a.account.id, "2026-11");
    let judge_a = |actor: &Actor<'_>, b: &ActivitiesRecord, after: &ActivitiesRecord| {
        let (b, after) = (Record::Activities(b.clone()), Record::Activities(after.clone()));
        check(actor, &aid, Some(&b), Some(&after), &mut facts()).ok().flatten().map(|r| r.code)
    };
    let ben = month(vec![activity("rep-ben", 1)]);
    assert_eq!(judge_a(&REP, &ben, &month(vec![activity("rep-ben", 1), activity("rep-anna", 2)])), None);
    assert_eq!(
        judge_a(&REP, &ben, &month(vec![activity("rep-ben", 1), activity("rep-ben", 2)])),
        Some(RefusalCode::IdentityMismatch)
    );
    assert_eq!(judge_a(&REP, &ben, &month(vec![])), Some(RefusalCode::DeletionForbidden));
    assert_eq!(
        judge_a(&EVA, &ben, &month(vec![activity("rep-ben", 1), activity("eva", 3)])),
        Some(RefusalCode::NotPermitted)
    );
}

#[test]
fn person_documents_reps_edit_but_never_remove_move_or_customers_touch() {
    let contact = fixtures::contact("c-1", ACCOUNT);
    let person = |deleted: bool, activities: Vec<crate::activity::Activity>| {
        Record::Person(Box::new(crate::crdt::PersonRecord { contact: contact.clone(), activities, deleted }))
    };
    let id = DocId::person("c-1");
    let judge = |actor: &Actor<'_>, b: Option<&Record>, after: &Record| {
        check(actor, &id, b, Some(after), &mut facts()).ok().flatten().map(|r| r.code)
    };
    let visit = |by: &str| crate::activity::Activity {
        id: "act-1".into(),
        account_id: ACCOUNT.into(),
        contact_id: Some("c-1".into()),
        kind: crate::activity::ActivityKind::Call,
        at: now(),
        by: by.into(),
        subject: "Anruf".into(),
        notes: String::new(),
    };
    let before = person(false, vec![]);
    assert_eq!(judge(&REP, None, &before), None, "a rep adds a contact");
    assert_eq!(judge(&REP, Some(&before), &person(false, vec![visit("rep-anna")])), None);
    assert_eq!(judge(&REP, Some(&before), &person(false, vec![visit("rep-ben")])), Some(RefusalCode::IdentityMismatch));
    assert_eq!(judge(&REP, Some(&before), &person(true, vec![])), Some(RefusalCode::DeletionForbidden));
    assert_eq!(judge(&REP, None, &person(true, vec![])), Some(RefusalCode::DeletionForbidden));
    assert_eq!(judge(&BOSS, Some(&before), &person(true, vec![])), None, "the back office removes contacts");
    assert_eq!(judge(&EVA, None, &before), Some(RefusalCode::NotPermitted));
    let moved = Record::Person(Box::new(crate::crdt::PersonRecord {
        contact: Contact { account_id: "elsewhere".into(), ..contact.clone() },
        activities: vec![],
        deleted: false,
    }));
    assert_eq!(judge(&BOSS, Some(&before), &moved), Some(RefusalCode::Immutable));
    let mut bad = contact.clone();
    bad.email = Some("not an e-mail".into());
    let bad = Record::Person(Box::new(crate::crdt::PersonRecord { contact: bad, activities: vec![], deleted: false }));
    assert_eq!(judge(&BOSS, Some(&before), &bad), Some(RefusalCode::InvalidRecord));
}

fn ordered_quote() -> Quote {
    let mut q = sent(&draft("q-10"));
    q.approval = Some(approval(&q, "phone-1"));
    q.state = QuoteState::Ordered;
    q
}

fn order_of(q: &Quote, id: &str) -> Order {
    let mut o = Order {
        id: id.into(),
        account_id: q.account_id.clone(),
        quote_id: Some(q.id.clone()),
        reorder_of: None,
        currency: q.currency,
        lines: q.lines.clone(),
        header_discount_pct: q.header_discount_pct,
        gross_total: Decimal::ZERO,
        created_at: now(),
    };
    let _ = o.settle();
    o
}

#[test]
fn orders_need_an_approved_quote_or_an_existing_order_at_current_prices() {
    let mut f = facts();
    let q = ordered_quote();
    f.records.insert(DocId::quote(&q.id), Record::Quote(Box::new(q.clone())));
    let judge = |actor: &Actor<'_>, o: &Order, f: &mut MemFacts| {
        check(actor, &DocId::order(&o.id), None, Some(&Record::Order(Box::new(o.clone()))), f)
            .ok()
            .flatten()
            .map(|r| r.code)
    };
    let order = order_of(&q, "o-1");
    assert_eq!(judge(&REP, &order, &mut f), None);
    // The quote's own change to Ordered may reach the hub a frame after the
    // order: an approved quote backs it too, a sent one does not.
    let mut approved = q.clone();
    approved.state = QuoteState::Approved;
    f.records.insert(DocId::quote(&q.id), Record::Quote(Box::new(approved.clone())));
    assert_eq!(judge(&REP, &order, &mut f), None);
    let mut sent = approved;
    sent.state = QuoteState::Sent;
    sent.approval = None;
    f.records.insert(DocId::quote(&q.id), Record::Quote(Box::new(sent)));
    assert_eq!(judge(&REP, &order, &mut f), Some(RefusalCode::OrderUnbacked));
    f.records.insert(DocId::quote(&q.id), Record::Quote(Box::new(q.clone())));
    assert_eq!(judge(&EVA, &order, &mut f), Some(RefusalCode::NotPermitted));
    let mut other_lines = order.clone();
    other_lines.lines[0].qty = Decimal::new(4_000_000, 0);
    assert_eq!(judge(&REP, &other_lines, &mut f), Some(RefusalCode::OrderUnbacked));
    f.records.insert(DocId::order("o-1"), Record::Order(Box::new(order.clone())));
    assert_eq!(judge(&REP, &order_of(&q, "o-2"), &mut f), Some(RefusalCode::OrderUnbacked), "ordered twice");

    // A reorder of an order that does not exist, at prices of its own.
    let mut fake = order.clone();
    fake.id = "o-3".into();
    fake.quote_id = None;
    fake.reorder_of = Some("o-nope".into());
    fake.lines[0].qty = Decimal::new(4_000_000, 0);
    fake.lines[0].unit_price = Decimal::new(1, 2);
    assert_eq!(judge(&EVA, &fake, &mut f), Some(RefusalCode::OrderUnbacked));
    fake.reorder_of = Some("o-1".into());
    assert_eq!(judge(&EVA, &fake, &mut f), Some(RefusalCode::PriceMismatch));
    fake.lines[0].unit_price = Decimal::new(1000, 2);
    assert_eq!(judge(&EVA, &fake, &mut f), None, "at the price in force");
    let mut optional = fake.clone();
    optional.lines[0].position = crate::quote::Position::Optional;
    assert_eq!(judge(&EVA, &optional, &mut f), Some(RefusalCode::InvalidRecord), "an order holds no options");
    let mut changed = fake.clone();
    changed.lines[0].qty = Decimal::ONE;
    let (b, a) = (Record::Order(Box::new(fake.clone())), Record::Order(Box::new(changed)));
    let r = check(&BOSS, &DocId::order("o-3"), Some(&b), Some(&a), &mut f).ok().flatten();
    assert_eq!(r.map(|r| r.code), Some(RefusalCode::Immutable));
}

#[test]
fn a_taken_number_is_refused_with_its_own_code() {
    let mut f = facts();
    let first = draft("q-11");
    f.records.insert(DocId::quote(&first.id), Record::Quote(Box::new(first.clone())));
    let mut clash = draft("q-12");
    clash.number = first.number.clone();
    clash.revision_hash = clash.compute_hash();
    assert_eq!(judge_quote(&REP, None, &clash, &mut f), Some(RefusalCode::NumberTaken));
    clash.renumber(1);
    assert_eq!(judge_quote(&REP, None, &clash, &mut f), None);
}

/// One random edit of a quote by a random role, as a hostile app might
/// write it (any field, any state), for the property below.
#[derive(Debug, Clone)]
enum Edit {
    State(u8),
    Discount(i64),
    Price(i64),
    Qty(i64),
    Approve(bool),
    Reject,
    Revise,
    Grant(i64, bool),
}

fn edit() -> impl Strategy<Value = (u8, Edit)> {
    let e = prop_oneof![
        (0u8..8).prop_map(Edit::State),
        (0i64..100).prop_map(Edit::Discount),
        (1i64..2000).prop_map(Edit::Price),
        (1i64..10_000).prop_map(Edit::Qty),
        any::<bool>().prop_map(Edit::Approve),
        Just(Edit::Reject),
        Just(Edit::Revise),
        ((0i64..100), any::<bool>()).prop_map(|(p, b)| Edit::Grant(p, b)),
    ];
    (0u8..3, e)
}

fn apply(q: &Quote, grant: &Option<DiscountRecord>, e: &Edit) -> (Quote, Option<DiscountRecord>) {
    let mut q = q.clone();
    let mut g = grant.clone();
    match e {
        Edit::State(s) => q.state = QuoteState::ALL[*s as usize % QuoteState::ALL.len()],
        Edit::Discount(d) => q.lines[0].discount_pct = Decimal::new(*d, 0),
        Edit::Price(p) => q.lines[0].unit_price = Decimal::new(*p, 2),
        Edit::Qty(n) => q.lines[0].qty = Decimal::new(*n, 0),
        Edit::Approve(current) => {
            let mut a = approval(&q, "phone-1");
            if !current {
                a.revision_hash = "f".repeat(64);
            }
            q.approval = Some(a);
            q.state = QuoteState::Approved;
        }
        Edit::Reject => {
            q.state = QuoteState::Rejected;
            q.rejection_reason = Some("zu teuer".into());
        }
        Edit::Revise => q.revision += 1,
        Edit::Grant(pct, approved) => {
            g = Some(DiscountRecord {
                quote_id: q.id.clone(),
                account_id: ACCOUNT.into(),
                request: DiscountRequest {
                    requested_by: "rep-anna".into(),
                    requested_pct: Decimal::new(*pct, 0),
                    reason: "Wettbewerb".into(),
                    requested_at: now(),
                    decided_by: Some("backoffice".into()),
                    approved: Some(*approved),
                    decided_at: Some(now()),
                    decision_reason: None,
                },
            });
        }
    }
    q.revision_hash = q.compute_hash();
    if q.state == QuoteState::Sent && !matches!(e, Edit::State(_)) {
        q.sent_hash = Some(q.revision_hash.clone());
    }
    if matches!(e, Edit::State(2)) {
        q.sent_hash = Some(q.revision_hash.clone());
    }
    (q, g)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever sequence of edits by whatever roles arrives, every state
    /// the rules accept satisfies the invariants: a sent quote is within
    /// the policy or granted, an approval is bound to its revision and was
    /// given to a sent quote, the record is valid.
    #[test]
    fn every_accepted_state_keeps_the_invariants(edits in proptest::collection::vec(edit(), 1..40)) {
        let actors = [REP, BOSS, EVA];
        let mut f = facts();
        let mut accepted = draft("q-prop");
        let mut grant: Option<DiscountRecord> = None;
        let id = DocId::quote(&accepted.id);
        for (who, e) in &edits {
            let actor = actors[*who as usize % actors.len()];
            let (next, next_grant) = apply(&accepted, &grant, e);
            // A grant is a document of its own, judged first.
            if next_grant != grant {
                let b = grant.clone().map(|g| Record::Discount(Box::new(g)));
                let a = next_grant.clone().map(|g| Record::Discount(Box::new(g)));
                if check(&actor, &DocId::discount(&accepted.id), b.as_ref(), a.as_ref(), &mut f).ok().flatten().is_none() {
                    grant = next_grant;
                    if let Some(g) = &grant {
                        f.records.insert(DocId::discount(&accepted.id), Record::Discount(Box::new(g.clone())));
                    }
                }
                continue;
            }
            let (b, a) = (Record::Quote(Box::new(accepted.clone())), Record::Quote(Box::new(next.clone())));
            if check(&actor, &id, Some(&b), Some(&a), &mut f).ok().flatten().is_none() {
                accepted = next;
            }
            // The invariants of whatever is accepted.
            prop_assert!(accepted.validate().is_ok());
            if accepted.state == QuoteState::Sent {
                let c = f.policy.check_against(&accepted, &|s| f.costs.get(s).copied(), &|l| f.prices.get(&l.sku).copied());
                prop_assert!(c.below_floor.is_empty(), "sent below the floor");
                if c.needs_approval {
                    let ok = grant.as_ref().is_some_and(|g| g.request.approved == Some(true) && g.request.requested_pct >= c.max_effective_pct);
                    prop_assert!(ok, "sent over the limit without a grant");
                }
            }
            if accepted.state == QuoteState::Approved || accepted.state == QuoteState::Ordered {
                let a = accepted.approval.as_ref();
                prop_assert!(a.is_some_and(|a| a.revision_hash == accepted.revision_hash), "approved without a bound approval");
            }
            if let Some(a) = &accepted.approval {
                prop_assert_eq!(&a.device_id, "phone-1", "an approval from the customer's device only");
            }
        }
    }
}
