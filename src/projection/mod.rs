//! Projections: pure folds from recorded events to tables, for any date.
//!
//! Two clocks govern every projection ([`Clock`]): `as_of` keeps events whose decision (or status,
//! or report) date is on or before it; `known_at` keeps only what the ledger had recorded by then.
//! A correction removes the effect of the event it corrects from every `as_of` date, but only for
//! a `known_at` at or after the moment the correction was recorded.
//!
//! **Invariant:** events apply in order of effective date, then recording order (sequence number).

pub mod budget;
pub mod frame_index;
pub mod frames;
pub mod goals;
pub mod history;
pub mod indicators;

use crate::domain::event::{Date, EventBody};
use crate::store::record::Recorded;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// The two clocks of a query. `None` means "no limit".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    pub as_of: Option<Date>,
    pub known_at: Option<DateTime<Utc>>,
}

impl Clock {
    pub fn known(&self, r: &Recorded) -> bool {
        self.known_at.is_none_or(|k| r.recorded_at <= k)
    }
    pub fn effective(&self, date: Option<Date>) -> bool {
        match (self.as_of, date) {
            (Some(limit), Some(d)) => d <= limit,
            _ => true,
        }
    }
}

/// The records in effect under a clock, in application order (effective date, then sequence).
/// Definitions without a date and corrections themselves are kept too (they order first by
/// sequence among undated events), but corrected events are gone.
pub fn in_effect<'a>(records: &'a [Recorded], clock: &Clock) -> Vec<&'a Recorded> {
    let corrected = corrected_ids(records, clock);
    let mut out: Vec<&Recorded> = records
        .iter()
        .filter(|r| clock.known(r))
        .filter(|r| !corrected.contains(&r.event.id))
        .filter(|r| clock.effective(r.event.body.effective_date()))
        .collect();
    out.sort_by_key(|r| {
        (
            r.event
                .body
                .effective_date()
                .unwrap_or(Date(chrono::NaiveDate::MIN)),
            r.seq,
        )
    });
    out
}

/// Ids of events corrected by a correction known under the clock.
pub fn corrected_ids(records: &[Recorded], clock: &Clock) -> HashSet<uuid::Uuid> {
    records
        .iter()
        .filter(|r| clock.known(r))
        .filter_map(|r| match &r.event.body {
            EventBody::Correction { corrects, .. } => Some(*corrects),
            _ => None,
        })
        .collect()
}

/// Office code → name, from office definitions in effect.
pub fn office_names(records: &[&Recorded]) -> HashMap<String, String> {
    records
        .iter()
        .filter_map(|r| match &r.event.body {
            EventBody::OfficeDefined { office, name, .. } => Some((office.clone(), name.clone())),
            _ => None,
        })
        .collect()
}
