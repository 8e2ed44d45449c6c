//! API tokens, accounts and the access log of a ledger in PostgreSQL: the three trees of
//! `store::accounts` as rows of one table, keyed by the ledger's name like its log and index, so
//! every server of a ledger shares them and no ledger reads or writes another's.
//!
//! ```sql
//! rambok_accounts (ledger text, tree text, key bytea, value bytea)  -- key (ledger, tree, key)
//! ```
//!
//! The table came after the first three (schema 2): `rambok init` creates it with them, and the
//! first use on a database made before creates it (under the same advisory lock).
//!
//! **Invariant:** a transaction takes the ledger's accounts lock first (an advisory lock held
//! until it ends), so the changes of all processes to one ledger's trees are serialised and the
//! access log's head is read and moved by one of them at a time; it is run again on a
//! serialisation failure or a deadlock, and on a connection found broken before it committed.
//! Nothing is cached: every token check and sign-in reads the rows, so a token revoked or an
//! account changed through one server is seen by every other at its next request.

use super::pool::{failure, Conn, Pool};
use super::{PgStore, SCHEMA_LOCK};
use crate::store::accounts::{Failed, Pair, Tree, Tx, TxError};
use crate::store::StoreError;
use postgres::{Config, Statement, Transaction};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rambok_accounts (
  ledger text NOT NULL REFERENCES rambok_heads (ledger),
  tree text NOT NULL CHECK (tree IN ('api_tokens', 'users', 'api_access')),
  key bytea NOT NULL,
  value bytea NOT NULL,
  PRIMARY KEY (ledger, tree, key)
);
";

const GET: &str = "SELECT value FROM rambok_accounts WHERE ledger = $1 AND tree = $2 AND key = $3";
const PUT: &str = "INSERT INTO rambok_accounts (ledger, tree, key, value) VALUES ($1, $2, $3, $4)
  ON CONFLICT (ledger, tree, key) DO UPDATE SET value = EXCLUDED.value";
const REMOVE: &str =
    "DELETE FROM rambok_accounts WHERE ledger = $1 AND tree = $2 AND key = $3 RETURNING value";
const SCAN: &str =
    "SELECT key, value FROM rambok_accounts WHERE ledger = $1 AND tree = $2 ORDER BY key";
/// The ledger's accounts lock: (class, hash of the ledger's name), held to the transaction's end.
const LOCK: &str = "SELECT pg_advisory_xact_lock($1, hashtext($2))";
const LOCK_CLASS: i32 = 0x7262_6b61; // "rbka"

/// Connections for accounts at most, per process (beside the ledger's own).
const CONNECTIONS_MAX: usize = 4;
/// Times a transaction runs at most (a serialisation failure, a deadlock, a broken connection).
const ATTEMPTS_MAX: usize = 20;

/// One ledger's trees in its database.
pub struct PgAccounts {
    ledger: String,
    pool: Pool,
}

impl PgStore {
    /// The API tokens, accounts and access log of this ledger; creates their table when the
    /// database was made before it existed.
    pub fn accounts(&self) -> Result<PgAccounts, StoreError> {
        let accounts = PgAccounts::new(self.config.clone(), &self.shown, &self.ledger);
        accounts.pool.once("när kontotabellen skapades", |c| {
            let there: Option<String> = c
                .query_one("SELECT to_regclass('rambok_accounts')::text", &[])?
                .get(0);
            if there.is_none() {
                let mut tx = c.client().transaction()?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
                tx.batch_execute(SCHEMA)?;
                tx.commit()?;
            }
            Ok(())
        })?;
        Ok(accounts)
    }
}

/// Whether running the transaction again may succeed: a serialisation failure, a deadlock, or
/// a key another transaction inserted first.
fn retryable(e: &postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|d| matches!(d.code().code(), "40001" | "40P01" | "23505"))
}

/// How one attempt ended.
enum Attempt<T, E> {
    Done(Result<T, TxError<E>>),
    Again,
}

struct Statements {
    get: Statement,
    put: Statement,
    remove: Statement,
    lock: Statement,
}

impl Statements {
    fn prepare(c: &mut Conn) -> Result<Statements, postgres::Error> {
        Ok(Statements {
            get: c.prepared(GET)?,
            put: c.prepared(PUT)?,
            remove: c.prepared(REMOVE)?,
            lock: c.prepared(LOCK)?,
        })
    }
}

impl PgAccounts {
    fn new(config: Config, shown: &str, ledger: &str) -> PgAccounts {
        PgAccounts {
            ledger: ledger.to_string(),
            pool: Pool::bounded(config, shown.to_string(), CONNECTIONS_MAX),
        }
    }

    pub fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.pool.read("när konton eller token lästes", |c| {
            c.query_opt(GET, &[&self.ledger, &tree.name(), &key])
        })?;
        Ok(row.map(|r| r.get(0)))
    }

    pub fn scan(&self, tree: Tree) -> Result<Vec<Pair>, StoreError> {
        let rows = self.pool.read("när konton eller token lästes", |c| {
            c.query(SCAN, &[&self.ledger, &tree.name()])
        })?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Runs `f` in one transaction under the ledger's accounts lock; again (at most
    /// [`ATTEMPTS_MAX`] times) after a serialisation failure, a deadlock, or a connection that
    /// broke before the commit was sent.
    pub fn transact<T, E: From<StoreError>>(
        &self,
        f: &impl Fn(&mut dyn Tx) -> Result<T, TxError<E>>,
    ) -> Result<T, E> {
        let doing = "när konton eller token ändrades";
        for attempt in 1..=ATTEMPTS_MAX {
            let last = attempt == ATTEMPTS_MAX;
            let ran = self.pool.once(doing, |c| {
                let mut committing = false;
                match self.attempt(c, f, last, &mut committing) {
                    // A connection found broken before the commit was sent: nothing was written.
                    Err(e) if e.is_closed() && !committing && !last => Ok(Attempt::Again),
                    other => other,
                }
            });
            match ran {
                Ok(Attempt::Done(Ok(v))) => return Ok(v),
                Ok(Attempt::Done(Err(TxError::Abort(e)))) => return Err(e),
                Ok(Attempt::Done(Err(TxError::Failed(Failed::Store(e))))) => return Err(e.into()),
                Ok(Attempt::Done(Err(TxError::Failed(Failed::Retry)))) => {
                    return Err(StoreError::Io(format!(
                        "PostgreSQL, {doing}: transaktionen krockade med andra {ATTEMPTS_MAX} gånger; försök igen"
                    ))
                    .into())
                }
                Ok(Attempt::Again) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!("the last attempt returns")
    }

    /// One run of `f` in a transaction on `c`.
    fn attempt<T, E>(
        &self,
        c: &mut Conn,
        f: &impl Fn(&mut dyn Tx) -> Result<T, TxError<E>>,
        last: bool,
        committing: &mut bool,
    ) -> Result<Attempt<T, E>, postgres::Error> {
        let s = Statements::prepare(c)?;
        let mut tx = c.client().transaction()?;
        tx.execute(&s.lock, &[&LOCK_CLASS, &self.ledger])?;
        let mut t = PgTx {
            tx: &mut tx,
            s: &s,
            ledger: &self.ledger,
            error: None,
        };
        let r = f(&mut t);
        match (t.error.take(), r) {
            (Some(e), _) if retryable(&e) && !last => Ok(Attempt::Again),
            (Some(e), _) => Err(e),
            (None, Err(TxError::Failed(Failed::Retry))) if !last => Ok(Attempt::Again),
            (None, Err(e)) => Ok(Attempt::Done(Err(e))),
            (None, Ok(v)) => {
                *committing = true;
                match tx.commit() {
                    Ok(()) => Ok(Attempt::Done(Ok(v))),
                    Err(e) if retryable(&e) && !last => Ok(Attempt::Again),
                    Err(e) => Err(e),
                }
            }
        }
    }
}

struct PgTx<'t, 'c> {
    tx: &'t mut Transaction<'c>,
    s: &'t Statements,
    ledger: &'t str,
    /// PostgreSQL's error, kept to decide whether the transaction runs again.
    error: Option<postgres::Error>,
}

impl PgTx<'_, '_> {
    fn failed(&mut self, e: postgres::Error) -> Failed {
        let f = if retryable(&e) {
            Failed::Retry
        } else {
            Failed::Store(failure("när konton eller token ändrades", &e))
        };
        self.error = Some(e);
        f
    }
}

impl Tx for PgTx<'_, '_> {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, Failed> {
        let r = self
            .tx
            .query_opt(&self.s.get, &[&self.ledger, &tree.name(), &key]);
        r.map(|row| row.map(|r| r.get(0)))
            .map_err(|e| self.failed(e))
    }

    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), Failed> {
        let r = self
            .tx
            .execute(&self.s.put, &[&self.ledger, &tree.name(), &key, &value]);
        r.map(drop).map_err(|e| self.failed(e))
    }

    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, Failed> {
        let r = self
            .tx
            .query_opt(&self.s.remove, &[&self.ledger, &tree.name(), &key]);
        r.map(|row| row.map(|r| r.get(0)))
            .map_err(|e| self.failed(e))
    }
}
