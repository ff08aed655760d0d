//! Quotes, orders, the discount policy and product costs in the store. Every
//! quote operation loads the quote, applies the domain rule (`quote.rs`) and
//! saves it in one write transaction, so a failed rule changes nothing.

use chrono::NaiveDate;
use rusqlite::Transaction;
use rust_decimal::Decimal;
use serde::Serialize;

use super::Store;
use super::codec::{currency, dec, json};
use super::docs::{load_quote, write_record};
use super::projections::{order_in, quote_in};
use super::reference::{ReferencePrices, cost_of, current_unit_price, load_policy, resolve_line};
use crate::catalog::ProductCost;
use crate::crdt::Record;
use crate::error::{Error, Result};
use crate::ids::{Timestamp, new_id};
use crate::money::{Currency, DisplayLocale};
use crate::pricing::{PricingError, ResolvedPrice};
use crate::quote::{Approval, CustomerDecision, DiscountPolicy, Order, PositionChange, Quote, QuoteLine, reorder};
use crate::release::{ReferenceData, Sequenced};

/// A quote as listed for an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct QuoteSummary {
    /// Quote id.
    pub id: String,
    /// Quote number.
    pub number: String,
    /// State name, e.g. `sent`.
    pub state: String,
    /// Revision number.
    pub revision: u32,
    /// Gross total.
    pub gross_total: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Last change.
    pub updated_at: String,
}

/// A discount given to an account before: "last time you gave 12 %".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GrantedDiscount {
    /// The quote's number.
    pub quote_number: String,
    /// When the quote was last changed.
    pub date: String,
    /// Largest effective discount on it, in percent.
    pub discount_pct: Decimal,
    /// The reason given in a discount request, if any.
    pub reason: Option<String>,
    /// The quote's state.
    pub state: String,
}

impl Store {
    /// The unit price the price lists in force give `line` for the account
    /// `account_id` in customer group `group` on `day`; `None` if the
    /// product cannot be priced any more. For a hub whose accounts live
    /// elsewhere (the PostgreSQL hub's catalog replica).
    pub fn current_unit_price(
        &self,
        account_id: &str,
        group: Option<&str>,
        line: &QuoteLine,
        day: NaiveDate,
        cur: Currency,
    ) -> Result<Option<Decimal>> {
        self.read(|c| current_unit_price(c, account_id, group, line, day, cur))
    }

    /// The rate of a product's tax class (before the customer's treatment,
    /// `vat::treatment`); `None` for an unknown product.
    pub fn tax_class_rate(&self, sku: &str) -> Result<Option<Decimal>> {
        self.read(|c| super::reference::class_rate(c, sku))
    }

    /// A product's cost, if published (never on customers' devices).
    pub fn product_cost(&self, sku: &str) -> Result<Option<Decimal>> {
        self.read(|c| Ok(cost_of(c, sku)))
    }

    /// The costs of `skus` this store holds (those without a cost left out).
    pub fn costs_of(&self, skus: &[String]) -> Result<std::collections::HashMap<String, Decimal>> {
        let mut out = std::collections::HashMap::new();
        for sku in skus {
            if let Some(c) = self.product_cost(sku)? {
                out.insert(sku.clone(), c);
            }
        }
        Ok(out)
    }

    /// The discount policy (the default until the back office publishes one:
    /// 10 %, no category limits, no floor, a reason required).
    pub fn discount_policy(&self) -> Result<DiscountPolicy> {
        self.read(load_policy)
    }

    /// What the discount policy says about a quote (limits, approval needed,
    /// lines below the margin floor), with the costs this device holds.
    pub fn policy_check(&self, quote: &Quote) -> Result<crate::quote::PolicyCheck> {
        self.read(|c| Ok(load_policy(c)?.check(quote, &|sku| cost_of(c, sku))))
    }

    /// Publishes the discount policy (reference data, next catalog
    /// sequence), through the same checked write as a catalog import.
    pub fn set_discount_policy(&self, policy: &DiscountPolicy) -> Result<()> {
        policy.validate()?;
        let data =
            ReferenceData { discount_policy: Some(Sequenced { seq: 0, item: policy.clone() }), ..Default::default() };
        self.publish(&data).map(|_| ())
    }

    /// Publishes product costs (for the margin floor; never shown to
    /// customers), through the same checked write as a catalog import.
    pub fn set_product_costs(&self, costs: &[(String, Decimal)]) -> Result<()> {
        if costs.iter().any(|(_, c)| *c < Decimal::ZERO) {
            return Err(Error::validation("cost", "is negative"));
        }
        let product_costs =
            costs.iter().map(|(sku, cost)| ProductCost { sku: sku.clone(), cost: *cost, seq: 0 }).collect();
        self.publish(&ReferenceData { product_costs, ..Default::default() }).map(|_| ())
    }

    /// A quote line for `sku` with the account's price on `day`, and where
    /// that price came from.
    pub fn quote_line(
        &self,
        account_id: &str,
        sku: &str,
        qty: Decimal,
        day: NaiveDate,
        cur: Currency,
    ) -> Result<(QuoteLine, ResolvedPrice)> {
        self.read(|c| resolve_line(c, account_id, sku, qty, day, cur))
    }

    /// Creates a draft quote for an account.
    pub fn create_quote(
        &self,
        account_id: &str,
        contact_id: Option<String>,
        rep: &str,
        locale: DisplayLocale,
        valid_until: NaiveDate,
    ) -> Result<Quote> {
        let q = Quote::new(
            new_id(),
            account_id.to_string(),
            contact_id,
            rep.to_string(),
            Currency::EUR,
            locale,
            valid_until,
        );
        self.write(|tx| {
            if !tx.prepare_cached("SELECT 1 FROM accounts WHERE id = ?1")?.exists([account_id])? {
                return Err(Error::not_found("account", account_id));
            }
            write_record(tx, &Record::Quote(Box::new(q.clone())), "create quote")?;
            Ok(q)
        })
    }

    /// One quote.
    pub fn quote(&self, id: &str) -> Result<Quote> {
        self.read(|c| quote_in(c, id))
    }

    /// A quote's revisions side by side and its open concurrent values,
    /// read from its document's history (ADR 31).
    pub fn quote_history(&self, id: &str) -> Result<crate::crdt::QuoteHistory> {
        let doc_id = crate::crdt::DocId::quote(id);
        self.read(|c| {
            let Some(mut doc) = super::docs::load_doc(c, &doc_id)? else { return Err(Error::not_found("quote", id)) };
            Ok(crate::crdt::QuoteHistory {
                revisions: crate::crdt::quote_revisions(&mut doc, &doc_id)?,
                conflicts: crate::crdt::conflicts(&doc),
            })
        })
    }

    /// Runs `f` on the stored quote and saves the result, in one transaction.
    fn with_quote<T>(
        &self,
        id: &str,
        message: &str,
        f: impl FnOnce(&Transaction<'_>, &mut Quote) -> Result<T>,
    ) -> Result<(Quote, T)> {
        self.write(|tx| {
            let Some(mut q) = load_quote(tx, id)? else { return Err(Error::not_found("quote", id)) };
            let out = f(tx, &mut q)?;
            write_record(tx, &Record::Quote(Box::new(q.clone())), message)?;
            Ok((q, out))
        })
    }

    /// Replaces the editable content of a quote (lines, header discount,
    /// terms, notes, validity, value arguments) from `edited`; a sent quote
    /// gets a new revision.
    pub fn edit_quote(&self, edited: &Quote) -> Result<Quote> {
        Ok(self
            .with_quote(&edited.id, "edit quote", |tx, q| {
                for id in &edited.value_arguments {
                    if !tx.prepare_cached("SELECT 1 FROM content_items WHERE id = ?1")?.exists([id])? {
                        return Err(Error::validation("value argument", format!("unknown content item {id}")));
                    }
                }
                q.edit(|q| {
                    q.lines = edited.lines.clone();
                    q.header_discount_pct = edited.header_discount_pct;
                    q.payment_terms = edited.payment_terms.clone();
                    q.delivery_terms = edited.delivery_terms.clone();
                    q.notes = edited.notes.clone();
                    q.valid_until = edited.valid_until;
                    q.value_arguments = edited.value_arguments.clone();
                    q.contact_id = edited.contact_id.clone();
                    q.locale = edited.locale;
                })?;
                Ok(())
            })?
            .0)
    }

    /// Makes lines standard, optional or alternative positions in one edit
    /// (docs/pricing.md; see [`Quote::set_positions`]).
    pub fn set_quote_positions(&self, quote_id: &str, changes: &[PositionChange]) -> Result<Quote> {
        Ok(self.with_quote(quote_id, "set positions", |_, q| Ok(q.set_positions(changes)?))?.0)
    }

    /// The customer's choice of an optional or alternative position (see
    /// [`Quote::choose`]).
    pub fn choose_quote_position(&self, quote_id: &str, index: usize, chosen: bool) -> Result<Quote> {
        Ok(self.with_quote(quote_id, "choose position", |_, q| Ok(q.choose(index, chosen)?))?.0)
    }

    /// Adds a line for `sku` at the account's current price.
    pub fn add_quote_line(
        &self,
        quote_id: &str,
        sku: &str,
        qty: Decimal,
        discount_pct: Decimal,
        day: NaiveDate,
    ) -> Result<Quote> {
        Ok(self
            .with_quote(quote_id, "add line", |tx, q| {
                let (mut line, _) = resolve_line(tx, &q.account_id, sku, qty, day, q.currency)?;
                line.discount_pct = discount_pct;
                q.edit(|q| q.lines.push(line))?;
                Ok(())
            })?
            .0)
    }

    /// Sends a quote (discount policy against the prices in force, and the
    /// margin floor, checked).
    pub fn send_quote(&self, id: &str, today: NaiveDate) -> Result<Quote> {
        Ok(self
            .with_quote(id, "send quote", |tx, q| {
                let policy = load_policy(tx)?;
                let prices = ReferencePrices::of(tx, q, today)?;
                Ok(q.send_against(&policy, &|sku| cost_of(tx, sku), &|l| prices.get(l), today)?)
            })?
            .0)
    }

    /// Asks the back office to approve the quote's discount.
    pub fn request_discount_approval(&self, id: &str, reason: &str, at: Timestamp) -> Result<Quote> {
        Ok(self
            .with_quote(id, "request discount approval", |tx, q| {
                let prices = ReferencePrices::of(tx, q, at.date_naive())?;
                Ok(q.request_discount_approval_against(&load_policy(tx)?, &|l| prices.get(l), reason.to_string(), at)?)
            })?
            .0)
    }

    /// The back office's decision on a discount request, with its reason
    /// for the rep (optional).
    pub fn decide_discount(
        &self,
        id: &str,
        approved: bool,
        by: &str,
        reason: Option<&str>,
        at: Timestamp,
    ) -> Result<Quote> {
        let reason = reason.map(str::to_string);
        Ok(self
            .with_quote(id, "decide discount", |_, q| Ok(q.decide_discount(approved, by.to_string(), reason, at)?))?
            .0)
    }

    /// Records a customer's approval of the current revision. An expired
    /// quote is saved as expired even though approving fails.
    pub fn approve_quote(&self, id: &str, approval: Approval, today: NaiveDate) -> Result<Quote> {
        self.record_customer_decision(id, CustomerDecision::Approve(approval), today)
    }

    /// Records a customer's decision on the revision they saw (also the
    /// hub's path for approval links); a stale one changes nothing. An
    /// expired quote is saved as expired.
    pub fn record_customer_decision(&self, id: &str, decision: CustomerDecision, today: NaiveDate) -> Result<Quote> {
        let message = match decision {
            CustomerDecision::Approve(_) => "approve quote",
            CustomerDecision::Reject { .. } => "reject quote revision",
        };
        let mut failure = None;
        let (q, ()) = self.with_quote(id, message, |_, q| {
            if let Err(e) = q.decide(decision, today) {
                failure = Some(e);
            }
            Ok(())
        })?;
        match failure {
            Some(e) => Err(e.into()),
            None => Ok(q),
        }
    }

    /// Records a customer's rejection.
    pub fn reject_quote(&self, id: &str, reason: Option<String>) -> Result<Quote> {
        Ok(self.with_quote(id, "reject quote", |_, q| Ok(q.reject(reason)?))?.0)
    }

    /// Withdraws an open quote.
    pub fn cancel_quote(&self, id: &str) -> Result<Quote> {
        Ok(self.with_quote(id, "cancel quote", |_, q| Ok(q.cancel()?))?.0)
    }

    /// Turns an approved quote into an order.
    pub fn order_quote(&self, id: &str, at: Timestamp) -> Result<Order> {
        Ok(self
            .with_quote(id, "order quote", |tx, q| {
                let order = q.to_order(new_id(), at)?;
                // The quote first: an order is placed for an ordered quote.
                write_record(tx, &Record::Quote(Box::new(q.clone())), "order quote")?;
                write_record(tx, &Record::Order(Box::new(order.clone())), "place order")?;
                Ok(order)
            })?
            .1)
    }

    /// One order.
    pub fn order(&self, id: &str) -> Result<Order> {
        self.read(|c| order_in(c, id))
    }

    /// Reorders from a past order: same items at today's prices for the
    /// account, consumables first; `quantities` adjust (0 drops a line).
    pub fn reorder(
        &self,
        order_id: &str,
        quantities: &[(String, Decimal)],
        day: NaiveDate,
        at: Timestamp,
    ) -> Result<Order> {
        self.write(|tx| {
            let original = order_in(tx, order_id)?;
            let price = |l: &QuoteLine| -> Result<Decimal, PricingError> {
                if l.sku.is_empty() {
                    return Ok(l.unit_price);
                }
                let qty = quantities.iter().find(|(s, _)| s.eq_ignore_ascii_case(&l.sku)).map_or(l.qty, |(_, q)| *q);
                match resolve_line(tx, &original.account_id, &l.sku, qty, day, original.currency) {
                    Ok((line, _)) => Ok(line.unit_price),
                    Err(Error::Pricing(p)) => Err(p),
                    Err(_) => Err(PricingError::UnknownProduct(l.sku.clone())),
                }
            };
            let order = reorder(&original, new_id(), at, &price, quantities)?;
            write_record(tx, &Record::Order(Box::new(order.clone())), "place order")?;
            Ok(order)
        })
    }

    /// The quotes of an account, newest first.
    pub fn quotes_for_account(&self, account_id: &str) -> Result<Vec<QuoteSummary>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, number, state, revision, gross_total, currency, updated_at FROM quotes
                 WHERE account_id = ?1 ORDER BY updated_at DESC, number",
            )?;
            let mut rows = stmt.query([account_id])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(QuoteSummary {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    state: r.get(2)?,
                    revision: r.get(3)?,
                    gross_total: dec("quote total", &r.get::<_, String>(4)?)?,
                    currency: currency("quote currency", &r.get::<_, String>(5)?)?,
                    updated_at: r.get(6)?,
                });
            }
            Ok(out)
        })
    }

    /// Discounts given to an account on earlier quotes (newest first), so
    /// "last time you gave 12 %" is visible before it is repeated.
    pub fn granted_discounts(&self, account_id: &str) -> Result<Vec<GrantedDiscount>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT number, updated_at, max_discount_pct, state, body FROM quotes
                 WHERE account_id = ?1 AND max_discount_pct <> '0' AND state <> 'draft'
                 ORDER BY updated_at DESC",
            )?;
            let mut rows = stmt.query([account_id])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let q: Quote = json("quote body", &r.get::<_, String>(4)?)?;
                out.push(GrantedDiscount {
                    quote_number: r.get(0)?,
                    date: r.get::<_, String>(1)?.chars().take(10).collect(),
                    discount_pct: dec("discount", &r.get::<_, String>(2)?)?,
                    reason: q.discount_request.map(|d| d.reason),
                    state: r.get(3)?,
                });
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Account;
    use crate::fixtures::{self, date as day, dec as d, now};
    use crate::import::{Format, parse};
    use crate::quote::{ApprovalStatus, CategoryLimit, QuoteError, QuoteState};
    use crate::store::tests::temp_store;

    fn setup() -> (tempfile::TempDir, Store, String) {
        let (dir, s) = temp_store();
        let catalog = r#"{
          "products": [
            {"sku": "SKS-M8", "name": "Sechskantschraube M8×40", "unit": "pc", "list_price": "0.12", "tax_class": "DE-STD", "category": "Schrauben", "c_part": true},
            {"sku": "AKB-18", "name": "Akku-Bohrschrauber 18 V", "unit": "pc", "list_price": "189.00", "tax_class": "DE-STD", "category": "Werkzeug/Elektro"},
            {"sku": "BUCH", "name": "Handbuch", "unit": "pc", "list_price": "49.90", "tax_class": "DE-RED", "category": "Literatur"},
            {"sku": "OLD", "name": "Alt", "unit": "pc", "list_price": "1", "tax_class": "DE-STD", "active": false}
          ],
          "price_lists": [
            {"id": "PL-A", "name": "Gruppe A", "currency": "EUR", "customer_group": "A",
             "valid_from": "2026-01-01", "valid_to": "2026-12-31",
             "tiers": [{"sku": "SKS-M8", "min_qty": "1", "unit_price": "0.11"}, {"sku": "SKS-M8", "min_qty": "1000", "unit_price": "0.09"}]}
          ]
        }"#;
        s.import_catalog(parse(catalog.as_bytes(), Format::Json), &mut |_| {}).unwrap();
        let account = Account {
            customer_group: Some("A".into()),
            assigned_rep: Some("rep-1".into()),
            ..fixtures::account(&new_id())
        };
        s.save_account(&account).unwrap();
        (dir, s, account.id)
    }

    fn approval(q: &Quote) -> Approval {
        fixtures::approval(q, "Anna Weiß", "phone-1", now())
    }

    #[test]
    fn the_customers_country_and_vat_id_decide_the_lines_rate() {
        let (_d, s, acc) = setup();
        let today = day("2026-03-10");
        let rate_for = |account: &Account| {
            s.save_account(account).unwrap();
            let q = s.create_quote(&account.id, None, "rep-1", DisplayLocale::De, day("2026-03-31")).unwrap();
            let q = s.add_quote_line(&q.id, "BUCH", d("1"), Decimal::ZERO, today).unwrap();
            (q.lines[0].tax_rate_pct, q.totals().unwrap().tax_total)
        };
        let mut a = s.account(&acc).unwrap();
        assert_eq!(rate_for(&a), (d("7"), d("3.49")), "domestic: the class's rate");
        a.billing_address.country = "AT".into();
        a.vat_id = Some("ATU13585627".into());
        assert_eq!(rate_for(&a), (Decimal::ZERO, Decimal::ZERO), "intra-Community supply");
        a.vat_id = Some("ATU13585628".into());
        assert_eq!(rate_for(&a).0, d("7"), "a VAT ID whose check digit is wrong does not zero-rate");
        a.billing_address.country = "CH".into();
        a.vat_id = None;
        assert_eq!(rate_for(&a).0, Decimal::ZERO, "export");
        assert_eq!(s.tax_class_rate("BUCH").unwrap(), Some(d("7")));
        assert_eq!(s.tax_class_rate("NOPE").unwrap(), None);
    }

    #[test]
    fn a_quotes_revisions_are_read_back_from_its_history() {
        let (_d, s, acc) = setup();
        let today = day("2026-03-10");
        let q = s.create_quote(&acc, None, "rep-1", DisplayLocale::De, day("2026-03-31")).unwrap();
        let q = s.add_quote_line(&q.id, "SKS-M8", d("100"), Decimal::ZERO, today).unwrap();
        let q = s.add_quote_line(&q.id, "BUCH", d("1"), Decimal::ZERO, today).unwrap();
        let sent = s.send_quote(&q.id, today).unwrap();
        let mut edited = sent.clone();
        edited.lines[0].qty = d("500");
        edited.lines.remove(1);
        edited.payment_terms = "14 Tage 2 % Skonto".into();
        let second = s.edit_quote(&edited).unwrap();
        assert_eq!(second.revision, 2, "editing a sent quote makes a revision");
        let h = s.quote_history(&q.id).unwrap();
        let revs: Vec<u32> = h.revisions.iter().map(|r| r.quote.revision).collect();
        assert_eq!(revs, [1, 2], "{revs:?}");
        assert_eq!(h.revisions[0].quote.lines.len(), 2, "revision 1 as it was sent");
        assert_eq!(h.revisions[0].quote.state, QuoteState::Sent);
        assert_eq!(h.revisions[1].quote.lines[0].qty, d("500"));
        assert_eq!(h.revisions[0].device_id, s.device_id().unwrap(), "made on this device");
        assert!(h.revisions[0].changed_at.is_some());
        let what: Vec<String> =
            crate::quote::compare(&h.revisions[0].quote, &h.revisions[1].quote).into_iter().map(|x| x.what).collect();
        assert!(
            what.contains(&"line:SKS-M8:qty".to_string()) && what.contains(&"line:BUCH:removed".to_string()),
            "{what:?}"
        );
        assert!(what.contains(&"payment_terms".to_string()), "{what:?}");
        assert!(h.conflicts.is_empty(), "one device: nothing concurrent");
        assert!(matches!(s.quote_history("nope"), Err(Error::NotFound { .. })));
    }

    #[test]
    fn a_quote_from_lines_to_order_and_reorder() {
        let (_d, s, acc) = setup();
        let today = day("2026-03-10");
        let q = s.create_quote(&acc, None, "rep-1", DisplayLocale::De, day("2026-03-31")).unwrap();
        let q = s.add_quote_line(&q.id, "sks-m8", d("1000"), Decimal::ZERO, today).unwrap();
        assert_eq!(q.lines[0].unit_price, d("0.09"), "group list, tier 1000");
        let q = s.add_quote_line(&q.id, "BUCH", d("1"), Decimal::ZERO, today).unwrap();
        assert_eq!(q.lines[1].tax_rate_pct, d("7"));
        assert!(matches!(
            s.add_quote_line(&q.id, "OLD", d("1"), Decimal::ZERO, today),
            Err(Error::Pricing(PricingError::InactiveProduct(_)))
        ));
        assert!(matches!(
            s.add_quote_line(&q.id, "NOPE", d("1"), Decimal::ZERO, today),
            Err(Error::Pricing(PricingError::UnknownProduct(_)))
        ));
        assert!(matches!(
            s.add_quote_line(&q.id, "BUCH", d("0.5"), Decimal::ZERO, today),
            Err(Error::Pricing(PricingError::InvalidQuantity { .. }))
        ));

        let q = s.send_quote(&q.id, today).unwrap();
        assert_eq!(q.state, QuoteState::Sent);
        let q = s.approve_quote(&q.id, approval(&q), today).unwrap();
        assert_eq!(q.approval_status(), ApprovalStatus::Approved);
        let order = s.order_quote(&q.id, now()).unwrap();
        assert_eq!(s.quote(&q.id).unwrap().state, QuoteState::Ordered);
        assert_eq!(order.gross_total, d("160.49")); // 90.00 × 1.19 = 107.10; 49.90 × 1.07 = 53.39

        let again = s
            .reorder(
                &order.id,
                &[("BUCH".into(), Decimal::ZERO), ("SKS-M8".into(), d("500"))],
                day("2027-01-05"),
                now(),
            )
            .unwrap();
        assert_eq!(again.lines.len(), 1);
        assert_eq!(again.lines[0].unit_price, d("0.12"), "the group list ended with 2026: list price now");
        assert_eq!(s.order(&again.id).unwrap().reorder_of.as_deref(), Some(order.id.as_str()));
    }

    #[test]
    fn discount_approval_flow_and_history() {
        let (_d, s, acc) = setup();
        let today = day("2026-03-10");
        s.set_discount_policy(&DiscountPolicy {
            max_discount_pct: d("10"),
            category_limits: vec![CategoryLimit { category: "Werkzeug/".into(), max_discount_pct: d("5") }],
            min_margin_pct: d("10"),
            reason_required: true,
            offline_lease_days: 30,
            storage_budget_mib: crate::quote::DEFAULT_STORAGE_MIB,
        })
        .unwrap();
        s.set_product_costs(&[("AKB-18".into(), d("150"))]).unwrap();
        assert!(matches!(s.set_product_costs(&[("AKB-18".into(), d("-1"))]), Err(Error::Validation { .. })));
        assert!(matches!(s.set_product_costs(&[("NOPE".into(), d("1"))]), Err(Error::Import(_))), "unknown SKU");
        let mut bad = s.discount_policy().unwrap();
        bad.max_discount_pct = d("120");
        assert!(matches!(s.set_discount_policy(&bad), Err(Error::Validation { .. })));
        let q = s.create_quote(&acc, None, "rep-1", DisplayLocale::De, day("2026-03-31")).unwrap();
        let q = s.add_quote_line(&q.id, "AKB-18", d("2"), d("8"), today).unwrap();
        let err = s.send_quote(&q.id, today).unwrap_err();
        assert!(matches!(err, Error::Quote(QuoteError::DiscountApprovalRequired { .. })), "{err}");
        assert_eq!(s.quote(&q.id).unwrap().state, QuoteState::Draft, "nothing changed");
        let q = s.request_discount_approval(&q.id, "Wettbewerbsangebot liegt vor", now()).unwrap();
        assert_eq!(q.state, QuoteState::NeedsDiscountApproval);
        let q = s.decide_discount(&q.id, true, "backoffice-1", None, now()).unwrap();
        // 189 × 0.92 = 173.88 ≥ 150 × 1.10 = 165: above the floor.
        let q = s.send_quote(&q.id, today).unwrap();
        assert_eq!(q.state, QuoteState::Sent);
        let history = s.granted_discounts(&acc).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].discount_pct, d("8"));
        assert_eq!(history[0].reason.as_deref(), Some("Wettbewerbsangebot liegt vor"));

        // 15 % on the drill: 160.65 < 165, below the floor even with approval.
        let q2 = s.create_quote(&acc, None, "rep-1", DisplayLocale::De, day("2026-03-31")).unwrap();
        let q2 = s.add_quote_line(&q2.id, "AKB-18", d("1"), d("15"), today).unwrap();
        s.request_discount_approval(&q2.id, "Sonderaktion", now()).unwrap();
        s.decide_discount(&q2.id, true, "backoffice-1", None, now()).unwrap();
        assert!(matches!(s.send_quote(&q2.id, today), Err(Error::Quote(QuoteError::BelowMarginFloor { line: 1 }))));
    }

    #[test]
    fn an_offline_approval_of_an_old_revision_is_refused_and_expiry_sticks() {
        let (_d, s, acc) = setup();
        let today = day("2026-03-10");
        let q = s.create_quote(&acc, None, "rep-1", DisplayLocale::En, day("2026-03-31")).unwrap();
        let q = s.add_quote_line(&q.id, "SKS-M8", d("100"), Decimal::ZERO, today).unwrap();
        let q = s.send_quote(&q.id, today).unwrap();
        let signed_offline = approval(&q);
        let mut edited = q.clone();
        edited.lines[0].qty = d("200");
        let q = s.edit_quote(&edited).unwrap();
        assert_eq!((q.revision, q.state), (2, QuoteState::Draft));
        let q = s.send_quote(&q.id, today).unwrap();
        assert!(matches!(
            s.approve_quote(&q.id, signed_offline, today),
            Err(Error::Quote(QuoteError::StaleApproval { current: 2 }))
        ));
        let late = s.approve_quote(&q.id, approval(&q), day("2026-04-01"));
        assert!(matches!(late, Err(Error::Quote(QuoteError::Expired(_)))));
        assert_eq!(s.quote(&q.id).unwrap().state, QuoteState::Expired, "the expiry is saved");
        assert_eq!(s.quotes_for_account(&acc).unwrap().len(), 1);
        assert!(matches!(s.create_quote("nope", None, "rep-1", DisplayLocale::De, today), Err(Error::NotFound { .. })));
    }
}
