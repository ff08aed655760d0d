//! One line per event on stderr: time, level, message. Callers pass
//! messages without personal data (device ids and reason codes only).

/// Writes one log line.
pub fn line(level: &str, message: &str) {
    eprintln!("{} {level:<5} {message}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"));
}

/// What kind of internal error it was, for the log: the variant and, for
/// errors whose text is the hub's own (storage connectivity, files, TLS),
/// the text. Errors that may quote stored records (a corrupt document, a
/// decoding failure) are named by their kind only.
pub fn kind_of(e: &crate::error::Error) -> String {
    use crate::error::Error as E;
    use onsite_core::Error as C;
    match e {
        E::Core(C::Sqlite(s)) => {
            format!("sqlite: {}", s.sqlite_error_code().map_or("other".into(), |c| format!("{c:?}")))
        }
        E::Core(C::Io(io)) => format!("i/o: {}", io.kind()),
        E::Core(C::Corrupt { what, .. }) => format!("corrupt stored data in {what}"),
        E::Core(C::Backend(_)) => "storage backend".into(),
        E::Core(other) => format!("core: {}", variant(other)),
        E::Postgres(p) => format!("postgresql: {}", p.code().map_or("connection", |c| c.code())),
        E::Tls(t) => format!("tls: {t}"),
        E::File { path, source } => format!("{}: {}", path.display(), source.kind()),
        E::Output(io) => format!("output: {}", io.kind()),
        other => variant_of_server(other).into(),
    }
}

fn variant(e: &onsite_core::Error) -> &'static str {
    use onsite_core::Error as C;
    match e {
        C::Validation { .. } => "validation",
        C::NotFound { .. } => "not found",
        C::Conflict { .. } => "conflict",
        C::Money(_) => "money",
        C::Pricing(_) => "pricing",
        C::Quote(_) => "quote",
        C::Pdf(_) => "pdf",
        C::Import(_) => "import",
        C::Sync(_) => "sync",
        C::Refused(_) => "refused",
        C::SchemaTooNew { .. } => "schema too new",
        C::EncryptionUnavailable => "encryption unavailable",
        C::Sqlite(_) => "sqlite",
        C::Io(_) => "i/o",
        C::Backend(_) => "backend",
        C::Corrupt { .. } => "corrupt",
    }
}

fn variant_of_server(e: &crate::error::Error) -> &'static str {
    use crate::error::Error as E;
    match e {
        E::NoDatabase(_) => "no database",
        E::Json(_) => "json",
        E::Usage(_) => "usage",
        E::Hub { .. } => "hub",
        E::Http(_) => "http",
        E::Random(_) => "random source",
        _ => "other",
    }
}
