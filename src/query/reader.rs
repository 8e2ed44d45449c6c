//! Reading the persisted index up to the head it covered when the question was asked: entries of
//! records appended meanwhile (or staged by an append still running) are left out, so a question
//! sees one consistent ledger without taking the writer's lock.

use crate::domain::event::Date;
use crate::index::{self, FrameEntry};
use crate::ledger::{Ledger, LedgerError};
use crate::store::record::Recorded;
use crate::store::{Derived, DerivedIter, Store};

type Result<T> = std::result::Result<T, LedgerError>;

pub struct Reader<'l, S: Store> {
    ledger: &'l Ledger<S>,
    /// The last sequence number this question may see.
    seq: u64,
}

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
            seq: ledger.index_head()?.seq,
            ledger,
        })
    }

    fn damaged(&self, what: String) -> LedgerError {
        LedgerError::Corrupt {
            seq: self.seq,
            kind: crate::ledger::Damage::Index,
            what: format!("{what} (rambok verify compares the index with the log)"),
        }
    }

    /// The records of the runs in `runs` up to this question's sequence number and dated on or
    /// before `as_of` (or undated).
    fn decode_all(&self, runs: DerivedIter<'_>, as_of: Option<Date>) -> Result<Vec<Recorded>> {
        let mut out = Vec::new();
        for kv in runs {
            let (k, v) = kv?;
            if index::seq_of(&k).is_none_or(|first| first > self.seq) {
                continue;
            }
            let records = index::runs::records(&v)
                .map_err(|e| self.damaged(format!("an index entry does not decode: {e}")))?;
            out.extend(records.into_iter().filter(|r| {
                r.seq <= self.seq
                    && match (as_of, r.event.body.effective_date()) {
                        (Some(limit), Some(d)) => d <= limit,
                        _ => true,
                    }
            }));
        }
        Ok(out)
    }

    /// The records filed under `prefix`, dated on or before `as_of` (or undated).
    pub fn records(&self, prefix: &[u8], as_of: Option<Date>) -> Result<Vec<Recorded>> {
        self.decode_all(self.ledger.store().scan_derived(prefix), as_of)
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
        let records = self.decode_all(self.ledger.store().range_derived(&start, &end), Some(to))?;
        Ok(records
            .into_iter()
            .filter(|r| r.event.body.effective_date().is_some_and(|d| d > from))
            .collect())
    }

    /// Every correction.
    pub fn corrections(&self) -> Result<Vec<Recorded>> {
        self.decode_all(
            self.ledger.store().scan_derived(&[index::CORRECTIONS]),
            None,
        )
    }

    /// The records under each of `prefixes` (up to `as_of`) and every correction, in log order.
    pub fn gather(&self, prefixes: &[Vec<u8>], as_of: Option<Date>) -> Result<Vec<Recorded>> {
        let mut out = self.corrections()?;
        for p in prefixes {
            out.extend(self.records(p, as_of)?);
        }
        Ok(in_log_order(out))
    }

    /// The frame entries under `prefix`, run by run, each with its office.
    pub fn frame_entries(&self, prefix: &[u8]) -> Result<Vec<(String, Vec<FrameEntry>)>> {
        let mut out = Vec::new();
        for kv in self.ledger.store().scan_derived(prefix) {
            let (k, v) = kv?;
            if index::seq_of(&k).is_none_or(|first| first > self.seq) {
                continue;
            }
            let (office, mut entries) = index::decode_frames(&k, &v)
                .ok_or_else(|| self.damaged("a frame entry of the index does not decode".into()))?;
            entries.retain(|e| e.seq <= self.seq);
            out.push((office, entries));
        }
        Ok(out)
    }

    /// The catalogue markers of one family.
    pub fn markers(&self, family: u8) -> Result<Vec<Derived>> {
        Ok(self
            .ledger
            .store()
            .scan_derived(&[family])
            .collect::<std::result::Result<Vec<_>, _>>()?)
    }
}
