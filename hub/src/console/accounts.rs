//! Accounts in the console: a rep's call list (whom to call first and
//! why) and one account's page: its buying center, its fit against every
//! persona and its interest, each with what earned the points, and its
//! activities. The scores are core's (`onsite_core::leads`), computed by
//! the hub from the documents it holds, the same way a tablet does.

use onsite_core::account::BuyingRole;
use onsite_core::leads::CallListEntry;

use super::{Lang, PAGE_ROWS, esc, layout, pager_with, t, when};
use crate::backend::AccountDetail;

/// What the call-list part of the accounts page shows.
#[derive(Debug)]
pub enum CallList {
    /// No rep chosen yet.
    NotChosen,
    /// No scoring model is published: nothing to rank by.
    NoModel,
    /// One page of the chosen rep's list and how many there are in all
    /// (the list is cut at the page shown).
    Entries(Vec<CallListEntry>, usize),
}

fn words(lang: Lang, key: &str) -> &'static str {
    let (de, en) = match key {
        "accounts" => ("Kunden", "Accounts"),
        "call_list" => ("Anrufliste", "Call list"),
        "choose_rep" => ("Außendienst wählen", "Choose a rep"),
        "show" => ("Anzeigen", "Show"),
        "open" => ("Öffnen", "Open"),
        "open_account" => ("Kunde nach ID öffnen", "Open an account by its id"),
        "no_model" => (
            "Kein Scoring-Modell veröffentlicht: Es gibt nichts, wonach sich die Liste ordnen ließe.",
            "No scoring model is published: there is nothing to rank by.",
        ),
        "pick_rep" => ("Wählen Sie oben einen Außendienst.", "Choose a rep above."),
        "rank" => ("Rang", "Rank"),
        "priority" => ("Priorität", "Priority"),
        "fit" => ("Passung", "Fit"),
        "interest" => ("Interesse", "Interest"),
        "call" => ("Anrufen", "Call"),
        "why" => ("Warum", "Why"),
        "buying_center" => ("Buying Center", "Buying center"),
        "contact" => ("Person", "Person"),
        "role" => ("Rolle", "Role"),
        "title" => ("Funktion", "Title"),
        "email" => ("E-Mail", "E-mail"),
        "phone" => ("Telefon", "Phone"),
        "consent" => ("Werbeeinwilligung", "Marketing consent"),
        "yes" => ("ja", "yes"),
        "no" => ("nein", "no"),
        "covered" => ("Besetzte Rollen", "Roles filled"),
        "missing" => ("Fehlende Rollen", "Roles missing"),
        "persona_fit" => ("Passung zur Persona", "Fit to the persona"),
        "criterion" => ("Kriterium", "Criterion"),
        "value" => ("Wert beim Kunden", "The account's value"),
        "points" => ("Punkte", "Points"),
        "unknown" => ("unbekannt (würde bis zu so viele Punkte bringen)", "unknown (would be worth up to this)"),
        "interest_items" => ("Was Interesse zeigt", "What shows interest"),
        "kind" => ("Art", "Kind"),
        "age" => ("Vor Tagen", "Days ago"),
        "no_consent" => ("ohne Einwilligung nicht gezählt", "not counted: no consent"),
        "activities" => ("Aktivitäten", "Activities"),
        "subject" => ("Betreff", "Subject"),
        "by" => ("Von", "By"),
        "at" => ("Wann", "When"),
        "quotes_of" => ("Angebote dieses Kunden", "This account's quotes"),
        "industry" => ("Branche", "Industry"),
        "employees" => ("Mitarbeitende", "Employees"),
        "address" => ("Anschrift", "Address"),
        "group" => ("Kundengruppe", "Customer group"),
        "assigned" => ("Betreuender Außendienst", "Assigned rep"),
        "scores_note" => (
            "Die Erklärungen sind die des Scoring-Modells, so wie der Außendienst sie auf dem Tablet sieht.",
            "The explanations are the scoring model's, as the rep sees them on the tablet.",
        ),
        _ => return t(lang, key),
    };
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

fn role(lang: Lang, r: BuyingRole) -> &'static str {
    let (de, en) = match r {
        BuyingRole::DecisionMaker => ("Entscheider", "decision maker"),
        BuyingRole::Influencer => ("Beeinflusser", "influencer"),
        BuyingRole::User => ("Anwender", "user"),
        BuyingRole::Gatekeeper => ("Gatekeeper", "gatekeeper"),
        BuyingRole::BudgetHolder => ("Budgetverantwortlich", "budget holder"),
    };
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

fn account_link(lang: Lang, id: &str, name: &str) -> String {
    format!("<a href=\"/console/accounts/{}?lang={}\">{}</a>", esc(id), lang.code(), esc(name))
}

fn decimal_1(lang: Lang, x: f64) -> String {
    let s = format!("{x:.1}");
    if lang == Lang::De { s.replace('.', ",") } else { s }
}

/// The accounts page: a rep's call list, and a way to open any account.
pub fn accounts_page(
    lang: Lang,
    person: &str,
    csrf: &str,
    reps: &[String],
    rep: Option<&str>,
    list: &CallList,
    page: usize,
) -> String {
    let options: String = reps
        .iter()
        .map(|r| {
            let sel = if Some(r.as_str()) == rep { " selected" } else { "" };
            format!("<option value=\"{}\"{sel}>{}</option>", esc(r), esc(r))
        })
        .collect();
    let mut body = format!(
        "<form method=\"get\" action=\"/console/accounts\"><input type=\"hidden\" name=\"lang\" value=\"{l}\">\
         <label for=\"rep\">{choose}</label><select id=\"rep\" name=\"rep\">{options}</select> \
         <button type=\"submit\">{show}</button></form>\
         <form method=\"get\" action=\"/console/accounts/open\"><input type=\"hidden\" name=\"lang\" value=\"{l}\">\
         <label for=\"account\">{open_account}</label><input id=\"account\" name=\"account\" maxlength=\"128\"> \
         <button type=\"submit\" class=\"secondary\">{open}</button></form>",
        l = lang.code(),
        choose = words(lang, "choose_rep"),
        show = words(lang, "show"),
        open_account = words(lang, "open_account"),
        open = words(lang, "open"),
    );
    match list {
        CallList::NotChosen => body.push_str(&format!("<p>{}</p>", words(lang, "pick_rep"))),
        CallList::NoModel => body.push_str(&format!("<p id=\"no-model\">{}</p>", words(lang, "no_model"))),
        CallList::Entries(entries, total) => {
            let first = page * PAGE_ROWS;
            let rows: Vec<String> = entries
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let call = match (&e.contact_name, &e.phone) {
                        (Some(n), Some(p)) => format!("{} · <a href=\"tel:{}\">{}</a>", esc(n), esc(p), esc(p)),
                        (Some(n), None) => esc(n),
                        _ => "—".into(),
                    };
                    format!(
                        "<tr data-account=\"{}\"><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td>\
                         <td class=\"n\">{} %{}</td><td class=\"n\">{}</td><td>{call}</td><td lang=\"en\">{}</td></tr>",
                        esc(&e.account_id),
                        first + i + 1,
                        account_link(lang, &e.account_id, &e.account_name),
                        decimal_1(lang, e.priority),
                        e.fit_pct,
                        e.persona.as_deref().map(|p| format!(" ({})", esc(p))).unwrap_or_default(),
                        decimal_1(lang, e.interest),
                        esc(&e.reason),
                    )
                })
                .collect();
            let caption = format!("{} · {}", words(lang, "call_list"), rep.unwrap_or_default());
            let heads = ["rank", "account", "priority", "fit", "interest", "call", "why"];
            let heads: Vec<&str> = heads.iter().map(|h| words(lang, h)).collect();
            body.push_str(&raw_table(lang, &caption, &heads, &rows));
            let query = format!("&rep={}", super::urlencode(rep.unwrap_or_default()));
            body.push_str(&pager_with(lang, "/console/accounts", &query, page, *total));
        }
    }
    layout(lang, words(lang, "accounts"), Some((person, csrf)), ("accounts", "/console/accounts"), &body)
}

/// A table whose headings are already words (not dictionary keys).
fn raw_table(lang: Lang, caption: &str, heads: &[&str], rows: &[String]) -> String {
    if rows.is_empty() {
        return format!("<h2>{}</h2><p>{}</p>", esc(caption), t(lang, "none"));
    }
    let heads: String = heads.iter().map(|h| format!("<th scope=\"col\">{}</th>", esc(h))).collect();
    format!(
        "<h2>{c}</h2><div class=\"scroll\"><table><caption class=\"skip\">{c}</caption><thead><tr>{heads}</tr>\
         </thead><tbody>{}</tbody></table></div>",
        rows.concat(),
        c = esc(caption),
    )
}

/// One account: who it is, its buying center, its scores explained, its
/// activities (one page of them).
pub fn account_page(lang: Lang, person: &str, csrf: &str, d: &AccountDetail, page: usize) -> String {
    let a = &d.account;
    let w = |k| words(lang, k);
    let addr = &a.billing_address;
    let mut body = format!(
        "<dl id=\"account\"><dt>{}</dt><dd><code>{}</code></dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>\
         <dt>{}</dt><dd>{}, {} {}, {}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>\
         <p><a href=\"/console/quotes?lang={}&account={}\">{}</a></p>",
        t(lang, "account_id"),
        esc(&a.id),
        w("industry"),
        esc(a.industry.as_deref().unwrap_or("—")),
        w("employees"),
        a.employees.map(|n| n.to_string()).unwrap_or_else(|| "—".into()),
        w("address"),
        esc(&addr.street),
        esc(&addr.postal_code),
        esc(&addr.city),
        esc(&addr.country),
        w("group"),
        esc(a.customer_group.as_deref().unwrap_or("—")),
        w("assigned"),
        esc(a.assigned_rep.as_deref().unwrap_or("—")),
        lang.code(),
        super::urlencode(&a.id),
        w("quotes_of"),
    );
    let rows: Vec<String> = d
        .contacts
        .iter()
        .map(|c| {
            format!(
                "<tr data-contact=\"{}\"><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.id),
                esc(&c.first_name),
                esc(&c.last_name),
                role(lang, c.role),
                esc(c.title.as_deref().unwrap_or_default()),
                esc(c.email.as_deref().unwrap_or_default()),
                esc(c.phone.as_deref().unwrap_or_default()),
                w(if c.consent.as_ref().is_some_and(|m| m.granted) { "yes" } else { "no" }),
            )
        })
        .collect();
    let heads: Vec<&str> = ["contact", "role", "title", "email", "phone", "consent"].iter().map(|h| w(h)).collect();
    body.push_str(&raw_table(lang, w("buying_center"), &heads, &rows));
    if let Some(s) = &d.score {
        let cov = &s.coverage;
        let list = |roles: &[BuyingRole]| roles.iter().map(|r| role(lang, *r)).collect::<Vec<_>>().join(", ");
        body.push_str(&format!(
            "<p id=\"coverage\">{}: {} · {}: <strong>{}</strong>{}</p>",
            w("covered"),
            esc(&list(&cov.known)),
            w("missing"),
            esc(&list(&cov.missing)),
            cov.hint.as_deref().map(|h| format!(" · <span lang=\"en\">{}</span>", esc(h))).unwrap_or_default(),
        ));
        body.push_str(&format!(
            "<p id=\"summary\" lang=\"en\">{}</p><p class=\"note\">{}</p>",
            esc(&s.entry.reason),
            w("scores_note")
        ));
        for f in &s.fits {
            let rows: Vec<String> = f
                .criteria
                .iter()
                .map(|c| {
                    let value = match &c.value {
                        Some(v) => esc(v),
                        None => format!("<em>{}</em>", w("unknown")),
                    };
                    format!(
                        "<tr><td>{}</td><td>{value}</td><td class=\"n\">{} / {}</td></tr>",
                        esc(&c.label),
                        c.points,
                        c.max_points
                    )
                })
                .collect();
            let caption =
                format!("{} {}: {} % ({} / {})", w("persona_fit"), f.persona_name, f.pct, f.earned, f.possible);
            let heads: Vec<&str> = ["criterion", "value", "points"].iter().map(|h| w(h)).collect();
            body.push_str(&format!(
                "<div class=\"fit\" data-persona=\"{}\" data-pct=\"{}\">{}</div>",
                esc(&f.persona_id),
                f.pct,
                raw_table(lang, &caption, &heads, &rows)
            ));
        }
        let rows: Vec<String> = s
            .interest
            .items
            .iter()
            .take(PAGE_ROWS)
            .map(|i| {
                let name = i
                    .contact_id
                    .as_ref()
                    .and_then(|id| d.contacts.iter().find(|c| &c.id == id))
                    .map(|c| format!("{} {}", c.first_name, c.last_name))
                    .unwrap_or_default();
                let points =
                    if i.excluded_no_consent { w("no_consent").to_string() } else { decimal_1(lang, i.points) };
                format!(
                    "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    esc(i.kind.as_str()),
                    esc(&name),
                    i.age_days,
                    esc(&points),
                )
            })
            .collect();
        let caption = format!("{}: {}", w("interest_items"), decimal_1(lang, s.interest.points));
        let heads: Vec<&str> = ["kind", "contact", "age", "points"].iter().map(|h| w(h)).collect();
        body.push_str(&format!("<div id=\"interest\">{}</div>", raw_table(lang, &caption, &heads, &rows)));
    } else {
        body.push_str(&format!("<p id=\"no-model\">{}</p>", w("no_model")));
    }
    let from = (page * PAGE_ROWS).min(d.activities.len());
    let to = (from + PAGE_ROWS).min(d.activities.len());
    let rows: Vec<String> = d.activities[from..to]
        .iter()
        .map(|x| {
            format!(
                "<tr data-activity=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&x.id),
                when(lang, Some(&x.at.to_rfc3339())),
                esc(x.kind.as_str()),
                esc(&x.subject),
                esc(&x.by),
            )
        })
        .collect();
    let heads: Vec<&str> = ["at", "kind", "subject", "by"].iter().map(|h| w(h)).collect();
    body.push_str(&raw_table(lang, w("activities"), &heads, &rows));
    let path = format!("/console/accounts/{}", super::urlencode(&a.id));
    body.push_str(&pager_with(lang, &path, "", page, d.activities.len()));
    layout(lang, &a.name, Some((person, csrf)), ("account", &path), &body)
}
