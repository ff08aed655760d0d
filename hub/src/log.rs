//! One line per event on stderr: time, level, message. Callers pass
//! messages without personal data (device ids and reason codes only).

/// Writes one log line.
pub fn line(level: &str, message: &str) {
    eprintln!("{} {level:<5} {message}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"));
}

/// What kind of internal error it was, for the log: the variant and, for
/// errors whose text is the hub's own (storage connectivity, TLS), the
/// text. Errors that may quote stored records (a corrupt document, a
/// decoding failure) are named by their kind only.
pub fn kind_of(e: &crate::Error) -> String {
    use crate::Error as E;
    use onsite_core::Error as C;
    match e {
        E::Core(C::Sqlite(s)) => {
            format!("sqlite: {}", s.sqlite_error_code().map_or("other".into(), |c| format!("{c:?}")))
        }
        E::Core(C::Io(io)) | E::Io(io) => format!("i/o: {}", io.kind()),
        E::Core(C::Corrupt { what, .. }) => format!("corrupt stored data in {what}"),
        E::Core(other) => format!("core: {}", other.variant()),
        E::Postgres(p) => format!("postgresql: {}", p.code().map_or("connection", |c| c.code())),
        E::Tls(t) => format!("tls: {t}"),
        E::Json(_) => "json".into(),
        E::Config(_) => "configuration".into(),
        E::Random(_) => "random source".into(),
        E::Worker(_) => "worker".into(),
    }
}
