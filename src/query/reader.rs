//! Reading the persisted index up to the head it covered when the question was asked: entries of
//! records appended meanwhile (or staged by an append still running) are left out, so a question
//! sees one consistent ledger without taking the writer's lock.
//!
//! Nothing is printed from an entry the log does not back: every record copy a question keeps is
//! compared byte for byte with the record in the log, and every frame entry with the entries its
//! log record makes. An entry that differs (or names a record the log lacks) stops the question
//! with "damaged" (exit 6), as `verify` would. The log's blocks are read once per question, and
//! a run (written once, never rewritten) that agreed with the log is not compared again by the
//! same process while its bytes are the same ([`crate::ledger::CheckedRuns`]): a one-shot CLI
//! command pays for the runs it reads, a server once per run. An entry *removed* from the index
//! is found by `verify` (and `verify --against`), which rebuild every entry from the log.

use crate::domain::event::Date;
use crate::index::{self, FrameEntry};
use crate::ledger::{Ledger, LedgerError};
use crate::store::record;
use crate::store::record::Recorded;
use crate::store::{Derived, DerivedIter, Store};
use std::cell::RefCell;
use std::collections::BTreeMap;

type Result<T> = std::result::Result<T, LedgerError>;

pub struct Reader<'l, S: Store> {
    ledger: &'l Ledger<S>,
    /// The last sequence number this question may see: the index head, read with the first
    /// ranges the question asks for (one round trip on PostgreSQL).
    seq: std::cell::Cell<Option<u64>>,
    /// Ranges read ahead ([`Reader::prefetch`]) by their prefix, up to `seq`.
    fetched: RefCell<std::collections::HashMap<Vec<u8>, Vec<Derived>>>,
    /// The log's blocks read so far, to check entries against.
    log: RefCell<LogBlocks>,
}

/// Blocks of the log by their first sequence number: the bytes, and where each record lies.
#[derive(Default)]
struct LogBlocks {
    blocks: BTreeMap<u64, LogBlock>,
}

/// A block's bytes, and each record's sequence number, start and end in them.
type LogBlock = (Vec<u8>, Vec<(u64, usize, usize)>);

impl LogBlocks {
    /// The bytes of record `seq`, if a block read so far holds it.
    fn get(&self, seq: u64) -> Option<&[u8]> {
        let (_, (bytes, at)) = self.blocks.range(..=seq).next_back()?;
        let i = at.binary_search_by_key(&seq, |&(s, _, _)| s).ok()?;
        let (_, start, end) = at[i];
        bytes.get(start..end)
    }

    /// Reads the block holding `seq`; a block that does not split into records is left out.
    fn load<S: Store>(&mut self, store: &S, seq: u64) -> Result<()> {
        for block in store.blocks(seq, seq) {
            self.insert(block?);
        }
        Ok(())
    }

    /// Reads the blocks holding `seqs` that no block read so far holds, in one call to the store
    /// per [`PRELOAD_MAX`] records.
    fn load_many<S: Store>(&mut self, store: &S, seqs: &[u64]) -> Result<()> {
        let mut missing: Vec<u64> = seqs
            .iter()
            .copied()
            .filter(|&s| self.get(s).is_none())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        for chunk in missing.chunks(PRELOAD_MAX) {
            for block in store.blocks_holding(chunk)? {
                self.insert(block);
            }
        }
        Ok(())
    }

    /// Keeps `block`, and where each of its records lies; the records after one that does not
    /// split are left out (checked against, they are missing from the log).
    fn insert(&mut self, block: crate::store::Block) {
        {
            let mut at = Vec::new();
            let mut pos = 0;
            while pos < block.bytes.len() {
                let Ok((raw, next)) = record::split(&block.bytes, pos) else {
                    break;
                };
                at.push((raw.seq, pos, next));
                pos = next;
            }
            self.blocks.insert(block.first_seq, (block.bytes, at));
        }
    }
}

/// Records whose blocks one call to the store reads at most.
const PRELOAD_MAX: usize = 4096;

/// `records` sorted by sequence number, each once (a question may read one record under two
/// keys, as a transfer is filed under both offices).
pub fn in_log_order(mut records: Vec<Recorded>) -> Vec<Recorded> {
    records.sort_by_key(|r| r.seq);
    records.dedup_by_key(|r| r.seq);
    records
}

impl<'l, S: Store> Reader<'l, S> {
    pub fn new(ledger: &'l Ledger<S>) -> Result<Reader<'l, S>> {
        Ok(Reader {
            seq: std::cell::Cell::new(None),
            fetched: RefCell::default(),
            ledger,
            log: RefCell::new(LogBlocks::default()),
        })
    }

    /// The last sequence number this question may see (the index head, read once).
    fn seq(&self) -> Result<u64> {
        if let Some(seq) = self.seq.get() {
            return Ok(seq);
        }
        let seq = self.ledger.index_head()?.seq;
        self.seq.set(Some(seq));
        Ok(seq)
    }

    /// Reads the ranges under `prefixes` that were not read yet, all at once (with the index
    /// head, when this is the question's first read), for the calls that follow: a report names
    /// everything it will ask for first, and pays one round trip on PostgreSQL.
    pub fn prefetch(&self, prefixes: &[Vec<u8>]) -> Result<()> {
        let mut missing: Vec<Vec<u8>> = {
            let fetched = self.fetched.borrow();
            prefixes
                .iter()
                .filter(|p| !fetched.contains_key(*p))
                .cloned()
                .collect()
        };
        missing.sort();
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        let store = self.ledger.store();
        let ranges = match self.seq.get() {
            Some(seq) => store.scan_many_upto(&missing, seq)?,
            None => {
                let (head, ranges) = store.get_and_scan_many(index::HEAD_KEY, &missing)?;
                self.seq
                    .set(Some(self.ledger.decode_index_head(head.as_deref())?.seq));
                ranges
            }
        };
        let mut fetched = self.fetched.borrow_mut();
        for (p, r) in missing.into_iter().zip(ranges) {
            fetched.insert(p, r);
        }
        Ok(())
    }

    /// The entries under `prefix` up to this question's sequence number, read ahead or now.
    fn fetch(&self, prefix: &[u8]) -> Result<DerivedIter<'static>> {
        self.prefetch(&[prefix.to_vec()])?;
        let entries = self
            .fetched
            .borrow()
            .get(prefix)
            .cloned()
            .unwrap_or_default();
        Ok(Box::new(entries.into_iter().map(Ok)))
    }

    fn damaged(&self, what: String) -> LedgerError {
        self.damaged_at(self.seq.get().unwrap_or(0), what)
    }

    fn damaged_at(&self, seq: u64, what: String) -> LedgerError {
        LedgerError::Corrupt {
            seq,
            kind: crate::ledger::Damage::Index,
            what: format!("{what} (rambok verify jämför indexet med loggen)"),
        }
    }

    /// Calls `f` with the log's bytes of record `seq`; damaged if the log has no such record.
    fn with_log_record<T>(&self, seq: u64, f: impl FnOnce(&[u8]) -> T) -> Result<T> {
        let mut log = self.log.borrow_mut();
        if log.get(seq).is_none() {
            log.load(self.ledger.store(), seq)?;
        }
        match log.get(seq) {
            Some(bytes) => Ok(f(bytes)),
            None => Err(self.damaged_at(
                seq,
                format!("indexet har en indexpost för post {seq}, som inte finns i loggen"),
            )),
        }
    }

    /// Reads the blocks of the records `seqs` (those to be checked) at once.
    fn preload(&self, seqs: &[u64]) -> Result<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        self.log.borrow_mut().load_many(self.ledger.store(), seqs)
    }

    /// The runs of `runs` that hold records up to this question's sequence number.
    fn runs_upto(&self, runs: DerivedIter<'_>) -> Result<Vec<Derived>> {
        let seq = self.seq()?;
        let mut out = Vec::new();
        for kv in runs {
            let (k, v) = kv?;
            if index::seq_of(&k).is_some_and(|first| first <= seq) {
                out.push((k, v));
            }
        }
        Ok(out)
    }

    /// A record copy kept in the index must be the log's record, byte for byte.
    fn check_copy(&self, seq: u64, copy: &[u8]) -> Result<()> {
        if self.with_log_record(seq, |log| log == copy)? {
            Ok(())
        } else {
            Err(self.damaged_at(
                seq,
                format!("indexets kopia av post {seq} skiljer sig från loggen"),
            ))
        }
    }

    /// A frame entry must be one the log's record makes, for that year and office.
    fn check_frame(&self, year: i32, office: &str, e: &FrameEntry) -> Result<()> {
        let made = self.with_log_record(e.seq, |bytes| {
            let r = record::split(bytes, 0).and_then(|(raw, _)| record::decode(&raw));
            r.map(|r| {
                index::frame_entries_of(r.seq, r.recorded_at, &r.event)
                    .into_iter()
                    .any(|(y, o, made)| y == year && o == office && made == *e)
            })
        })?;
        if made == Ok(true) {
            Ok(())
        } else {
            Err(self.damaged_at(
                e.seq,
                format!(
                    "indexets rampost för post {} ({office} {year}) skiljer sig från loggen",
                    e.seq
                ),
            ))
        }
    }

    /// The records of the runs in `runs` up to this question's sequence number and dated on or
    /// before `as_of` (or undated).
    fn decode_all(&self, runs: DerivedIter<'_>, as_of: Option<Date>) -> Result<Vec<Recorded>> {
        let runs = self.runs_upto(runs)?;
        let seq = self.seq()?;
        // A run is checked whole, once per process; a run with records beyond this question's
        // head is checked as far as it may be, and again next time. The blocks the checks need
        // are read first, together.
        let checked = self.ledger.checked_runs();
        let mut decoded = Vec::with_capacity(runs.len());
        let mut to_check = Vec::new();
        for (k, v) in &runs {
            let records = index::runs::raw_records(v)
                .ok_or_else(|| self.damaged("en post i indexet går inte att avkoda".into()))?;
            let fingerprint = checked.fingerprint(k, v);
            let known_good = checked.contains(fingerprint);
            if !known_good {
                to_check.extend(records.iter().map(|(r, _)| r.seq).filter(|&s| s <= seq));
            }
            decoded.push((k, fingerprint, known_good, records));
        }
        self.preload(&to_check)?;
        let mut out = Vec::new();
        for (k, fingerprint, known_good, records) in decoded {
            let mut whole = true;
            for (r, raw) in records {
                if r.seq > seq {
                    whole = false;
                    continue;
                }
                if !known_good {
                    if !index::runs::filed_under(k, &r) {
                        return Err(self.damaged_at(
                            r.seq,
                            format!(
                                "indexet sorterar in post {} under en fråga som den inte hör till",
                                r.seq
                            ),
                        ));
                    }
                    self.check_copy(r.seq, raw)?;
                }
                let kept = match (as_of, r.event.body.effective_date()) {
                    (Some(limit), Some(d)) => d <= limit,
                    _ => true,
                };
                if kept {
                    out.push(r);
                }
            }
            if whole && !known_good {
                checked.insert(fingerprint);
            }
        }
        Ok(out)
    }

    /// The records filed under `prefix`, dated on or before `as_of` (or undated).
    pub fn records(&self, prefix: &[u8], as_of: Option<Date>) -> Result<Vec<Recorded>> {
        self.decode_all(self.fetch(prefix)?, as_of)
    }

    /// The timeline's records dated after `from` and on or before `to`.
    pub fn timeline(&self, from: Date, to: Date) -> Result<Vec<Recorded>> {
        let Some(first) = from.0.succ_opt().map(Date) else {
            return Ok(Vec::new());
        };
        if first > to {
            return Ok(Vec::new());
        }
        let start = index::runs::month_key(first);
        let mut end = index::runs::month_key(to);
        end.extend_from_slice(&[0xff; 9]);
        let records = self.decode_all(
            self.ledger
                .store()
                .range_derived_upto(&start, &end, self.seq()?),
            Some(to),
        )?;
        Ok(records
            .into_iter()
            .filter(|r| r.event.body.effective_date().is_some_and(|d| d > from))
            .collect())
    }

    /// Every correction.
    pub fn corrections(&self) -> Result<Vec<Recorded>> {
        self.decode_all(self.fetch(&[index::CORRECTIONS])?, None)
    }

    /// The records under each of `prefixes` (up to `as_of`) and every correction, in log order;
    /// the store is asked for all of them at once.
    pub fn gather(&self, prefixes: &[Vec<u8>], as_of: Option<Date>) -> Result<Vec<Recorded>> {
        let mut all = Vec::with_capacity(prefixes.len() + 1);
        all.push(vec![index::CORRECTIONS]);
        all.extend(prefixes.iter().cloned());
        self.prefetch(&all)?;
        let mut ranges = {
            let fetched = self.fetched.borrow();
            all.iter()
                .map(|p| fetched.get(p).cloned().unwrap_or_default())
                .collect::<Vec<_>>()
                .into_iter()
        };
        let corrections = ranges.next().unwrap_or_default();
        let mut out = self.decode_all(Box::new(corrections.into_iter().map(Ok)), None)?;
        let runs: Vec<Derived> = ranges.flatten().collect();
        out.extend(self.decode_all(Box::new(runs.into_iter().map(Ok)), as_of)?);
        Ok(in_log_order(out))
    }

    /// The frame entries under `prefix`, run by run, each with its office.
    pub fn frame_entries(&self, prefix: &[u8]) -> Result<Vec<(String, Vec<FrameEntry>)>> {
        let runs = self.runs_upto(self.fetch(prefix)?)?;
        let seq = self.seq()?;
        let checked = self.ledger.checked_runs();
        let mut decoded = Vec::with_capacity(runs.len());
        let mut to_check = Vec::new();
        for (k, v) in &runs {
            let (year, office, mut entries) = index::decode_frames(k, v)
                .ok_or_else(|| self.damaged("en rampost i indexet går inte att avkoda".into()))?;
            let whole = entries.iter().all(|e| e.seq <= seq);
            entries.retain(|e| e.seq <= seq);
            let fingerprint = checked.fingerprint(k, v);
            let known_good = checked.contains(fingerprint);
            if !known_good {
                to_check.extend(entries.iter().map(|e| e.seq));
            }
            decoded.push((year, office, entries, whole, fingerprint, known_good));
        }
        self.preload(&to_check)?;
        let mut out = Vec::new();
        for (year, office, entries, whole, fingerprint, known_good) in decoded {
            if !known_good {
                for e in &entries {
                    self.check_frame(year, &office, e)?;
                }
                if whole {
                    checked.insert(fingerprint);
                }
            }
            out.push((office, entries));
        }
        Ok(out)
    }

    /// The catalogue markers of one family.
    pub fn markers(&self, family: u8) -> Result<Vec<Derived>> {
        Ok(self
            .fetch(&[family])?
            .collect::<std::result::Result<Vec<_>, _>>()?)
    }
}
