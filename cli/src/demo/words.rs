//! How the demo says things: durations, sizes, amounts, a quote's state,
//! a sync round trip, concurrent values.

use std::time::Instant;

use onsite_core::crdt::FieldConflict;
use onsite_core::money::{DisplayLocale, Money};
use onsite_core::quote::{ApprovalStatus, Quote, SignerAuth};
use onsite_core::sync::driver::SyncSummary;
use rust_decimal::Decimal;

use super::Device;

/// A duration since `t`, in milliseconds.
pub(super) fn ms(t: Instant) -> String {
    let us = t.elapsed().as_micros();
    if us < 10_000 { format!("{:.1} ms", us as f64 / 1000.0) } else { format!("{} ms", us / 1000) }
}

/// A size in kilobytes.
pub(super) fn kb(bytes: u64) -> String {
    if bytes < 10 * 1024 { format!("{:.1} KB", bytes as f64 / 1024.0) } else { format!("{} KB", bytes / 1024) }
}

/// A round trip of `d`'s sync.
pub(super) fn sync_line(d: &Device, r: &SyncSummary, t: Instant) -> String {
    let p = &r.progress;
    let f = &r.files;
    let mut files = String::new();
    if f.uploaded > 0 {
        files.push_str(&format!(", {} file{} up ({})", f.uploaded, plural(f.uploaded), kb(f.bytes_up)));
    }
    if f.downloaded > 0 {
        files.push_str(&format!(", {} file{} down ({})", f.downloaded, plural(f.downloaded), kb(f.bytes_down)));
    }
    format!(
        "{}: {} round trip{}, {} up, {} down{files}, {}",
        d.who,
        p.round_trips,
        plural(p.round_trips),
        kb(p.bytes_up),
        kb(p.bytes_down),
        ms(t)
    )
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// An amount in the quote's currency, in German.
pub(super) fn money(q: &Quote, d: Decimal) -> String {
    Money::new(d, q.currency).format(DisplayLocale::De)
}

/// A quote's revision, state and approval in words.
pub(super) fn status_words(q: &Quote) -> String {
    let approval = match q.approval_status() {
        ApprovalStatus::NotApproved => "not approved".to_string(),
        ApprovalStatus::Approved => {
            let a = q.approval.as_ref();
            format!(
                "approved by {} ({}) via {}",
                a.map(|a| a.signer_name.as_str()).unwrap_or_default(),
                a.map(|a| a.signer_role.as_str()).unwrap_or_default(),
                match a.map(|a| a.auth) {
                    Some(SignerAuth::WebLink) => format!(
                        "the web link from {}",
                        a.and_then(|a| a.client_address.clone()).unwrap_or_else(|| "?".into())
                    ),
                    Some(SignerAuth::CustomerDevice) => "the customer's phone".into(),
                    Some(SignerAuth::RepDeviceOnSite) => "the rep's tablet on site".into(),
                    None => String::new(),
                }
            )
        }
        ApprovalStatus::Superseded { current_revision } => format!(
            "approval superseded by revision {current_revision} ({} approved revision {})",
            q.approval.as_ref().map(|a| a.signer_name.as_str()).unwrap_or_default(),
            current_revision.saturating_sub(1)
        ),
    };
    format!("revision {}, {}, {approval}", q.revision, q.state.as_str())
}

/// Concurrent values of a field, with the device that wrote each.
pub(super) fn conflict_words(conflicts: &[FieldConflict], path_end: &str, devices: &[&Device]) -> Option<String> {
    let c = conflicts.iter().find(|c| c.path.ends_with(path_end))?;
    let name = |id: &str| {
        devices
            .iter()
            .find(|d| d.store.device_id().ok().as_deref() == Some(id))
            .map_or_else(|| id.to_string(), |d| d.who.to_string())
    };
    let values: Vec<String> = c.values.iter().map(|v| format!("{} from {}", v.value, name(&v.device_id))).collect();
    Some(values.join(" wins over "))
}
