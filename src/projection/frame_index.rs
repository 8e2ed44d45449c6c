//! The frame index in memory: every event that moves a frame, grouped by (office, year) and sorted
//! in application order, plus the corrections and office names. Built in one linear pass over
//! records (the reference fold), or from the persisted index's frame entries (`crate::index`, family
//! `f`), which the store keeps in that order already.

use super::Clock;
use crate::domain::amount::Amount;
use crate::domain::event::{Event, EventBody};
use crate::store::record::Recorded;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

use crate::index::FrameEntry as Entry;

/// A frame as the index answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexedFrame {
    pub frame: Amount,
    pub set: bool,
    pub events: usize,
}

#[derive(Default, Debug, PartialEq, Eq)]
pub struct FrameIndex {
    entries: BTreeMap<(i32, String), Vec<Entry>>,
    /// Corrected event id → when the correction was recorded.
    corrected_at: HashMap<Uuid, DateTime<Utc>>,
    names: BTreeMap<String, String>,
}

impl FrameIndex {
    /// Adds one record; records must come in log order.
    pub fn add(&mut self, r: &Recorded) {
        self.add_event(r.seq, r.recorded_at, &r.event);
    }

    /// Adds one event recorded at `seq` and `recorded_at`.
    pub fn add_event(&mut self, seq: u64, recorded_at: DateTime<Utc>, event: &Event) {
        let body = &event.body;
        match body {
            EventBody::Correction { corrects, .. } => {
                self.corrected_at.insert(*corrects, recorded_at);
                return;
            }
            EventBody::OfficeDefined { office, name, .. } => {
                self.names.insert(office.clone(), name.clone());
                return;
            }
            _ => {}
        }
        for (year, office, entry) in crate::index::frame_entries_of(seq, recorded_at, event) {
            self.entries
                .entry((year, office.to_string()))
                .or_default()
                .push(entry);
        }
    }

    /// Adds stored frame entries of `office` for `year`; call [`FrameIndex::sort`] after the last.
    pub fn add_entries(&mut self, year: i32, office: String, entries: Vec<Entry>) {
        self.entries
            .entry((year, office))
            .or_default()
            .extend(entries);
    }

    /// Notes that the event `id` was corrected by a correction recorded at `at`.
    pub fn add_correction(&mut self, id: Uuid, at: DateTime<Utc>) {
        self.corrected_at.insert(id, at);
    }

    pub fn build(records: &[Recorded]) -> FrameIndex {
        let mut index = FrameIndex::default();
        for r in records {
            index.add(r);
        }
        index.sort();
        index
    }

    /// Puts every office-year's entries in application order; call after the last `add`.
    pub fn sort(&mut self) {
        for v in self.entries.values_mut() {
            v.sort_by_key(|e| (e.date, e.seq));
        }
    }

    /// The offices with any frame event for `year`, in code order.
    pub fn offices(&self, year: i32) -> Vec<String> {
        self.entries
            .range((year, String::new())..)
            .take_while(|((y, _), _)| *y == year)
            .map(|((_, o), _)| o.clone())
            .collect()
    }

    /// Office code → name, from the office definitions indexed.
    pub fn names(&self) -> HashMap<String, String> {
        self.names
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The frame of `office` for `year` under the clock; `None` when no event in effect touches it.
    pub fn frame(&self, office: &str, year: i32, clock: &Clock) -> Option<IndexedFrame> {
        let entries = self.entries.get(&(year, office.to_string()))?;
        let mut frame = Amount::ZERO;
        let mut set = false;
        let mut events = 0;
        for e in entries {
            if clock.as_of.is_some_and(|d| e.date > d) {
                break;
            }
            if clock.known_at.is_some_and(|k| e.recorded_at > k) {
                continue;
            }
            if let Some(at) = self.corrected_at.get(&e.id) {
                if clock.known_at.is_none_or(|k| *at <= k) {
                    continue;
                }
            }
            events += 1;
            if e.set {
                frame = e.amount;
                set = true;
            } else {
                frame += e.amount;
            }
        }
        (events > 0).then_some(IndexedFrame { frame, set, events })
    }
}
