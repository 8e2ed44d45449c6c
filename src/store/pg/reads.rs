//! The PostgreSQL engine's reads of index ranges for readers: through the per-process cache
//! (`cache.rs`), several ranges in one statement, and a report's index head with its ranges.

use super::cache::{Range, Shared};
use super::pages::DerivedPages;
use super::sql::{FROM_WITH_HEAD, KEY_AND_RANGES, RANGES_WITH_HEAD, RANGE_WITH_HEAD};
use super::{PgStore, DERIVED_PER_PAGE};
use crate::store::{Derived, DerivedIter, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

impl PgStore {
    /// `start <= key < end` (no end: to the last) as a reader up to `seq` sees it: from the cache
    /// when a read at a head at or past `seq` is there, else read (its first page with the head)
    /// and kept.
    pub(super) fn cached_range(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        seq: u64,
    ) -> DerivedIter<'_> {
        let range: Range = (start.to_vec(), end.map(<[u8]>::to_vec));
        let before = self.pool.reopened();
        if let Some(entries) = self.cache.get(&range, seq, before) {
            return Box::new(Shared { entries, at: 0 });
        }
        match self.read_range(start, end) {
            Ok((at, entries)) => {
                let entries = Arc::new(entries);
                let after = self.pool.reopened();
                self.cache.put(range, at, seq, (before, after), &entries);
                Box::new(Shared { entries, at: 0 })
            }
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    /// The ranges `missed` (by their place in the answer) in one statement, with the head it saw.
    pub(super) fn read_ranges(
        &self,
        missed: &[(usize, Vec<u8>, Vec<u8>)],
    ) -> Result<(u64, BTreeMap<usize, Vec<Derived>>), StoreError> {
        let starts: Vec<&[u8]> = missed.iter().map(|(_, s, _)| s.as_slice()).collect();
        let ends: Vec<&[u8]> = missed.iter().map(|(_, _, e)| e.as_slice()).collect();
        let rows = self.read("när indexet lästes", |c| {
            c.query(
                RANGES_WITH_HEAD,
                &[&self.ledger, &starts, &ends, &DERIVED_PER_PAGE],
            )
        })?;
        let Some(first) = rows.first() else {
            return Err(self.gone());
        };
        let at = u64::try_from(first.get::<_, i64>(0)).unwrap_or(0);
        let mut found: BTreeMap<usize, Vec<Derived>> = BTreeMap::new();
        for r in &rows {
            let Some(i) = r.get::<_, Option<i64>>(1) else {
                continue;
            };
            let slot = found.entry((i - 1) as usize).or_default();
            if let (Some(k), Some(v)) = (r.get::<_, Option<Vec<u8>>>(2), r.get(3)) {
                slot.push((k, v));
            }
        }
        for (i, entries) in found.iter_mut() {
            self.rest_of_range(entries, Some(ends[*i].to_vec()))?;
        }
        Ok((at, found))
    }

    /// The entry `key` and the ranges `prefixes` (ending at `ends`) in one statement: a range
    /// kept from a read at or past the head that statement saw comes from the cache, the others
    /// from the statement's rows (and kept).
    pub(super) fn key_and_ranges(
        &self,
        key: &[u8],
        prefixes: &[Vec<u8>],
        ends: &[Vec<u8>],
    ) -> Result<crate::store::KeyAndRanges, StoreError> {
        let before = self.pool.reopened();
        let kept: Vec<Option<(u64, Arc<Vec<Derived>>)>> = prefixes
            .iter()
            .zip(ends)
            .map(|(p, e)| self.cache.peek(&(p.clone(), Some(e.clone())), before))
            .collect();
        self.key_and_ranges_with(key, prefixes, ends, kept, before)
    }

    fn key_and_ranges_with(
        &self,
        key: &[u8],
        prefixes: &[Vec<u8>],
        ends: &[Vec<u8>],
        kept: Vec<Option<(u64, Arc<Vec<Derived>>)>>,
        before: u64,
    ) -> Result<crate::store::KeyAndRanges, StoreError> {
        let known: Vec<i64> = kept
            .iter()
            .map(|k| {
                k.as_ref()
                    .map_or(-1, |(at, _)| i64::try_from(*at).unwrap_or(i64::MAX))
            })
            .collect();
        let rows = self.read("när indexet lästes", |c| {
            c.query(
                KEY_AND_RANGES,
                &[
                    &self.ledger,
                    &prefixes,
                    &ends,
                    &DERIVED_PER_PAGE,
                    &key,
                    &known,
                ],
            )
        })?;
        let Some(first) = rows.first() else {
            return Err(self.gone());
        };
        let at = u64::try_from(first.get::<_, i64>(0)).unwrap_or(0);
        let value: Option<Vec<u8>> = first.get(1);
        let mut found: Vec<Vec<Derived>> = vec![Vec::new(); prefixes.len()];
        for r in &rows {
            let i = r.get::<_, i64>(2) - 1;
            if let (Some(k), Some(v), Some(slot)) = (
                r.get::<_, Option<Vec<u8>>>(3),
                r.get(4),
                found.get_mut(i as usize),
            ) {
                slot.push((k, v));
            }
        }
        let after = self.pool.reopened();
        if before != after && kept.iter().any(Option::is_some) {
            // A connection was opened again meanwhile: what was kept is not sure; read it all.
            self.forget();
            let none = vec![None; prefixes.len()];
            return self.key_and_ranges_with(key, prefixes, ends, none, after);
        }
        let mut out = Vec::with_capacity(prefixes.len());
        for (i, mut entries) in found.into_iter().enumerate() {
            if let Some((kept_at, kept)) = &kept[i] {
                if *kept_at >= at {
                    out.push(kept.to_vec());
                    continue;
                }
            }
            self.rest_of_range(&mut entries, Some(ends[i].clone()))?;
            let entries = Arc::new(entries);
            let range: Range = (prefixes[i].clone(), Some(ends[i].clone()));
            self.cache.put(range, at, at, (before, after), &entries);
            out.push(entries.to_vec());
        }
        Ok((value, out))
    }

    /// The rest of a range whose first page a statement filled (`entries`, a full page or less):
    /// the following pages up to `end`, read after the last key.
    fn rest_of_range(
        &self,
        entries: &mut Vec<Derived>,
        end: Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        if entries.len() as i64 == DERIVED_PER_PAGE {
            let last = entries.last().map(|(k, _)| k.clone()).unwrap_or_default();
            let mut rest = DerivedPages::new(self, last, end);
            rest.after = true;
            for kv in rest {
                entries.push(kv?);
            }
        }
        Ok(())
    }

    /// Every entry with `start <= key < end`, and the ledger's head as the first page's statement
    /// saw it (every entry written with a head up to it is in the pages).
    fn read_range(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
    ) -> Result<(u64, Vec<Derived>), StoreError> {
        let rows = self.read("när indexet lästes", |c| match end {
            Some(end) => c.query(
                RANGE_WITH_HEAD,
                &[&self.ledger, &start, &end, &DERIVED_PER_PAGE],
            ),
            None => c.query(FROM_WITH_HEAD, &[&self.ledger, &start, &DERIVED_PER_PAGE]),
        })?;
        let Some(first) = rows.first() else {
            return Err(self.gone());
        };
        let at = u64::try_from(first.get::<_, i64>(0)).unwrap_or(0);
        let mut entries: Vec<Derived> = rows
            .iter()
            .filter_map(|r| {
                Some((
                    r.get::<_, Option<Vec<u8>>>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                ))
            })
            .collect();
        self.rest_of_range(&mut entries, end.map(<[u8]>::to_vec))?;
        Ok((at, entries))
    }
}
