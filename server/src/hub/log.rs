//! One line per event on stderr: time, level, message. Callers pass
//! messages without personal data (device ids and reason codes only).

/// Writes one log line.
pub fn line(level: &str, message: &str) {
    eprintln!("{} {level:<5} {message}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"));
}
