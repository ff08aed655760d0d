//! Hostile devices against the hub over real HTTP, on SQLite and on
//! PostgreSQL: each holds a valid token for its role and writes Automerge
//! changes and sync frames itself (`common/hostile.rs`), trying every
//! transition the rules forbid (docs/security.md). Each attempt is refused
//! with its reason, nothing of it is stored, honest devices are not
//! affected, and the hostile device's valid edits go through afterwards.

use crate::common::hostile::{Hostile, Outcome};
use crate::common::{Db, Dev, Hub, hub, publish_catalog, seed_accounts};
use chrono::{Days, Utc};
use onsite_core::crdt::{DocId, DocKind, Record};
use onsite_core::fixtures;
use onsite_core::ids::new_id;
use onsite_core::money::{Currency, DisplayLocale};
use onsite_core::quote::{Approval, Order, Quote, QuoteLine, QuoteState, SignerAuth};
use onsite_core::transition::RefusalCode as R;
use rust_decimal::Decimal;
use serde_json::json;

on_both_backends!(
    a_hostile_rep_cannot_break_the_quote_rules,
    a_hostile_rep_cannot_write_what_the_core_refuses,
    a_hostile_customer_cannot_order_approve_or_erase_at_will,
    customers_and_reps_receive_only_what_is_theirs,
    approval_links_count_only_from_the_accounts_reps,
    hostile_attachments_are_refused_by_the_hub,
);

struct World {
    hub: Hub,
    crm: Dev,
    anna: Dev,
    eva: Dev,
    acc1: String,
    acc2: String,
    dir: std::path::PathBuf,
}

fn world(db: &Db) -> World {
    let hub = hub(db);
    publish_catalog(&hub, 30);
    hub.admin
        .put_json(
            "/v1/admin/discount-policy",
            &json!({ "max_discount_pct": "7", "category_limits": [], "min_margin_pct": "0", "reason_required": true }),
        )
        .unwrap();
    let (crm, accounts) = seed_accounts(&hub, db.dir.path(), 2);
    hub.assign("rep-anna", &[accounts[0].as_str()]);
    let anna = hub.device(db.dir.path(), "rep-anna", "rep", None);
    let eva = hub.device(db.dir.path(), "eva", "customer", Some(&accounts[0]));
    anna.sync();
    eva.sync();
    World {
        hub,
        crm,
        anna,
        eva,
        acc1: accounts[0].clone(),
        acc2: accounts[1].clone(),
        dir: db.dir.path().to_path_buf(),
    }
}

impl World {
    /// A hostile app with a valid token of `person` in `role`.
    fn hostile(&self, person: &str, role: &str, account: Option<&str>) -> Hostile {
        let dev = self.hub.device(&self.dir, person, role, account);
        let mut h = Hostile::new(&self.hub.url(), &dev.id, &dev.token);
        h.pull();
        h
    }

    /// What the back office sees: quotes, orders, documents.
    fn state(&self) -> String {
        let b = &self.hub.backend;
        format!(
            "{:?}\n{:?}\n{}",
            b.quotes(None, false).unwrap(),
            b.orders(None).unwrap(),
            b.counts().unwrap().documents
        )
    }

    /// Honest devices sync as before, with nothing refused.
    fn honest_devices_unaffected(&self) {
        for d in [&self.anna, &self.eva, &self.crm] {
            assert_eq!(d.sync().refusals, 0);
        }
    }

    /// A sent quote from Anna's tablet (honest), with a line at `discount` %.
    fn sent_quote(&self, discount: i64) -> Quote {
        let today = Utc::now().date_naive();
        let q = self
            .anna
            .store
            .create_quote(&self.acc1, None, "rep-anna", DisplayLocale::De, today + Days::new(30))
            .unwrap();
        let sku = self.anna.store.products().unwrap()[0].sku.clone();
        self.anna.store.add_quote_line(&q.id, &sku, Decimal::new(10, 0), Decimal::new(discount, 0), today).unwrap();
        if discount > 7 {
            self.anna.store.request_discount_approval(&q.id, "Rahmenvertrag", Utc::now()).unwrap();
            self.anna.sync();
            let path = format!("/v1/admin/quotes/{}/discount-decision", q.id);
            self.hub.admin.post_json(&path, &json!({ "approved": true })).unwrap();
            self.anna.sync();
        }
        let q = self.anna.store.send_quote(&q.id, today).unwrap();
        self.anna.sync();
        q
    }

    /// A new draft for Anna's account, valid for 30 days, with `lines`, made
    /// by hand (not by a store: its rules do not run).
    fn new_quote(&self, lines: Vec<QuoteLine>) -> Quote {
        let valid = Utc::now().date_naive() + Days::new(30);
        let mut q =
            Quote::new(new_id(), self.acc1.clone(), None, "rep-anna".into(), Currency::EUR, DisplayLocale::De, valid);
        q.lines = lines;
        q
    }

    /// The quote approved on Eva's phone (honest) and ordered by Anna.
    fn ordered(&self) -> (Quote, Order) {
        let q = self.sent_quote(0);
        self.eva.sync();
        self.eva.store.approve_quote(&q.id, approval(&self.eva.id, &q), Utc::now().date_naive()).unwrap();
        self.eva.sync();
        self.anna.sync();
        let order = self.anna.store.order_quote(&q.id, Utc::now()).unwrap();
        self.anna.sync();
        (self.anna.store.quote(&q.id).unwrap(), order)
    }
}

fn approval(device: &str, q: &Quote) -> Approval {
    fixtures::approval(q, "Eva Weiß", device, Utc::now())
}

/// `f` turns the hostile device's copy into a forbidden one: refused with
/// `code`, nothing stored; the device then drops it and its valid edit
/// `valid` goes through.
fn refused(w: &World, h: &mut Hostile, ids: &[&DocId], code: R, f: impl FnOnce(&mut Hostile)) {
    let snap = h.snapshot();
    let before = w.state();
    f(h);
    let outcome = h.push(ids);
    assert!(outcome.codes().contains(&code), "expected {code}, got {outcome:?}");
    if let Outcome::Refused(r) = &outcome {
        for (_, _, message) in r {
            assert!(!message.contains("Weiß") && !message.contains('@'), "no personal data: {message}");
        }
    }
    assert_eq!(w.state(), before, "nothing of the refused frame stored");
    h.restore(&snap);
    w.honest_devices_unaffected();
}

fn line_of(w: &World, discount: i64) -> QuoteLine {
    let p = w.anna.store.products().unwrap().into_iter().find(|p| p.active).unwrap();
    let (mut l, _) =
        w.anna.store.quote_line(&w.acc1, &p.sku, Decimal::new(10, 0), Utc::now().date_naive(), Currency::EUR).unwrap();
    l.discount_pct = Decimal::new(discount, 0);
    l
}

fn as_quote(r: &mut Record) -> &mut Quote {
    match r {
        Record::Quote(q) => q,
        _ => panic!("not a quote"),
    }
}

fn resend(q: &mut Quote) {
    q.revision_hash = q.compute_hash();
    q.state = QuoteState::Sent;
    q.sent_hash = Some(q.revision_hash.clone());
}

fn a_hostile_rep_cannot_break_the_quote_rules(db: &Db) {
    let w = world(db);
    let granted = w.sent_quote(12);
    let (ordered, _) = w.ordered();
    let mut m = w.hostile("rep-anna", "rep", None);

    // Straight to "sent" with 90 %: the policy in force refuses it.
    let mut greedy = w.new_quote(vec![line_of(&w, 90)]);
    resend(&mut greedy);
    let gid = DocId::quote(&greedy.id);
    refused(&w, &mut m, &[&gid], R::DiscountApprovalRequired, |m| {
        m.create(&gid, &Record::Quote(Box::new(greedy.clone())))
    });
    // A unit price lowered instead of a discount: the same limit.
    let mut cheap = greedy.clone();
    cheap.lines = vec![line_of(&w, 0)];
    cheap.lines[0].unit_price = (cheap.lines[0].unit_price / Decimal::new(10, 0)).round_dp(2);
    resend(&mut cheap);
    refused(&w, &mut m, &[&gid], R::DiscountApprovalRequired, |m| m.create(&gid, &Record::Quote(Box::new(cheap))));
    // Zero-rated for a domestic customer: the hub's VAT rate for the line.
    let mut untaxed = w.new_quote(vec![line_of(&w, 0)]);
    untaxed.lines[0].tax_rate_pct = Decimal::ZERO;
    resend(&mut untaxed);
    let uid = DocId::quote(&untaxed.id);
    refused(&w, &mut m, &[&uid], R::PriceMismatch, |m| m.create(&uid, &Record::Quote(Box::new(untaxed))));

    // Only options nobody chose, sent: it would order nothing.
    let mut options = w.new_quote(vec![line_of(&w, 0)]);
    options.lines[0].position = onsite_core::quote::Position::Optional;
    resend(&mut options);
    let xid = DocId::quote(&options.id);
    refused(&w, &mut m, &[&xid], R::InvalidRecord, |m| m.create(&xid, &Record::Quote(Box::new(options.clone()))));
    // Two alternatives of one group both chosen (both would count): every
    // reader, the hub first, settles the document to the first one chosen,
    // as it does a merge of two devices' choices, so it is judged, stored
    // and synced with exactly one counted.
    let mut both = w.new_quote(vec![line_of(&w, 0), line_of(&w, 0)]);
    for l in &mut both.lines {
        (l.position, l.chosen) = (onsite_core::quote::Position::Alternative { group: "A".into() }, true);
    }
    both.revision_hash = both.compute_hash();
    let bid = DocId::quote(&both.id);
    let snap = m.snapshot();
    m.create(&bid, &Record::Quote(Box::new(both.clone())));
    assert_eq!(m.push(&[&bid]), Outcome::Accepted);
    w.anna.sync();
    let settled = w.anna.store.quote(&both.id).unwrap();
    assert_eq!(settled.lines.iter().map(|l| l.chosen).collect::<Vec<_>>(), [true, false]);
    assert_eq!(settled.totals().unwrap().net_total, settled.totals().unwrap().line_nets[0], "one alternative counts");
    m.restore(&snap);

    // The granted 12 % raised to 60 % in a new revision sent at once.
    let qid = DocId::quote(&granted.id);
    refused(&w, &mut m, &[&qid], R::DiscountApprovalRequired, |m| {
        m.edit(&qid, |r| {
            let q = as_quote(r);
            q.lines[0].discount_pct = Decimal::new(60, 0);
            q.revision += 1;
            resend(q);
        })
    });
    // Changing a sent quote's content without a new revision.
    refused(&w, &mut m, &[&qid], R::Immutable, |m| {
        m.edit(&qid, |r| {
            let q = as_quote(r);
            q.lines[0].qty = Decimal::new(5000, 0);
            resend(q);
        })
    });
    // The lines of an ordered quote.
    let oid = DocId::quote(&ordered.id);
    refused(&w, &mut m, &[&oid], R::Immutable, |m| {
        m.edit(&oid, |r| {
            let q = as_quote(r);
            q.lines[0].qty = Decimal::new(1, 0);
            q.revision_hash = q.compute_hash();
        })
    });
    // Its own discount decision, under its own name or the back office's.
    let big = {
        let today = Utc::now().date_naive();
        let q = w.anna.store.create_quote(&w.acc1, None, "rep-anna", DisplayLocale::De, today + Days::new(30)).unwrap();
        let sku = w.anna.store.products().unwrap()[0].sku.clone();
        w.anna.store.add_quote_line(&q.id, &sku, Decimal::new(3, 0), Decimal::new(25, 0), today).unwrap();
        w.anna.store.request_discount_approval(&q.id, "Wettbewerber 20 % günstiger", Utc::now()).unwrap();
        w.anna.sync();
        q
    };
    m.pull();
    let did = DocId::discount(&big.id);
    for by in ["rep-anna", "backoffice"] {
        refused(&w, &mut m, &[&did], R::NotPermitted, |m| {
            m.edit(&did, |r| {
                if let Record::Discount(d) = r {
                    d.request.decided_by = Some(by.into());
                    d.request.approved = Some(true);
                    d.request.decided_at = Some(Utc::now());
                }
            })
        });
    }
    // An approval recorded on the rep's tablet (until signatures, issue 23).
    let sent = w.sent_quote(0);
    m.pull();
    let sid = DocId::quote(&sent.id);
    let dev = m.device_id.clone();
    refused(&w, &mut m, &[&sid], R::IllegalTransition, |m| {
        m.edit(&sid, |r| {
            let q = as_quote(r);
            q.approval = Some(Approval { auth: SignerAuth::RepDeviceOnSite, ..approval(&dev, q) });
            q.state = QuoteState::Approved;
        })
    });
    // A quote under another rep's name, and a clash of numbers.
    let mut foreign = greedy.clone();
    foreign.id = new_id();
    foreign.rep = "rep-ben".into();
    foreign.lines = vec![line_of(&w, 0)];
    foreign.state = QuoteState::Draft;
    foreign.sent_hash = None;
    foreign.renumber(0);
    let fid = DocId::quote(&foreign.id);
    refused(&w, &mut m, &[&fid], R::IdentityMismatch, |m| m.create(&fid, &Record::Quote(Box::new(foreign.clone()))));
    let mut twin = foreign.clone();
    twin.rep = "rep-anna".into();
    twin.number = granted.number.clone();
    twin.revision_hash = twin.compute_hash();
    refused(&w, &mut m, &[&fid], R::NumberTaken, |m| m.create(&fid, &Record::Quote(Box::new(twin.clone()))));

    // After all that, the same device's valid edit goes through.
    let mut ok = twin;
    ok.renumber(1);
    m.create(&fid, &Record::Quote(Box::new(ok.clone())));
    assert_eq!(m.push(&[&fid]), Outcome::Accepted);
    w.anna.sync();
    assert_eq!(w.anna.store.quote(&ok.id).unwrap().number, ok.number, "and reaches the rep's other tablet");
}

fn a_hostile_rep_cannot_write_what_the_core_refuses(db: &Db) {
    let w = world(db);
    let mut m = w.hostile("rep-anna", "rep", None);
    let aid = DocId::account(&w.acc1);
    let name = |v: String| {
        let aid = aid.clone();
        move |m: &mut Hostile| {
            m.edit(&aid, |r| {
                if let Record::Account(a) = r {
                    a.account.name = v;
                }
            })
        }
    };
    refused(&w, &mut m, &[&aid], R::InvalidRecord, name("Krüger\u{0} GmbH".into()));
    refused(&w, &mut m, &[&aid], R::InvalidRecord, name("Krüger \u{202E}HbmG".into()));
    refused(&w, &mut m, &[&aid], R::InvalidRecord, name("x".repeat(1 << 20)));
    // The customer group selects prices; contacts and accounts are not the rep's to delete.
    refused(&w, &mut m, &[&aid], R::NotPermitted, |m| {
        m.edit(&aid, |r| {
            if let Record::Account(a) = r {
                a.account.customer_group = Some("PREMIUM".into());
            }
        })
    });
    // Contacts are person documents (ADR 24): removing one is the back
    // office's, and none moves to another account (out of the rep's scope).
    let first = w.anna.store.contacts(&w.acc1).unwrap().remove(0);
    let pid = DocId::person(&first.id);
    refused(&w, &mut m, &[&pid], R::DeletionForbidden, |m| {
        m.edit(&pid, |r| {
            if let Record::Person(p) = r {
                p.deleted = true;
            }
        })
    });
    refused(&w, &mut m, &[&pid], R::NotPermitted, |m| {
        m.edit(&pid, |r| {
            if let Record::Person(p) = r {
                p.contact.account_id = "another-account".into();
            }
        })
    });
    refused(&w, &mut m, &[&aid], R::DeletionForbidden, |m| {
        m.edit(&aid, |r| {
            if let Record::Account(a) = r {
                a.deleted = true;
            }
        })
    });
    // 3 MiB of notes and 5,000 lines on a new quote.
    let mut q = w.new_quote(vec![line_of(&w, 0)]);
    q.notes = "x".repeat(3 << 20);
    q.revision_hash = q.compute_hash();
    let qid = DocId::quote(&q.id);
    refused(&w, &mut m, &[&qid], R::InvalidRecord, |m| m.create(&qid, &Record::Quote(Box::new(q.clone()))));
    q.notes.clear();
    q.lines = vec![line_of(&w, 0); 5000];
    q.revision_hash = q.compute_hash();
    refused(&w, &mut m, &[&qid], R::InvalidRecord, |m| m.create(&qid, &Record::Quote(Box::new(q.clone()))));
    // An activity under another rep's name.
    let period = Utc::now().format("%Y-%m").to_string();
    let act = DocId::activities(&w.acc1, &period);
    let visit = onsite_core::activity::Activity {
        id: new_id(),
        account_id: w.acc1.clone(),
        contact_id: None,
        kind: onsite_core::activity::ActivityKind::Visit,
        at: Utc::now(),
        by: "rep-ben".into(),
        subject: "Besuch".into(),
        notes: String::new(),
    };
    let month = |v: onsite_core::activity::Activity| {
        Record::Activities(onsite_core::crdt::ActivitiesRecord {
            account_id: w.acc1.clone(),
            period: period.clone(),
            activities: vec![v],
        })
    };
    refused(&w, &mut m, &[&act], R::IdentityMismatch, |m| m.create(&act, &month(visit.clone())));
    // A VAT ID's confirmation is the back office's to record.
    refused(&w, &mut m, &[&aid], R::NotPermitted, |m| {
        m.edit(&aid, |r| {
            if let Record::Account(a) = r {
                let vat_id = a.account.vat_id.clone().unwrap_or_else(|| "DE136695976".into());
                a.account.vat_confirmation = Some(onsite_core::account::VatConfirmation {
                    vat_id,
                    confirmed_on: Utc::now().date_naive(),
                    reference: "WAPIAAAAZ1Vy3GQd".into(),
                });
            }
        })
    });
    // Valid afterwards: its own visit and a new phone number.
    m.create(&act, &month(onsite_core::activity::Activity { by: "rep-anna".into(), ..visit }));
    let contact = first.id.clone();
    m.edit(&pid, |r| {
        if let Record::Person(p) = r {
            p.contact.phone = Some("+49 30 1234".into());
        }
    });
    assert_eq!(m.push(&[&pid, &act]), Outcome::Accepted);
    w.anna.sync();
    let phone = w.anna.store.contacts(&w.acc1).unwrap().into_iter().find(|c| c.id == contact).unwrap().phone;
    assert_eq!(phone.as_deref(), Some("+49 30 1234"));
}

fn a_hostile_customer_cannot_order_approve_or_erase_at_will(db: &Db) {
    let w = world(db);
    let (ordered, order) = w.ordered();
    let open = w.sent_quote(0);
    let mut m = w.hostile("eva", "customer", Some(&w.acc1));

    // A "reorder" of an order that does not exist, at prices of its own.
    let mut fake = order.clone();
    fake.id = new_id();
    fake.quote_id = None;
    fake.reorder_of = Some(new_id());
    fake.created_at = Utc::now();
    fake.lines[0].qty = Decimal::new(4_000_000, 0);
    fake.lines[0].unit_price = Decimal::new(476, 2);
    fake.lines.truncate(1);
    let fid = DocId::order(&fake.id);
    refused(&w, &mut m, &[&fid], R::OrderUnbacked, |m| m.create(&fid, &Record::Order(Box::new(fake.clone()))));
    // Of an existing order, at prices of its own.
    fake.reorder_of = Some(order.id.clone());
    refused(&w, &mut m, &[&fid], R::PriceMismatch, |m| m.create(&fid, &Record::Order(Box::new(fake.clone()))));
    // A new order of the quote (the rep's job).
    let mut again = order.clone();
    again.id = new_id();
    let gid = DocId::order(&again.id);
    refused(&w, &mut m, &[&gid], R::NotPermitted, |m| m.create(&gid, &Record::Order(Box::new(again))));

    // Emptying its own quote and account documents.
    let qid = DocId::quote(&open.id);
    refused(&w, &mut m, &[&qid], R::DeletionForbidden, |m| {
        m.raw(&qid, |doc| {
            use automerge::ReadDoc;
            use automerge::transaction::Transactable;
            let (_, obj) = doc.get(automerge::ROOT, "quote").unwrap().unwrap();
            let keys: Vec<String> = doc.keys(&obj).collect();
            for k in keys {
                doc.delete(&obj, k.as_str()).unwrap();
            }
        })
    });
    let aid = DocId::account(&w.acc1);
    refused(&w, &mut m, &[&aid], R::NotPermitted, |m| {
        m.edit(&aid, |r| {
            if let Record::Account(a) = r {
                a.contacts.clear();
                a.account.name = "weg".into();
            }
        })
    });
    // Rewriting the approval of the ordered quote, and approving with an
    // approval bound to no revision.
    let oid = DocId::quote(&ordered.id);
    refused(&w, &mut m, &[&oid], R::ApprovalInvalid, |m| {
        m.edit(&oid, |r| {
            let q = as_quote(r);
            if let Some(a) = q.approval.as_mut() {
                a.signer_name = "Jemand Anderes".into();
                a.client_address = Some("10.0.0.1".into());
            }
        })
    });
    let dev = m.device_id.clone();
    refused(&w, &mut m, &[&qid], R::ApprovalInvalid, |m| {
        m.edit(&qid, |r| {
            let q = as_quote(r);
            q.approval = Some(Approval { revision_hash: "0".repeat(64), ..approval(&dev, q) });
            q.state = QuoteState::Approved;
        })
    });
    // A price of its own on a sent quote.
    refused(&w, &mut m, &[&qid], R::NotPermitted, |m| {
        m.edit(&qid, |r| {
            let q = as_quote(r);
            q.lines[0].unit_price = Decimal::new(1, 2);
            q.revision_hash = q.compute_hash();
        })
    });

    // Valid afterwards: a reorder at the price in force, and an approval.
    let (line, _) = w
        .anna
        .store
        .quote_line(&w.acc1, &order.lines[0].sku, Decimal::new(40, 0), Utc::now().date_naive(), Currency::EUR)
        .unwrap();
    fake.lines[0].qty = Decimal::new(40, 0);
    fake.lines[0].unit_price = line.unit_price;
    fake.settle().unwrap();
    m.create(&fid, &Record::Order(Box::new(fake.clone())));
    m.edit(&qid, |r| {
        let q = as_quote(r);
        q.approval = Some(approval(&dev, q));
        q.state = QuoteState::Approved;
    });
    assert_eq!(m.push(&[&fid, &qid]), Outcome::Accepted);
    assert!(w.hub.backend.orders(None).unwrap().iter().any(|o| o.id == fake.id), "the valid reorder arrived");
    assert_eq!(w.hub.quotes("?state=approved").len(), 1);
}

fn customers_and_reps_receive_only_what_is_theirs(db: &Db) {
    let w = world(db);
    // Costs and a special price for the other customer, at the hub.
    let products = w.anna.store.products().unwrap();
    let costs: Vec<onsite_core::catalog::ProductCost> = products
        .iter()
        .map(|p| onsite_core::catalog::ProductCost { sku: p.sku.clone(), cost: Decimal::new(1, 2), seq: 0 })
        .collect();
    let special = onsite_core::catalog::PriceList {
        id: "SPECIAL-ACC2".into(),
        name: "Sonderpreise".into(),
        currency: Currency::EUR,
        scope: onsite_core::catalog::PriceListScope::Customer(w.acc2.clone()),
        valid_from: None,
        valid_to: None,
        tiers: vec![onsite_core::catalog::PriceTier {
            sku: products[0].sku.clone(),
            min_qty: Decimal::ONE,
            unit_price: Decimal::new(1, 2),
        }],
        seq: 0,
    };
    let json = onsite_core::import::export_reference_json(&[special], None, &costs, &[]);
    w.hub.admin.post_bytes("/v1/admin/catalog?format=json", "application/json", json.as_bytes()).unwrap();
    // A draft with an internal reason, and a sent quote.
    let draft = {
        let today = Utc::now().date_naive();
        let q = w.anna.store.create_quote(&w.acc1, None, "rep-anna", DisplayLocale::De, today + Days::new(30)).unwrap();
        let sku = products[0].sku.clone();
        w.anna.store.add_quote_line(&q.id, &sku, Decimal::new(3, 0), Decimal::new(25, 0), today).unwrap();
        w.anna.store.request_discount_approval(&q.id, "intern: Wettbewerber bietet 20 %", Utc::now()).unwrap();
        w.anna.sync();
        q
    };
    let sent = w.sent_quote(0);
    w.eva.sync();
    let e = &w.eva.store;
    assert!(e.quote(&sent.id).is_ok(), "the sent quote");
    assert!(e.quote(&draft.id).is_err(), "never a draft");
    assert!(e.documents().unwrap().iter().all(|d| d.kind != DocKind::Discount), "never a discount request");
    assert_ne!(e.discount_policy().unwrap().max_discount_pct, Decimal::new(7, 0), "never the policy");
    assert_eq!(e.product_cost(&products[0].sku).unwrap(), None, "never a cost");
    assert!(e.price_list("SPECIAL-ACC2").is_err());
    // A hostile customer app sees the same.
    let m = w.hostile("eva", "customer", Some(&w.acc1));
    assert!(m.ids(DocKind::Discount).is_empty() && m.record(&DocId::quote(&draft.id)).is_none());
    assert!(m.record(&DocId::quote(&sent.id)).is_some());
    // The rep has the policy and the costs; a rep without accounts has no
    // costs and no customer's special prices.
    assert_eq!(w.anna.store.discount_policy().unwrap().max_discount_pct, Decimal::new(7, 0));
    assert!(w.anna.store.product_cost(&products[0].sku).unwrap().is_some());
    assert!(w.anna.store.price_list("SPECIAL-ACC2").is_err(), "another customer's prices");
    let lonely = w.hub.device(&w.dir, "rep-new", "rep", None);
    lonely.sync();
    assert_eq!(lonely.store.product_cost(&products[0].sku).unwrap(), None);
    assert!(lonely.store.price_list("SPECIAL-ACC2").is_err());
    // Assigned the account, the rep receives its special prices.
    w.hub.assign("rep-new", &[w.acc2.as_str()]);
    lonely.sync();
    assert!(lonely.store.price_list("SPECIAL-ACC2").is_ok(), "republished on assignment");
    assert!(lonely.store.product_cost(&products[0].sku).unwrap().is_some());
}

fn approval_links_count_only_from_the_accounts_reps(db: &Db) {
    use onsite_cli::client::web_get;
    let w = world(db);
    let q = w.sent_quote(0);
    // The rep's own link opens the page.
    w.anna.store.set_approval_link_key(&w.anna.token).unwrap();
    assert_eq!(web_get(&w.anna.store.approval_link(&q.id, &w.hub.url()).unwrap(), "de").unwrap().status, 200);
    // Signed by the customer's phone, by a rep of another account, by the back office: not valid.
    w.eva.store.set_approval_link_key(&w.eva.token).unwrap();
    let ben = w.hub.device(&w.dir, "rep-ben", "rep", None);
    w.hub.assign("rep-ben", &[w.acc2.as_str()]);
    let quote = w.anna.store.quote(&q.id).unwrap();
    for (device, token) in [(&w.eva.id, &w.eva.token), (&ben.id, &ben.token), (&w.crm.id, &w.crm.token)] {
        let key = onsite_core::approval_link::LinkKey::from_token(token);
        let link = onsite_core::approval_link::ApprovalLink::sign(&quote, device, &key).unwrap();
        let page = web_get(&link.url(&w.hub.url()), "de").unwrap();
        assert_eq!(page.status, 404, "a link signed by {device}");
    }
    // The form is strict UTF-8: bytes that would become U+FFFD are a 422,
    // nothing recorded.
    let link = w.anna.store.approval_link(&q.id, &w.hub.url()).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let r = agent
        .post(&link)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(&b"decision=approve&name=Eva%FF%FEWei%C3&role=Einkauf"[..])
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(w.hub.quotes("?state=approved").len(), 0);
    // The PDF's file name is encoded by RFC 6266 and 5987.
    let pdf = agent.get(format!("{link}/quote.pdf")).call().unwrap();
    let disposition = pdf.headers().get("content-disposition").unwrap().to_str().unwrap().to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.contains("; filename*=UTF-8''"),
        "{disposition}"
    );
    // X-Forwarded-For from a peer that is not a trusted proxy is not believed.
    let a = onsite_cli::client::web_post_form(
        &link,
        &[("decision", "approve"), ("name", "Eva Weiß"), ("role", "Einkauf")],
        &[("X-Forwarded-For", "198.51.100.4")],
    )
    .unwrap();
    assert_eq!(a.status, 303);
    w.anna.sync();
    let recorded = w.anna.store.quote(&q.id).unwrap().approval.unwrap().client_address;
    assert_eq!(recorded.as_deref(), Some("127.0.0.1"), "the peer's address, not the header's");

    // Once Anna no longer serves the account, her links stop counting.
    w.hub.admin.post_json("/v1/admin/reps/rep-anna/accounts", &json!({ "remove": [w.acc1] })).unwrap();
    assert_eq!(web_get(&w.anna.store.approval_link(&q.id, &w.hub.url()).unwrap(), "de").unwrap().status, 404);
}

/// Attachments written directly (ADR 29): customers attach nothing, a rep
/// only under their own name to a quote of the same account, a visit's
/// file is never the customer's, and a stored attachment's file, parent
/// and author never change (so nobody swaps another file in behind a
/// customer's back).
fn hostile_attachments_are_refused_by_the_hub(db: &Db) {
    use onsite_core::blob::{Attachment, AttachmentParent, BlobKind, BlobRef};
    let w = world(db);
    let q = w.sent_quote(0);
    let file = BlobRef::of(BlobKind::Attachment, "zeichnung.pdf", b"%PDF-1.7\n% a drawing\n").unwrap();
    let attachment = |by: &str, parent: AttachmentParent| Attachment {
        id: new_id(),
        account_id: w.acc1.clone(),
        parent,
        file: file.clone(),
        for_customer: true,
        added_by: by.into(),
        added_at: Utc::now(),
        deleted: false,
    };
    let on_quote = AttachmentParent::Quote { quote_id: q.id.clone() };
    let create = |a: &Attachment| {
        let (id, r) = (DocId::attachment(&a.id), Record::Attachment(Box::new(a.clone())));
        move |m: &mut Hostile| m.create(&id, &r)
    };
    let id_of = |a: &Attachment| DocId::attachment(&a.id);

    let mut eva = w.hostile("eva", "customer", Some(&w.acc1));
    let a = attachment("eva", on_quote.clone());
    refused(&w, &mut eva, &[&id_of(&a)], R::NotPermitted, create(&a));

    let mut m = w.hostile("rep-anna", "rep", None);
    let a = attachment("rep-ben", on_quote.clone());
    refused(&w, &mut m, &[&id_of(&a)], R::IdentityMismatch, create(&a));
    let a = attachment("rep-anna", AttachmentParent::Quote { quote_id: new_id() });
    refused(&w, &mut m, &[&id_of(&a)], R::InvalidRecord, create(&a));
    let visit = AttachmentParent::Activity { activity_id: new_id() };
    let a = attachment("rep-anna", visit);
    refused(&w, &mut m, &[&id_of(&a)], R::InvalidRecord, create(&a));
    let mut a = attachment("rep-anna", on_quote.clone());
    a.file.name = "../../etc/passwd".into();
    refused(&w, &mut m, &[&id_of(&a)], R::InvalidRecord, create(&a));

    // A valid one goes through; then its file cannot be swapped.
    let good = attachment("rep-anna", on_quote);
    let gid = id_of(&good);
    create(&good)(&mut m);
    assert_eq!(m.push(&[&gid]), Outcome::Accepted);
    let other = BlobRef::of(BlobKind::Attachment, "andere.pdf", b"%PDF-1.7\n% another\n").unwrap();
    refused(&w, &mut m, &[&gid], R::Immutable, |m| {
        m.edit(&gid, |r| {
            if let Record::Attachment(a) = r {
                a.file = other.clone();
            }
        })
    });
    // Showing it to the customer or hiding it again may change.
    m.edit(&gid, |r| {
        if let Record::Attachment(a) = r {
            a.for_customer = false;
        }
    });
    assert_eq!(m.push(&[&gid]), Outcome::Accepted);
}
