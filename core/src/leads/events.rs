//! Counting a marketing tool's event export into the campaigns' figures,
//! all or nothing and each file once.

use serde::Serialize;

use super::{Campaign, CampaignStats};

/// What an event import counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EventSummary {
    /// Events counted.
    pub events: u64,
    /// Campaigns they belong to.
    pub campaigns: Vec<String>,
}

/// Counts a marketing tool's event export into the campaigns' figures.
///
/// CSV with a header (`;` or `,`): `campaign`, `event` (`sent`, `opened`,
/// `clicked`, `visit`, `submission`, `download`, `new_lead`,
/// `new_customer`), and optionally `variant` (`A`/`B` of the test send),
/// `bounced` (`1`/`0` for visits), `seconds` and `scroll_pct` (visits).
/// All or nothing: every bad row is reported by line, and a file already
/// counted (same SHA-256) is refused.
pub fn count_events(campaigns: &mut [Campaign], bytes: &[u8]) -> Result<EventSummary, Vec<crate::table::Problem>> {
    use crate::table::Problem;
    use sha2::{Digest, Sha256};
    let digest: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let problem = |line: u64, key: Option<&str>, reason: String| Problem { line, key: key.map(str::to_string), reason };
    if let Some(c) = campaigns.iter().find(|c| c.imported_files.contains(&digest)) {
        return Err(vec![problem(1, Some(&c.id), "this file was counted already".into())]);
    }
    let (cols, table) = crate::table::csv_table(bytes)?;
    let col = |n: &str| cols.iter().position(|c| c == n);
    let (Some(ci), Some(ei)) = (col("campaign"), col("event")) else {
        return Err(vec![problem(1, None, "the header needs the columns campaign and event".into())]);
    };
    let (vi, bi, si, pi) = (col("variant"), col("bounced"), col("seconds"), col("scroll_pct"));
    let mut problems = Vec::new();
    let mut summary = EventSummary::default();
    let mut adds: Vec<(usize, Option<usize>, CampaignStats)> = Vec::new();
    for (n, f) in &table {
        let n = *n;
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).map_or("", String::as_str);
        let id = get(Some(ci));
        let Some(c) = campaigns.iter().position(|c| c.id == id) else {
            problems.push(problem(n, Some(id), "unknown campaign (publish it first)".into()));
            continue;
        };
        let variant = match get(vi) {
            "" => None,
            v => match campaigns[c].variants.iter().position(|x| x.name == v) {
                Some(p) => Some(p),
                None => {
                    problems.push(problem(n, Some(id), format!("unknown variant {v:?}")));
                    continue;
                }
            },
        };
        let num = |i: Option<usize>, max: u64| -> Result<u64, String> {
            match get(i) {
                "" => Ok(0),
                v => {
                    v.parse::<u64>().ok().filter(|x| *x <= max).ok_or(format!("{v:?} is not a number from 0 to {max}"))
                }
            }
        };
        let mut s = CampaignStats::default();
        match get(Some(ei)) {
            "sent" => s.sent = 1,
            "opened" => s.opened = 1,
            "clicked" => s.clicked = 1,
            "visit" => {
                s.visits = 1;
                match (num(bi, 1), num(si, 86_400), num(pi, 100)) {
                    (Ok(b), Ok(sec), Ok(sc)) => {
                        s.bounces = b;
                        s.seconds_on_page = sec;
                        s.scroll_pct_sum = sc;
                    }
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                        problems.push(problem(n, Some(id), e));
                        continue;
                    }
                }
            }
            "submission" => s.submissions = 1,
            "download" => s.downloads = 1,
            "new_lead" => s.new_leads = 1,
            "new_customer" => s.new_customers = 1,
            other => {
                problems.push(problem(n, Some(id), format!("unknown event {other:?}")));
                continue;
            }
        }
        adds.push((c, variant, s));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for (c, v, s) in adds {
        campaigns[c].stats.add(&s);
        if let Some(v) = v {
            campaigns[c].variants[v].stats.add(&s);
        }
        summary.events += 1;
        if !summary.campaigns.contains(&campaigns[c].id) {
            summary.campaigns.push(campaigns[c].id.clone());
        }
    }
    for c in campaigns.iter_mut().filter(|c| summary.campaigns.contains(&c.id)) {
        c.imported_files.push(digest.clone());
    }
    let bad: Vec<Problem> = campaigns
        .iter()
        .filter(|c| summary.campaigns.contains(&c.id))
        .filter_map(|c| c.validate().err().map(|e| problem(1, Some(&c.id), e.to_string())))
        .collect();
    if bad.is_empty() { Ok(summary) } else { Err(bad) }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::campaign;
    use super::super::{CampaignStats, Variant};
    use super::*;

    #[test]
    fn events_are_counted_once_per_file_and_bad_rows_refuse_the_file() {
        let mut c = campaign("c-1", CampaignStats::default());
        c.variants = vec![
            Variant { name: "A".into(), description: "Betreff A".into(), stats: CampaignStats::default() },
            Variant { name: "B".into(), description: "Betreff B".into(), stats: CampaignStats::default() },
        ];
        let mut all = vec![c];
        let csv = "campaign;event;variant;bounced;seconds;scroll_pct\nc-1;sent;A\nc-1;sent;B\nc-1;opened;B\n\
                   c-1;visit;;0;95;80\nc-1;visit;;1;3;5\nc-1;download\nc-1;new_lead\n";
        let s = count_events(&mut all, csv.as_bytes()).unwrap();
        assert_eq!((s.events, s.campaigns.clone()), (7, vec!["c-1".to_string()]));
        let st = &all[0].stats;
        assert_eq!(
            (st.sent, st.opened, st.visits, st.bounces, st.seconds_on_page, st.scroll_pct_sum),
            (2, 1, 2, 1, 98, 85)
        );
        assert_eq!((all[0].variants[1].stats.sent, all[0].variants[1].stats.opened), (1, 1));
        let again = count_events(&mut all, csv.as_bytes()).unwrap_err();
        assert!(again[0].reason.contains("counted already"));
        let bad = "campaign;event;bounced\nc-9;sent;\nc-1;teleport;\nc-1;visit;7\n";
        let before = all.clone();
        let problems = count_events(&mut all, bad.as_bytes()).unwrap_err();
        assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(all, before, "nothing of a bad file is counted");
    }
}
