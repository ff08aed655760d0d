//! Ids and times every record uses: fresh ids (UUIDs, reproducible for
//! simulations), the id rule, timestamps. The bottom of the core: it
//! imports nothing of it.

use chrono::{DateTime, Utc};

use crate::rules::FieldError;

/// A point in time, in UTC.
pub type Timestamp = DateTime<Utc>;

thread_local! {
    static ID_SEQUENCE: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// A fresh random id (a UUID) for a new record.
pub fn new_id() -> String {
    match ID_SEQUENCE.with(std::cell::Cell::get) {
        None => uuid::Uuid::new_v4().to_string(),
        Some(state) => {
            // splitmix64, twice, for a reproducible UUID-shaped id
            let next = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            ID_SEQUENCE.with(|c| c.set(Some(next)));
            let mix = |mut z: u64| {
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            };
            let hi = mix(next);
            let lo = mix(next ^ 0xD1B5_4A32_D192_ED03);
            uuid::Builder::from_random_bytes(((u128::from(hi) << 64) | u128::from(lo)).to_be_bytes())
                .into_uuid()
                .to_string()
        }
    }
}

/// Whether [`reproducible_ids`] is on for this thread (document changes
/// then carry time 0, so their hashes replay too).
pub(crate) fn reproducible() -> bool {
    ID_SEQUENCE.with(std::cell::Cell::get).is_some()
}

/// Makes [`new_id`] on this thread reproducible from `seed` (`None`: random
/// again). For simulations and tests that must replay exactly.
pub fn reproducible_ids(seed: Option<u64>) {
    ID_SEQUENCE.with(|c| c.set(seed));
}

/// The id rule: 1 to 64 ASCII letters, digits, `-` or `_`.
pub fn check_id(field: &'static str, id: &str) -> Result<(), FieldError> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(FieldError::new(field, "must be 1-64 letters, digits, '-' or '_'"));
    }
    Ok(())
}
