//! Device tokens: 256 random bits from the operating system, shown once as
//! `ost_` and 64 hex digits, stored only as their SHA-256.

use crate::error::{Error, Result};

/// The prefix that marks an Onsite token (and lets secret scanners find one).
pub const PREFIX: &str = "ost_";
const HEX_LEN: usize = 64;

/// A new random token.
pub fn generate() -> Result<String> {
    Ok(format!("{PREFIX}{}", random_hex()?))
}

/// 256 random bits from the operating system as 64 hex digits (tokens,
/// console sessions, CSRF tokens).
pub fn random_hex() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    let mut s = String::with_capacity(HEX_LEN);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    Ok(s)
}

/// Whether `token` has the shape of one of ours (checked before any lookup).
pub fn well_formed(token: &str) -> bool {
    token.strip_prefix(PREFIX).is_some_and(|h| h.len() == HEX_LEN && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The token in an `Authorization: Bearer …` header value.
pub fn from_header(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && well_formed(token.trim())).then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_well_formed() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(well_formed(&a), "{a}");
        assert_eq!(from_header(&format!("Bearer {a}")), Some(a.as_str()));
        assert_eq!(from_header(&format!("bearer  {a} ")), Some(a.as_str()));
        assert_eq!(from_header(&format!("Basic {a}")), None);
        assert_eq!(from_header("Bearer ost_123"), None);
        assert_eq!(from_header(&format!("Bearer {}", a.replace("ost_", "xyz_"))), None);
    }
}
