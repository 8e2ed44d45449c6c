//! The persisted index beside the log (`crate::index`): opened in constant time, rebuilt from the
//! log once when it is missing or of an older layout, checked against the log in full by
//! `verify`, and read by the query layer up to the head it covers.

use super::{Damage, Ledger, LedgerError};
use crate::index::{self, Context, Digester, IndexHead};
use crate::lang::counted;
use crate::store::{Derived, Store};

/// Entries written per batch while an index is rebuilt.
const REBUILD_BATCH_ENTRIES: usize = 200_000;

impl<S: Store> Ledger<S> {
    /// On open: an index of this layout is used as it is (no read of the log); a missing one, or
    /// one of an older layout (stores written before layout 2), is rebuilt from the log once.
    /// Then whatever an abandoned append left beyond the head is removed.
    pub(super) fn open_index(&self) -> Result<(), LedgerError> {
        let stored = self.store.get_derived(index::HEAD_KEY)?;
        if stored.as_deref().and_then(IndexHead::decode).is_none() {
            if stored.is_some() {
                // Bytes under the head key that do not decode: damage, not an old layout.
                return Err(self.index_damage("indexets huvud går inte att avkoda"));
            }
            self.rebuild_index()?;
        }
        let head = self.store.head()?;
        self.store
            .discard_staged(head.seq + 1, &index::beyond_head)?;
        Ok(())
    }

    /// Replaces the stored index with one built from the log, in batches; the head entry is
    /// written last, so an interrupted rebuild is started again on the next open.
    pub fn rebuild_index(&self) -> Result<(), LedgerError> {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        self.store.clear_derived()?;
        let head = self.store.head()?;
        let mut context = Context::default();
        let mut digest = index::EMPTY_DIGEST;
        let mut batch: Vec<Derived> = Vec::new();
        let mut markers: Vec<Derived> = Vec::new();
        self.scan_raw(1, Some(head.seq), |r, raw| {
            let mut d = Digester::after(&digest);
            for (k, v) in context.entries(r.seq, r.recorded_at, &r.event, raw) {
                d.add(&k, &v);
                if index::is_marker(&k) {
                    markers.push((k, v));
                } else {
                    batch.push((k, v));
                }
            }
            digest = d.finish();
            if batch.len() >= REBUILD_BATCH_ENTRIES {
                self.store
                    .put_derived(&index::runs::runs(&std::mem::take(&mut batch)))?;
            }
            Ok(())
        })?;
        let mut batch = index::runs::runs(&batch);
        batch.extend(markers);
        let ih = IndexHead {
            seq: head.seq,
            digest,
        };
        batch.push((index::HEAD_KEY.to_vec(), ih.encode()));
        self.store.put_derived(&batch)?;
        self.store.sync()?;
        Ok(())
    }

    /// The stored index head: the sequence number the index covers and its running digest.
    pub fn index_head(&self) -> Result<IndexHead, LedgerError> {
        self.decode_index_head(self.store.get_derived(index::HEAD_KEY)?.as_deref())
    }

    /// The index head from its stored bytes (as read with [`crate::store::Store::get_derived`]).
    pub fn decode_index_head(&self, bytes: Option<&[u8]>) -> Result<IndexHead, LedgerError> {
        bytes
            .and_then(IndexHead::decode)
            .ok_or_else(|| self.index_damage("indexet har inget läsbart huvud"))
    }

    pub(super) fn index_damage(&self, what: &str) -> LedgerError {
        LedgerError::Corrupt {
            seq: self.head().seq,
            kind: Damage::Index,
            what: format!("{what} (rambok verify jämför indexet med loggen)"),
        }
    }

    /// Checks that the stored index is exactly what the log gives: every entry the log implies is
    /// stored with the same bytes, nothing else is stored, it covers the head, and its running
    /// digest is the one the log gives. Reads the whole log and the whole index.
    pub fn check_index(&self) -> Result<(), LedgerError> {
        // Appends made meanwhile move index and head together: the index must cover a head
        // between the one read before it and the one read after it.
        let before = self.store.head()?.seq;
        let stored_head = self.index_head()?;
        let after = self.store.head()?.seq;
        let covered = stored_head.seq;
        let differs = |what: String| LedgerError::Corrupt {
            seq: covered,
            kind: Damage::Index,
            what,
        };
        if covered < before || covered > after {
            return Err(differs(format!(
                "indexet täcker till och med sekvens {covered} men loggens huvud är {after}"
            )));
        }
        // Both sides as a multiset of entries (conceptual keys and values), compared by count and
        // an order-independent sum of their hashes: the log's, rebuilt; the store's, expanded from
        // its runs.
        let mut context = Context::default();
        let mut digest = index::EMPTY_DIGEST;
        let mut expected = EntrySum::default();
        self.scan_raw(1, Some(covered), |r, raw| {
            let mut d = Digester::after(&digest);
            for (k, v) in context.entries(r.seq, r.recorded_at, &r.event, raw) {
                d.add(&k, &v);
                expected.add(&k, &v);
            }
            digest = d.finish();
            Ok(())
        })?;
        let mut stored = EntrySum::default();
        for kv in self.store.scan_derived(b"") {
            let (k, v) = kv?;
            if k == index::HEAD_KEY || index::beyond_head(&k, covered) {
                continue;
            }
            let entries = index::runs::expand(&k, &v)
                .ok_or_else(|| differs("en post i indexet går inte att avkoda".into()))?;
            for (ek, ev) in entries {
                stored.add(&ek, &ev);
            }
        }
        if stored != expected {
            return Err(differs(format!(
                "indexet har {} där loggen ger {}, eller poster som skiljer sig från loggens",
                counted(stored.count, "post", "poster"),
                counted(expected.count, "post", "poster")
            )));
        }
        if digest != stored_head.digest {
            return Err(differs(
                "indexets löpande kontrollsumma är inte den som loggen ger".into(),
            ));
        }
        Ok(())
    }
}

/// A multiset of entries in constant space: how many, and the wrapping sum of a 128-bit hash of
/// each. Two multisets that differ give different sums but for a chance of 2⁻¹²⁸.
#[derive(Default, PartialEq, Eq)]
struct EntrySum {
    count: u64,
    sum: u128,
}

impl EntrySum {
    fn add(&mut self, key: &[u8], value: &[u8]) {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update((key.len() as u32).to_le_bytes());
        h.update(key);
        h.update(value);
        let bytes: [u8; 16] = h.finalize()[..16].try_into().expect("16 bytes");
        self.count += 1;
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(bytes));
    }
}
