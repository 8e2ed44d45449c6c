//! The persisted index: which keys each event is filed under, so that a question reads only the
//! entries of its question (office + year, office + year + kind, target, goal year, a date range),
//! and the running digest that ties the index to the log. Pure: no store, no clock.
//!
//! Every entry is written once, in the same atomic batch as the head that covers its record, and
//! never rewritten: an append adds keys, it rewrites no list. An entry's key ends with the event's
//! effective date and its sequence number; the entries of one append are stored grouped per
//! question (`runs`), under the question's prefix and the append's first sequence number. A
//! question keeps the entries up to the sequence number it reads at and, as of a date, those dated
//! on or before it; the record's `recorded_at` answers *known at*. Corrections are entries too
//! (family `c`), so both clocks stay exact.
//!
//! Families (first byte of the key; codes end in a NUL, which no code may contain); the key shown
//! is an entry's, its run is stored under the part before `date` (for `t`, the month):
//!
//! | key | value | for |
//! |---|---|---|
//! | `f` year office 0 date seq | compact frame entry | frames of a year (every office) |
//! | `r` office 0 year kind date seq | the record | bridge, history, budget, outcome, investments |
//! | `a` office 0 date seq | the record | an office's definitions (name, areas) |
//! | `o` date seq | the record | every office's definition (names as of a date) |
//! | `g` year date seq | the record | goals, activities (by their goal's year), assignments |
//! | `s` target 0 date seq | the record | one target's statuses |
//! | `t` date seq | the record | frame, budget and status events by date (diff) |
//! | `i` date seq | the record | every indicator's definition (they are few) |
//! | `v` year date seq | the record | targets and measurements of a year (indicators, goals) |
//! | `c` seq | the record | corrections (read by every question; they are rare) |
//! | `y` year, `Y` year, `d` date | empty | the years, frame years and dates the ledger holds |
//! | `H` | version, seq, digest | the head of the index |
//!
//! "The record" is the record's bytes exactly as in the log (format v1, hash included). The
//! running digest is, record by record in log order, SHA-256 over the previous digest and the
//! record's entries: O(1) per record to keep. `verify` rebuilds every entry from the log and
//! compares them with what is stored, and the digest with the index head's.

use crate::domain::amount::Amount;
use crate::domain::effect::{effect_on, Effect};
use crate::domain::event::{Date, Event, EventBody};
use crate::store::Derived;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub mod runs;

/// The index layout this program writes; an index of another layout is rebuilt from the log.
pub const LAYOUT: u8 = 2;
/// The key of the index's head entry.
pub const HEAD_KEY: &[u8] = b"H";
/// The digest of an empty index.
pub const EMPTY_DIGEST: [u8; 32] = [0; 32];

pub const FRAMES: u8 = b'f';
pub const RECORDS: u8 = b'r';
pub const AREAS: u8 = b'a';
pub const OFFICES: u8 = b'o';
pub const GOALS: u8 = b'g';
pub const STATUSES: u8 = b's';
pub const TIMELINE: u8 = b't';
pub const CORRECTIONS: u8 = b'c';
pub const INDICATORS: u8 = b'i';
pub const INDICATOR_VALUES: u8 = b'v';
pub const YEARS: u8 = b'y';
pub const FRAME_YEARS: u8 = b'Y';
pub const DATES: u8 = b'd';

/// What kind of office-year record an `r` entry is; a question reads only the kinds it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Moves the frame: frame set or changed, savings requirement, transfer.
    Frame = b'f' as isize,
    Budget = b'b' as isize,
    /// Outcomes and forecasts.
    Outcome = b'o' as isize,
    Investment = b'i' as isize,
    /// Anything else about an office-year (reported figures, closed years).
    Other = b'z' as isize,
}

/// What the index must remember between events to file the next one: the year of each goal (an
/// activity is filed under its goal's year) and which catalogue markers exist already (each is
/// written once). Folded from the log in the same order the entries were written.
#[derive(Clone, Debug, Default)]
pub struct Context {
    goal_years: HashMap<String, i32>,
    years: HashSet<i32>,
    frame_years: HashSet<i32>,
    dates: HashSet<Date>,
}

/// What [`Context::entries_logged`] changed, so that [`Context::undo`] can take it back.
#[derive(Debug, Default)]
pub struct ContextUndo(Vec<ContextStep>);

impl ContextUndo {
    /// Appends `later`'s steps after these (undone first).
    pub fn extend(&mut self, later: ContextUndo) {
        self.0.extend(later.0);
    }
}

#[derive(Debug)]
enum ContextStep {
    GoalYear(String, Option<i32>),
    Year(i32),
    FrameYear(i32),
    Date(Date),
}

/// The index's head: the sequence number it covers and the running digest of its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexHead {
    pub seq: u64,
    pub digest: [u8; 32],
}

impl IndexHead {
    pub const EMPTY: IndexHead = IndexHead {
        seq: 0,
        digest: EMPTY_DIGEST,
    };

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(41);
        v.push(LAYOUT);
        v.extend_from_slice(&self.seq.to_le_bytes());
        v.extend_from_slice(&self.digest);
        v
    }

    /// `None` for bytes of another layout (or damaged).
    pub fn decode(bytes: &[u8]) -> Option<IndexHead> {
        if bytes.len() != 41 || bytes[0] != LAYOUT {
            return None;
        }
        Some(IndexHead {
            seq: u64::from_le_bytes(bytes[1..9].try_into().ok()?),
            digest: bytes[9..41].try_into().ok()?,
        })
    }
}

/// The running digest over entries as they are written.
pub struct Digester(Sha256);

impl Digester {
    pub fn after(previous: &[u8; 32]) -> Digester {
        let mut h = Sha256::new();
        h.update(previous);
        Digester(h)
    }
    /// Adds one entry. Of an entry that carries a record, only the record's hash is taken: it
    /// commits to every byte of the record, and `verify` compares the bytes themselves.
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        let part = if carries_record(key) && value.len() >= 32 {
            &value[value.len() - 32..]
        } else {
            value
        };
        self.0.update((key.len() as u32).to_le_bytes());
        self.0.update(key);
        self.0.update((part.len() as u32).to_le_bytes());
        self.0.update(part);
    }
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// Whether an entry's value is a whole record (as opposed to a compact frame entry or a marker).
pub fn carries_record(key: &[u8]) -> bool {
    matches!(
        key.first(),
        Some(
            &RECORDS
                | &AREAS
                | &OFFICES
                | &GOALS
                | &STATUSES
                | &TIMELINE
                | &CORRECTIONS
                | &INDICATORS
                | &INDICATOR_VALUES
        )
    )
}

/// Whether an entry is a catalogue marker: written once, with no sequence number of its own, so
/// it is written with the head rather than staged.
pub fn is_marker(key: &[u8]) -> bool {
    matches!(key.first(), Some(&YEARS | &FRAME_YEARS | &DATES))
}

/// Whether a stored derived entry belongs to a record beyond `head` (staged by an append that
/// never moved the head).
pub fn beyond_head(key: &[u8], head: u64) -> bool {
    key != HEAD_KEY && !is_marker(key) && seq_of(key).is_some_and(|s| s > head)
}

/// A year as 4 bytes that sort like the year.
pub fn year_code(year: i32) -> [u8; 4] {
    ((year as i64 - i32::MIN as i64) as u32).to_be_bytes()
}

fn year_from(code: &[u8]) -> Option<i32> {
    let v = u32::from_be_bytes(code.try_into().ok()?) as i64;
    Some((v + i32::MIN as i64) as i32)
}

/// A date as 4 bytes that sort like the date; an event without a date ("always") sorts first.
pub fn date_code(date: Option<Date>) -> [u8; 4] {
    match date {
        None => [0; 4],
        Some(d) => ((d.0.num_days_from_ce() as i64 - i32::MIN as i64 + 1) as u32).to_be_bytes(),
    }
}

pub fn date_from(code: &[u8]) -> Option<Option<Date>> {
    let v = u32::from_be_bytes(code.try_into().ok()?) as i64;
    if v == 0 {
        return Some(None);
    }
    let days = i32::try_from(v - 1 + i32::MIN as i64).ok()?;
    Some(Some(Date(chrono::NaiveDate::from_num_days_from_ce_opt(
        days,
    )?)))
}

/// `prefix` followed by `code` and the NUL that ends it.
fn with_code(prefix: &[u8], code: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + code.len() + 14);
    k.extend_from_slice(prefix);
    k.extend_from_slice(code.as_bytes());
    k.push(0);
    k
}

/// Key prefixes of the questions; a query scans one of them, or a range within it.
pub mod prefix {
    use super::*;

    pub fn frames(year: i32) -> Vec<u8> {
        let mut k = vec![FRAMES];
        k.extend_from_slice(&year_code(year));
        k
    }
    pub fn frames_of(year: i32, office: &str) -> Vec<u8> {
        with_code(&frames(year), office)
    }
    pub fn records(office: &str, year: i32, kind: Kind) -> Vec<u8> {
        let mut k = with_code(&[RECORDS], office);
        k.extend_from_slice(&year_code(year));
        k.push(kind as u8);
        k
    }
    pub fn areas(office: &str) -> Vec<u8> {
        with_code(&[AREAS], office)
    }
    pub fn goals(year: i32) -> Vec<u8> {
        let mut k = vec![GOALS];
        k.extend_from_slice(&year_code(year));
        k
    }
    pub fn statuses(target: &str) -> Vec<u8> {
        with_code(&[STATUSES], target)
    }
    pub fn indicator_values(year: i32) -> Vec<u8> {
        let mut k = vec![INDICATOR_VALUES];
        k.extend_from_slice(&year_code(year));
        k
    }
}

/// The sequence number at the end of an entry key.
pub fn seq_of(key: &[u8]) -> Option<u64> {
    let tail = key.get(key.len().checked_sub(8)?..)?;
    Some(u64::from_be_bytes(tail.try_into().ok()?))
}

fn dated(mut prefix: Vec<u8>, date: Option<Date>, seq: u64) -> Vec<u8> {
    prefix.extend_from_slice(&date_code(date));
    prefix.extend_from_slice(&seq.to_be_bytes());
    prefix
}

/// A frame entry as stored under `f`: what a frame query needs and nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameEntry {
    pub date: Date,
    pub seq: u64,
    pub recorded_at: DateTime<Utc>,
    pub id: Uuid,
    pub set: bool,
    pub amount: Amount,
}

fn encode_frame(e: &FrameEntry) -> Vec<u8> {
    let mut v = Vec::with_capacity(33);
    v.extend_from_slice(&e.recorded_at.timestamp_micros().to_le_bytes());
    v.extend_from_slice(e.id.as_bytes());
    v.push(e.set as u8);
    v.extend_from_slice(&(e.amount.ore() as i64).to_le_bytes());
    v
}

/// Reads a stored frame run back: its year, its office and its entries (in log order).
pub fn decode_frames(key: &[u8], value: &[u8]) -> Option<(i32, String, Vec<FrameEntry>)> {
    if key.first() != Some(&FRAMES) || key.len() < 1 + 4 + 1 + 8 || key[key.len() - 9] != 0 {
        return None;
    }
    let office = std::str::from_utf8(&key[5..key.len() - 9])
        .ok()?
        .to_string();
    let entries = runs::frame_entries(value)?
        .into_iter()
        .map(|(tail, v)| {
            Some(FrameEntry {
                date: date_from(&tail[..4])??,
                seq: u64::from_be_bytes(tail[4..12].try_into().ok()?),
                recorded_at: Utc
                    .timestamp_micros(i64::from_le_bytes(v[..8].try_into().ok()?))
                    .single()?,
                id: Uuid::from_bytes(v[8..24].try_into().ok()?),
                set: v[24] == 1,
                amount: Amount::from_ore(i64::from_le_bytes(v[25..33].try_into().ok()?)),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((year_from(&key[1..5])?, office, entries))
}

impl Context {
    /// The entries `r` is filed under (`raw` is its bytes as in the log), in the order they are
    /// written; updates the context. Call once per record, in log order.
    pub fn entries(
        &mut self,
        seq: u64,
        recorded_at: DateTime<Utc>,
        event: &Event,
        raw: &[u8],
    ) -> Vec<Derived> {
        self.entries_to(seq, recorded_at, event, raw, None)
    }

    /// As [`Context::entries`], noting in `log` how to take the context's change back
    /// ([`Context::undo`]).
    pub fn entries_logged(
        &mut self,
        seq: u64,
        recorded_at: DateTime<Utc>,
        event: &Event,
        raw: &[u8],
        log: &mut ContextUndo,
    ) -> Vec<Derived> {
        self.entries_to(seq, recorded_at, event, raw, Some(log))
    }

    /// Takes back what `log` noted, the last step first (see [`crate::domain::validate::Undo`]).
    pub fn undo(&mut self, log: ContextUndo) {
        for step in log.0.into_iter().rev() {
            match step {
                ContextStep::GoalYear(goal, Some(y)) => {
                    self.goal_years.insert(goal, y);
                }
                ContextStep::GoalYear(goal, None) => {
                    self.goal_years.remove(&goal);
                }
                ContextStep::Year(y) => {
                    self.years.remove(&y);
                }
                ContextStep::FrameYear(y) => {
                    self.frame_years.remove(&y);
                }
                ContextStep::Date(d) => {
                    self.dates.remove(&d);
                }
            }
        }
    }

    fn entries_to(
        &mut self,
        seq: u64,
        recorded_at: DateTime<Utc>,
        event: &Event,
        raw: &[u8],
        mut log: Option<&mut ContextUndo>,
    ) -> Vec<Derived> {
        let body = &event.body;
        let date = body.effective_date();
        let mut out: Vec<Derived> = Vec::new();
        let mut put = |key: Vec<u8>| out.push((dated(key, date, seq), raw.to_vec()));
        match body {
            EventBody::Correction { .. } => {
                let mut k = vec![CORRECTIONS];
                k.extend_from_slice(&seq.to_be_bytes());
                out.push((k, raw.to_vec()));
            }
            EventBody::OfficeDefined { office, .. } => {
                put(vec![OFFICES]);
                put(prefix::areas(office));
            }
            EventBody::AreaDefined { office, .. } => put(prefix::areas(office)),
            EventBody::StatusUpdated { target, .. } => {
                put(prefix::statuses(target));
                put(vec![TIMELINE]);
            }
            EventBody::GoalDefined { goal, year, .. } => {
                let old = self.goal_years.insert(goal.clone(), *year);
                if let Some(log) = &mut log {
                    log.0.push(ContextStep::GoalYear(goal.clone(), old));
                }
                put(prefix::goals(*year));
            }
            EventBody::AssignmentDefined { year, .. } => put(prefix::goals(*year)),
            EventBody::ActivityDefined { goal, start, .. } => {
                let year = self.goal_years.get(goal).copied().unwrap_or(start.year());
                put(prefix::goals(year));
            }
            EventBody::Approved { .. } => {}
            EventBody::IndicatorDefined { .. } => put(vec![INDICATORS]),
            EventBody::TargetSet { year, .. } | EventBody::Measured { year, .. } => {
                put(prefix::indicator_values(*year))
            }
            _ => {
                let Some(year) = body.year() else {
                    return out;
                };
                let kind = match body {
                    EventBody::FrameSet { .. }
                    | EventBody::FrameChanged { .. }
                    | EventBody::SavingsRequired { .. }
                    | EventBody::Transfer { .. } => Kind::Frame,
                    EventBody::BudgetLine { .. } => Kind::Budget,
                    EventBody::Outcome { .. } | EventBody::Forecast { .. } => Kind::Outcome,
                    EventBody::InvestmentBudget { .. } | EventBody::InvestmentOutcome { .. } => {
                        Kind::Investment
                    }
                    _ => Kind::Other,
                };
                for office in body.offices() {
                    put(prefix::records(office, year, kind));
                }
                if matches!(kind, Kind::Frame | Kind::Budget) {
                    put(vec![TIMELINE]);
                }
                if kind == Kind::Frame {
                    for (y, office, entry) in frame_entries_of(seq, recorded_at, event) {
                        let key = dated(prefix::frames_of(y, office), Some(entry.date), seq);
                        out.push((key, encode_frame(&entry)));
                    }
                }
            }
        }
        self.markers(body, &mut out, log);
        out
    }

    fn markers(&mut self, body: &EventBody, out: &mut Vec<Derived>, log: Option<&mut ContextUndo>) {
        let mut log = log;
        let mut note = |step| {
            if let Some(log) = log.as_deref_mut() {
                log.0.push(step);
            }
        };
        if let Some(y) = body.year() {
            if self.years.insert(y) {
                note(ContextStep::Year(y));
                let mut k = vec![YEARS];
                k.extend_from_slice(&year_code(y));
                out.push((k, Vec::new()));
            }
            if crate::domain::effect::effect_on_any(body) && self.frame_years.insert(y) {
                note(ContextStep::FrameYear(y));
                let mut k = vec![FRAME_YEARS];
                k.extend_from_slice(&year_code(y));
                out.push((k, Vec::new()));
            }
        }
        if let Some(d) = body.effective_date() {
            if self.dates.insert(d) {
                note(ContextStep::Date(d));
                let mut k = vec![DATES];
                k.extend_from_slice(&date_code(Some(d)));
                out.push((k, Vec::new()));
            }
        }
    }
}

/// How `event` moves frames: for each office-year it moves, a frame entry. The one place where an
/// event becomes frame entries, for the stored index and for the fold in memory alike.
pub fn frame_entries_of(
    seq: u64,
    recorded_at: DateTime<Utc>,
    event: &Event,
) -> Vec<(i32, &str, FrameEntry)> {
    let body = &event.body;
    let (Some(year), Some(date)) = (body.year(), body.effective_date()) else {
        return Vec::new();
    };
    body.offices()
        .into_iter()
        .filter_map(|office| {
            let (set, amount) = match effect_on(body, office, year)? {
                Effect::Set(a) => (true, a),
                Effect::Add(a) => (false, a),
            };
            let entry = FrameEntry {
                date,
                seq,
                recorded_at,
                id: event.id,
                set,
                amount,
            };
            Some((year, office, entry))
        })
        .collect()
}

/// The years (or frame years) named by catalogue keys.
pub fn years_of(keys: &[Derived]) -> Vec<i32> {
    keys.iter()
        .filter_map(|(k, _)| year_from(k.get(1..5)?))
        .collect()
}

/// The dates named by catalogue keys.
pub fn dates_of(keys: &[Derived]) -> Vec<Date> {
    keys.iter()
        .filter_map(|(k, _)| date_from(k.get(1..5)?).flatten())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_and_year_codes_sort_like_what_they_encode_and_read_back() {
        let dates = ["1900-01-01", "2016-06-30", "2016-07-01", "2200-12-31"]
            .map(|s| Date(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()));
        for w in dates.windows(2) {
            assert!(date_code(Some(w[0])) < date_code(Some(w[1])));
        }
        for d in dates {
            assert!(date_code(None) < date_code(Some(d)));
            assert_eq!(date_from(&date_code(Some(d))), Some(Some(d)));
        }
        assert_eq!(date_from(&date_code(None)), Some(None));
        assert!(year_code(2016) < year_code(2017));
        assert_eq!(year_from(&year_code(-5)), Some(-5));
    }

    #[test]
    fn runs_group_an_appends_entries_and_expand_to_them_again() {
        use crate::domain::event::Event;
        let event = |v: serde_json::Value| crate::json::parse_event(&v).unwrap();
        let d = |day: u32| serde_json::json!({"body": "KF", "date": format!("2016-06-{day:02}")});
        let events: Vec<Event> = vec![
            event(
                serde_json::json!({"type": "frame_set", "office": "KLK", "year": 2017, "amount": "1", "decision": d(1)}),
            ),
            event(
                serde_json::json!({"type": "transfer", "from": "KLK", "to": "SBK", "year": 2017, "amount": "2", "reason": "r", "decision": d(2)}),
            ),
            event(
                serde_json::json!({"type": "frame_changed", "office": "KLK", "year": 2017, "amount": "3", "category": "c", "reason": "r", "decision": d(3)}),
            ),
        ];
        let mut ctx = Context::default();
        let mut entries = Vec::new();
        let at = Utc.with_ymd_and_hms(2016, 7, 1, 0, 0, 0).unwrap();
        let mut prev = crate::store::record::GENESIS_HASH;
        for (i, e) in events.iter().enumerate() {
            let (bytes, hash) = crate::store::record::encode(&prev, i as u64 + 1, at, "t", e);
            prev = hash;
            entries.extend(ctx.entries(i as u64 + 1, at, e, &bytes));
        }
        let stored = runs::runs(&entries);
        assert!(
            stored.len() < entries.len(),
            "{} runs for {} entries",
            stored.len(),
            entries.len()
        );
        let mut back: Vec<Derived> = stored
            .iter()
            .flat_map(|(k, v)| runs::expand(k, v).unwrap())
            .collect();
        back.sort();
        let mut want = entries.clone();
        want.sort();
        assert_eq!(back, want);
    }
}
