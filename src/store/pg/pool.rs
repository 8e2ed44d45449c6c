//! Connections to PostgreSQL: a bounded pool for reads, and PostgreSQL's failures told in Swedish.
//!
//! The driver is the synchronous `postgres` crate, which runs a small runtime of its own per
//! connection: it must never be called from an async task (the server calls the ledger from its
//! blocking threads only).

use crate::store::StoreError;
use postgres::row::Row;
use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Statement};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

/// Connections one process opens for reads at most; a reader waits for a free one beyond that.
pub const READ_CONNECTIONS_MAX: usize = 12;

/// PostgreSQL's failure, in Swedish: what rambok was doing, and the SQLSTATE code or the
/// operating system's error (PostgreSQL's own text may be English).
pub fn failure(doing: &str, e: &postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let why = match code {
            "57P01" | "57P02" | "57P03" => "servern stängs av eller startar",
            "25006" => "servern är en skrivskyddad standby",
            "53300" => "servern tar inte emot fler anslutningar",
            "28P01" | "28000" => "inloggningen nekades",
            "3D000" => "databasen finns inte",
            "42P01" => "rambok-tabellerna finns inte (skapa liggaren med `rambok init`)",
            "40001" | "40P01" => "transaktionen krockade med en annan",
            _ => "PostgreSQL vägrade",
        };
        return StoreError::Io(format!("PostgreSQL, {doing}: {why} (SQLSTATE {code})"));
    }
    if let Some(io) = std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>())
    {
        return StoreError::Io(format!(
            "PostgreSQL, {doing}: {}",
            crate::lang::io_error(io)
        ));
    }
    if e.is_closed() {
        return StoreError::Io(format!("PostgreSQL, {doing}: anslutningen är stängd"));
    }
    StoreError::Io(format!(
        "PostgreSQL, {doing}: anslutningen bröts eller servern svarade inte som väntat"
    ))
}

/// Opens a connection; `synchronous_commit = off` is raised to `on`, so a commit that returns is
/// durable (and, with a synchronous standby, on the standby too).
pub fn connect(config: &Config, shown: &str) -> Result<Conn, StoreError> {
    let mut client = config.connect(NoTls).map_err(|e| match failure("", &e) {
        StoreError::Io(why) => StoreError::Io(format!(
            "kan inte ansluta till {shown}:{}",
            why.trim_start_matches("PostgreSQL, :")
        )),
        other => other,
    })?;
    let setting = client
        .query_one("SHOW synchronous_commit", &[])
        .map_err(|e| failure("inställningarna", &e))?;
    let value: String = setting.get(0);
    if value == "off" {
        client
            .batch_execute("SET synchronous_commit = on")
            .map_err(|e| failure("inställningarna", &e))?;
    }
    Ok(Conn {
        client,
        prepared: HashMap::new(),
    })
}

/// A connection and the statements prepared on it: each of rambok's statements (a fixed set of
/// constants) is prepared once per connection, so running it again is one round trip to the
/// server rather than two (the driver prepares a statement given as text every time).
pub struct Conn {
    client: Client,
    prepared: HashMap<&'static str, Statement>,
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Conn {
    /// `sql`, prepared on this connection (the first time only).
    pub fn prepared(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.prepared.insert(sql, s.clone());
        Ok(s)
    }

    pub fn query(
        &mut self,
        sql: &'static str,
        params: Params,
    ) -> Result<Vec<Row>, postgres::Error> {
        let s = self.prepared(sql)?;
        self.client.query(&s, params)
    }

    pub fn query_opt(
        &mut self,
        sql: &'static str,
        params: Params,
    ) -> Result<Option<Row>, postgres::Error> {
        let s = self.prepared(sql)?;
        self.client.query_opt(&s, params)
    }

    pub fn query_one(&mut self, sql: &'static str, params: Params) -> Result<Row, postgres::Error> {
        let s = self.prepared(sql)?;
        self.client.query_one(&s, params)
    }

    pub fn execute(&mut self, sql: &'static str, params: Params) -> Result<u64, postgres::Error> {
        let s = self.prepared(sql)?;
        self.client.execute(&s, params)
    }

    /// The connection itself (transactions, statements run once).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// Read connections, opened as needed up to [`READ_CONNECTIONS_MAX`] and kept.
pub struct Pool {
    config: Config,
    /// Connections open at most.
    max: usize,
    shown: String,
    state: Mutex<PoolState>,
    freed: Condvar,
    /// Reads run so far (for the benchmarks: round trips per report).
    reads: AtomicU64,
    /// Connections found closed so far (a restarted server, a standby promoted).
    reopened: AtomicU64,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<Conn>,
    open: usize,
}

impl Pool {
    pub fn new(config: Config, shown: String) -> Pool {
        Pool::bounded(config, shown, READ_CONNECTIONS_MAX)
    }

    /// A pool of at most `max` connections.
    pub fn bounded(config: Config, shown: String, max: usize) -> Pool {
        Pool {
            config,
            max: max.max(1),
            shown,
            state: Mutex::new(PoolState::default()),
            freed: Condvar::new(),
            reads: AtomicU64::new(0),
            reopened: AtomicU64::new(0),
        }
    }

    fn take(&self) -> Result<Conn, StoreError> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(c) = s.idle.pop() {
                if !c.is_closed() {
                    return Ok(c);
                }
                self.reopened.fetch_add(1, Ordering::Relaxed);
                s.open -= 1;
                continue;
            }
            if s.open < self.max {
                s.open += 1;
                drop(s);
                let made = connect(&self.config, &self.shown);
                if made.is_err() {
                    self.release(None);
                }
                return made;
            }
            s = self.freed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn release(&self, client: Option<Conn>) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match client {
            Some(c) if !c.is_closed() => s.idle.push(c),
            _ => {
                self.reopened.fetch_add(1, Ordering::Relaxed);
                s.open -= 1
            }
        }
        self.freed.notify_one();
    }

    /// How many reads this pool has run.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// How many connections were found closed (or could not be opened) so far: what was read
    /// before may come from a server that is not the one answering now.
    pub fn reopened(&self) -> u64 {
        self.reopened.load(Ordering::Relaxed)
    }

    /// Runs `f` once on a pooled connection, never again on another: a write whose connection
    /// broke may have committed.
    pub fn once<T>(
        &self,
        doing: &str,
        f: impl FnOnce(&mut Conn) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut client = self.take()?;
        let result = f(&mut client);
        self.release(Some(client));
        result.map_err(|e| failure(doing, &e))
    }

    /// Runs a read on a pooled connection; a read that found its connection closed (a restarted
    /// server, a standby promoted) is tried once more on a new one.
    pub fn read<T>(
        &self,
        doing: &str,
        mut f: impl FnMut(&mut Conn) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut retried = false;
        loop {
            self.reads.fetch_add(1, Ordering::Relaxed);
            let mut client = self.take()?;
            let result = f(&mut client);
            let closed = client.is_closed();
            self.release(Some(client));
            match result {
                Err(_) if closed && !retried => retried = true,
                other => return other.map_err(|e| failure(doing, &e)),
            }
        }
    }
}
