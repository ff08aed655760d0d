//! The quote's lifecycle: edits (a new revision once sent), merges settled
//! by the business rules, sending under the discount policy, expiry and
//! cancelling.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{ApprovalStatus, DiscountPolicy, Quote, QuoteError, QuoteLine, QuoteState};

impl Quote {
    /// Applies an edit (lines, terms, discounts). Editing a sent, approved or
    /// rejected quote starts a new revision and makes it a draft again;
    /// editing a draft keeps its revision number. The hash is recomputed.
    pub fn edit(&mut self, f: impl FnOnce(&mut Quote)) -> Result<(), QuoteError> {
        self.require(
            &[
                QuoteState::Draft,
                QuoteState::NeedsDiscountApproval,
                QuoteState::Sent,
                QuoteState::Approved,
                QuoteState::Rejected,
            ],
            "edit",
        )?;
        let (id, number, account, state, revision) =
            (self.id.clone(), self.number.clone(), self.account_id.clone(), self.state, self.revision);
        f(self);
        // Identity and lifecycle fields are not the edit's to change.
        (self.id, self.number, self.account_id, self.state, self.revision) = (id, number, account, state, revision);
        self.validate()?;
        let new_hash = self.compute_hash();
        if new_hash == self.revision_hash {
            return Ok(());
        }
        if matches!(self.state, QuoteState::Sent | QuoteState::Approved | QuoteState::Rejected) {
            self.revision += 1;
            self.state = QuoteState::Draft;
            self.rejection_reason = None;
        }
        self.revision_hash = new_hash;
        Ok(())
    }

    /// Makes lines standard, optional or alternative positions, all in one
    /// edit (a group of alternatives is made whole at once: it needs two
    /// lines and one choice); a new revision once sent.
    pub fn set_positions(&mut self, changes: &[super::PositionChange]) -> Result<(), QuoteError> {
        for c in changes {
            self.line_at(c.index as usize)?;
        }
        self.edit(|q| {
            for c in changes {
                let line = &mut q.lines[c.index as usize];
                line.position = c.position.clone();
                line.chosen = c.chosen && !c.position.is_standard();
            }
        })
    }

    /// The customer's choice of an optional or alternative position: an
    /// optional one counts or not; choosing an alternative makes it the one
    /// of its group that counts. An edit, so a sent quote gets a new
    /// revision and its approval covers exactly this choice.
    pub fn choose(&mut self, index: usize, chosen: bool) -> Result<(), QuoteError> {
        let position = self.line_at(index)?.position.clone();
        let invalid = |reason: &str| QuoteError::Invalid { field: "positions", reason: reason.to_string() };
        match position {
            super::Position::Standard => Err(invalid("a standard position is always part of the quote")),
            super::Position::Optional => self.edit(|q| q.lines[index].chosen = chosen),
            super::Position::Alternative { group } => {
                if !chosen {
                    return Err(invalid("choose another alternative of the group instead"));
                }
                self.edit(|q| {
                    for (i, l) in q.lines.iter_mut().enumerate() {
                        if l.position == (super::Position::Alternative { group: group.clone() }) {
                            l.chosen = i == index;
                        }
                    }
                })
            }
        }
    }

    /// Each group of alternatives with exactly one chosen line: of several
    /// chosen the first stays; with none, the first is chosen.
    fn settle_choices(&mut self) {
        let mut groups: Vec<String> = Vec::new();
        for l in &self.lines {
            if let super::Position::Alternative { group } = &l.position
                && !groups.contains(group)
            {
                groups.push(group.clone());
            }
        }
        for g in groups {
            let of_group = |l: &QuoteLine| matches!(&l.position, super::Position::Alternative { group } if *group == g);
            let keep = self.lines.iter().position(|l| of_group(l) && l.chosen);
            let keep = keep.or_else(|| self.lines.iter().position(of_group));
            for (i, l) in self.lines.iter_mut().enumerate() {
                if of_group(l) {
                    l.chosen = Some(i) == keep;
                }
            }
        }
        for l in &mut self.lines {
            if l.position.is_standard() {
                l.chosen = false;
            }
        }
    }

    fn line_at(&self, index: usize) -> Result<&super::QuoteLine, QuoteError> {
        self.lines
            .get(index)
            .ok_or_else(|| QuoteError::Invalid { field: "positions", reason: format!("no line {}", index + 1) })
    }

    /// Restores the business rules on a quote merged from concurrent edits.
    ///
    /// `hashes` and `states` are every concurrent value of those fields in
    /// the merged document. The revision hash is always recomputed from the
    /// merged content. If any replica's hash differs from it, the content
    /// changed concurrently with whatever that replica did: a quote that was
    /// sent goes back to draft (what the customer saw is no longer what the
    /// quote says, and sending again re-checks the discount policy), and an
    /// approval counts only if it is for exactly the merged content. When
    /// only the state changed concurrently (a customer approved revision 1
    /// offline while the rep sent revision 2), a send of exactly the merged
    /// content stands: the quote stays sent, the approval superseded. The
    /// result depends only on the merged document, so every replica settles
    /// the same way.
    pub fn settle(&mut self, hashes: &[String], states: &[QuoteState]) {
        // Two replicas that chose different alternatives of a group merge
        // into both chosen: the first chosen one stands, on every replica.
        self.settle_choices();
        let computed = self.compute_hash();
        let content_concurrent = hashes.iter().any(|h| *h != computed) || self.revision_hash != computed;
        let changed_concurrently = content_concurrent || states.len() > 1;
        self.revision_hash = computed;
        // Sent with content other than what was sent: an edit merged with
        // a send it did not see. What the customer would get is not what
        // anyone sent, so it is a draft again.
        if self.state == QuoteState::Sent && self.sent_hash.as_ref().is_some_and(|h| *h != self.revision_hash) {
            self.state = QuoteState::Draft;
            return;
        }
        if !changed_concurrently {
            return;
        }
        let approved_now = self.approval_status() == ApprovalStatus::Approved;
        self.state = match self.state {
            QuoteState::Approved if approved_now => QuoteState::Approved,
            QuoteState::Approved | QuoteState::Sent => {
                if states.contains(&QuoteState::Approved) && approved_now {
                    QuoteState::Approved
                } else if states.contains(&QuoteState::Cancelled) {
                    QuoteState::Cancelled
                } else if !content_concurrent && states.contains(&QuoteState::Sent) {
                    QuoteState::Sent
                } else {
                    QuoteState::Draft
                }
            }
            QuoteState::Draft if states.contains(&QuoteState::Approved) && approved_now => QuoteState::Approved,
            other => other,
        };
    }

    /// Sends the quote: needs lines, validity, and a discount within the
    /// limit or approved by the back office, and no line below the floor.
    pub fn send(
        &mut self,
        policy: &DiscountPolicy,
        cost: &dyn Fn(&str) -> Option<Decimal>,
        today: NaiveDate,
    ) -> Result<(), QuoteError> {
        self.send_against(policy, cost, &|_| None, today)
    }

    /// [`Quote::send`] with the policy checked against the prices in force
    /// ([`DiscountPolicy::check_against`]).
    pub fn send_against(
        &mut self,
        policy: &DiscountPolicy,
        cost: &dyn Fn(&str) -> Option<Decimal>,
        reference: &dyn Fn(&QuoteLine) -> Option<Decimal>,
        today: NaiveDate,
    ) -> Result<(), QuoteError> {
        self.require(&[QuoteState::Draft], "send")?;
        // At least one line that counts (not only options nobody chose).
        if !self.lines.iter().any(QuoteLine::counts) {
            return Err(QuoteError::Empty);
        }
        if today > self.valid_until {
            return Err(QuoteError::Expired(self.valid_until));
        }
        self.totals()?;
        let check = policy.check_against(self, cost, reference);
        if let Some(&line) = check.below_floor.first() {
            return Err(QuoteError::BelowMarginFloor { line: line as usize });
        }
        if check.needs_approval {
            let granted = self
                .discount_request
                .as_ref()
                .is_some_and(|r| r.approved == Some(true) && r.requested_pct >= check.max_effective_pct);
            if !granted {
                return Err(QuoteError::DiscountApprovalRequired {
                    requested_pct: check.max_effective_pct,
                    limit_pct: check.limit_pct,
                });
            }
        }
        self.state = QuoteState::Sent;
        self.sent_hash = Some(self.revision_hash.clone());
        Ok(())
    }

    /// Marks a sent quote whose validity has ended as expired; returns whether it did.
    pub fn expire_if_due(&mut self, today: NaiveDate) -> bool {
        if self.state == QuoteState::Sent && today > self.valid_until {
            self.state = QuoteState::Expired;
            return true;
        }
        false
    }

    /// Withdraws an open quote.
    pub fn cancel(&mut self) -> Result<(), QuoteError> {
        if !self.state.is_open() {
            return Err(QuoteError::IllegalTransition { from: self.state, action: "cancel" });
        }
        self.state = QuoteState::Cancelled;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{NO_COST, approval, quote};
    use super::*;
    use crate::fixtures::{date as day, dec as d, now};
    use crate::money::{Currency, DisplayLocale};

    #[test]
    fn full_lifecycle_to_order() {
        let policy = DiscountPolicy::default();
        let mut q = quote();
        assert_eq!((q.state, q.revision), (QuoteState::Draft, 1));
        q.send(&policy, NO_COST, day("2026-03-10")).unwrap();
        assert_eq!(q.state, QuoteState::Sent);
        q.approve(approval(&q), day("2026-03-11")).unwrap();
        assert_eq!(q.approval_status(), ApprovalStatus::Approved);
        let order = q.to_order("o-1".into(), now()).unwrap();
        assert_eq!(q.state, QuoteState::Ordered);
        assert_eq!(order.gross_total, q.totals().unwrap().gross_total);
        assert!(matches!(q.cancel(), Err(QuoteError::IllegalTransition { from: QuoteState::Ordered, .. })));
    }

    /// Three lines: A (standard), B optional, C and D alternatives of group X.
    fn with_positions() -> Quote {
        let mut q = quote();
        let mut c = q.lines[1].clone();
        c.sku = "C".into();
        c.unit_price = d("150.00");
        let mut e = c.clone();
        e.sku = "D".into();
        e.unit_price = d("170.00");
        q.edit(|q| q.lines.extend([c, e])).unwrap();
        let x = || super::super::Position::Alternative { group: "X".into() };
        let change = |index, position, chosen| super::super::PositionChange { index, position, chosen };
        // Alone, one line cannot start a group of alternatives.
        assert!(q.set_positions(&[change(2, x(), true)]).is_err());
        // A group needs two lines with exactly one chosen: set both at once.
        let optional = super::super::Position::Optional;
        q.set_positions(&[change(1, optional, false), change(2, x(), true), change(3, x(), false)]).unwrap();
        q
    }

    #[test]
    fn optional_and_alternative_positions_count_only_when_chosen() {
        let plain = quote();
        assert!(!String::from_utf8(plain.canonical_bytes()).unwrap().contains("positions"), "hashes stay as they were");
        let mut q = with_positions();
        let t = q.totals().unwrap();
        assert_eq!(t.line_nets.len(), 4, "every line's net is shown");
        let net = |i: usize| t.line_nets[i];
        assert_eq!(t.net_total, net(0) + net(2), "A and the chosen alternative C; not B, not D");
        assert_ne!(q.revision_hash, plain.revision_hash);

        // Sent, approved: the choice is part of what was approved.
        q.send(&DiscountPolicy::default(), NO_COST, day("2026-03-10")).unwrap();
        let sent = q.revision_hash.clone();
        q.choose(1, true).unwrap();
        assert_eq!((q.state, q.revision), (QuoteState::Draft, 2), "choosing makes a new revision");
        assert_ne!(q.revision_hash, sent);
        assert_eq!(q.totals().unwrap().net_total, net(0) + net(1) + net(2));
        q.choose(3, true).unwrap();
        assert!(!q.lines[2].chosen && q.lines[3].chosen, "one alternative of a group counts");
        assert_eq!(q.totals().unwrap().net_total, net(0) + net(1) + net(3));
        assert!(q.choose(3, false).is_err(), "an alternative is left by choosing another");
        assert!(q.choose(0, false).is_err(), "a standard position is always part");
        assert!(q.choose(9, true).is_err());

        // The order holds what counts, as standard positions.
        q.send(&DiscountPolicy::default(), NO_COST, day("2026-03-10")).unwrap();
        q.approve(approval(&q), day("2026-03-11")).unwrap();
        let order = q.to_order("o-1".into(), now()).unwrap();
        let skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
        assert_eq!(skus, ["A", "B", "D"]);
        assert!(order.lines.iter().all(|l| l.position.is_standard()));
        assert_eq!(order.gross_total, q.totals().unwrap().gross_total);
    }

    #[test]
    fn concurrent_choices_settle_the_same_way_everywhere() {
        let mut q = with_positions();
        // Two replicas chose different alternatives: the merge has both.
        q.lines[3].chosen = true;
        let hashes = [q.revision_hash.clone()];
        q.settle(&hashes, &[q.state]);
        assert!(q.lines[2].chosen && !q.lines[3].chosen, "the first chosen one stands");
        assert_eq!(q.revision_hash, q.compute_hash());
        assert_eq!(q.validate(), Ok(()));
        // One unchose the optional while another chose it: a field, no conflict.
        let mut none = with_positions();
        none.lines[2].chosen = false;
        none.settle(&[none.revision_hash.clone()], &[none.state]);
        assert!(none.lines[2].chosen, "a group left without a choice takes its first line");
    }

    #[test]
    fn a_quote_of_only_unchosen_options_is_not_sent() {
        let mut q = quote();
        let all: Vec<super::super::PositionChange> = (0..q.lines.len() as u32)
            .map(|index| super::super::PositionChange {
                index,
                position: super::super::Position::Optional,
                chosen: false,
            })
            .collect();
        q.set_positions(&all).unwrap();
        assert_eq!(q.send(&DiscountPolicy::default(), NO_COST, day("2026-03-10")), Err(QuoteError::Empty));
        q.choose(0, true).unwrap();
        q.send(&DiscountPolicy::default(), NO_COST, day("2026-03-10")).unwrap();
        // A standard position marked as chosen is refused: it always counts.
        let mut odd = quote();
        odd.lines[0].chosen = true;
        assert!(matches!(odd.validate(), Err(QuoteError::Invalid { field: "positions", .. })));
    }

    #[test]
    fn alternative_groups_need_two_lines_and_one_choice() {
        let q = with_positions();
        let x = super::super::Position::Alternative { group: "X".into() };
        for (what, f) in [
            ("none chosen", Box::new(|q: &mut Quote| q.lines[2].chosen = false) as Box<dyn Fn(&mut Quote)>),
            ("two chosen", Box::new(|q: &mut Quote| q.lines[3].chosen = true)),
            (
                "a group of one",
                Box::new(move |q: &mut Quote| {
                    q.lines[1].position = super::super::Position::Alternative { group: "Y".into() }
                }),
            ),
            (
                "a bad group key",
                Box::new(|q: &mut Quote| {
                    q.lines[2].position = super::super::Position::Alternative { group: "X Y".into() };
                    q.lines[3].position = super::super::Position::Alternative { group: "X Y".into() };
                }),
            ),
        ] {
            let mut bad = q.clone();
            f(&mut bad);
            assert!(matches!(bad.validate(), Err(QuoteError::Invalid { field: "positions", .. })), "{what}");
        }
        assert_eq!(q.lines[2].position, x);
        let json = serde_json::to_string(&q.lines[2]).unwrap();
        assert!(json.contains(r#""position":{"kind":"alternative","group":"X"},"chosen":true"#), "{json}");
        let standard = serde_json::to_string(&q.lines[0]).unwrap();
        assert!(!standard.contains("position"), "standard lines are written as before: {standard}");
    }

    #[test]
    fn illegal_transitions_are_typed_errors() {
        let mut q = quote();
        assert!(matches!(
            q.approve(approval(&q), day("2026-03-11")),
            Err(QuoteError::IllegalTransition { action: "approve", .. })
        ));
        assert!(matches!(q.reject(None), Err(QuoteError::IllegalTransition { .. })));
        assert!(matches!(q.to_order("o".into(), now()), Err(QuoteError::IllegalTransition { .. })));
        q.cancel().unwrap();
        assert!(q.edit(|q| q.notes = "x".into()).is_err());
        let mut empty =
            Quote::new("q-2".into(), "a".into(), None, "r".into(), Currency::EUR, DisplayLocale::En, day("2026-12-31"));
        assert_eq!(empty.send(&DiscountPolicy::default(), NO_COST, day("2026-03-10")), Err(QuoteError::Empty));
    }

    #[test]
    fn settling_a_merge_keeps_a_send_of_unchanged_content_and_drafts_a_concurrent_edit() {
        let policy = DiscountPolicy::default();
        let mut q = quote();
        q.send(&policy, NO_COST, day("2026-03-10")).unwrap();
        let r1 = approval(&q);
        q.edit(|q| q.lines[0].qty = d("200")).unwrap();
        q.send(&policy, NO_COST, day("2026-03-10")).unwrap();
        // Merged: the rep's revision 2 (sent) with the customer's offline
        // approval of revision 1; only the state field was concurrent.
        let mut merged = q.clone();
        merged.approval = Some(r1.clone());
        merged.state = QuoteState::Approved;
        merged.settle(std::slice::from_ref(&q.revision_hash), &[QuoteState::Approved, QuoteState::Sent]);
        assert_eq!(merged.state, QuoteState::Sent, "revision 2 stays sent");
        assert_eq!(merged.approval_status(), ApprovalStatus::Superseded { current_revision: 2 });
        // If the content itself changed concurrently, what was sent is not
        // what the quote says: back to draft.
        let mut merged = q.clone();
        merged.approval = Some(r1);
        merged.state = QuoteState::Sent;
        let other = "0".repeat(64);
        merged.settle(&[q.revision_hash.clone(), other], &[QuoteState::Approved, QuoteState::Sent]);
        assert_eq!(merged.state, QuoteState::Draft);
    }

    #[test]
    fn expired_quotes_cannot_be_sent_or_approved() {
        let policy = DiscountPolicy::default();
        let mut q = quote();
        assert_eq!(q.send(&policy, NO_COST, day("2026-04-01")), Err(QuoteError::Expired(day("2026-03-31"))));
        q.send(&policy, NO_COST, day("2026-03-31")).unwrap();
        assert_eq!(q.approve(approval(&q), day("2026-04-01")), Err(QuoteError::Expired(day("2026-03-31"))));
        assert_eq!(q.state, QuoteState::Expired);
        let mut q = quote();
        q.send(&policy, NO_COST, day("2026-03-10")).unwrap();
        assert!(!q.expire_if_due(day("2026-03-31")));
        assert!(q.expire_if_due(day("2026-04-01")));
    }
}
