//! The frame index: every event that moves a frame, grouped by (office, year) and sorted in
//! application order, built in one linear pass over the log. An as-of query then reads only the
//! entries of one office and year instead of replaying the whole log.

use super::frames::{effect_on, Effect};
use super::Clock;
use crate::domain::amount::Amount;
use crate::domain::event::{Date, EventBody};
use crate::store::record::Recorded;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Clone, Debug)]
struct Entry {
    date: Date,
    seq: u64,
    recorded_at: DateTime<Utc>,
    id: Uuid,
    set: bool,
    amount: Amount,
}

/// A frame as the index answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexedFrame {
    pub frame: Amount,
    pub set: bool,
    pub events: usize,
}

#[derive(Default, Debug)]
pub struct FrameIndex {
    entries: HashMap<(String, i32), Vec<Entry>>,
    /// Corrected event id → when the correction was recorded.
    corrected_at: HashMap<Uuid, DateTime<Utc>>,
    sorted: bool,
}

impl FrameIndex {
    /// Adds one record; records must come in log order.
    pub fn add(&mut self, r: &Recorded) {
        let body = &r.event.body;
        if let EventBody::Correction { corrects, .. } = body {
            self.corrected_at.insert(*corrects, r.recorded_at);
            return;
        }
        let Some(year) = body.year() else { return };
        let Some(date) = body.effective_date() else {
            return;
        };
        for office in body.offices() {
            let Some(effect) = effect_on(body, office, year) else {
                continue;
            };
            let (set, amount) = match effect {
                Effect::Set(a) => (true, a),
                Effect::Add(a) => (false, a),
            };
            let entry = Entry {
                date,
                seq: r.seq,
                recorded_at: r.recorded_at,
                id: r.event.id,
                set,
                amount,
            };
            self.entries
                .entry((office.to_string(), year))
                .or_default()
                .push(entry);
            self.sorted = false;
        }
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
        self.sorted = true;
    }

    /// The offices with any frame event for `year`, in code order.
    pub fn offices(&self, year: i32) -> Vec<String> {
        let mut v: Vec<String> = self
            .entries
            .keys()
            .filter(|(_, y)| *y == year)
            .map(|(o, _)| o.clone())
            .collect();
        v.sort();
        v
    }

    /// The frame of `office` for `year` under the clock; `None` when no event in effect touches it.
    pub fn frame(&self, office: &str, year: i32, clock: &Clock) -> Option<IndexedFrame> {
        debug_assert!(self.sorted, "query before sort");
        let entries = self.entries.get(&(office.to_string(), year))?;
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
