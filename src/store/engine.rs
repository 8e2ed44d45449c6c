//! The engine a ledger runs on, chosen at run time from `--db` (see `target`): sled in a folder,
//! the embedded default, or PostgreSQL. Every `Store` call goes to the one it holds.

use super::pg::PgStore;
use super::sled_store::SledStore;
use super::target::Target;
use super::{Block, Derived, DerivedIter, Head, Store, StoreError};

pub enum Engine {
    Sled(SledStore),
    /// Boxed: it holds its connections, far larger than sled's handle.
    Postgres(Box<PgStore>),
}

impl Engine {
    /// Opens the ledger `target` names; a PostgreSQL ledger must exist (`rambok init`), a folder
    /// is opened as `SledStore::open` opens it.
    pub fn open(target: &Target) -> Result<Engine, StoreError> {
        match target {
            Target::Folder(path) => SledStore::open(path).map(Engine::Sled),
            Target::Postgres(url) => PgStore::open(url).map(|p| Engine::Postgres(Box::new(p))),
        }
    }

    /// The sled store, when the ledger is in a folder (the server's tokens live beside it).
    pub fn sled(&self) -> Option<&SledStore> {
        match self {
            Engine::Sled(s) => Some(s),
            Engine::Postgres(_) => None,
        }
    }

    /// The PostgreSQL store, when the ledger is in PostgreSQL.
    pub fn postgres(&self) -> Option<&PgStore> {
        match self {
            Engine::Sled(_) => None,
            Engine::Postgres(p) => Some(p.as_ref()),
        }
    }

    /// Where the ledger is, for messages: its folder, or its URL without the password.
    pub fn shown(&self) -> String {
        match self {
            Engine::Sled(s) => s.path().display().to_string(),
            Engine::Postgres(p) => p.shown().to_string(),
        }
    }
}

impl From<SledStore> for Engine {
    fn from(s: SledStore) -> Engine {
        Engine::Sled(s)
    }
}

impl From<PgStore> for Engine {
    fn from(p: PgStore) -> Engine {
        Engine::Postgres(Box::new(p))
    }
}

macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Engine::Sled($s) => $e,
            Engine::Postgres($s) => $e,
        }
    };
}

impl Store for Engine {
    fn head(&self) -> Result<Head, StoreError> {
        each!(self, s => s.head())
    }
    fn shared(&self) -> bool {
        each!(self, s => s.shared())
    }
    fn append_with(
        &self,
        blocks: &[Block],
        head: Head,
        derived: &[Derived],
        staged: &[u64],
    ) -> Result<(), StoreError> {
        each!(self, s => s.append_with(blocks, head, derived, staged))
    }
    fn clear_derived(&self) -> Result<(), StoreError> {
        each!(self, s => s.clear_derived())
    }
    fn put_derived(&self, derived: &[Derived]) -> Result<(), StoreError> {
        each!(self, s => s.put_derived(derived))
    }
    fn get_derived(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        each!(self, s => s.get_derived(key))
    }
    fn scan_derived(&self, prefix: &[u8]) -> DerivedIter<'_> {
        each!(self, s => s.scan_derived(prefix))
    }
    fn range_derived(&self, start: &[u8], end: &[u8]) -> DerivedIter<'_> {
        each!(self, s => s.range_derived(start, end))
    }
    fn scan_derived_upto(&self, prefix: &[u8], seq: u64) -> DerivedIter<'_> {
        each!(self, s => s.scan_derived_upto(prefix, seq))
    }
    fn range_derived_upto(&self, start: &[u8], end: &[u8], seq: u64) -> DerivedIter<'_> {
        each!(self, s => s.range_derived_upto(start, end, seq))
    }
    fn scan_many_upto(
        &self,
        prefixes: &[Vec<u8>],
        seq: u64,
    ) -> Result<Vec<Vec<Derived>>, StoreError> {
        each!(self, s => s.scan_many_upto(prefixes, seq))
    }
    fn get_and_scan_many(
        &self,
        key: &[u8],
        prefixes: &[Vec<u8>],
    ) -> Result<crate::store::KeyAndRanges, StoreError> {
        each!(self, s => s.get_and_scan_many(key, prefixes))
    }
    fn blocks_holding(&self, seqs: &[u64]) -> Result<Vec<Block>, StoreError> {
        each!(self, s => s.blocks_holding(seqs))
    }
    fn stage(
        &self,
        from_seq: u64,
        blocks: &[Block],
        derived: &[Derived],
    ) -> Result<(), StoreError> {
        each!(self, s => s.stage(from_seq, blocks, derived))
    }
    fn discard_staged(
        &self,
        from_seq: u64,
        staged_after: &dyn Fn(&[u8], u64) -> bool,
    ) -> Result<(), StoreError> {
        each!(self, s => s.discard_staged(from_seq, staged_after))
    }
    fn blocks(
        &self,
        from_seq: u64,
        to_seq: u64,
    ) -> Box<dyn Iterator<Item = Result<Block, StoreError>> + '_> {
        each!(self, s => s.blocks(from_seq, to_seq))
    }
    fn sync(&self) -> Result<(), StoreError> {
        each!(self, s => s.sync())
    }
}
