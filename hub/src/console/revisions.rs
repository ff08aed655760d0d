//! A quote's revisions side by side, what changed between them, and the
//! concurrent values still open (ADR 31).

use super::{Lang, QuoteDetail, date, esc, pct, state_words, t, table, when};

/// Most revisions shown side by side (the newest).
const SIDE_BY_SIDE: usize = 4;

/// The revisions side by side: one row per header field and line, one
/// column per revision, a cell marked where it differs from the column
/// before; then the differences in words, and the open concurrent values.
pub(super) fn revisions_section(lang: Lang, d: &QuoteDetail) -> String {
    use onsite_core::quote::{Quote, compare};
    let revs = &d.history.revisions;
    let shown = &revs[revs.len().saturating_sub(SIDE_BY_SIDE)..];
    let who = |id: &str| d.device_labels.get(id).cloned().unwrap_or_else(|| id.to_string());
    let mut out = format!("<section id=\"revisions\" data-count=\"{}\"><h2>{}</h2>", revs.len(), t(lang, "revisions"));
    if shown.is_empty() {
        out.push_str(&format!("<p>{}</p></section>", t(lang, "none")));
        return out;
    }
    let line_text = |l: &onsite_core::quote::QuoteLine| {
        format!("{} × {} −{}", l.qty.normalize(), l.unit_price.normalize(), pct(lang, l.discount_pct.normalize()))
    };
    // Row keys in a stable order: header fields, then every line of any shown revision.
    let mut keys: Vec<(String, String)> = vec![
        ("valid_until".into(), t(lang, "valid_until").into()),
        ("contact_id".into(), t(lang, "contact").into()),
        ("payment_terms".into(), t(lang, "payment_terms").into()),
        ("delivery_terms".into(), t(lang, "delivery_terms").into()),
        ("notes".into(), t(lang, "notes").into()),
        ("header_discount_pct".into(), t(lang, "header_discount").into()),
    ];
    let line_key = |i: usize, sku: &str| if sku.is_empty() { format!("#{}", i + 1) } else { sku.to_string() };
    for r in shown {
        for (i, l) in r.quote.lines.iter().enumerate() {
            let k = format!("line:{}", line_key(i, &l.sku));
            if !keys.iter().any(|(x, _)| *x == k) {
                keys.push((k, format!("{} {}", l.sku, l.name)));
            }
        }
    }
    let cell = |q: &Quote, key: &str| -> String {
        match key {
            "valid_until" => date(lang, q.valid_until),
            "contact_id" => q.contact_id.clone().unwrap_or_default(),
            "payment_terms" => q.payment_terms.clone(),
            "delivery_terms" => q.delivery_terms.clone(),
            "notes" => q.notes.clone(),
            "header_discount_pct" => pct(lang, q.header_discount_pct.normalize()),
            k => {
                let want = k.trim_start_matches("line:");
                q.lines
                    .iter()
                    .enumerate()
                    .find(|(i, l)| line_key(*i, &l.sku) == want)
                    .map(|(_, l)| line_text(l))
                    .unwrap_or_else(|| "—".into())
            }
        }
    };
    let heads: String = shown
        .iter()
        .map(|r| {
            format!(
                "<th scope=\"col\">{} {} <span class=\"note\">({}, {} {})</span></th>",
                t(lang, "revision"),
                r.quote.revision,
                state_words(lang, r.quote.state),
                t(lang, "made_on"),
                esc(&format!(
                    "{} · {}",
                    r.changed_at.map(|t| when(lang, Some(&t.to_rfc3339()))).unwrap_or_default(),
                    who(&r.device_id)
                )),
            )
        })
        .collect();
    let rows: String = keys
        .iter()
        .filter(|(k, _)| {
            // A header field nobody ever filled stays out.
            k.starts_with("line:") || shown.iter().any(|r| !cell(&r.quote, k).is_empty())
        })
        .map(|(k, label)| {
            let mut prev: Option<String> = None;
            let cells: String = shown
                .iter()
                .map(|r| {
                    let v = cell(&r.quote, k);
                    let changed = prev.as_ref().is_some_and(|p| *p != v);
                    prev = Some(v.clone());
                    if changed {
                        format!(
                            "<td class=\"changed\" data-changed=\"{}\"><mark>{}</mark> <span class=\"skip\">({})</span></td>",
                            esc(k),
                            esc(&v),
                            t(lang, "changed")
                        )
                    } else {
                        format!("<td>{}</td>", esc(&v))
                    }
                })
                .collect();
            format!("<tr><th scope=\"row\">{}</th>{cells}</tr>", esc(label))
        })
        .collect();
    out.push_str(&format!(
        "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">{}</th>{heads}</tr></thead><tbody>{rows}</tbody></table></div>",
        t(lang, "field")
    ));
    if revs.len() < 2 {
        out.push_str(&format!("<p>{}</p>", t(lang, "no_changes")));
    } else {
        let mut items = String::new();
        for pair in revs.windows(2).rev().take(SIDE_BY_SIDE) {
            let diffs = compare(&pair[0].quote, &pair[1].quote);
            let words: Vec<String> = diffs
                .iter()
                .map(|x| {
                    format!(
                        "<li data-what=\"{}\">{}: {} → {}</li>",
                        esc(&x.what),
                        esc(&x.what),
                        esc(&x.before),
                        esc(&x.after)
                    )
                })
                .collect();
            items.push_str(&format!(
                "<h3>{} {} → {}</h3><ul>{}</ul>",
                t(lang, "revision"),
                pair[0].quote.revision,
                pair[1].quote.revision,
                words.concat()
            ));
        }
        out.push_str(&format!("<div id=\"changes\"><h2>{}</h2>{items}</div>", t(lang, "changes")));
    }
    out.push_str("</section>");
    let rows: Vec<String> = d
        .history
        .conflicts
        .iter()
        .map(|c| {
            let values: Vec<String> =
                c.values.iter().map(|v| format!("<li>{} ({})</li>", esc(&v.value), esc(&who(&v.device_id)))).collect();
            format!(
                "<tr data-conflict=\"{}\"><td>{}</td><td><ol>{}</ol></td></tr>",
                esc(&c.path),
                esc(&c.path),
                values.concat()
            )
        })
        .collect();
    if rows.is_empty() {
        out.push_str(&format!("<h2 id=\"conflicts\">{}</h2><p>{}</p>", t(lang, "conflicts"), t(lang, "no_conflicts")));
    } else {
        out.push_str(&format!(
            "<div id=\"conflicts\">{}</div>",
            table(lang, t(lang, "conflicts"), &["field", "values"], &rows)
        ));
    }
    out
}
