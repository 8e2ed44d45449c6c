//! The read cache of a PostgreSQL ledger: range reads of derived entries kept for readers (see
//! [`crate::store::Store::scan_derived_upto`]), each with the ledger's head as the statement that
//! read it saw.
//!
//! **Why it is safe:** entries are written with the head that covers them and never removed while
//! the ledger serves (runs are written once; only an index rebuilt from the log clears them, and
//! this process's `clear_derived` and `put_derived` empty the cache), so a read made at head `h`
//! holds every entry a reader up to `seq <= h` may see. The cache is emptied when a connection had
//! to be opened again (a restarted server, a standby promoted: what was read may not be there)
//! and when a head is read lower than one read before (a database restored). Bounded: it starts
//! again when full.

use crate::store::{Derived, StoreError};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Bytes of derived entries kept at most.
const CACHE_BYTES_MAX: usize = 64 << 20;

/// A range of keys: `start <= key < end` (no end: to the last).
pub type Range = (Vec<u8>, Option<Vec<u8>>);

#[derive(Default)]
pub struct ScanCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    ranges: HashMap<Range, (u64, Arc<Vec<Derived>>)>,
    bytes: usize,
    /// The pool's count of reopened connections when the entries were read.
    epoch: u64,
    /// The highest head a kept read saw.
    highest: u64,
    /// Log blocks by first sequence number: where the next block starts, and the bytes. A block
    /// is written once with the head that covers it and never rewritten.
    blocks: BTreeMap<u64, (u64, Arc<Vec<u8>>)>,
}

fn size_of(entries: &[Derived]) -> usize {
    entries.iter().map(|(k, v)| k.len() + v.len() + 64).sum()
}

impl ScanCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Empties the cache.
    pub fn forget(&self) {
        *self.lock() = Inner::default();
    }

    /// The entries of `range` as read at a head at or past `seq`, if kept; `epoch` is the pool's
    /// count of reopened connections now (the cache is emptied when it moved).
    pub fn get(&self, range: &Range, seq: u64, epoch: u64) -> Option<Arc<Vec<Derived>>> {
        let mut c = self.lock();
        if c.epoch != epoch {
            *c = Inner {
                epoch,
                ..Inner::default()
            };
            return None;
        }
        let (at, entries) = c.ranges.get(range)?;
        (*at >= seq).then(|| entries.clone())
    }

    /// The kept block holding record `seq`: its first sequence number and bytes.
    pub fn block(&self, seq: u64, epoch: u64) -> Option<(u64, Arc<Vec<u8>>)> {
        let c = self.lock();
        if c.epoch != epoch {
            return None;
        }
        let (first, (end, bytes)) = c.blocks.range(..=seq).next_back()?;
        (seq < *end).then(|| (*first, bytes.clone()))
    }

    /// Keeps blocks (first sequence number, where the next starts, bytes) read between the
    /// pool's counts of reopened connections `before` and `after`.
    pub fn put_blocks(&self, blocks: Vec<(u64, u64, Arc<Vec<u8>>)>, (before, after): (u64, u64)) {
        let mut c = self.lock();
        if c.epoch != after || before != after {
            return;
        }
        for (first, end, bytes) in blocks {
            let size = bytes.len() + 64;
            if c.bytes + size > CACHE_BYTES_MAX {
                c.ranges.clear();
                c.blocks.clear();
                c.bytes = 0;
            }
            c.bytes += size;
            if let Some((_, old)) = c.blocks.insert(first, (end, bytes)) {
                c.bytes -= old.len() + 64;
            }
        }
    }

    /// The entries of `range` if kept, with the head they were read at.
    pub fn peek(&self, range: &Range, epoch: u64) -> Option<(u64, Arc<Vec<Derived>>)> {
        let c = self.lock();
        if c.epoch != epoch {
            return None;
        }
        c.ranges.get(range).map(|(at, e)| (*at, e.clone()))
    }

    /// Keeps `entries` of `range`, read at head `at` for a reader up to `seq`; `before` and
    /// `after` are the pool's counts of reopened connections before and after the read.
    pub fn put(
        &self,
        range: Range,
        at: u64,
        seq: u64,
        (before, after): (u64, u64),
        entries: &Arc<Vec<Derived>>,
    ) {
        let mut c = self.lock();
        if at < c.highest || c.epoch != after || before != after {
            // The database went back (or was replaced) meanwhile: nothing kept is sure.
            *c = Inner {
                epoch: after,
                ..Inner::default()
            };
        }
        c.highest = c.highest.max(at);
        let size = size_of(entries);
        if size > CACHE_BYTES_MAX / 4 || at < seq || before != after {
            return;
        }
        if c.bytes + size > CACHE_BYTES_MAX {
            c.ranges.clear();
            c.blocks.clear();
            c.bytes = 0;
        }
        c.bytes += size;
        if let Some((_, old)) = c.ranges.insert(range, (at, entries.clone())) {
            c.bytes -= size_of(&old);
        }
    }
}

/// A kept range read, entry by entry.
pub struct Shared {
    pub entries: Arc<Vec<Derived>>,
    pub at: usize,
}

impl Iterator for Shared {
    type Item = Result<Derived, StoreError>;
    fn next(&mut self) -> Option<Self::Item> {
        let e = self.entries.get(self.at)?.clone();
        self.at += 1;
        Some(Ok(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: u8) -> Arc<Vec<Derived>> {
        Arc::new(vec![(vec![n], vec![n])])
    }

    #[test]
    fn a_read_serves_readers_up_to_its_head_and_goes_with_a_reopened_connection() {
        let c = ScanCache::default();
        let r: Range = (b"a".to_vec(), Some(b"b".to_vec()));
        c.put(r.clone(), 10, 10, (0, 0), &entries(1));
        assert!(c.get(&r, 10, 0).is_some());
        assert!(c.get(&r, 7, 0).is_some());
        assert!(
            c.get(&r, 11, 0).is_none(),
            "a reader past the read's head reads again"
        );
        // A connection reopened between read and keep: not kept.
        c.put(r.clone(), 12, 12, (0, 1), &entries(2));
        assert!(c.get(&r, 12, 1).is_none());
        c.put(r.clone(), 12, 12, (1, 1), &entries(2));
        assert!(c.get(&r, 12, 1).is_some());
        // Reopened since: emptied.
        assert!(c.get(&r, 12, 2).is_none());
        c.put(r.clone(), 20, 20, (2, 2), &entries(3));
        // A head lower than one seen before: the database went back, nothing kept.
        let other: Range = (b"c".to_vec(), None);
        c.put(other.clone(), 15, 15, (2, 2), &entries(4));
        assert!(c.get(&r, 20, 2).is_none());
        assert!(c.get(&other, 15, 2).is_some());
        c.forget();
        assert!(c.get(&other, 15, 2).is_none());
    }
}
