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

pub mod accounts;
mod cache;
mod pages;
pub mod pool;
mod reads;
mod sql;

use super::target::PgUrl;
use super::{Block, Derived, DerivedIter, Head, Store, StoreError};
use cache::{Range, ScanCache};
use pages::{BlockPages, DerivedPages};
use pool::{connect, failure, Conn, Pool};
use postgres::Config;
use sql::*;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// Rows per page when a read goes through many blocks or derived entries.
const BLOCKS_PER_PAGE: i64 = 64;
const DERIVED_PER_PAGE: i64 = 4096;
/// Rows per statement when derived entries are written outside an append (an index rebuilt).
const DERIVED_PER_STATEMENT: usize = 20_000;
/// The advisory lock key under which the tables are created (any constant the ledger owns).
const SCHEMA_LOCK: i64 = 0x7261_6d62_6f6b; // "rambok"

pub struct PgStore {
    ledger: String,
    shown: String,
    config: Config,
    /// The one connection that appends and stages (its temporary tables hold what is staged).
    writer: Mutex<Writer>,
    pool: Pool,
    cache: ScanCache,
}

#[derive(Default)]
struct Writer {
    client: Option<Conn>,
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

impl PgStore {
    /// Connects to the database `url` names, without looking for the ledger in it.
    pub fn connect(url: &PgUrl) -> Result<PgStore, StoreError> {
        let shown = url.shown();
        let config = Config::from_str(&url.conninfo).map_err(|_| {
            StoreError::Io(format!(
                "--db: '{shown}' är ingen adress som PostgreSQL läser (postgres://ANVÄNDARE@VÄRD:PORT/DATABAS, en Unix-socket som ?host=/MAPP&port=N)"
            ))
        })?;
        // Which process a connection is, in pg_stat_activity: for operators, and so that a test
        // can wait until a killed process's last statement has ended on the server.
        let mut config = config;
        if config.get_application_name().is_none() {
            config.application_name(&format!("rambok {}", std::process::id()));
        }
        let pool = Pool::new(config.clone(), shown.clone());
        Ok(PgStore {
            ledger: url.ledger.clone(),
            shown,
            config,
            writer: Mutex::new(Writer::default()),
            pool,
            cache: ScanCache::default(),
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
            let mut tx = c.client().transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
            tx.batch_execute(SCHEMA)?;
            tx.batch_execute(accounts::SCHEMA)?;
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
        f: impl FnOnce(&mut Conn, &mut HashMap<u64, i64>) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if w.client.as_ref().is_none_or(|c| c.is_closed()) {
            w.client = None;
            w.staged.clear();
            let mut c = connect(&self.config, &self.shown)?;
            c.client()
                .batch_execute(STAGING)
                .map_err(|e| failure("när skrivanslutningen öppnades", &e))?;
            w.client = Some(c);
        }
        let Writer { client, staged } = &mut *w;
        let client = client.as_mut().expect("opened above");
        f(client, staged).map_err(|e| failure(doing, &e))
    }

    /// The error when the ledger's head row is gone (dropped while this process had it open).
    fn gone(&self) -> StoreError {
        StoreError::Io(format!(
            "liggaren '{}' finns inte längre i {}",
            self.ledger, self.shown
        ))
    }

    /// Runs `f` on a pooled connection.
    fn read<T>(
        &self,
        doing: &str,
        f: impl FnMut(&mut Conn) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        self.pool.read(doing, f)
    }

    /// Empties the read cache (derived entries written other than by an append).
    fn forget(&self) {
        self.cache.forget();
    }

    /// Raw access for tests that change stored rows the way an attacker with the database's
    /// password would.
    pub fn raw_execute(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        self.read("i ett test", |c| c.client().execute(sql, params))
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
            c.query_opt(HEAD, &[&self.ledger])
        })?;
        match row {
            Some(r) => head_from(r.get(0), r.get::<_, &[u8]>(1)),
            None => Err(self.gone()),
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
            if staged.is_empty() {
                // One statement, so one round trip: the head moves, and only then (the same
                // statement's rows from `h`) are blocks and entries written.
                let moved: i64 = c
                    .query_one(
                        APPEND,
                        &[
                            ledger,
                            &expected_param,
                            &new_seq,
                            &&head.hash[..],
                            &first,
                            &bytes,
                            &keys,
                            &values,
                        ],
                    )?
                    .get(0);
                if moved == 1 {
                    return Ok(Appended::Done);
                }
                let actual: i64 = c.query_one(HEAD_SEQ, &[ledger])?.get(0);
                return Ok(Appended::Conflict {
                    actual: actual.max(0) as u64,
                });
            }
            let mut tx = c.client().transaction()?;
            let moved = tx.execute(
                "UPDATE rambok_heads SET seq = $3, hash = $4 WHERE ledger = $1 AND seq = $2",
                &[ledger, &expected_param, &new_seq, &&head.hash[..]],
            )?;
            if moved == 0 {
                let actual: i64 = tx.query_one(HEAD_SEQ, &[ledger])?.get(0);
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
        self.forget();
        self.with_writer("när indexet rensades", |c, _| {
            c.execute(
                "DELETE FROM rambok_derived WHERE ledger = $1",
                &[&self.ledger],
            )
        })
        .map(|_| ())
    }

    fn put_derived(&self, derived: &[Derived]) -> Result<(), StoreError> {
        self.forget();
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
            c.query_opt(GET_DERIVED, &[&self.ledger, &key])
        })?;
        Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
    }

    fn scan_derived(&self, prefix: &[u8]) -> DerivedIter<'_> {
        Box::new(DerivedPages::new(self, prefix.to_vec(), prefix_end(prefix)))
    }

    fn range_derived(&self, start: &[u8], end: &[u8]) -> DerivedIter<'_> {
        Box::new(DerivedPages::new(self, start.to_vec(), Some(end.to_vec())))
    }

    fn scan_derived_upto(&self, prefix: &[u8], seq: u64) -> DerivedIter<'_> {
        self.cached_range(prefix, prefix_end(prefix).as_deref(), seq)
    }

    fn range_derived_upto(&self, start: &[u8], end: &[u8], seq: u64) -> DerivedIter<'_> {
        self.cached_range(start, Some(end), seq)
    }

    fn scan_many_upto(
        &self,
        prefixes: &[Vec<u8>],
        seq: u64,
    ) -> Result<Vec<Vec<Derived>>, StoreError> {
        let before = self.pool.reopened();
        let mut out: Vec<Option<Vec<Derived>>> = vec![None; prefixes.len()];
        let mut missed = Vec::new();
        for (i, p) in prefixes.iter().enumerate() {
            let Some(end) = prefix_end(p) else {
                out[i] = Some(self.scan_derived_upto(p, seq).collect::<Result<_, _>>()?);
                continue;
            };
            let range: Range = (p.clone(), Some(end));
            match self.cache.get(&range, seq, before) {
                Some(entries) => out[i] = Some(entries.to_vec()),
                None => missed.push((i, range.0, range.1.unwrap_or_default())),
            }
        }
        if !missed.is_empty() {
            let (at, found) = self.read_ranges(&missed)?;
            let after = self.pool.reopened();
            let mut found = found;
            for (place, (i, start, end)) in missed.into_iter().enumerate() {
                let entries = Arc::new(found.remove(&place).unwrap_or_default());
                self.cache
                    .put((start, Some(end)), at, seq, (before, after), &entries);
                out[i] = Some(entries.to_vec());
            }
        }
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }

    fn get_and_scan_many(
        &self,
        key: &[u8],
        prefixes: &[Vec<u8>],
    ) -> Result<crate::store::KeyAndRanges, StoreError> {
        let ends: Option<Vec<Vec<u8>>> = prefixes.iter().map(|p| prefix_end(p)).collect();
        let (Some(ends), false) = (ends, prefixes.is_empty()) else {
            let value = self.get_derived(key)?;
            let ranges = prefixes
                .iter()
                .map(|p| self.scan_derived(p).collect())
                .collect::<Result<_, _>>()?;
            return Ok((value, ranges));
        };
        self.key_and_ranges(key, prefixes, &ends)
    }

    fn blocks_holding(&self, seqs: &[u64]) -> Result<Vec<Block>, StoreError> {
        // Kept blocks first (each written once, never rewritten); the rest in one statement.
        let before = self.pool.reopened();
        let mut out: BTreeMap<u64, Block> = BTreeMap::new();
        let mut missed = Vec::new();
        for &seq in seqs {
            match self.cache.block(seq, before) {
                Some((first_seq, bytes)) => {
                    out.entry(first_seq).or_insert_with(|| Block {
                        first_seq,
                        bytes: bytes.to_vec(),
                    });
                }
                None => missed.push(seq_param(seq)?),
            }
        }
        if missed.is_empty() {
            return Ok(out.into_values().collect());
        }
        let rows = self.read("när loggen lästes", |c| {
            c.query(BLOCKS_HOLDING, &[&self.ledger, &missed])
        })?;
        let mut kept = Vec::with_capacity(rows.len());
        for r in rows {
            let first_seq = r.get::<_, i64>(0).max(0) as u64;
            let bytes: Vec<u8> = r.get(1);
            let end = r.get::<_, Option<i64>>(2).unwrap_or(0).max(0) as u64;
            if end > first_seq {
                kept.push((first_seq, end, Arc::new(bytes.clone())));
            }
            out.insert(first_seq, Block { first_seq, bytes });
        }
        self.cache.put_blocks(kept, (before, self.pool.reopened()));
        Ok(out.into_values().collect())
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
