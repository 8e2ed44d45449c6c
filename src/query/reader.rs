//! Reading the persisted index up to the head it covered when the question was asked: entries of
//! records appended meanwhile (or staged by an append still running) are left out, so a question
//! sees one consistent ledger without taking the writer's lock.

use crate::index::{self, FrameEntry};
use crate::ledger::{Ledger, LedgerError};
use crate::store::record::{self, Recorded};
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

    /// The sequence number the question sees the ledger at.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    fn damaged(&self, what: String) -> LedgerError {
        LedgerError::Corrupt {
            seq: self.seq,
            kind: crate::ledger::Damage::Index,
            what: format!("{what} (rambok verify compares the index with the log)"),
        }
    }

    fn decode_all(&self, entries: DerivedIter<'_>) -> Result<Vec<Recorded>> {
        let mut out = Vec::new();
        for kv in entries {
            let (k, v) = kv?;
            let Some(seq) = index::seq_of(&k) else {
                continue;
            };
            if seq > self.seq {
                continue;
            }
            let rec = record::split(&v, 0)
                .and_then(|(raw, _)| record::decode(&raw))
                .map_err(|e| self.damaged(format!("an index entry does not decode: {e}")))?;
            if rec.seq != seq {
                return Err(self.damaged(format!(
                    "the index entry for record {seq} holds record {}",
                    rec.seq
                )));
            }
            out.push(rec);
        }
        Ok(out)
    }

    /// The records filed under `prefix`, dated on or before `as_of` (or undated).
    pub fn records(
        &self,
        prefix: &[u8],
        as_of: Option<crate::domain::event::Date>,
    ) -> Result<Vec<Recorded>> {
        let end = index::until(prefix, as_of);
        self.decode_all(self.ledger.store().range_derived(prefix, &end))
    }

    /// The records with `start <= key < end`.
    pub fn range(&self, start: &[u8], end: &[u8]) -> Result<Vec<Recorded>> {
        self.decode_all(self.ledger.store().range_derived(start, end))
    }

    /// Every correction.
    pub fn corrections(&self) -> Result<Vec<Recorded>> {
        self.decode_all(self.ledger.store().scan_derived(&[index::CORRECTIONS]))
    }

    /// The records under each of `prefixes` (up to `as_of`) and every correction, in log order.
    pub fn gather(
        &self,
        prefixes: &[Vec<u8>],
        as_of: Option<crate::domain::event::Date>,
    ) -> Result<Vec<Recorded>> {
        let mut out = self.corrections()?;
        for p in prefixes {
            out.extend(self.records(p, as_of)?);
        }
        Ok(in_log_order(out))
    }

    /// The frame entries under `prefix`, with their office.
    pub fn frame_entries(&self, prefix: &[u8]) -> Result<Vec<(String, FrameEntry)>> {
        let mut out = Vec::new();
        for kv in self.ledger.store().scan_derived(prefix) {
            let (k, v) = kv?;
            let (office, entry) = index::decode_frame(&k, &v)
                .ok_or_else(|| self.damaged("a frame entry of the index does not decode".into()))?;
            if entry.seq <= self.seq {
                out.push((office, entry));
            }
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
