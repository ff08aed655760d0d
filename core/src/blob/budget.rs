//! What a device keeps within its storage budget (ADR 29): blobs that can
//! be fetched again are evicted least recently used first; a blob waiting
//! to be uploaded or pinned (the logo, an open quote's attachments) never.

/// One blob as eviction sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Its hash.
    pub hash: String,
    /// Bytes it takes (of a partial download: the bytes received).
    pub bytes: u64,
    /// When it was last read or stored (any monotonic number).
    pub last_used: i64,
    /// Waiting to be uploaded: the only copy.
    pub pending: bool,
    /// Pinned: needed offline (the logo, an open quote's attachments).
    pub pinned: bool,
}

impl Held {
    /// Whether it may be evicted.
    pub fn evictable(&self) -> bool {
        !self.pending && !self.pinned
    }
}

/// The hashes to evict so that what stays, plus `room` bytes about to be
/// stored, fits `budget`: least recently used first (ties by hash, so the
/// choice is reproducible), only evictable blobs. When the blobs that may
/// not be evicted alone exceed the budget, every evictable one goes and
/// the budget stays exceeded: nothing pending is ever lost.
pub fn evictions(held: &[Held], budget: u64, room: u64) -> Vec<String> {
    let mut used: u64 = held.iter().map(|h| h.bytes).sum();
    let limit = budget.saturating_sub(room);
    if used <= limit {
        return Vec::new();
    }
    let mut candidates: Vec<&Held> = held.iter().filter(|h| h.evictable()).collect();
    candidates.sort_by(|a, b| a.last_used.cmp(&b.last_used).then_with(|| a.hash.cmp(&b.hash)));
    let mut out = Vec::new();
    for c in candidates {
        if used <= limit {
            break;
        }
        used -= c.bytes;
        out.push(c.hash.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn held() -> impl Strategy<Value = Vec<Held>> {
        proptest::collection::vec((0u64..5_000, 0i64..100, any::<bool>(), any::<bool>()), 0..40).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (bytes, last_used, pending, pinned))| Held {
                    hash: format!("{i:064x}"),
                    bytes,
                    last_used,
                    pending: pending && i % 3 == 0,
                    pinned: pinned && i % 4 == 0,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn the_budget_holds_and_nothing_pending_or_pinned_goes(held in held(), budget in 0u64..60_000, room in 0u64..5_000) {
            let gone = evictions(&held, budget, room);
            let kept: Vec<&Held> = held.iter().filter(|h| !gone.contains(&h.hash)).collect();
            let used: u64 = kept.iter().map(|h| h.bytes).sum();
            let fixed: u64 = held.iter().filter(|h| !h.evictable()).map(|h| h.bytes).sum();
            // Never exceeded after eviction, unless what may not go exceeds it alone.
            prop_assert!(used + room <= budget || used == fixed, "used {used} room {room} budget {budget} fixed {fixed}");
            for h in &held {
                if !h.evictable() {
                    prop_assert!(!gone.contains(&h.hash), "evicted {h:?}");
                }
            }
            // Least recently used first: whatever stays evictable is no older than what went.
            let newest_gone = held.iter().filter(|h| gone.contains(&h.hash)).map(|h| h.last_used).max();
            if let Some(newest) = newest_gone {
                for k in kept.iter().filter(|k| k.evictable()) {
                    prop_assert!(k.last_used >= newest, "kept {k:?} older than an evicted one");
                }
            }
            // Nothing evicted when it all fits.
            let all: u64 = held.iter().map(|h| h.bytes).sum();
            if all + room <= budget {
                prop_assert!(gone.is_empty());
            }
        }
    }

    #[test]
    fn oldest_go_first() {
        let h = |n: &str, bytes, last_used| Held { hash: n.into(), bytes, last_used, pending: false, pinned: false };
        let held = vec![h("a", 10, 3), h("b", 10, 1), h("c", 10, 2)];
        assert_eq!(evictions(&held, 25, 0), vec!["b".to_string()]);
        assert_eq!(evictions(&held, 25, 10), vec!["b".to_string(), "c".to_string()]);
        assert!(evictions(&held, 30, 0).is_empty());
    }
}
