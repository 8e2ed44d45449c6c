//! The frame index: every event that moves a frame, grouped by (office, year) and sorted in
//! application order, plus the corrections and office names. Built in one linear pass over the
//! log, or kept beside it in the store and extended on every append, so an as-of frame query reads
//! one office-year's entries instead of replaying the log.
//!
//! The persisted form (keys and values below) is derived data: `rambok verify` rebuilds it from the
//! log and compares. Keys: `f` + year (u32 BE, offset) + office → entries; `c` → corrections;
//! `n` + office → name; `h` → the sequence number the index covers. Values start with a version byte.

use super::frames::{effect_on, Effect};
use super::Clock;
use crate::domain::amount::Amount;
use crate::domain::event::{Date, Event, EventBody};
use crate::store::record::Recorded;
use crate::store::Derived;
use chrono::{DateTime, TimeZone, Utc};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

const VERSION: u8 = 1;
const ENTRY_BYTES: usize = 4 + 8 + 8 + 16 + 1 + 8;
pub const HEAD_KEY: &[u8] = b"h";
const CORRECTIONS_KEY: &[u8] = b"c";

#[derive(Clone, Debug, PartialEq, Eq)]
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
        let (Some(year), Some(date)) = (body.year(), body.effective_date()) else {
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
                seq,
                recorded_at,
                id: event.id,
                set,
                amount,
            };
            self.entries
                .entry((year, office.to_string()))
                .or_default()
                .push(entry);
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

    /// The whole index as derived entries, covering the log up to `head_seq`.
    pub fn to_derived(&self, head_seq: u64) -> Vec<Derived> {
        let mut out: Vec<Derived> = self
            .entries
            .iter()
            .map(|((y, o), v)| (entries_key(*y, o), encode_entries(v)))
            .collect();
        out.extend(
            self.names
                .iter()
                .map(|(o, n)| (name_key(o), encode_name(n))),
        );
        if !self.corrected_at.is_empty() {
            out.push((
                CORRECTIONS_KEY.to_vec(),
                encode_corrections(&self.corrected_at),
            ));
        }
        let manifest = Manifest {
            seq: head_seq,
            keys: out
                .iter()
                .map(|(k, v)| (k.clone(), value_hash(v)))
                .collect(),
        };
        out.push((HEAD_KEY.to_vec(), manifest.encode()));
        out
    }

    /// The derived entries to write when this index holds only an append's new events: each
    /// touched key's stored value (read with `stored`) extended by them. Consumes the index so
    /// each office-year's entries are freed as soon as they are encoded.
    pub fn into_updates<E>(
        self,
        head_seq: u64,
        mut stored: impl FnMut(&[u8]) -> Result<Option<Vec<u8>>, E>,
    ) -> Result<Vec<Derived>, E> {
        let mut out = Vec::with_capacity(self.entries.len() + self.names.len() + 2);
        for ((y, o), new) in self.entries {
            let key = entries_key(y, &o);
            let value = match stored(&key)?.and_then(|v| decode_entries(&v)) {
                Some(mut all) => {
                    all.extend(new);
                    all.sort_by_key(|e| (e.date, e.seq));
                    encode_entries(&all)
                }
                None => {
                    let mut new = new;
                    new.sort_by_key(|e| (e.date, e.seq));
                    encode_entries(&new)
                }
            };
            out.push((key, value));
        }
        out.extend(
            self.names
                .iter()
                .map(|(o, n)| (name_key(o), encode_name(n))),
        );
        if !self.corrected_at.is_empty() {
            let mut all = stored(CORRECTIONS_KEY)?
                .and_then(|v| decode_corrections(&v))
                .unwrap_or_default();
            all.extend(self.corrected_at);
            out.push((CORRECTIONS_KEY.to_vec(), encode_corrections(&all)));
        }
        let mut manifest = match stored(HEAD_KEY)? {
            Some(v) => Manifest::decode(&v).unwrap_or_default(),
            None => Manifest::default(),
        };
        manifest.seq = head_seq;
        for (k, v) in &out {
            manifest.keys.insert(k.clone(), value_hash(v));
        }
        out.push((HEAD_KEY.to_vec(), manifest.encode()));
        Ok(out)
    }

    /// Reads an index back from derived entries (all of them, or one year's plus the shared keys).
    /// `None` when a value does not decode.
    pub fn from_derived(pairs: &[Derived]) -> Option<FrameIndex> {
        let mut index = FrameIndex::default();
        for (k, v) in pairs {
            match k.first() {
                Some(b'f') if k.len() > 5 => {
                    let year = (u32::from_be_bytes(k[1..5].try_into().ok()?) as i64
                        + i32::MIN as i64) as i32;
                    let office = std::str::from_utf8(&k[5..]).ok()?.to_string();
                    index.entries.insert((year, office), decode_entries(v)?);
                }
                Some(b'n') => {
                    let office = std::str::from_utf8(&k[1..]).ok()?.to_string();
                    index.names.insert(office, decode_name(v)?);
                }
                Some(b'c') => index.corrected_at = decode_corrections(v)?,
                _ => {}
            }
        }
        Some(index)
    }
}

/// The index's head entry: the sequence number it covers, and a short hash of every other entry's
/// value. A query checks the entries it reads against it, so an entry lost or altered in the store
/// is reported instead of silently changing a figure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub seq: u64,
    keys: BTreeMap<Vec<u8>, [u8; 8]>,
}

fn value_hash(v: &[u8]) -> [u8; 8] {
    use sha2::{Digest, Sha256};
    Sha256::digest(v)[..8].try_into().expect("8 bytes")
}

impl Manifest {
    fn encode(&self) -> Vec<u8> {
        let mut out = vec![VERSION];
        out.extend_from_slice(&self.seq.to_le_bytes());
        for (k, h) in &self.keys {
            out.extend_from_slice(&(k.len() as u16).to_le_bytes());
            out.extend_from_slice(k);
            out.extend_from_slice(h);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<Manifest> {
        let (&version, rest) = bytes.split_first()?;
        if version != VERSION || rest.len() < 8 {
            return None;
        }
        let seq = u64::from_le_bytes(rest[..8].try_into().ok()?);
        let mut keys = BTreeMap::new();
        let mut at = 8;
        while at < rest.len() {
            let len = u16::from_le_bytes(rest.get(at..at + 2)?.try_into().ok()?) as usize;
            let key = rest.get(at + 2..at + 2 + len)?.to_vec();
            let hash: [u8; 8] = rest.get(at + 2 + len..at + 10 + len)?.try_into().ok()?;
            keys.insert(key, hash);
            at += 10 + len;
        }
        Some(Manifest { seq, keys })
    }

    /// Whether `pairs` are exactly the entries the manifest lists under `prefixes`, unaltered.
    pub fn vouches_for(&self, prefixes: &[&[u8]], pairs: &[Derived]) -> bool {
        let listed = self
            .keys
            .keys()
            .filter(|k| prefixes.iter().any(|p| k.starts_with(p)))
            .count();
        listed == pairs.len()
            && pairs
                .iter()
                .all(|(k, v)| self.keys.get(k).is_some_and(|h| *h == value_hash(v)))
    }
}

/// The key prefix of one year's entries.
pub fn year_prefix(year: i32) -> Vec<u8> {
    let mut k = vec![b'f'];
    k.extend_from_slice(&((year as i64 - i32::MIN as i64) as u32).to_be_bytes());
    k
}

fn entries_key(year: i32, office: &str) -> Vec<u8> {
    let mut k = year_prefix(year);
    k.extend_from_slice(office.as_bytes());
    k
}

fn name_key(office: &str) -> Vec<u8> {
    let mut k = vec![b'n'];
    k.extend_from_slice(office.as_bytes());
    k
}

fn encode_entries(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + entries.len() * ENTRY_BYTES);
    out.push(VERSION);
    for e in entries {
        out.extend_from_slice(&chrono::Datelike::num_days_from_ce(&e.date.0).to_le_bytes());
        out.extend_from_slice(&e.seq.to_le_bytes());
        out.extend_from_slice(&e.recorded_at.timestamp_micros().to_le_bytes());
        out.extend_from_slice(e.id.as_bytes());
        out.push(e.set as u8);
        out.extend_from_slice(&(e.amount.ore() as i64).to_le_bytes());
    }
    out
}

fn decode_entries(bytes: &[u8]) -> Option<Vec<Entry>> {
    let (&version, rest) = bytes.split_first()?;
    if version != VERSION || rest.len() % ENTRY_BYTES != 0 {
        return None;
    }
    rest.chunks(ENTRY_BYTES)
        .map(|c| {
            let date = chrono::NaiveDate::from_num_days_from_ce_opt(i32::from_le_bytes(
                c[0..4].try_into().ok()?,
            ))?;
            Some(Entry {
                date: Date(date),
                seq: u64::from_le_bytes(c[4..12].try_into().ok()?),
                recorded_at: Utc
                    .timestamp_micros(i64::from_le_bytes(c[12..20].try_into().ok()?))
                    .single()?,
                id: Uuid::from_bytes(c[20..36].try_into().ok()?),
                set: c[36] == 1,
                amount: Amount::from_ore(i64::from_le_bytes(c[37..45].try_into().ok()?)),
            })
        })
        .collect()
}

fn encode_name(name: &str) -> Vec<u8> {
    let mut v = vec![VERSION];
    v.extend_from_slice(name.as_bytes());
    v
}

fn decode_name(bytes: &[u8]) -> Option<String> {
    let (&version, rest) = bytes.split_first()?;
    (version == VERSION).then(|| std::str::from_utf8(rest).ok().map(str::to_string))?
}

fn encode_corrections(c: &HashMap<Uuid, DateTime<Utc>>) -> Vec<u8> {
    let mut sorted: Vec<(&Uuid, &DateTime<Utc>)> = c.iter().collect();
    sorted.sort();
    let mut v = vec![VERSION];
    for (id, at) in sorted {
        v.extend_from_slice(id.as_bytes());
        v.extend_from_slice(&at.timestamp_micros().to_le_bytes());
    }
    v
}

fn decode_corrections(bytes: &[u8]) -> Option<HashMap<Uuid, DateTime<Utc>>> {
    let (&version, rest) = bytes.split_first()?;
    if version != VERSION || rest.len() % 24 != 0 {
        return None;
    }
    rest.chunks(24)
        .map(|c| {
            let id = Uuid::from_bytes(c[..16].try_into().ok()?);
            let at = Utc
                .timestamp_micros(i64::from_le_bytes(c[16..24].try_into().ok()?))
                .single()?;
            Some((id, at))
        })
        .collect()
}
