//! The access log: every change to the API tokens (created, revoked, expired), who made it, when,
//! and the token's name, role and expiry, never the token or its hash. It lives in a sled tree of
//! its own (`api_access`) beside the tokens, written in the same transaction as the change it
//! records, and never in the ledger's hash chain. Each entry carries the SHA-256 of the entry
//! before it and a head holds the count and the last entry's SHA-256, so an entry changed or
//! removed breaks the chain where it was. `GET /api/access` serves it to auditors and revisors.
//!
//! An entry, format version 1, little-endian:
//!
//! ```text
//! u8   format version (1)
//! u64  entry number (gapless, from 1)
//! i64  at, microseconds since 1970-01-01 UTC
//! u8   action: 1 created, 2 revoked, 3 expired (refused the first time it was used after expiry)
//! u8   the token's role: 1 controller, 2 auditor, 3 revisor
//! u8   0, or 1 followed by i64: when the token expires, microseconds since 1970-01-01 UTC
//! u16  length of by (who made the change), then its UTF-8 bytes
//! u16  length of the token's name, then its UTF-8 bytes
//! [32] SHA-256 of the previous entry's bytes (32 zero bytes for the first)
//! ```
//!
//! Keys: `e` + the entry number (u64 big-endian, so keys sort in order); the head under `h`: the
//! number of entries (u64 LE) and the SHA-256 of the last entry's bytes. **Invariant:** an entry's
//! bytes never change once written; a new layout gets a new version byte, and this module keeps
//! reading every older one.

use super::auth::{valid_through, Auditing, Role};
use super::error::ApiError;
use super::params::Params;
use super::{blocking, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The sled tree that holds the access log.
pub const ACCESS_TREE: &str = "api_access";
pub const ACCESS_FORMAT_VERSION: u8 = 1;
pub const HEAD_KEY: &[u8] = b"h";
const ENTRY_PREFIX: u8 = b'e';
/// Longest `by` and token name an entry holds, in bytes (the names are checked far below this).
pub const TEXT_BYTES_MAX: usize = 256;

pub type Hash = [u8; 32];

/// What happened to a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Created,
    Revoked,
    /// Presented after its expiry and refused; recorded the first time only.
    Expired,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Revoked => "revoked",
            Action::Expired => "expired",
        }
    }

    /// As the table shows it.
    pub fn swedish(self) -> &'static str {
        match self {
            Action::Created => "skapad",
            Action::Revoked => "återkallad",
            Action::Expired => "utgången",
        }
    }

    fn code(self) -> u8 {
        match self {
            Action::Created => 1,
            Action::Revoked => 2,
            Action::Expired => 3,
        }
    }

    fn from_code(c: u8) -> Option<Action> {
        match c {
            1 => Some(Action::Created),
            2 => Some(Action::Revoked),
            3 => Some(Action::Expired),
            _ => None,
        }
    }
}

fn role_code(r: Role) -> u8 {
    match r {
        Role::Controller => 1,
        Role::Auditor => 2,
        Role::Revisor => 3,
    }
}

fn role_from_code(c: u8) -> Option<Role> {
    match c {
        1 => Some(Role::Controller),
        2 => Some(Role::Auditor),
        3 => Some(Role::Revisor),
        _ => None,
    }
}

/// One change to a token, as the log holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub number: u64,
    pub at: DateTime<Utc>,
    pub action: Action,
    /// Who made the change (for an expiry: [`EXPIRY_NOTICED_BY`]).
    pub by: String,
    /// The token's name and role, and when it expires.
    pub name: String,
    pub role: Role,
    pub expires_at: Option<DateTime<Utc>>,
    /// The SHA-256 of the previous entry's bytes.
    pub prev: Hash,
}

/// Who an expiry entry names: nobody made the change, rambok noticed it.
pub const EXPIRY_NOTICED_BY: &str = "rambok";

/// What is wrong with bytes that should be an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("formatversion {0} kan inte läsas av det här programmet (det läser version {ACCESS_FORMAT_VERSION})")]
    UnknownVersion(u8),
    #[error("den är avkortad")]
    Truncated,
    #[error("{0} byte följer efter dess slut")]
    TrailingBytes(usize),
    #[error("dess åtgärdskod {0} är okänd")]
    Action(u8),
    #[error("dess rollkod {0} är okänd")]
    Role(u8),
    #[error("en tid i den ligger utanför giltigt intervall")]
    BadTime,
    #[error("ett namn i den är inte UTF-8")]
    NotUtf8,
}

pub fn entry_key(number: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = ENTRY_PREFIX;
    k[1..].copy_from_slice(&number.to_be_bytes());
    k
}

pub fn hash(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

fn push_text(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    debug_assert!(b.len() <= TEXT_BYTES_MAX);
    out.extend_from_slice(&(b.len() as u16).to_le_bytes());
    out.extend_from_slice(b);
}

pub fn encode(e: &Entry) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + e.by.len() + e.name.len());
    out.push(ACCESS_FORMAT_VERSION);
    out.extend_from_slice(&e.number.to_le_bytes());
    out.extend_from_slice(&e.at.timestamp_micros().to_le_bytes());
    out.push(e.action.code());
    out.push(role_code(e.role));
    match e.expires_at {
        None => out.push(0),
        Some(t) => {
            out.push(1);
            out.extend_from_slice(&t.timestamp_micros().to_le_bytes());
        }
    }
    push_text(&mut out, &e.by);
    push_text(&mut out, &e.name);
    out.extend_from_slice(&e.prev);
    out
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).ok_or(DecodeError::Truncated)?;
        let s = self.bytes.get(self.at..end).ok_or(DecodeError::Truncated)?;
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn time(&mut self) -> Result<DateTime<Utc>, DecodeError> {
        let micros = self.u64()? as i64;
        Utc.timestamp_micros(micros)
            .single()
            .ok_or(DecodeError::BadTime)
    }
    fn text(&mut self) -> Result<String, DecodeError> {
        let len = u16::from_le_bytes(self.take(2)?.try_into().expect("2 bytes")) as usize;
        let s = std::str::from_utf8(self.take(len)?).map_err(|_| DecodeError::NotUtf8)?;
        Ok(s.to_string())
    }
}

pub fn decode(bytes: &[u8]) -> Result<Entry, DecodeError> {
    let mut c = Cursor { bytes, at: 0 };
    let version = c.u8()?;
    if version != ACCESS_FORMAT_VERSION {
        return Err(DecodeError::UnknownVersion(version));
    }
    let number = c.u64()?;
    let at = c.time()?;
    let a = c.u8()?;
    let action = Action::from_code(a).ok_or(DecodeError::Action(a))?;
    let r = c.u8()?;
    let role = role_from_code(r).ok_or(DecodeError::Role(r))?;
    let expires_at = match c.u8()? {
        0 => None,
        _ => Some(c.time()?),
    };
    let by = c.text()?;
    let name = c.text()?;
    let prev: Hash = c.take(32)?.try_into().expect("32 bytes");
    if c.at != bytes.len() {
        return Err(DecodeError::TrailingBytes(bytes.len() - c.at));
    }
    Ok(Entry {
        number,
        at,
        action,
        by,
        name,
        role,
        expires_at,
        prev,
    })
}

/// The head: how many entries there are, and the SHA-256 of the last one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessHead {
    pub count: u64,
    pub last: Hash,
}

impl AccessHead {
    pub const EMPTY: AccessHead = AccessHead {
        count: 0,
        last: [0; 32],
    };

    pub fn encode(&self) -> Vec<u8> {
        let mut v = self.count.to_le_bytes().to_vec();
        v.extend_from_slice(&self.last);
        v
    }

    pub fn decode(bytes: &[u8]) -> Option<AccessHead> {
        (bytes.len() == 40).then(|| AccessHead {
            count: u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")),
            last: bytes[8..].try_into().expect("32 bytes"),
        })
    }
}

/// An entry as read back: what it says, and the SHA-256 of its bytes (which the next entry's
/// `prev` holds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub entry: Entry,
    pub hash: Hash,
}

/// Where the chain of the access log breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("åtkomstloggen ({ACCESS_TREE}) bryts vid post {entry}: {what}; en post har ändrats eller tagits bort utanför rambok")]
pub struct Broken {
    pub entry: u64,
    pub what: String,
}

/// The entries of the log from its raw key/value pairs (in key order) and its head, each checked
/// against the chain: number, format, the previous entry's SHA-256, and at the end the head.
pub fn check(pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<Logged>, Broken> {
    let broken = |entry: u64, what: String| Broken { entry, what };
    let mut entries = Vec::new();
    let mut prev = AccessHead::EMPTY.last;
    let mut head = None;
    for (key, bytes) in pairs {
        let n = entries.len() as u64 + 1;
        if key.as_slice() == HEAD_KEY {
            head = Some(AccessHead::decode(bytes).ok_or_else(|| {
                broken(
                    n,
                    format!("dess huvud har {} byte i stället för 40", bytes.len()),
                )
            })?);
            continue;
        }
        if key.len() != 9 || key[0] != ENTRY_PREFIX {
            return Err(broken(
                n,
                format!("en oväntad nyckel {key:?} står i loggen"),
            ));
        }
        let keyed = u64::from_be_bytes(key[1..].try_into().expect("8 bytes"));
        if keyed != n {
            return Err(broken(
                n,
                format!("post {n} saknas (nästa är post {keyed})"),
            ));
        }
        let e = decode(bytes).map_err(|d| broken(n, format!("post {n} kan inte avkodas: {d}")))?;
        if e.number != n {
            return Err(broken(n, format!("post {n} bär numret {}", e.number)));
        }
        if e.prev != prev {
            return Err(broken(
                n - 1,
                format!(
                    "post {n} bär en SHA-256 av post {} som dess byte inte längre har",
                    n - 1
                ),
            ));
        }
        prev = hash(bytes);
        entries.push(Logged {
            entry: e,
            hash: prev,
        });
    }
    let count = entries.len() as u64;
    match head {
        None if count == 0 => Ok(entries),
        None => Err(broken(count, "dess huvud saknas".into())),
        Some(h) if h.count > count => Err(broken(
            count + 1,
            format!(
                "posterna {}–{} saknas (huvudet räknar {})",
                count + 1,
                h.count,
                h.count
            ),
        )),
        Some(h) if h.count < count => Err(broken(
            h.count + 1,
            format!("huvudet räknar {} poster men {count} är sparade", h.count),
        )),
        Some(h) if h.last != prev => Err(broken(
            count,
            format!("huvudet bär en SHA-256 av post {count} som dess byte inte längre har"),
        )),
        Some(_) => Ok(entries),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The log as JSON, as `GET /api/access` and `rambok token log --format json` give it: one object
/// per entry, oldest first; `hash` is the entry's own SHA-256, which the next entry's `prev` holds.
pub fn entries_json(logged: &[Logged]) -> Value {
    Value::Array(
        logged
            .iter()
            .map(|Logged { entry: e, hash }| {
                json!({
                    "entry": e.number,
                    "at": e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    "by": e.by,
                    "action": e.action.name(),
                    "name": e.name,
                    "role": e.role.name(),
                    "valid_through": e.expires_at.map(|t| valid_through(t).to_string()),
                    "hash": hex(hash),
                    "prev": hex(&e.prev),
                })
            })
            .collect(),
    )
}

/// `GET /api/access`: the access log, for auditors and revisors; 500 with the place of the break
/// when the chain does not hold.
pub async fn log(
    State(s): State<AppState>,
    _: Auditing,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    Params::from_query(q)?.finish()?;
    blocking(move || Ok(Json(entries_json(&s.tokens().access_log()?)))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        Entry {
            number: 2,
            at: Utc.with_ymd_and_hms(2017, 3, 31, 14, 5, 9).unwrap(),
            action: Action::Created,
            by: "åsa.bejvall".into(),
            name: "rut.revisor".into(),
            role: Role::Revisor,
            expires_at: Some(Utc.with_ymd_and_hms(2018, 1, 1, 0, 0, 0).unwrap()),
            prev: [0x11; 32],
        }
    }

    /// Pins format version 1 byte for byte: if this fails, stored access logs would no longer
    /// read back. Do not update the expectation; add a format version instead.
    #[test]
    fn golden_bytes_of_access_format_version_1() {
        let bytes = encode(&sample());
        expect_test::expect!["01020000000000000040ef1c4c074c05000103010080d2a9ab6105000c00c3a573612e62656a76616c6c0b007275742e72657669736f721111111111111111111111111111111111111111111111111111111111111111"].assert_eq(&hex(&bytes));
        expect_test::expect!["6d7c347476cc4eb4e2b3452127233e52e45eb26fc26ab0c9d3144bd4b0c9ecf9"]
            .assert_eq(&hex(&hash(&bytes)));
        assert_eq!(decode(&bytes), Ok(sample()));
        let mut no_expiry = sample();
        no_expiry.expires_at = None;
        assert_eq!(decode(&encode(&no_expiry)), Ok(no_expiry));
    }

    #[test]
    fn unknown_version_and_trailing_bytes_are_named() {
        let mut bytes = encode(&sample());
        bytes.push(0);
        assert_eq!(decode(&bytes), Err(DecodeError::TrailingBytes(1)));
        bytes[0] = 9;
        assert_eq!(decode(&bytes), Err(DecodeError::UnknownVersion(9)));
    }

    /// A log of three entries as stored: keys, bytes and head.
    fn stored() -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut pairs = Vec::new();
        let mut prev = AccessHead::EMPTY.last;
        for n in 1..=3 {
            let e = Entry {
                number: n,
                prev,
                ..sample()
            };
            let bytes = encode(&e);
            prev = hash(&bytes);
            pairs.push((entry_key(n).to_vec(), bytes));
        }
        pairs.push((
            HEAD_KEY.to_vec(),
            AccessHead {
                count: 3,
                last: prev,
            }
            .encode(),
        ));
        pairs
    }

    #[test]
    fn a_changed_or_removed_entry_breaks_the_chain_where_it_was() {
        assert_eq!(check(&stored()).unwrap().len(), 3);
        let at = |pairs: &[(Vec<u8>, Vec<u8>)]| check(pairs).unwrap_err().entry;
        let mut changed = stored();
        let last = changed[1].1.len() - 40;
        changed[1].1[last] ^= 1;
        assert_eq!(at(&changed), 2);
        let mut last_changed = stored();
        last_changed[2].1[20] ^= 1;
        assert_eq!(at(&last_changed), 3);
        let mut removed = stored();
        removed.remove(1);
        assert_eq!(at(&removed), 2);
        let mut tail_removed = stored();
        tail_removed.remove(2);
        assert_eq!(at(&tail_removed), 3);
        let mut head_removed = stored();
        head_removed.pop();
        assert_eq!(at(&head_removed), 3);
    }
}
