//! How index entries are stored: the entries one append writes are grouped into *runs*, one
//! stored key per question and append (per month for the timeline), so that a bulk import of a
//! million events writes thousands of keys rather than millions, and a question reads a few large
//! values. A single append writes runs of one entry. A run is written once and never rewritten.
//!
//! An entry as [`super::Context::entries`] makes it (its *conceptual* key: question, date,
//! sequence number) is what the running digest and `verify` speak of; a run is only its storage.
//! Run key: the question's prefix (for the timeline, `t` and the first day of the month) followed
//! by the first sequence number in the run. Run value: a version byte, then the entries in log
//! order: for families that carry records, each record's bytes as in the log (records delimit
//! themselves and carry their sequence number and date); for frames, date (4), sequence number (8)
//! and the 33-byte frame value.

use super::{date_code, date_from, is_marker, Derived, CORRECTIONS, FRAMES, GOALS, TIMELINE};
use crate::store::record::{self, Recorded};
use std::collections::BTreeMap;

const RUN_VERSION: u8 = 1;
/// Bytes of a conceptual key's tail: date and sequence number (corrections: sequence only).
const DATED_TAIL: usize = 12;
const FRAME_VALUE_BYTES: usize = 33;

/// The prefix a conceptual key is grouped under.
fn group_of(key: &[u8]) -> Option<Vec<u8>> {
    match *key.first()? {
        CORRECTIONS => Some(vec![CORRECTIONS]),
        TIMELINE => {
            let date = date_from(key.get(1..5)?)??;
            Some(month_key(date))
        }
        _ => Some(key.get(..key.len().checked_sub(DATED_TAIL)?)?.to_vec()),
    }
}

/// `t` and the first day of `date`'s month: the timeline's run prefix.
pub fn month_key(date: crate::domain::event::Date) -> Vec<u8> {
    use chrono::Datelike;
    let first = date
        .0
        .with_day(1)
        .map(crate::domain::event::Date)
        .unwrap_or(date);
    let mut k = vec![TIMELINE];
    k.extend_from_slice(&date_code(Some(first)));
    k
}

/// Groups one append's entries (in the order made, which is log order) into runs; catalogue
/// markers pass through as they are.
pub fn runs(entries: &[Derived]) -> Vec<Derived> {
    let mut groups: BTreeMap<Vec<u8>, (u64, Vec<u8>)> = BTreeMap::new();
    let mut out = Vec::new();
    for (k, v) in entries {
        let (Some(group), Some(seq)) = (group_of(k), super::seq_of(k)) else {
            out.push((k.clone(), v.clone()));
            continue;
        };
        if is_marker(k) {
            out.push((k.clone(), v.clone()));
            continue;
        }
        let (_, value) = groups
            .entry(group)
            .or_insert_with(|| (seq, vec![RUN_VERSION]));
        if k[0] == FRAMES {
            value.extend_from_slice(&k[k.len() - DATED_TAIL..]);
        }
        value.extend_from_slice(v);
    }
    out.extend(groups.into_iter().map(|(mut group, (first, value))| {
        group.extend_from_slice(&first.to_be_bytes());
        (group, value)
    }));
    out
}

/// The prefix of a stored run's key (without its first sequence number).
fn run_prefix(key: &[u8]) -> Option<&[u8]> {
    key.get(..key.len().checked_sub(8)?)
}

/// Whether `r` belongs in the run stored under `run_key`: one of the entries its event makes is
/// grouped under the run's prefix. An activity is filed under its goal's year, which only earlier
/// records know, so any goal year is taken for one here (`verify` checks the year too).
pub fn filed_under(run_key: &[u8], r: &Recorded) -> bool {
    let Some(prefix) = run_prefix(run_key) else {
        return false;
    };
    if prefix.first() == Some(&GOALS)
        && matches!(
            r.event.body,
            crate::domain::event::EventBody::ActivityDefined { .. }
        )
    {
        return true;
    }
    super::Context::default()
        .entries(r.seq, r.recorded_at, &r.event, &[])
        .iter()
        .any(|(k, _)| !is_marker(k) && group_of(k).as_deref() == Some(prefix))
}

/// The raw records of a run, each with its bytes, in log order.
pub fn raw_records(value: &[u8]) -> Option<Vec<(Recorded, &[u8])>> {
    let (&RUN_VERSION, mut rest) = value.split_first()? else {
        return None;
    };
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (raw, next) = record::split(rest, 0).ok()?;
        out.push((record::decode(&raw).ok()?, &rest[..next]));
        rest = &rest[next..];
    }
    Some(out)
}

/// The frame entries of a frame run: each entry's date and sequence tail and its value.
pub fn frame_entries(value: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let (&RUN_VERSION, rest) = value.split_first()? else {
        return None;
    };
    let step = DATED_TAIL + FRAME_VALUE_BYTES;
    if rest.len() % step != 0 {
        return None;
    }
    Some(
        rest.chunks(step)
            .map(|c| (&c[..DATED_TAIL], &c[DATED_TAIL..]))
            .collect(),
    )
}

/// A stored run back as the entries it holds (their conceptual keys and values); `None` when it
/// does not decode. Markers come back as themselves.
pub fn expand(key: &[u8], value: &[u8]) -> Option<Vec<Derived>> {
    if is_marker(key) {
        return Some(vec![(key.to_vec(), value.to_vec())]);
    }
    let prefix = run_prefix(key)?;
    match *key.first()? {
        FRAMES => Some(
            frame_entries(value)?
                .into_iter()
                .map(|(tail, v)| {
                    let mut k = prefix.to_vec();
                    k.extend_from_slice(tail);
                    (k, v.to_vec())
                })
                .collect(),
        ),
        family => Some(
            raw_records(value)?
                .into_iter()
                .map(|(r, bytes)| {
                    let mut k = match family {
                        CORRECTIONS => vec![CORRECTIONS],
                        TIMELINE => {
                            let mut k = vec![TIMELINE];
                            k.extend_from_slice(&date_code(r.event.body.effective_date()));
                            k
                        }
                        _ => {
                            let mut k = prefix.to_vec();
                            k.extend_from_slice(&date_code(r.event.body.effective_date()));
                            k
                        }
                    };
                    k.extend_from_slice(&r.seq.to_be_bytes());
                    (k, bytes.to_vec())
                })
                .collect(),
        ),
    }
}
