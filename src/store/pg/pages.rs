//! Reads of many rows a page at a time: the log's blocks, and derived entries in key order.

use super::sql::{
    BLOCK_HOLDING, BLOCK_PAGE, DERIVED_AFTER, DERIVED_AFTER_TO, DERIVED_FROM, DERIVED_FROM_TO,
};
use super::{seq_param, PgStore, BLOCKS_PER_PAGE, DERIVED_PER_PAGE};
use crate::store::{Block, Derived, StoreError};

/// The blocks from the one holding `from_seq` to `to_seq`, a page at a time.
pub(super) struct BlockPages<'s> {
    pub(super) store: &'s PgStore,
    /// The first sequence number of the next page's first block; found on the first page.
    pub(super) next: Option<i64>,
    pub(super) from_seq: u64,
    pub(super) to_seq: u64,
    pub(super) page: std::vec::IntoIter<Block>,
    pub(super) done: bool,
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
                    c.query_one(BLOCK_HOLDING, &[ledger, &from])
                })?;
                row.get(0)
            }
        };
        let rows = self.store.read("när loggen lästes", |c| {
            c.query(BLOCK_PAGE, &[ledger, &start, &to, &BLOCKS_PER_PAGE])
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
pub(super) struct DerivedPages<'s> {
    pub(super) store: &'s PgStore,
    pub(super) start: Vec<u8>,
    /// Whether `start` was returned already (then the next page starts after it).
    pub(super) after: bool,
    pub(super) end: Option<Vec<u8>>,
    pub(super) page: std::vec::IntoIter<Derived>,
    pub(super) done: bool,
}

impl<'s> DerivedPages<'s> {
    pub(super) fn new(
        store: &'s PgStore,
        start: Vec<u8>,
        end: Option<Vec<u8>>,
    ) -> DerivedPages<'s> {
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
        let rows = match &self.end {
            Some(end) => self.store.read("när indexet lästes", |c| {
                let sql = if self.after {
                    DERIVED_AFTER_TO
                } else {
                    DERIVED_FROM_TO
                };
                c.query(sql, &[ledger, &self.start, end, &DERIVED_PER_PAGE])
            })?,
            None => self.store.read("när indexet lästes", |c| {
                let sql = if self.after {
                    DERIVED_AFTER
                } else {
                    DERIVED_FROM
                };
                c.query(sql, &[ledger, &self.start, &DERIVED_PER_PAGE])
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
