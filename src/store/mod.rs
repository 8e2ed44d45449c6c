//! Storage: the narrow trait every engine implements, the record format, the sled engine (the
//! embedded default) and the PostgreSQL engine, and what `--db` names (`target`, `engine`).
//!
//! An engine stores opaque blocks of encoded records under their first sequence number, and one
//! head (last sequence number and its hash). It knows nothing of events, validation or hashing:
//! those live in `record` and `ledger`, so a second engine only has to keep bytes safely.

pub mod accounts;
pub mod engine;
pub mod folder;
pub mod pg;
pub mod record;
pub mod sled_store;
pub mod target;
pub mod witness;

pub use engine::Engine;

use record::Hash;
use std::path::PathBuf;

/// The last record of the log: its sequence number (0 for an empty log) and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: Hash,
}

impl Head {
    pub const EMPTY: Head = Head {
        seq: 0,
        hash: record::GENESIS_HASH,
    };
}

/// A derived entry (an index) kept beside the log: key and value, both opaque to the engine.
pub type Derived = (Vec<u8>, Vec<u8>);

/// Derived entries as an engine reads them, in key order.
pub type DerivedIter<'a> = Box<dyn Iterator<Item = Result<Derived, StoreError>> + 'a>;

/// A derived entry's value (if any) and the entries under each of several prefixes, read together.
pub type KeyAndRanges = (Option<Vec<u8>>, Vec<Vec<Derived>>);

/// A block of records as stored: the sequence number of its first record and the bytes.
#[derive(Clone, Debug)]
pub struct Block {
    pub first_seq: u64,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("liggaren i {path} används av en annan process (en körande `rambok serve` eller ett annat kommando); vänta tills den är klar eller stoppa den och försök sedan igen", path = path.display())]
    InUse { path: PathBuf },
    #[error("lagringsfel: {0}")]
    Io(String),
    #[error("liggaren är skadad: {0}")]
    Corrupt(String),
    /// One of sled's files is missing, cut short or garbled: found before sled opened the folder,
    /// which was left as it was.
    #[error("{0}")]
    Damaged(Box<folder::Damage>),
    /// Another process appended first: the append chained onto `expected` but the ledger's head
    /// is at `actual` now. Nothing was written; read the ledger again and retry.
    #[error("en annan process lade till i liggaren först: skrivningen byggde på sekvens {expected}, men liggaren är vid {actual}; inget sparades")]
    Conflict { expected: u64, actual: u64 },
}

/// The storage engine.
///
/// **Invariant:** `append` makes its blocks visible only together with the new head; a crash in
/// between leaves the previous head and no visible part of the append.
pub trait Store: Send + Sync {
    fn head(&self) -> Result<Head, StoreError>;
    /// Whether other processes may append to the same ledger (then the head can move under a
    /// writer, and `append_with` refuses an append chained onto a head that moved).
    fn shared(&self) -> bool {
        false
    }
    /// Writes `blocks` (which follow the current head without a gap) and then moves the head.
    fn append(&self, blocks: &[Block], head: Head) -> Result<(), StoreError> {
        self.append_with(blocks, head, &[], &[])
    }
    /// As `append`, and writes `derived` (index entries) in the same atomic step as the head;
    /// a shared store refuses it with [`StoreError::Conflict`] when the head is no longer the one
    /// the blocks follow (the first block's, or first staged append's, sequence number − 1);
    /// `staged` lists the appends (by the first sequence number each staged) whose staged blocks
    /// and entries this step makes visible, so nothing of theirs is left to discard.
    fn append_with(
        &self,
        blocks: &[Block],
        head: Head,
        derived: &[Derived],
        staged: &[u64],
    ) -> Result<(), StoreError>;
    /// Removes every derived entry (before an index is rebuilt from the log).
    fn clear_derived(&self) -> Result<(), StoreError>;
    /// Writes derived entries without moving the head (an index being rebuilt).
    fn put_derived(&self, derived: &[Derived]) -> Result<(), StoreError>;
    /// One derived entry.
    fn get_derived(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every derived entry whose key starts with `prefix`, in key order.
    fn scan_derived(&self, prefix: &[u8]) -> DerivedIter<'_>;
    /// Every derived entry with `start <= key < end`, in key order.
    fn range_derived(&self, start: &[u8], end: &[u8]) -> DerivedIter<'_>;
    /// Writes `blocks`, and the derived entries of their records, beyond the head without moving
    /// it: invisible until an `append` moves the head past them (readers ignore derived entries
    /// of records beyond the head). Large appends stage most of their blocks this way.
    /// `from_seq` names the append (its first sequence number) until `append_with` ends it.
    fn stage(&self, from_seq: u64, blocks: &[Block], derived: &[Derived])
        -> Result<(), StoreError>;
    /// Removes every block from `from_seq` on and, when an append had staged any, the derived
    /// entries for which `staged_after(key, from_seq - 1)` says so (an abandoned append, or what
    /// a crash left; `from_seq` is beyond every append that may still move the head).
    fn discard_staged(
        &self,
        from_seq: u64,
        staged_after: &dyn Fn(&[u8], u64) -> bool,
    ) -> Result<(), StoreError>;
    /// As [`Store::scan_derived`], for a reader that reads records up to `seq` only: every entry
    /// written with a head up to `seq` is among them (later ones may be too; the reader leaves
    /// them out). An engine may answer from what it read before for a head at or past `seq`.
    fn scan_derived_upto(&self, prefix: &[u8], _seq: u64) -> DerivedIter<'_> {
        self.scan_derived(prefix)
    }
    /// As [`Store::range_derived`], for a reader up to `seq` (see [`Store::scan_derived_upto`]).
    fn range_derived_upto(&self, start: &[u8], end: &[u8], _seq: u64) -> DerivedIter<'_> {
        self.range_derived(start, end)
    }
    /// The entries under each of `prefixes` (as [`Store::scan_derived_upto`]), in their order.
    /// An engine with round trips reads the ones it must in one.
    fn scan_many_upto(
        &self,
        prefixes: &[Vec<u8>],
        seq: u64,
    ) -> Result<Vec<Vec<Derived>>, StoreError> {
        prefixes
            .iter()
            .map(|p| self.scan_derived_upto(p, seq).collect())
            .collect()
    }
    /// The entry `key` and the entries under each of `prefixes`, read together: each range holds
    /// every entry written in the same atomic step as `key`'s value, or before it (the index
    /// head is such a key, so a reader gets its head and its ranges at once; later entries may
    /// be there too, and the reader leaves them out). An engine with round trips reads all of
    /// it in one.
    fn get_and_scan_many(
        &self,
        key: &[u8],
        prefixes: &[Vec<u8>],
    ) -> Result<KeyAndRanges, StoreError> {
        let value = self.get_derived(key)?;
        let ranges = prefixes
            .iter()
            .map(|p| self.scan_derived(p).collect())
            .collect::<Result<_, _>>()?;
        Ok((value, ranges))
    }
    /// The blocks holding each of the records `seqs` (each block once at most, in any order);
    /// a record no block holds is left out. An engine with round trips reads them in one.
    fn blocks_holding(&self, seqs: &[u64]) -> Result<Vec<Block>, StoreError> {
        let mut out: Vec<Block> = Vec::new();
        for &seq in seqs {
            for block in self.blocks(seq, seq) {
                let block = block?;
                if !out.iter().any(|b| b.first_seq == block.first_seq) {
                    out.push(block);
                }
            }
        }
        Ok(out)
    }
    /// The blocks holding records `from_seq..=to_seq`, in order (the first may start earlier).
    fn blocks(
        &self,
        from_seq: u64,
        to_seq: u64,
    ) -> Box<dyn Iterator<Item = Result<Block, StoreError>> + '_>;
    /// Returns once everything appended so far survives a power cut.
    fn sync(&self) -> Result<(), StoreError>;
}
