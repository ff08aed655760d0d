//! Plain-text tables and progress lines for the terminal.

use std::io::Write;

/// Cuts `s` to at most `width` characters, marking the cut with `…`.
pub(crate) fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Pads `s` with spaces to `width` characters (left-aligned).
pub(crate) fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// Pads `s` on the left to `width` characters (right-aligned).
pub(crate) fn rpad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{}{s}", " ".repeat(width.saturating_sub(n)))
}

/// Progress on a terminal: rewrites one line on stderr; silent when stderr
/// is not a terminal (piped or redirected), so logs stay clean.
#[derive(Debug)]
pub(crate) struct Progress {
    enabled: bool,
    label: String,
    last_percent: Option<usize>,
}

impl Progress {
    pub(crate) fn new(enabled: bool, label: &str) -> Self {
        Progress { enabled, label: label.to_string(), last_percent: None }
    }

    pub(crate) fn update(&mut self, done: usize, total: usize) {
        if !self.enabled || total == 0 {
            return;
        }
        let percent = done * 100 / total;
        if self.last_percent == Some(percent) {
            return;
        }
        self.last_percent = Some(percent);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{}: {done}/{total} ({percent}%)", self.label);
        let _ = err.flush();
    }

    pub(crate) fn finish(&mut self) {
        if self.enabled && self.last_percent.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err);
        }
    }
}

/// Where a command writes, and whether a terminal watches its progress.
pub struct Io<'a> {
    /// Results.
    pub out: &'a mut dyn Write,
    /// Whether to draw progress on stderr (a terminal is attached).
    pub progress: bool,
}

impl std::fmt::Debug for Io<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io").field("progress", &self.progress).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_and_pad_count_characters_not_bytes() {
        assert_eq!(clip("Müller-Schraube", 6), "Mülle…");
        assert_eq!(clip("kurz", 6), "kurz");
        assert_eq!(pad("ä", 3), "ä  ");
        assert_eq!(rpad("0,12 €", 8), "  0,12 €");
    }
}
