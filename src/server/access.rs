//! The access log: every change to the API tokens (created, revoked, expired) and to the accounts
//! (added, disabled, enabled, role changed, password set), every sign-in, refused sign-in and
//! sign-out, who did it, when, and the token's or account's name and role, never a token, a
//! password, a session id or a hash of any of them. It lives in a tree of its own (`api_access`)
//! beside the tokens and accounts (`store::accounts`: a sled tree, or rows of `rambok_accounts`
//! in PostgreSQL, the same bytes), written in the same transaction as the change it records, and
//! never in the ledger's hash chain. Each entry carries the SHA-256 of the entry before it and a
//! head holds the count and the last entry's SHA-256, so an entry changed or removed breaks the
//! chain where it was. `GET /api/access` serves it to auditors, revisors and
//! admins.
//!
//! An entry, format version 1, little-endian (a token's change, as written before accounts):
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
//! Format version 2 is version 1 with more actions and roles and two texts before the hash:
//!
//! ```text
//! u8   format version (2)
//! u64  entry number
//! i64  at
//! u8   action: 1–3 as in version 1; 4 account added, 5 disabled, 6 enabled, 7 role changed,
//!      8 password set, 9 signed in, 10 sign-in refused, 11 signed out
//! u8   role: 0 none (a refused sign-in under a name that is no account's), 1–3 as in version 1,
//!      4 admin
//! u8   0, or 1 followed by i64: when the token expires
//! u16  length of by, then its UTF-8 bytes
//! u16  length of the name, then its UTF-8 bytes
//! u16  length of the client's address (empty but for sign-ins), then its UTF-8 bytes
//! u16  length of the detail (why a sign-in was refused; empty otherwise), then its UTF-8 bytes
//! [32] SHA-256 of the previous entry's bytes
//! ```
//!
//! An entry that version 1 can hold (a token's change, by one of its three roles) is written as
//! version 1, so its bytes are what they always were; every other entry as version 2.
//!
//! Keys: `e` + the entry number (u64 big-endian, so keys sort in order); the head under `h`: the
//! number of entries (u64 LE) and the SHA-256 of the last entry's bytes. **Invariant:** an entry's
//! bytes never change once written; a new layout gets a new version byte, and this module keeps
//! reading every older one.

use super::auth::{valid_through, Auditing, Role};
use super::error::ApiError;
use super::params::Params;
use super::{blocking, AppState};
use crate::store::accounts::{Tree, Tx, TxError};
use crate::store::StoreError;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The tree that holds the access log (sled's tree; the `tree` column on PostgreSQL).
pub const ACCESS_TREE: &str = Tree::Access.name();
/// The newest entry format; [`encode`] writes version 1 for an entry that version can hold.
pub const ACCESS_FORMAT_VERSION: u8 = 2;
pub const HEAD_KEY: &[u8] = b"h";
const ENTRY_PREFIX: u8 = b'e';
/// Longest `by` and token name an entry holds, in bytes (the names are checked far below this).
pub const TEXT_BYTES_MAX: usize = 256;

pub type Hash = [u8; 32];

/// What happened to a token or an account. New actions are appended, with new codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A token made.
    Created,
    /// A token revoked.
    Revoked,
    /// A token presented after its expiry and refused; recorded the first time only.
    Expired,
    UserAdded,
    UserDisabled,
    UserEnabled,
    RoleChanged,
    PasswordSet,
    SignedIn,
    /// A sign-in refused: wrong password, a name that is no account's, a disabled account, or
    /// the throttle's lockout beginning (the detail says which).
    SignInRefused,
    SignedOut,
}

/// Every action with its code, in the order of the codes.
const ACTIONS: [(Action, u8, &str, &str); 11] = [
    (Action::Created, 1, "created", "skapad"),
    (Action::Revoked, 2, "revoked", "återkallad"),
    (Action::Expired, 3, "expired", "utgången"),
    (Action::UserAdded, 4, "user_added", "konto skapat"),
    (Action::UserDisabled, 5, "user_disabled", "konto avstängt"),
    (Action::UserEnabled, 6, "user_enabled", "konto öppnat igen"),
    (Action::RoleChanged, 7, "role_changed", "roll ändrad"),
    (Action::PasswordSet, 8, "password_set", "lösenord satt"),
    (Action::SignedIn, 9, "signed_in", "inloggad"),
    (
        Action::SignInRefused,
        10,
        "sign_in_refused",
        "inloggning nekad",
    ),
    (Action::SignedOut, 11, "signed_out", "utloggad"),
];

impl Action {
    fn row(self) -> (Action, u8, &'static str, &'static str) {
        *ACTIONS
            .iter()
            .find(|r| r.0 == self)
            .expect("every action has a row")
    }

    pub fn name(self) -> &'static str {
        self.row().2
    }

    /// As the table shows it.
    pub fn swedish(self) -> &'static str {
        self.row().3
    }

    fn code(self) -> u8 {
        self.row().1
    }

    fn from_code(c: u8) -> Option<Action> {
        ACTIONS.iter().find(|r| r.1 == c).map(|r| r.0)
    }

    /// Whether format version 1 can hold it: the token actions it was made for.
    fn in_version_1(self) -> bool {
        matches!(self, Action::Created | Action::Revoked | Action::Expired)
    }
}

fn role_code(r: Option<Role>) -> u8 {
    match r {
        None => 0,
        Some(Role::Controller) => 1,
        Some(Role::Auditor) => 2,
        Some(Role::Revisor) => 3,
        Some(Role::Admin) => 4,
    }
}

fn role_from_code(c: u8, version: u8) -> Result<Option<Role>, DecodeError> {
    match (c, version) {
        (0, 2) => Ok(None),
        (1, _) => Ok(Some(Role::Controller)),
        (2, _) => Ok(Some(Role::Auditor)),
        (3, _) => Ok(Some(Role::Revisor)),
        (4, 2) => Ok(Some(Role::Admin)),
        _ => Err(DecodeError::Role(c)),
    }
}

/// One change to a token or an account, or one sign-in, as the log holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub number: u64,
    pub at: DateTime<Utc>,
    pub action: Action,
    /// Who made the change (for an expiry: [`EXPIRY_NOTICED_BY`]; for a sign-in, the account).
    pub by: String,
    /// The token's or account's name (empty for a sign-in under a name that is no account's) and
    /// role, and when the token expires.
    pub name: String,
    pub role: Option<Role>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The client's address, for sign-ins; empty otherwise.
    pub address: String,
    /// Why a sign-in was refused, in Swedish; empty otherwise.
    pub detail: String,
    /// The SHA-256 of the previous entry's bytes.
    pub prev: Hash,
}

impl Entry {
    /// The format version that holds it: 1 when it can (its bytes as before accounts), else 2.
    pub fn version(&self) -> u8 {
        let v1_role = matches!(
            self.role,
            Some(Role::Controller | Role::Auditor | Role::Revisor)
        );
        if self.action.in_version_1()
            && v1_role
            && self.address.is_empty()
            && self.detail.is_empty()
        {
            1
        } else {
            2
        }
    }
}

/// Who an expiry entry names: nobody made the change, rambok noticed it.
pub const EXPIRY_NOTICED_BY: &str = "rambok";

/// What is wrong with bytes that should be an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("formatversion {0} kan inte läsas av det här programmet (det läser version 1 till {ACCESS_FORMAT_VERSION})")]
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

/// The entry's bytes, in the oldest format version that holds it ([`Entry::version`]).
pub fn encode(e: &Entry) -> Vec<u8> {
    let version = e.version();
    let mut out = Vec::with_capacity(72 + e.by.len() + e.name.len() + e.detail.len());
    out.push(version);
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
    if version == 2 {
        push_text(&mut out, &e.address);
        push_text(&mut out, &e.detail);
    }
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
    if !(1..=ACCESS_FORMAT_VERSION).contains(&version) {
        return Err(DecodeError::UnknownVersion(version));
    }
    let number = c.u64()?;
    let at = c.time()?;
    let a = c.u8()?;
    let action = Action::from_code(a)
        .filter(|a| version == 2 || a.in_version_1())
        .ok_or(DecodeError::Action(a))?;
    let role = role_from_code(c.u8()?, version)?;
    let expires_at = match c.u8()? {
        0 => None,
        _ => Some(c.time()?),
    };
    let by = c.text()?;
    let name = c.text()?;
    let (address, detail) = match version {
        1 => (String::new(), String::new()),
        _ => (c.text()?, c.text()?),
    };
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
        address,
        detail,
        prev,
    })
}

/// An entry before it is numbered, timed and chained: what [`append`] writes.
#[derive(Clone, Debug)]
pub struct Draft {
    pub action: Action,
    pub by: String,
    pub name: String,
    pub role: Option<Role>,
    pub expires_at: Option<DateTime<Utc>>,
    pub address: String,
    pub detail: String,
}

impl Draft {
    pub fn new(action: Action, by: &str, name: &str, role: Option<Role>) -> Draft {
        Draft {
            action,
            by: by.to_string(),
            name: name.to_string(),
            role,
            expires_at: None,
            address: String::new(),
            detail: String::new(),
        }
    }
}

/// Cuts a text to at most [`TEXT_BYTES_MAX`] bytes, at a character boundary.
fn fitted(text: &str) -> String {
    let mut end = text.len().min(TEXT_BYTES_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Appends `draft` to the access log inside a transaction (the one that makes the change it
/// records), numbered after the head and chained to the last entry.
pub fn append<E>(tx: &mut dyn Tx, draft: &Draft, now: DateTime<Utc>) -> Result<(), TxError<E>> {
    let head = match tx.get(Tree::Access, HEAD_KEY)? {
        None => AccessHead::EMPTY,
        Some(v) => AccessHead::decode(&v).ok_or_else(|| {
            TxError::store(StoreError::Corrupt(format!(
                "åtkomstloggens huvud har {} byte i stället för 40; kör `rambok token log` för att se var dess kedja bryts",
                v.len()
            )))
        })?,
    };
    let entry = Entry {
        number: head.count + 1,
        // Stored to the microsecond.
        at: now.trunc_subsecs(6),
        action: draft.action,
        by: fitted(&draft.by),
        name: fitted(&draft.name),
        role: draft.role,
        expires_at: draft.expires_at,
        address: fitted(&draft.address),
        detail: fitted(&draft.detail),
        prev: head.last,
    };
    let bytes = encode(&entry);
    // Checked right before it is written, as records are: it reads back as what it says.
    assert_eq!(decode(&bytes).as_ref(), Ok(&entry));
    let next = AccessHead {
        count: entry.number,
        last: hash(&bytes),
    };
    tx.insert(Tree::Access, &entry_key(entry.number), &bytes)?;
    tx.insert(Tree::Access, HEAD_KEY, &next.encode())?;
    Ok(())
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
                    "role": e.role.map(Role::name),
                    "valid_through": e.expires_at.map(|t| valid_through(t).to_string()),
                    "address": (!e.address.is_empty()).then_some(&e.address),
                    "detail": (!e.detail.is_empty()).then_some(&e.detail),
                    "hash": hex(hash),
                    "prev": hex(&e.prev),
                })
            })
            .collect(),
    )
}

/// `GET /api/access`: the access log, for auditors, revisors and admins; 500 with the place of the break
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
            role: Some(Role::Revisor),
            expires_at: Some(Utc.with_ymd_and_hms(2018, 1, 1, 0, 0, 0).unwrap()),
            address: String::new(),
            detail: String::new(),
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

    /// Pins format version 2 byte for byte: a refused sign-in, with no role, an address and a
    /// detail; and an admin's token, which version 1 cannot hold.
    #[test]
    fn golden_bytes_of_access_format_version_2() {
        let refused = Entry {
            action: Action::SignInRefused,
            by: String::new(),
            name: String::new(),
            role: None,
            expires_at: None,
            address: "192.0.2.7".into(),
            detail: "okänt namn".into(),
            ..sample()
        };
        let bytes = encode(&refused);
        assert_eq!(bytes[0], 2);
        expect_test::expect!["02020000000000000040ef1c4c074c05000a00000000000009003139322e302e322e370b006f6bc3a46e74206e616d6e1111111111111111111111111111111111111111111111111111111111111111"].assert_eq(&hex(&bytes));
        assert_eq!(decode(&bytes), Ok(refused));
        let admin = Entry {
            role: Some(Role::Admin),
            ..sample()
        };
        assert_eq!(encode(&admin)[0], 2);
        assert_eq!(decode(&encode(&admin)), Ok(admin));
        // A version 1 entry cannot claim an action or role only version 2 has.
        let mut v1 = encode(&sample());
        v1[17] = 9;
        assert_eq!(decode(&v1), Err(DecodeError::Action(9)));
        let mut v1 = encode(&sample());
        v1[18] = 4;
        assert_eq!(decode(&v1), Err(DecodeError::Role(4)));
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
