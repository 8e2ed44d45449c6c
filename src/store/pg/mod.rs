//! The PostgreSQL engine: the same opaque blocks, head and derived entries as sled's, in three
//! tables keyed by the ledger's name, so many ledgers (one per municipality) share a database and
//! none ever reads or writes another's rows.
//!
//! ```sql
//! rambok_heads   (ledger text, seq bigint, hash bytea)           -- one row per ledger
//! rambok_blocks  (ledger text, first_seq bigint, bytes bytea)    -- key (ledger, first_seq)
//! rambok_derived (ledger text, key bytea, value bytea)           -- key (ledger, key)
//! ```
//!
//! **Invariant:** an append is one transaction that first moves the head from the sequence number
//! the appender chained onto (`UPDATE rambok_heads … WHERE seq = expected`), then writes its blocks
//! and derived entries: several processes appending to one ledger are serialised by that row's
//! lock, and one that chained onto a head that moved gets [`StoreError::Conflict`] and writes
//! nothing. The sequence stays gapless; readers see blocks and index only with the head that
//! covers them (they read up to the head they saw).
//!
//! Staging (a large append's blocks beyond the head) goes to temporary tables of the writing
//! connection: invisible to every other session, moved into the ledger's tables by the append's
//! transaction, and gone by themselves when the process or its connection dies. `bytea` compares
//! byte by byte, then by length, like sled's keys, so range reads of derived entries come back
//! in the same order on both engines.

pub mod pool;

use super::target::PgUrl;
use super::{Block, Derived, DerivedIter, Head, Store, StoreError};
use pool::{connect, failure, Pool};
use postgres::{Client, Config};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::Mutex;

/// Rows per page when a read goes through many blocks or derived entries.
const BLOCKS_PER_PAGE: i64 = 64;
const DERIVED_PER_PAGE: i64 = 4096;
/// Rows per statement when derived entries are written outside an append (an index rebuilt).
const DERIVED_PER_STATEMENT: usize = 20_000;
/// The advisory lock key under which the tables are created (any constant the ledger owns).
const SCHEMA_LOCK: i64 = 0x7261_6d62_6f6b; // "rambok"

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rambok_heads (
  ledger text PRIMARY KEY,
  seq bigint NOT NULL CHECK (seq >= 0),
  hash bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE TABLE IF NOT EXISTS rambok_blocks (
  ledger text NOT NULL REFERENCES rambok_heads (ledger),
  first_seq bigint NOT NULL CHECK (first_seq > 0),
  bytes bytea NOT NULL,
  PRIMARY KEY (ledger, first_seq)
);
ALTER TABLE rambok_blocks ALTER COLUMN bytes SET STORAGE EXTERNAL;
CREATE TABLE IF NOT EXISTS rambok_derived (
  ledger text NOT NULL REFERENCES rambok_heads (ledger),
  key bytea NOT NULL,
  value bytea NOT NULL,
  PRIMARY KEY (ledger, key)
);
";

const STAGING: &str = "
CREATE TEMP TABLE IF NOT EXISTS rambok_staged_blocks (
  from_seq bigint NOT NULL, first_seq bigint NOT NULL, bytes bytea NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS rambok_staged_derived (
  from_seq bigint NOT NULL, key bytea NOT NULL, value bytea NOT NULL);
";

pub struct PgStore {
    ledger: String,
    shown: String,
    config: Config,
    /// The one connection that appends and stages (its temporary tables hold what is staged).
    writer: Mutex<Writer>,
    pool: Pool,
}

#[derive(Default)]
struct Writer {
    client: Option<Client>,
    /// Blocks staged on this connection per append (by its first sequence number).
    staged: HashMap<u64, i64>,
}

fn seq_param(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Io(format!("sekvensnumret {seq} är för stort")))
}

fn head_from(seq: i64, hash: &[u8]) -> Result<Head, StoreError> {
    Ok(Head {
        seq: u64::try_from(seq).map_err(|_| {
            StoreError::Corrupt(format!("huvudet har det negativa sekvensnumret {seq}"))
        })?,
        hash: hash.try_into().map_err(|_| {
            StoreError::Corrupt(format!(
                "huvudets hash har {} byte i stället för 32",
                hash.len()
            ))
        })?,
    })
}

/// The first key after every key starting with `prefix` (none when the prefix is all 0xff).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Derived entries with each key once (the last value given wins, as a later write would).
fn unique(derived: &[Derived]) -> (Vec<&[u8]>, Vec<&[u8]>) {
    let map: BTreeMap<&[u8], &[u8]> = derived
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    map.into_iter().unzip()
}

const UPSERT_DERIVED: &str = "INSERT INTO rambok_derived (ledger, key, value)
  SELECT $1, k, v FROM unnest($2::bytea[], $3::bytea[]) AS t(k, v)
  ON CONFLICT (ledger, key) DO UPDATE SET value = EXCLUDED.value";

impl PgStore {
    /// Connects to the database `url` names, without looking for the ledger in it.
    pub fn connect(url: &PgUrl) -> Result<PgStore, StoreError> {
        let shown = url.shown();
        let config = Config::from_str(&url.conninfo).map_err(|_| {
            StoreError::Io(format!(
                "--db: '{shown}' är ingen adress som PostgreSQL läser (postgres://ANVÄNDARE@VÄRD:PORT/DATABAS, en Unix-socket som ?host=/MAPP&port=N)"
            ))
        })?;
        let pool = Pool::new(config.clone(), shown.clone());
        Ok(PgStore {
            ledger: url.ledger.clone(),
            shown,
            config,
            writer: Mutex::new(Writer::default()),
            pool,
        })
    }

    /// Opens the ledger `url` names; one the database does not hold is [`StoreError::Io`] naming
    /// it (see [`PgStore::exists`]).
    pub fn open(url: &PgUrl) -> Result<PgStore, StoreError> {
        let store = PgStore::connect(url)?;
        if !store.exists()? {
            return Err(StoreError::Io(format!(
                "det finns ingen liggare '{}' i {} (skapa den med `rambok init --db '{}'`)",
                store.ledger, store.shown, store.shown
            )));
        }
        Ok(store)
    }

    /// Creates the tables if the database has none, and the ledger if it is new; returns the
    /// store and whether it created the ledger.
    pub fn create(url: &PgUrl) -> Result<(PgStore, bool), StoreError> {
        let store = PgStore::connect(url)?;
        let created = store.with_writer("när liggaren skapades", |c, _| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
            tx.batch_execute(SCHEMA)?;
            let n = tx.execute(
                "INSERT INTO rambok_heads (ledger, seq, hash) VALUES ($1, 0, $2)
                 ON CONFLICT (ledger) DO NOTHING",
                &[&store.ledger, &&super::record::GENESIS_HASH[..]],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })?;
        Ok((store, created))
    }

    /// Whether the database holds this ledger (and rambok's tables at all).
    pub fn exists(&self) -> Result<bool, StoreError> {
        self.pool.read("när liggaren öppnades", |c| {
            let tables: Option<String> = c
                .query_one("SELECT to_regclass('rambok_heads')::text", &[])?
                .get(0);
            if tables.is_none() {
                return Ok(false);
            }
            Ok(c.query_opt(
                "SELECT 1 FROM rambok_heads WHERE ledger = $1",
                &[&self.ledger],
            )?
            .is_some())
        })
    }

    /// Reads this store has sent to the server so far (the benchmarks count them per report).
    pub fn reads(&self) -> u64 {
        self.pool.reads()
    }

    /// The ledger's name within its database.
    pub fn ledger(&self) -> &str {
        &self.ledger
    }

    /// The database's URL for messages (no password).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Runs `f` on the writing connection, opening it (with its staging tables) when there is
    /// none or the last one broke; what it had staged is then gone, and said so.
    fn with_writer<T>(
        &self,
        doing: &str,
        f: impl FnOnce(&mut Client, &mut HashMap<u64, i64>) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if w.client.as_ref().is_none_or(|c| c.is_closed()) {
            w.client = None;
            w.staged.clear();
            let mut c = connect(&self.config, &self.shown)?;
            c.batch_execute(STAGING)
                .map_err(|e| failure("när skrivanslutningen öppnades", &e))?;
            w.client = Some(c);
        }
        let Writer { client, staged } = &mut *w;
        let client = client.as_mut().expect("opened above");
        f(client, staged).map_err(|e| failure(doing, &e))
    }

    /// Runs `f` on a pooled connection.
    fn read<T>(
        &self,
        doing: &str,
        f: impl FnMut(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        self.pool.read(doing, f)
    }

    /// Raw access for tests that change stored rows the way an attacker with the database's
    /// password would.
    pub fn raw_execute(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        self.read("i ett test", |c| c.execute(sql, params))
    }
}

/// How an append's transaction ended.
enum Appended {
    Done,
    Conflict { actual: u64 },
    StagingLost,
}

impl Store for PgStore {
    fn head(&self) -> Result<Head, StoreError> {
        let row = self.read("när huvudet lästes", |c| {
            c.query_opt(
                "SELECT seq, hash FROM rambok_heads WHERE ledger = $1",
                &[&self.ledger],
            )
        })?;
        match row {
            Some(r) => head_from(r.get(0), r.get::<_, &[u8]>(1)),
            None => Err(StoreError::Io(format!(
                "liggaren '{}' finns inte längre i {}",
                self.ledger, self.shown
            ))),
        }
    }

    fn shared(&self) -> bool {
        true
    }

    fn append_with(
        &self,
        blocks: &[Block],
        head: Head,
        derived: &[Derived],
        staged: &[u64],
    ) -> Result<(), StoreError> {
        let expected = match (staged.iter().min(), blocks.first()) {
            (Some(from), _) => from - 1,
            (None, Some(b)) => b.first_seq - 1,
            (None, None) => head.seq,
        };
        let expected_param = seq_param(expected)?;
        let new_seq = seq_param(head.seq)?;
        let first: Vec<i64> = blocks
            .iter()
            .map(|b| seq_param(b.first_seq))
            .collect::<Result<_, _>>()?;
        let bytes: Vec<&[u8]> = blocks.iter().map(|b| b.bytes.as_slice()).collect();
        let (keys, values) = unique(derived);
        let ledger = &self.ledger;
        let outcome = self.with_writer("när händelserna sparades", |c, staging| {
            let mut tx = c.transaction()?;
            let moved = tx.execute(
                "UPDATE rambok_heads SET seq = $3, hash = $4 WHERE ledger = $1 AND seq = $2",
                &[ledger, &expected_param, &new_seq, &&head.hash[..]],
            )?;
            if moved == 0 {
                let actual: i64 = tx
                    .query_one("SELECT seq FROM rambok_heads WHERE ledger = $1", &[ledger])?
                    .get(0);
                return Ok(Appended::Conflict {
                    actual: actual.max(0) as u64,
                });
            }
            for from in staged {
                let from_param = *from as i64;
                let Some(&count) = staging.get(from) else {
                    return Ok(Appended::StagingLost);
                };
                let copied = tx.execute(
                    "INSERT INTO rambok_blocks (ledger, first_seq, bytes)
                     SELECT $1, first_seq, bytes FROM rambok_staged_blocks WHERE from_seq = $2",
                    &[ledger, &from_param],
                )?;
                if copied as i64 != count {
                    return Ok(Appended::StagingLost);
                }
                tx.execute(
                    "INSERT INTO rambok_derived (ledger, key, value)
                     SELECT DISTINCT ON (key) $1, key, value FROM rambok_staged_derived
                     WHERE from_seq = $2 ORDER BY key
                     ON CONFLICT (ledger, key) DO UPDATE SET value = EXCLUDED.value",
                    &[ledger, &from_param],
                )?;
                tx.execute(
                    "DELETE FROM rambok_staged_blocks WHERE from_seq = $1",
                    &[&from_param],
                )?;
                tx.execute(
                    "DELETE FROM rambok_staged_derived WHERE from_seq = $1",
                    &[&from_param],
                )?;
            }
            if !blocks.is_empty() {
                tx.execute(
                    "INSERT INTO rambok_blocks (ledger, first_seq, bytes)
                     SELECT $1, s, b FROM unnest($2::int8[], $3::bytea[]) AS t(s, b)",
                    &[ledger, &first, &bytes],
                )?;
            }
            if !keys.is_empty() {
                tx.execute(UPSERT_DERIVED, &[ledger, &keys, &values])?;
            }
            tx.commit()?;
            for from in staged {
                staging.remove(from);
            }
            Ok(Appended::Done)
        })?;
        match outcome {
            Appended::Done => Ok(()),
            Appended::Conflict { actual } => Err(StoreError::Conflict { expected, actual }),
            Appended::StagingLost => Err(StoreError::Io(
                "det som förbereddes för skrivningen gick förlorat när anslutningen till PostgreSQL bröts; inget sparades, försök igen".into(),
            )),
        }
    }

    fn clear_derived(&self) -> Result<(), StoreError> {
        self.with_writer("när indexet rensades", |c, _| {
            c.execute(
                "DELETE FROM rambok_derived WHERE ledger = $1",
                &[&self.ledger],
            )
        })
        .map(|_| ())
    }

    fn put_derived(&self, derived: &[Derived]) -> Result<(), StoreError> {
        for chunk in derived.chunks(DERIVED_PER_STATEMENT) {
            let (keys, values) = unique(chunk);
            self.with_writer("när indexet skrevs", |c, _| {
                c.execute(UPSERT_DERIVED, &[&self.ledger, &keys, &values])
            })?;
        }
        Ok(())
    }

    fn get_derived(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.read("när indexet lästes", |c| {
            c.query_opt(
                "SELECT value FROM rambok_derived WHERE ledger = $1 AND key = $2",
                &[&self.ledger, &key],
            )
        })?;
        Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
    }

    fn scan_derived(&self, prefix: &[u8]) -> DerivedIter<'_> {
        Box::new(DerivedPages::new(self, prefix.to_vec(), prefix_end(prefix)))
    }

    fn range_derived(&self, start: &[u8], end: &[u8]) -> DerivedIter<'_> {
        Box::new(DerivedPages::new(self, start.to_vec(), Some(end.to_vec())))
    }

    fn stage(
        &self,
        from_seq: u64,
        blocks: &[Block],
        derived: &[Derived],
    ) -> Result<(), StoreError> {
        let from = seq_param(from_seq)?;
        let first: Vec<i64> = blocks
            .iter()
            .map(|b| seq_param(b.first_seq))
            .collect::<Result<_, _>>()?;
        let bytes: Vec<&[u8]> = blocks.iter().map(|b| b.bytes.as_slice()).collect();
        let keys: Vec<&[u8]> = derived.iter().map(|(k, _)| k.as_slice()).collect();
        let values: Vec<&[u8]> = derived.iter().map(|(_, v)| v.as_slice()).collect();
        self.with_writer("när en stor skrivning förbereddes", |c, staging| {
            c.execute(
                "INSERT INTO rambok_staged_blocks (from_seq, first_seq, bytes)
                 SELECT $1, s, b FROM unnest($2::int8[], $3::bytea[]) AS t(s, b)",
                &[&from, &first, &bytes],
            )?;
            c.execute(
                "INSERT INTO rambok_staged_derived (from_seq, key, value)
                 SELECT $1, k, v FROM unnest($2::bytea[], $3::bytea[]) AS t(k, v)",
                &[&from, &keys, &values],
            )?;
            *staging.entry(from_seq).or_default() += first.len() as i64;
            Ok(())
        })
    }

    fn discard_staged(
        &self,
        from_seq: u64,
        _staged_after: &dyn Fn(&[u8], u64) -> bool,
    ) -> Result<(), StoreError> {
        // Only this connection's staging: other processes' appends are theirs to finish or drop,
        // and a dead session's temporary tables are gone with it.
        let from = seq_param(from_seq)?;
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        w.staged.retain(|k, _| *k < from_seq);
        let Some(c) = w.client.as_mut().filter(|c| !c.is_closed()) else {
            return Ok(());
        };
        c.execute(
            "DELETE FROM rambok_staged_blocks WHERE from_seq >= $1",
            &[&from],
        )
        .and_then(|_| {
            c.execute(
                "DELETE FROM rambok_staged_derived WHERE from_seq >= $1",
                &[&from],
            )
        })
        .map_err(|e| failure("när en avbruten skrivning städades bort", &e))?;
        Ok(())
    }

    fn blocks(
        &self,
        from_seq: u64,
        to_seq: u64,
    ) -> Box<dyn Iterator<Item = Result<Block, StoreError>> + '_> {
        Box::new(BlockPages {
            store: self,
            next: None,
            from_seq,
            to_seq,
            page: Vec::new().into_iter(),
            done: false,
        })
    }

    fn sync(&self) -> Result<(), StoreError> {
        // A transaction that committed is durable (synchronous_commit is at least on).
        Ok(())
    }
}

/// The blocks from the one holding `from_seq` to `to_seq`, a page at a time.
struct BlockPages<'s> {
    store: &'s PgStore,
    /// The first sequence number of the next page's first block; found on the first page.
    next: Option<i64>,
    from_seq: u64,
    to_seq: u64,
    page: std::vec::IntoIter<Block>,
    done: bool,
}

impl BlockPages<'_> {
    fn fetch(&mut self) -> Result<(), StoreError> {
        let to = seq_param(self.to_seq)?;
        let ledger = &self.store.ledger;
        let start = match self.next {
            Some(s) => s,
            None => {
                let from = seq_param(self.from_seq.max(1))?;
                let row = self.store.read("när loggen lästes", |c| {
                    c.query_one(
                        "SELECT coalesce(max(first_seq), 0) FROM rambok_blocks
                         WHERE ledger = $1 AND first_seq <= $2",
                        &[ledger, &from],
                    )
                })?;
                row.get(0)
            }
        };
        let rows = self.store.read("när loggen lästes", |c| {
            c.query(
                "SELECT first_seq, bytes FROM rambok_blocks
                 WHERE ledger = $1 AND first_seq >= $2 AND first_seq <= $3
                 ORDER BY first_seq LIMIT $4",
                &[ledger, &start, &to, &BLOCKS_PER_PAGE],
            )
        })?;
        self.done = (rows.len() as i64) < BLOCKS_PER_PAGE;
        let mut page = Vec::with_capacity(rows.len());
        for r in rows {
            let first: i64 = r.get(0);
            self.next = Some(first + 1);
            page.push(Block {
                first_seq: first.max(0) as u64,
                bytes: r.get(1),
            });
        }
        if page.is_empty() {
            self.done = true;
        }
        self.page = page.into_iter();
        Ok(())
    }
}

impl Iterator for BlockPages<'_> {
    type Item = Result<Block, StoreError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(b) = self.page.next() {
                return Some(Ok(b));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.fetch() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}

/// Derived entries with `start <= key < end` (no end: to the last), a page at a time.
struct DerivedPages<'s> {
    store: &'s PgStore,
    start: Vec<u8>,
    /// Whether `start` was returned already (then the next page starts after it).
    after: bool,
    end: Option<Vec<u8>>,
    page: std::vec::IntoIter<Derived>,
    done: bool,
}

impl<'s> DerivedPages<'s> {
    fn new(store: &'s PgStore, start: Vec<u8>, end: Option<Vec<u8>>) -> DerivedPages<'s> {
        DerivedPages {
            store,
            start,
            after: false,
            end,
            page: Vec::new().into_iter(),
            done: false,
        }
    }

    fn fetch(&mut self) -> Result<(), StoreError> {
        let ledger = &self.store.ledger;
        let op = if self.after { ">" } else { ">=" };
        let rows = match &self.end {
            Some(end) => self.store.read("när indexet lästes", |c| {
                c.query(
                    &format!(
                        "SELECT key, value FROM rambok_derived
                         WHERE ledger = $1 AND key {op} $2 AND key < $3 ORDER BY key LIMIT $4"
                    ),
                    &[ledger, &self.start, end, &DERIVED_PER_PAGE],
                )
            })?,
            None => self.store.read("när indexet lästes", |c| {
                c.query(
                    &format!(
                        "SELECT key, value FROM rambok_derived
                         WHERE ledger = $1 AND key {op} $2 ORDER BY key LIMIT $3"
                    ),
                    &[ledger, &self.start, &DERIVED_PER_PAGE],
                )
            })?,
        };
        self.done = (rows.len() as i64) < DERIVED_PER_PAGE;
        let page: Vec<Derived> = rows.into_iter().map(|r| (r.get(0), r.get(1))).collect();
        if let Some((k, _)) = page.last() {
            self.start = k.clone();
            self.after = true;
        }
        self.page = page.into_iter();
        Ok(())
    }
}

impl Iterator for DerivedPages<'_> {
    type Item = Result<Derived, StoreError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(d) = self.page.next() {
                return Some(Ok(d));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.fetch() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_where_its_keys_do() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(b""), None);
    }
}
