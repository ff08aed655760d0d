//! A small blocking connection pool, each connection with the statements
//! prepared on it.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

use postgres::{Client, NoTls, Statement};

use crate::error::Result;

/// Statements prepared on one connection, by their SQL (every query is
/// prepared once per connection instead of once per call: half the round
/// trips).
pub(super) type Statements = HashMap<&'static str, Statement>;

/// A connection and its prepared statements.
struct Pooled {
    client: Client,
    statements: Statements,
}

/// A small blocking connection pool.
pub(super) struct Pool {
    url: String,
    max: usize,
    state: Mutex<(Vec<Pooled>, usize)>,
    freed: Condvar,
}

pub(super) struct Conn<'a> {
    pool: &'a Pool,
    inner: Option<Pooled>,
}

impl Conn<'_> {
    pub(super) fn parts(&mut self) -> (&mut Client, &mut Statements) {
        let p = self.inner.as_mut().unwrap_or_else(|| unreachable!("a pooled connection is present until dropped"));
        (&mut p.client, &mut p.statements)
    }

    pub(super) fn client(&mut self) -> &mut Client {
        self.parts().0
    }

    /// A prepared statement for `sql` on this connection.
    pub(super) fn statement(&mut self, sql: &'static str) -> Result<Statement> {
        let (client, statements) = self.parts();
        if let Some(s) = statements.get(sql) {
            return Ok(s.clone());
        }
        let s = client.prepare(sql)?;
        statements.insert(sql, s.clone());
        Ok(s)
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let mut st = self.pool.lock();
        match self.inner.take() {
            Some(c) if !c.client.is_closed() => st.0.push(c),
            _ => st.1 -= 1,
        }
        self.pool.freed.notify_one();
    }
}

impl Pool {
    /// A pool of at most `max` connections to `url` (none opened yet).
    pub(super) fn new(url: &str, max: usize) -> Pool {
        Pool { url: url.to_string(), max, state: Mutex::new((Vec::new(), 0)), freed: Condvar::new() }
    }

    fn lock(&self) -> MutexGuard<'_, (Vec<Pooled>, usize)> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn get(&self) -> Result<Conn<'_>> {
        let mut st = self.lock();
        loop {
            if let Some(c) = st.0.pop() {
                return Ok(Conn { pool: self, inner: Some(c) });
            }
            if st.1 < self.max {
                st.1 += 1;
                drop(st);
                // A sync is answered after its commit, and the commit is
                // on disk when it returns: `synchronous_commit = on` for
                // every connection, whatever the server's default (ADR 22).
                let connected = Client::connect(&self.url, NoTls)
                    .and_then(|mut c| c.batch_execute("SET synchronous_commit = on").map(|()| c));
                return match connected {
                    Ok(client) => Ok(Conn { pool: self, inner: Some(Pooled { client, statements: HashMap::new() }) }),
                    Err(e) => {
                        self.lock().1 -= 1;
                        Err(e.into())
                    }
                };
            }
            st = self.freed.wait(st).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}
