//! The one write path (validate → append → make durable) and the read path (scan the log, checking
//! the hash chain as it goes).
//!
//! **Invariant:** nothing ever rewrites a stored event; every write goes through [`Ledger::append`].
//! **Invariant:** an append is acknowledged only after it is durable; concurrent appenders share one
//! durable commit (group commit).

use crate::domain::event::Event;
use crate::domain::validate::Known;
use crate::index::{self, IndexHead};
use crate::json::FieldError;
use crate::lang::counted;
use crate::store::record::{self, DecodeError, Hash, Recorded, RECORDED_BY_BYTES_MAX};
use crate::store::sled_store::SledStore;
use crate::store::target::Target;
use crate::store::{Block, Engine, Head, Store, StoreError};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Mutex;

mod append;
mod commit;
mod dry_run;
mod indexed;
mod writer;
pub use append::Appender;
pub use commit::CommitStats;
pub use dry_run::DryRun;

/// Most events one append may carry; a larger import is refused before anything is written.
pub const BATCH_EVENTS_MAX: usize = 2_000_000;
/// How often an append without `expected_seq` is tried again when another process sharing the
/// store appended first.
pub const CONFLICT_RETRIES_MAX: usize = 100;
/// Records per stored block, and the most bytes a block may hold.
pub const BLOCK_RECORDS_MAX: usize = 256;
pub const BLOCK_BYTES_MAX: usize = 48 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// One event of the batch is bad input; nothing was written.
    #[error("händelse {index}: {error}")]
    Rejected { index: usize, error: FieldError },
    /// The log moved on since the writer looked: retry after reading it again.
    #[error(
        "konflikt: väntade att lägga till efter sekvens {expected}, men liggaren är vid {actual}"
    )]
    Conflict { expected: u64, actual: u64 },
    #[error("{0}")]
    BadRecorder(String),
    /// A question names something the ledger does not hold (an office code, …).
    #[error("{0}")]
    Unknown(String),
    #[error("en omgång får innehålla högst {}; denna innehåller {}", counted(BATCH_EVENTS_MAX as u64, "händelse", "händelser"), counted(*.0 as u64, "händelse", "händelser"))]
    BatchTooLarge(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Stored bytes do not check out: stop and investigate (`rambok verify`).
    #[error("liggaren är skadad vid sekvens {seq} ({}): {what}", kind.describe())]
    Corrupt {
        seq: u64,
        kind: Damage,
        what: String,
    },
}

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub added: usize,
    pub skipped: usize,
    /// The head after the append: the sequence number of the last record.
    pub head_seq: u64,
}

/// What kind of damage a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// A record's bytes differ from what its hash (or its encoding) says.
    ChangedBytes,
    /// A record is absent: the sequence jumps, or the log ends before its head.
    Missing,
    /// A record stands where another belongs.
    Reordered,
    /// A record carries a format version this program does not know.
    WrongVersion,
    /// The frame index kept beside the log does not match the log.
    Index,
}

impl Damage {
    /// What the damage is, in Swedish, for messages. (`Display` gives the code the server's
    /// JSON carries and the client reads back.)
    pub fn describe(self) -> &'static str {
        match self {
            Damage::ChangedBytes => "ändrade byte",
            Damage::Missing => "saknad post",
            Damage::Reordered => "poster i fel ordning",
            Damage::WrongVersion => "fel formatversion",
            Damage::Index => "indexet skiljer sig från loggen",
        }
    }
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Damage::ChangedBytes => "changed bytes",
            Damage::Missing => "missing record",
            Damage::Reordered => "reordered records",
            Damage::WrongVersion => "wrong format version",
            Damage::Index => "index differs from the log",
        })
    }
}

pub(super) struct Writer {
    head: Head,
    last_recorded_at: Option<DateTime<Utc>>,
    /// What validation and the index need to know of the log; loaded on the first append.
    known: Option<(Known, index::Context)>,
    /// The stored index's head (what it covers and its running digest).
    index_head: IndexHead,
}

pub struct Ledger<S: Store = SledStore> {
    store: S,
    writer: Mutex<Writer>,
    queue: Mutex<commit::Queue>,
    stats: Mutex<CommitStats>,
    /// Index runs this process has compared with the log (see `query::reader`).
    checked_runs: CheckedRuns,
    /// Records read from the log into the writer's state so far (see [`Ledger::state_reads`]).
    state_reads: std::sync::atomic::AtomicU64,
}

impl Ledger<SledStore> {
    pub fn open(path: &Path) -> Result<Ledger<SledStore>, LedgerError> {
        Ledger::with_store(SledStore::open(path)?)
    }
}

impl Ledger<Engine> {
    /// Opens the ledger `target` names, on whichever engine holds it.
    pub fn open_target(target: &Target) -> Result<Ledger<Engine>, LedgerError> {
        Ledger::with_store(Engine::open(target)?)
    }
}

/// A ledger opened on sled, served or printed like any other.
impl From<Ledger<SledStore>> for Ledger<Engine> {
    fn from(l: Ledger<SledStore>) -> Ledger<Engine> {
        Ledger {
            store: Engine::Sled(l.store),
            writer: l.writer,
            queue: l.queue,
            stats: l.stats,
            checked_runs: l.checked_runs,
            state_reads: l.state_reads,
        }
    }
}

/// The index runs one process has compared with the log, by a fingerprint of key and value under
/// a hash keyed at random per process (so no stored bytes can be made to match one checked
/// before). A run is written once and never rewritten: once it agreed with the log, reading it
/// again needs no second comparison while its bytes are the same. Bounded: forgotten when full.
#[derive(Default)]
pub struct CheckedRuns {
    keys: std::collections::hash_map::RandomState,
    seen: Mutex<std::collections::HashSet<u64>>,
}

/// Runs remembered at most; past that the set starts again (each run is then checked once more).
const CHECKED_RUNS_MAX: usize = 1 << 20;

impl CheckedRuns {
    pub fn fingerprint(&self, key: &[u8], value: &[u8]) -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = self.keys.build_hasher();
        h.write(key);
        h.write(value);
        h.finish()
    }
    pub fn contains(&self, fingerprint: u64) -> bool {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&fingerprint)
    }
    pub fn insert(&self, fingerprint: u64) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= CHECKED_RUNS_MAX {
            seen.clear();
        }
        seen.insert(fingerprint);
    }
}

/// The recorder's name as stored: see [`crate::domain::text::person_name`].
fn check_recorder(by: &str) -> Result<String, LedgerError> {
    if by.trim().is_empty() {
        return Err(LedgerError::BadRecorder(
            "användaren saknas: ange --user eller sätt RAMBOK_USER".into(),
        ));
    }
    let name = crate::domain::text::person_name(by).map_err(|e| {
        LedgerError::BadRecorder(format!("användarnamnet '{}' {e}", by.escape_debug()))
    })?;
    if name.len() > RECORDED_BY_BYTES_MAX {
        return Err(LedgerError::BadRecorder(format!(
            "användarnamnet får vara högst {RECORDED_BY_BYTES_MAX} byte"
        )));
    }
    Ok(name)
}

impl<S: Store> Ledger<S> {
    /// The index runs this process has already compared with the log.
    pub fn checked_runs(&self) -> &CheckedRuns {
        &self.checked_runs
    }

    pub fn with_store(store: S) -> Result<Ledger<S>, LedgerError> {
        let head = store.head()?;
        let ledger = Ledger {
            writer: Mutex::new(Writer {
                head,
                last_recorded_at: None,
                known: None,
                index_head: IndexHead::EMPTY,
            }),
            queue: Mutex::new(commit::Queue::default()),
            stats: Mutex::new(CommitStats::default()),
            checked_runs: CheckedRuns::default(),
            state_reads: Default::default(),
            store,
        };
        ledger.open_index()?;
        Ok(ledger)
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Records this process has read from the log into the writer's validation state: the whole
    /// log once on the first append, then only what other processes appended (tests hold it).
    pub fn state_reads(&self) -> u64 {
        self.state_reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn count_state_read(&self) {
        self.state_reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn head(&self) -> Head {
        self.writer.lock().unwrap_or_else(|p| p.into_inner()).head
    }

    /// Validates `events` as one batch, appends the new ones atomically and returns once they are
    /// durable. With `expected_seq`, fails with a conflict unless the log ends exactly there.
    pub fn append(
        &self,
        events: &[Event],
        recorded_by: &str,
        expected_seq: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<Appended, LedgerError> {
        let mut retries = 0;
        loop {
            let tried = self
                .begin(recorded_by, expected_seq, now)
                .and_then(|mut appender| {
                    for event in events {
                        appender.push(event)?;
                    }
                    appender.commit()
                });
            match tried {
                // Another process sharing the store appended first: validate again against
                // what it wrote, and chain onto it.
                Err(LedgerError::Conflict { .. })
                    if expected_seq.is_none()
                        && self.store.shared()
                        && retries < CONFLICT_RETRIES_MAX =>
                {
                    retries += 1
                }
                other => return other,
            }
        }
    }

    /// Starts an append that events are pushed into one at a time, so a large import never holds
    /// all its events in memory. Nothing becomes visible until [`Appender::commit`]; dropping the
    /// appender (or an error) leaves the ledger as it was. Holds the writer lock until then.
    pub fn begin(
        &self,
        recorded_by: &str,
        expected_seq: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<Appender<'_, S>, LedgerError> {
        let recorded_by = check_recorder(recorded_by)?;
        let recorded_by = recorded_by.as_str();
        let w = self.writer_at(expected_seq)?;
        // Keep recorded_at monotonic so "known at" always cuts the log at one point.
        let at = match w.last_recorded_at {
            Some(last) if last > now => last,
            _ => now,
        };
        Ok(Appender::new(self, w, recorded_by, at))
    }

    /// Calls `f` with every record from `from_seq` to the head, in order, checking each record's
    /// hash against its chain (from the first record read), its sequence number, its block, and
    /// at the end the head. The first problem stops the scan with [`LedgerError::Corrupt`].
    pub fn scan(
        &self,
        from_seq: u64,
        f: impl FnMut(Recorded) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        self.scan_until(from_seq, None, f)
    }

    /// As [`Ledger::scan`], stopping after record `until` (or at the head, whichever is first).
    pub fn scan_until(
        &self,
        from_seq: u64,
        until: Option<u64>,
        mut f: impl FnMut(Recorded) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        self.scan_raw(from_seq, until, |r, _| f(r))
    }

    /// As [`Ledger::scan_until`], with each record's bytes as stored beside it.
    pub fn scan_raw(
        &self,
        from_seq: u64,
        until: Option<u64>,
        mut f: impl FnMut(Recorded, &[u8]) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        let current = self.store.head()?;
        let at_head = until.is_none_or(|u| u >= current.seq);
        let head = if at_head {
            current
        } else {
            Head {
                seq: until.unwrap_or(0),
                hash: current.hash,
            }
        };
        let mut expected = from_seq.max(1);
        let mut prev: Option<Hash> = if expected == 1 {
            Some(record::GENESIS_HASH)
        } else {
            None
        };
        let corrupt = |seq, kind, what: String| LedgerError::Corrupt { seq, kind, what };
        for block in self.store.blocks(expected, head.seq) {
            let block = block?;
            let mut at = 0;
            let mut first_in_block = true;
            while at < block.bytes.len() {
                let start = at;
                let (raw, next) = record::split(&block.bytes, at).map_err(|e| {
                    let kind = match e {
                        DecodeError::UnknownVersion(_) => Damage::WrongVersion,
                        _ => Damage::ChangedBytes,
                    };
                    corrupt(expected.max(block.first_seq), kind, e.to_string())
                })?;
                at = next;
                if expected > head.seq {
                    // A reader that started before an append stops at the head it saw.
                    break;
                }
                if first_in_block && raw.seq != block.first_seq {
                    return Err(corrupt(
                        block.first_seq,
                        Damage::Reordered,
                        format!(
                            "post {} är lagrad där post {} hör hemma",
                            raw.seq, block.first_seq
                        ),
                    ));
                }
                first_in_block = false;
                if raw.seq < expected {
                    if block.first_seq < from_seq && raw.seq + 1 == expected {
                        prev = Some(raw.stored_hash);
                    }
                    if block.first_seq < from_seq {
                        continue;
                    }
                    return Err(corrupt(
                        expected,
                        Damage::Reordered,
                        format!("post {} står där post {expected} hör hemma", raw.seq),
                    ));
                }
                if raw.seq > expected {
                    return Err(corrupt(
                        expected,
                        Damage::Missing,
                        format!(
                            "post {expected} saknas (nästa post som finns är {})",
                            raw.seq
                        ),
                    ));
                }
                if let Some(p) = prev {
                    if record::chain_hash(&p, raw.body) != raw.stored_hash {
                        return Err(corrupt(
                            raw.seq,
                            Damage::ChangedBytes,
                            "postens byte stämmer inte med dess hash".into(),
                        ));
                    }
                }
                let rec = record::decode(&raw)
                    .map_err(|e| corrupt(raw.seq, Damage::ChangedBytes, e.to_string()))?;
                prev = Some(raw.stored_hash);
                expected += 1;
                f(rec, &block.bytes[start..next])?;
            }
        }
        if expected <= head.seq {
            return Err(corrupt(
                expected,
                Damage::Missing,
                format!(
                    "loggen slutar vid {} men dess huvud anger {}",
                    expected - 1,
                    head.seq
                ),
            ));
        }
        if at_head && head.seq > 0 && from_seq <= 1 && prev != Some(head.hash) {
            return Err(corrupt(
                head.seq,
                Damage::ChangedBytes,
                "huvudets hash stämmer inte med den sista posten".into(),
            ));
        }
        Ok(())
    }

    /// Every record, in order. Convenient for small logs and tests; large reports fold with `scan`.
    pub fn records(&self) -> Result<Vec<Recorded>, LedgerError> {
        let mut out = Vec::new();
        self.scan(1, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }
}

/// Encodes `events` as records chained after `head`, packed into blocks.
pub fn encode_blocks(
    head: Head,
    at: DateTime<Utc>,
    by: &str,
    events: &[&Event],
) -> (Vec<Block>, Head) {
    let mut blocks = Vec::new();
    let mut current = Block {
        first_seq: head.seq + 1,
        bytes: Vec::new(),
    };
    let mut in_block = 0;
    let mut prev = head.hash;
    let mut seq = head.seq;
    for event in events {
        seq += 1;
        let (bytes, hash) = record::encode(&prev, seq, at, by, event);
        if in_block > 0
            && (in_block == BLOCK_RECORDS_MAX
                || current.bytes.len() + bytes.len() > BLOCK_BYTES_MAX)
        {
            blocks.push(std::mem::replace(
                &mut current,
                Block {
                    first_seq: seq,
                    bytes: Vec::new(),
                },
            ));
            in_block = 0;
        }
        current.bytes.extend_from_slice(&bytes);
        in_block += 1;
        prev = hash;
    }
    if in_block > 0 {
        blocks.push(current);
    }
    (blocks, Head { seq, hash: prev })
}
