//! Field rules shared by the domain types: keys, single-line and multi-line
//! text. Messages name the field, never its content (it may be personal data).

/// A field that breaks a rule: which field, and why (never its content).
/// Domain validation returns it; it converts into the crate's
/// [`Error::Validation`](crate::Error::Validation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct FieldError {
    /// The field or parameter at fault, e.g. `"sku"` or `"email"`.
    pub field: &'static str,
    /// Why it was refused, in plain words.
    pub reason: String,
}

impl FieldError {
    /// A refusal of `field`.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        FieldError { field, reason: reason.into() }
    }
}

/// Result of a domain rule.
pub type Result<T, E = FieldError> = std::result::Result<T, E>;

/// Checks a text field: not blank if `required`, at most `max` characters,
/// no control characters (line breaks and tabs only where `multiline`).
pub(crate) fn text(field: &'static str, v: &str, max: usize, required: bool, multiline: bool) -> Result<()> {
    if required && v.trim().is_empty() {
        return Err(FieldError::new(field, "is empty"));
    }
    if v.chars().count() > max {
        return Err(FieldError::new(field, format!("longer than {max} characters")));
    }
    if v.chars().any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t'))) {
        return Err(FieldError::new(field, "contains control characters"));
    }
    if v.chars().any(is_invisible_override) {
        return Err(FieldError::new(field, "contains bidirectional override or invisible formatting characters"));
    }
    Ok(())
}

/// Characters that reorder or hide text when displayed (the bidirectional
/// embeddings, overrides and isolates, the byte-order mark, interlinear
/// annotations): a name written with them reads differently from what it
/// is. Ordinary right-to-left text needs none of them.
fn is_invisible_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// A single-line text field.
pub(crate) fn line(field: &'static str, v: &str, max: usize, required: bool) -> Result<()> {
    text(field, v, max, required, false)
}

/// An optional single-line field: if present, it must not be blank.
pub(crate) fn opt_line(field: &'static str, v: &Option<String>, max: usize) -> Result<()> {
    v.as_deref().map_or(Ok(()), |s| line(field, s, max, true))
}

/// A key: 1 to `max` characters, no spaces or control characters.
pub(crate) fn key(field: &'static str, v: &str, max: usize) -> Result<()> {
    if v.is_empty() {
        return Err(FieldError::new(field, "is empty"));
    }
    if v.chars().count() > max {
        return Err(FieldError::new(field, format!("longer than {max} characters")));
    }
    if v.chars().any(|c| c.is_whitespace() || c.is_control() || is_invisible_override(c)) {
        return Err(FieldError::new(field, "contains spaces or control characters"));
    }
    Ok(())
}

/// An e-mail address: one `@`, a dotted domain, no spaces, at most 254
/// characters.
pub(crate) fn email(field: &'static str, e: &str) -> Result<()> {
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid { Ok(()) } else { Err(FieldError::new(field, "is not an e-mail address")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(line("name", "Müller", 10, true).is_ok());
        assert!(line("name", " ", 10, true).is_err());
        assert!(line("name", "", 10, false).is_ok());
        assert!(line("name", "a\nb", 10, false).is_err());
        assert!(text("description", "a\nb\tc", 10, false, true).is_ok());
        assert!(text("description", "a\u{7}", 10, false, true).is_err());
        assert!(line("name", "ääääääääääää", 10, false).is_err(), "counts characters");
        assert!(line("name", "Müller \u{202E}reppiS", 40, true).is_err(), "right-to-left override");
        assert!(line("name", "\u{2067}x\u{2069}", 40, true).is_err(), "isolates");
        assert!(line("name", "שלום עולם", 40, true).is_ok(), "plain right-to-left text");
        assert!(key("sku", "A-1", 64).is_ok());
        assert!(key("sku", "A 1", 64).is_err());
        assert!(opt_line("title", &Some(String::new()), 5).is_err());
        assert!(opt_line("title", &None, 5).is_ok());
    }
}
