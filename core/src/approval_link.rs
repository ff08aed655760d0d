//! Signed approval links: the link a quote PDF prints (and encodes as a QR
//! code) so a customer without the app can approve one exact revision in a
//! browser.
//!
//! A device makes the link offline, when it renders the PDF, so the hub
//! cannot hand it out. Instead each device holds a *link key* derived from
//! its own token (HMAC-SHA256 of a fixed label under the token); the hub
//! derives the same key when it issues the token and keeps it. A link names
//! the quote, its revision number and the first 16 hex digits of the
//! revision hash, the last day it is valid (the quote's validity), the
//! device that signed it, and 128 bits of an HMAC over all of that. A
//! leaked link for revision 1 therefore cannot approve revision 2: the hub
//! compares revision and hash with the quote it holds (ADR 13).
//!
//! The link is one path segment, fields separated by dots:
//! `{base}/a/{quote id}.{revision}.{hash16}.{yyyymmdd}.{device id}.{signature}`.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::quote::Quote;

/// The label a device's link key is derived under.
const KEY_LABEL: &[u8] = b"onsite approval links v1";
/// What the signature covers starts with this.
const MESSAGE_LABEL: &str = "onsite-approval-link/v1";
/// Longest link segment accepted (the real ones are about 140 characters).
pub const MAX_LINK_LEN: usize = 300;

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// The key a device signs its approval links with.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkKey(pub [u8; 32]);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

impl LinkKey {
    /// The key that belongs to a device token (the device and the hub both
    /// derive it; it never travels).
    pub fn from_token(token: &str) -> LinkKey {
        LinkKey(hmac_sha256(token.as_bytes(), KEY_LABEL))
    }

    /// From stored bytes; `None` unless exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<LinkKey> {
        <[u8; 32]>::try_from(bytes).ok().map(LinkKey)
    }
}

/// Why a link segment is not a link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not of the link's shape.
    #[error("not an approval link: {0}")]
    Malformed(&'static str),
    /// The ids cannot be put into a link.
    #[error("cannot make a link: {0}")]
    Unlinkable(&'static str),
}

/// A parsed or freshly signed approval link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalLink {
    /// The quote.
    pub quote_id: String,
    /// The revision number the link is for.
    pub revision: u32,
    /// The first 16 hex digits of that revision's hash.
    pub hash_prefix: String,
    /// The last day the link is valid (inclusive).
    pub expires: NaiveDate,
    /// The device that signed it.
    pub device_id: String,
    signature: [u8; 16],
}

fn id_ok(id: &str) -> bool {
    crate::ids::check_id("id", id).is_ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex16(s: &str) -> Option<[u8; 16]> {
    if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl ApprovalLink {
    /// Signs a link for the quote's current revision, valid through its
    /// `valid_until`.
    pub fn sign(quote: &Quote, device_id: &str, key: &LinkKey) -> Result<ApprovalLink, LinkError> {
        if !id_ok(&quote.id) {
            return Err(LinkError::Unlinkable("the quote id is not 1-64 letters, digits, '-' or '_'"));
        }
        if !id_ok(device_id) {
            return Err(LinkError::Unlinkable("the device id is not 1-64 letters, digits, '-' or '_'"));
        }
        let prefix: String = quote.revision_hash.chars().take(16).collect();
        if prefix.len() != 16 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(LinkError::Unlinkable("the quote has no revision hash"));
        }
        let mut link = ApprovalLink {
            quote_id: quote.id.clone(),
            revision: quote.revision,
            hash_prefix: prefix.to_ascii_lowercase(),
            expires: quote.valid_until,
            device_id: device_id.to_string(),
            signature: [0; 16],
        };
        link.signature = link.expected(key);
        Ok(link)
    }

    fn message(&self) -> String {
        format!(
            "{MESSAGE_LABEL}\n{}\n{}\n{}\n{}\n{}",
            self.quote_id,
            self.revision,
            self.hash_prefix,
            self.expires.format("%Y%m%d"),
            self.device_id
        )
    }

    fn expected(&self, key: &LinkKey) -> [u8; 16] {
        let mac = hmac_sha256(&key.0, self.message().as_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&mac[..16]);
        out
    }

    /// Whether `key` made this link (compared in constant time).
    pub fn verify(&self, key: &LinkKey) -> bool {
        let expected = self.expected(key);
        expected.iter().zip(self.signature.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// Whether the link is for the quote's current revision.
    pub fn is_current_for(&self, quote: &Quote) -> bool {
        self.quote_id == quote.id
            && self.revision == quote.revision
            && quote.revision_hash.to_ascii_lowercase().starts_with(&self.hash_prefix)
    }

    /// The path segment after `/a/`.
    pub fn segment(&self) -> String {
        format!(
            "{}.{}.{}.{}.{}.{}",
            self.quote_id,
            self.revision,
            self.hash_prefix,
            self.expires.format("%Y%m%d"),
            self.device_id,
            hex(&self.signature)
        )
    }

    /// The whole link under the hub's public address, e.g.
    /// `https://hub.example.com/a/…`.
    pub fn url(&self, base: &str) -> String {
        format!("{}/a/{}", base.trim_end_matches('/'), self.segment())
    }

    /// Parses the path segment after `/a/`. Never panics; says what is wrong.
    pub fn parse(segment: &str) -> Result<ApprovalLink, LinkError> {
        if segment.len() > MAX_LINK_LEN {
            return Err(LinkError::Malformed("too long"));
        }
        let parts: Vec<&str> = segment.split('.').collect();
        let [quote_id, revision, prefix, expires, device_id, signature] = parts[..] else {
            return Err(LinkError::Malformed("wrong number of parts"));
        };
        if !id_ok(quote_id) || !id_ok(device_id) {
            return Err(LinkError::Malformed("bad id"));
        }
        if revision.is_empty()
            || revision.len() > 9
            || revision.starts_with('0')
            || !revision.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(LinkError::Malformed("bad revision"));
        }
        let revision: u32 = revision.parse().map_err(|_| LinkError::Malformed("bad revision"))?;
        if prefix.len() != 16 || !prefix.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Err(LinkError::Malformed("bad revision hash"));
        }
        if expires.len() != 8 || !expires.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LinkError::Malformed("bad date"));
        }
        let expires = NaiveDate::parse_from_str(expires, "%Y%m%d").map_err(|_| LinkError::Malformed("bad date"))?;
        let signature = unhex16(signature).ok_or(LinkError::Malformed("bad signature"))?;
        Ok(ApprovalLink {
            quote_id: quote_id.to_string(),
            revision,
            hash_prefix: prefix.to_string(),
            expires,
            device_id: device_id.to_string(),
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use proptest::prelude::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// RFC 4231 test cases 1, 2, 4 and 6 (the last with a key longer than a block).
    #[test]
    fn hmac_matches_rfc_4231() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 4] = [
            (vec![0x0b; 20], b"Hi There".to_vec(), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
        ];
        for (key, msg, want) in cases {
            assert_eq!(hex(&hmac_sha256(&key, &msg)), want);
        }
    }

    fn quote() -> Quote {
        let line = fixtures::line("A", rust_decimal::Decimal::ONE, rust_decimal::Decimal::TEN);
        fixtures::quote("8d0c2f7e-3a41-4f7b-9f0e-2b1c6d5e4a33", vec![line])
    }

    #[test]
    fn a_signed_link_round_trips_and_verifies_only_with_its_key() {
        let q = quote();
        let key = LinkKey::from_token("ost_aaaa");
        let link = ApprovalLink::sign(&q, "tablet-1", &key).unwrap();
        let url = link.url("https://hub.example.com/");
        assert!(url.starts_with("https://hub.example.com/a/8d0c2f7e-"), "{url}");
        let back = ApprovalLink::parse(url.rsplit('/').next().unwrap()).unwrap();
        assert_eq!(back, link);
        assert!(back.verify(&key));
        assert!(!back.verify(&LinkKey::from_token("ost_aaab")));
        assert!(back.is_current_for(&q));
        assert_eq!(back.expires, q.valid_until);
    }

    #[test]
    fn changing_any_field_breaks_the_signature() {
        let q = quote();
        let key = LinkKey::from_token("ost_key");
        let seg = ApprovalLink::sign(&q, "tablet-1", &key).unwrap().segment();
        let parts: Vec<&str> = seg.split('.').collect();
        let edits = [
            (0, "8d0c2f7e-3a41-4f7b-9f0e-2b1c6d5e4a34".to_string()),
            (1, (q.revision + 1).to_string()),
            (2, "0000000000000000".to_string()),
            (3, "20991231".to_string()),
            (4, "tablet-2".to_string()),
        ];
        for (i, v) in edits {
            let mut p: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
            p[i] = v;
            let forged = ApprovalLink::parse(&p.join(".")).unwrap();
            assert!(!forged.verify(&key), "edit of part {i} still verifies");
        }
    }

    #[test]
    fn a_link_for_revision_1_is_not_current_for_revision_2() {
        let mut q = quote();
        let key = LinkKey::from_token("ost_key");
        let link = ApprovalLink::sign(&q, "tablet-1", &key).unwrap();
        q.revision += 1;
        q.revision_hash = "f".repeat(64);
        assert!(link.verify(&key));
        assert!(!link.is_current_for(&q));
    }

    #[test]
    fn malformed_segments_are_refused_with_a_reason() {
        let good = ApprovalLink::sign(&quote(), "tablet-1", &LinkKey::from_token("t")).unwrap().segment();
        let bad = [
            String::new(),
            "a.b".into(),
            good.replace('.', ".."),
            good.replacen(".1.", ".0.", 1),
            good.replacen(".1.", ".99999999999.", 1),
            format!("{good}.x"),
            good.to_uppercase(),
            "x".repeat(400),
            good.replace("tablet-1", "tablet/1"),
        ];
        for s in bad {
            assert!(matches!(ApprovalLink::parse(&s), Err(LinkError::Malformed(_))), "{s}");
        }
        let mut q = quote();
        q.id = "with.dot".into();
        assert!(matches!(ApprovalLink::sign(&q, "d", &LinkKey::from_token("t")), Err(LinkError::Unlinkable(_))));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,200}") {
            let _ = ApprovalLink::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_link_like_input(s in "[0-9a-f.\\-]{0,160}") {
            if let Ok(link) = ApprovalLink::parse(&s) {
                prop_assert_eq!(link.segment(), s);
            }
        }
    }
}
