//! Who sends the documents (ADR 26), on SQLite and PostgreSQL: before a
//! company profile is published every PDF and approval page says it is a
//! sample; the back office publishes the company profile and the reps'
//! profiles over the API; devices receive them with the catalog (a
//! customer only the profiles of the reps serving its account, also of a
//! rep assigned later); the rep's tablet, the hub's approval page and its
//! PDF print them. Profiles are refused whole when they break a rule, and
//! only the back office may publish them.

use std::process::Command;

use chrono::{Days, Utc};
use onsite_cli::client::{HubClient, web_get};
use onsite_core::money::DisplayLocale;
use onsite_core::pdf::{PdfOptions, RepContact};
use rust_decimal::Decimal;
use serde_json::json;

use super::common::*;

on_both_backends!(published_profiles_reach_every_document_and_only_the_devices_that_need_them,);

fn pdf_text(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext (tests/run.sh installs it)");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn published_profiles_reach_every_document_and_only_the_devices_that_need_them(db: &Db) {
    let hub = hub_with(db, onsite_hub::HubConfig { trusted_proxies: vec![[127, 0, 0, 1].into()], ..quiet() });
    let dir = db.dir.path();
    publish_catalog(&hub, 20);
    let (_crm, accounts) = seed_accounts(&hub, dir, 2);
    hub.assign("rep-anna", &[&accounts[0]]);
    hub.assign("rep-ben", &[&accounts[1]]);
    let anna = hub.device(dir, "rep-anna", "rep", None);
    anna.store.set_approval_link_key(&anna.token).unwrap();
    anna.sync();

    // Nothing published: the tablet's PDF and the approval page are samples.
    let today = Utc::now().date_naive();
    let q = anna.store.create_quote(&accounts[0], None, "rep-anna", DisplayLocale::De, today + Days::new(30)).unwrap();
    let sku = anna.store.products().unwrap()[0].sku.clone();
    anna.store.add_quote_line(&q.id, &sku, Decimal::new(10, 0), Decimal::ZERO, today).unwrap();
    let q = anna.store.send_quote(&q.id, today).unwrap();
    anna.sync();
    let opts = PdfOptions { approval_base_url: hub.url(), ..PdfOptions::dated(today) };
    let text = pdf_text(dir, "before.pdf", &anna.store.render_quote_pdf(&q.id, RepContact::default(), &opts).unwrap());
    assert!(text.contains("MUSTER – kein Firmenprofil veröffentlicht"), "{text}");
    assert!(text.contains("rep-anna"), "without a profile the rep's id: {text}");
    let link = anna.store.approval_link(&q.id, &hub.url()).unwrap();
    let page = web_get(&link, "de").unwrap().text();
    assert!(page.contains("id=\"sample\""), "the page says it is a sample");
    assert_eq!(status(hub.admin.get_json("/v1/admin/company").unwrap_err()), 404);

    // A profile that breaks a rule is refused whole; a rep may not publish.
    let mut company = serde_json::to_value(onsite_core::sample::company_profile(&hub.url())).unwrap();
    company["vat_id"] = json!("DE136695977");
    assert_eq!(status(hub.admin.put_json("/v1/admin/company", &company).unwrap_err()), 422);
    company["vat_id"] = json!("DE136695976");
    company["register_number"] = serde_json::Value::Null;
    assert_eq!(status(hub.admin.put_json("/v1/admin/company", &company).unwrap_err()), 422);
    company["register_number"] = json!("HRB 31337");
    let rep_client = HubClient::new(&hub.url(), &anna.token, None).unwrap();
    // (No body: the hub refuses from the headers, see hub.rs.)
    assert_eq!(status(rep_client.put_bytes("/v1/admin/company", "application/json", b"").unwrap_err()), 403);
    let bad_rep = json!({ "name": "Anna Berger", "email": "not-an-address" });
    assert_eq!(status(hub.admin.put_json("/v1/admin/reps/rep-anna/profile", &bad_rep).unwrap_err()), 422);
    assert_eq!(status(hub.admin.get_json("/v1/admin/company").unwrap_err()), 404, "nothing was published");

    hub.admin.put_json("/v1/admin/company", &company).unwrap();
    for (rep, name, title) in
        [("rep-anna", "Anna Berger", "Außendienst Region Süd"), ("rep-ben", "Ben Vogt", "Außendienst Region Mitte")]
    {
        let body = json!({ "name": name, "title": title, "phone": "+49 171 2233445", "email": "vertrieb@keller-befestigung.de" });
        hub.admin.put_json(&format!("/v1/admin/reps/{rep}/profile"), &body).unwrap();
    }
    assert_eq!(hub.admin.get_json("/v1/admin/reps/rep-ben/profile").unwrap()["name"], "Ben Vogt");

    // The rep's tablet prints them after its next sync.
    anna.sync();
    assert_eq!(anna.store.rep_profiles().unwrap().len(), 2, "staff see every rep");
    let text = pdf_text(dir, "after.pdf", &anna.store.render_quote_pdf(&q.id, RepContact::default(), &opts).unwrap());
    for needle in [
        "Keller Befestigungstechnik GmbH",
        "Amtsgericht Nürnberg HRB 31337",
        "Geschäftsführung: Dr. Eva Roth, Jan Mertens",
        "IBAN DE89 3704 0044 0532 0130 00",
        "Anna Berger",
        "Außendienst Region Süd",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in {text}");
    }
    assert!(!text.contains("MUSTER") && !text.contains("rep-anna"), "{text}");

    // A customer's phone receives the sender and only its own rep.
    let eva = hub.device(dir, "eva", "customer", Some(&accounts[0]));
    eva.sync();
    assert_eq!(
        eva.store.company_profile().unwrap().map(|c| c.full_name()).as_deref(),
        Some("Keller Befestigungstechnik GmbH")
    );
    let names: Vec<String> = eva.store.rep_profiles().unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["Anna Berger"], "never another customer's rep");
    // Ben is assigned to Eva's account too: his profile follows.
    hub.assign("rep-ben", &[&accounts[0]]);
    eva.sync();
    let names: Vec<String> = eva.store.rep_profiles().unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["Anna Berger", "Ben Vogt"]);

    // The hub's approval page and its PDF name the company and the rep.
    let page = web_get(&link, "de").unwrap().text();
    assert!(page.contains("Keller Befestigungstechnik GmbH") && page.contains("Anna Berger"), "{page}");
    assert!(!page.contains("id=\"sample\"") && !page.contains("rep-anna"), "{page}");
    let pdf = web_get(&format!("{link}/quote.pdf"), "de").unwrap();
    let text = pdf_text(dir, "hub.pdf", &pdf.body);
    assert!(text.contains("USt-IdNr. DE136695976") && text.contains("Anna Berger"), "{text}");
    assert!(!text.contains("MUSTER"), "{text}");

    // A quote with an optional position: the page marks it and leaves its
    // net out of the total; choosing it is a new revision the customer approves.
    let q2 = anna.store.create_quote(&accounts[0], None, "rep-anna", DisplayLocale::De, today + Days::new(30)).unwrap();
    let skus: Vec<String> = anna.store.products().unwrap().iter().take(2).map(|p| p.sku.clone()).collect();
    for sku in &skus {
        anna.store.add_quote_line(&q2.id, sku, Decimal::new(10, 0), Decimal::ZERO, today).unwrap();
    }
    let optional = onsite_core::quote::PositionChange {
        index: 1,
        position: onsite_core::quote::Position::Optional,
        chosen: false,
    };
    anna.store.set_quote_positions(&q2.id, &[optional]).unwrap();
    let q2 = anna.store.send_quote(&q2.id, today).unwrap();
    anna.sync();
    let t = q2.totals().unwrap();
    let link2 = anna.store.approval_link(&q2.id, &hub.url()).unwrap();
    let page = web_get(&link2, "de").unwrap().text();
    let money = |d| onsite_core::money::Money::new(d, q2.currency).format(DisplayLocale::De);
    assert!(page.contains("Optionale Position – nicht in der Summe"), "{page}");
    assert!(page.contains(&format!("({})", money(t.line_nets[1]))), "{page}");
    assert!(page.contains(&money(t.gross_total)) && t.net_total == t.line_nets[0], "the total leaves it out");
    let chosen = anna.store.choose_quote_position(&q2.id, 1, true).unwrap();
    assert_eq!(chosen.revision, 2, "the choice is a new revision");
    assert!(chosen.totals().unwrap().net_total > t.net_total);
}
