//! Sessions of people signed in on the page, held in the server's memory (a restart signs everyone
//! out). A session id is 32 random bytes, sent once in the `rambok_session` cookie (HttpOnly,
//! SameSite=Strict, Secure under TLS) and kept here only as its SHA-256; with it goes a CSRF value,
//! 32 random bytes more, that the page sends back in `X-CSRF-Token`. A session ends when it has
//! been idle for [`SessionLimits::idle`], at [`SessionLimits::absolute`] after sign-in whatever
//! happens, at sign-out, and when its account is disabled or its role or password changes.
//!
//! The moment is always passed in (`now`), so the rules are tested without waiting.

use super::auth::{hex, random_bytes, Identity};
use crate::store::StoreError;
use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// The cookie's name.
pub const COOKIE: &str = "rambok_session";
/// Random bytes in a session id and in a CSRF value.
const SECRET_BYTES: usize = 32;

/// How long sessions live and how many there may be.
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    /// A session unused this long is over.
    pub idle: Duration,
    /// A session is over this long after sign-in, used or not.
    pub absolute: Duration,
    /// Sessions held at once; a sign-in past it is refused (503) until some end.
    pub sessions_max: usize,
    /// Sessions one account holds at once; its oldest ends when a new one starts past it.
    pub per_account_max: usize,
}

impl Default for SessionLimits {
    fn default() -> SessionLimits {
        SessionLimits {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
            sessions_max: 10_000,
            per_account_max: 20,
        }
    }
}

struct Session {
    who: Identity,
    /// The SHA-256 of the account's record as stored at a password sign-in (none for a single
    /// sign-on): every request compares it with the record as stored then (`auth`).
    account: Option<[u8; 32]>,
    csrf: String,
    started: DateTime<Utc>,
    seen: DateTime<Utc>,
}

/// What a cookie's session turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    Valid {
        who: Identity,
        csrf: String,
        /// The account's record as it was at sign-in (its SHA-256), for a password sign-in.
        account: Option<[u8; 32]>,
    },
    /// It is there, and has run past its idle or absolute expiry (swept at the next sign-in).
    Expired,
    Unknown,
}

/// A new session: the cookie's value and the CSRF value, each shown once.
#[derive(Debug)]
pub struct Started {
    pub id: String,
    pub csrf: String,
}

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("servern har redan {0} inloggningar; försök igen om en stund")]
    Full(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every session, under the SHA-256 of its id.
pub struct Sessions {
    held: Mutex<HashMap<[u8; 32], Session>>,
    limits: Mutex<SessionLimits>,
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Sessions {
    pub fn new(limits: SessionLimits) -> Sessions {
        Sessions {
            held: Mutex::new(HashMap::new()),
            limits: Mutex::new(limits),
        }
    }

    pub fn limits(&self) -> SessionLimits {
        *super::lock(&self.limits)
    }

    pub fn set_limits(&self, limits: SessionLimits) {
        *super::lock(&self.limits) = limits;
    }

    fn over(&self, s: &Session, now: DateTime<Utc>) -> bool {
        let l = self.limits();
        now - s.seen >= l.idle || now - s.started >= l.absolute
    }

    /// Starts a session for `who`.
    pub fn start(&self, who: &Identity, now: DateTime<Utc>) -> Result<Started, StartError> {
        self.start_account(who, None, now)
    }

    /// Starts a session for `who`, signed in to the account whose stored record has the SHA-256
    /// `account`.
    pub fn start_account(
        &self,
        who: &Identity,
        account: Option<[u8; 32]>,
        now: DateTime<Utc>,
    ) -> Result<Started, StartError> {
        let started = Started {
            id: hex(&random_bytes::<SECRET_BYTES>()?),
            csrf: hex(&random_bytes::<SECRET_BYTES>()?),
        };
        let limits = self.limits();
        let mut held = super::lock(&self.held);
        // Expired sessions stay until a sign-in sweeps them, so that every request still using
        // one hears that it expired (not that it is unknown).
        held.retain(|_, s| !self.over(s, now));
        if held.len() >= limits.sessions_max {
            return Err(StartError::Full(held.len()));
        }
        let mut own: Vec<([u8; 32], DateTime<Utc>)> = (held.iter())
            .filter(|(_, s)| s.who.name == who.name)
            .map(|(k, s)| (*k, s.started))
            .collect();
        own.sort_by_key(|(_, started)| *started);
        let surplus = (own.len() + 1).saturating_sub(limits.per_account_max);
        for (k, _) in own.into_iter().take(surplus) {
            held.remove(&k);
        }
        held.insert(
            key(&started.id),
            Session {
                who: who.clone(),
                account,
                csrf: started.csrf.clone(),
                started: now,
                seen: now,
            },
        );
        Ok(started)
    }

    /// The session behind a cookie's id; using it counts as activity.
    pub fn find(&self, id: &str, now: DateTime<Utc>) -> Found {
        let mut held = super::lock(&self.held);
        let Some(s) = held.get_mut(&key(id)) else {
            return Found::Unknown;
        };
        if self.over(s, now) {
            return Found::Expired;
        }
        s.seen = now;
        Found::Valid {
            who: s.who.clone(),
            csrf: s.csrf.clone(),
            account: s.account,
        }
    }

    /// Ends the session behind a cookie's id; whose it was, if it was one.
    pub fn end(&self, id: &str) -> Option<Identity> {
        super::lock(&self.held).remove(&key(id)).map(|s| s.who)
    }

    /// Ends every session of the account `name`; how many there were.
    pub fn end_account(&self, name: &str) -> usize {
        let mut held = super::lock(&self.held);
        let before = held.len();
        held.retain(|_, s| s.who.name != name);
        before - held.len()
    }

    /// Sessions held now (some may have expired and not yet been swept).
    pub fn count(&self) -> usize {
        super::lock(&self.held).len()
    }
}

/// The session id in a request's `Cookie` headers, if any.
pub fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| v.len() == 2 * SECRET_BYTES && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `Set-Cookie` value that gives the browser a session: HttpOnly, SameSite=Strict, for the
/// whole site, kept no longer than the session's absolute expiry; `Secure` when served over TLS.
pub fn set_cookie(id: &str, limits: &SessionLimits, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        limits.absolute.num_seconds().max(0),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::Role;

    fn who(name: &str) -> Identity {
        Identity {
            name: name.into(),
            role: Role::Controller,
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_session_ends_when_idle_and_at_its_absolute_expiry() {
        let s = Sessions::new(SessionLimits::default());
        let a = s.start(&who("anna"), t0()).unwrap();
        assert_ne!(a.id, a.csrf);
        let at = |m: i64| t0() + Duration::minutes(m);
        assert!(matches!(s.find(&a.id, at(29)), Found::Valid { .. }));
        // Used at 29 minutes: idle from then.
        assert!(matches!(s.find(&a.id, at(58)), Found::Valid { .. }));
        assert_eq!(s.find(&a.id, at(58 + 30)), Found::Expired);
        assert_eq!(
            s.find(&a.id, at(58 + 30)),
            Found::Expired,
            "for every request"
        );
        // Kept busy, it still ends 12 hours after sign-in.
        let b = s.start(&who("bo"), t0()).unwrap();
        for m in (20..720).step_by(20) {
            assert!(matches!(s.find(&b.id, at(m)), Found::Valid { .. }), "{m}");
        }
        assert_eq!(s.find(&b.id, at(720)), Found::Expired);
        // A sign-in sweeps the expired.
        s.start(&who("cilla"), at(720)).unwrap();
        assert_eq!(s.find(&a.id, at(720)), Found::Unknown);
        assert_eq!(s.count(), 1);
    }

    #[test]
    fn ending_an_account_ends_its_sessions_and_the_counts_are_capped() {
        let limits = SessionLimits {
            sessions_max: 3,
            per_account_max: 2,
            ..SessionLimits::default()
        };
        let s = Sessions::new(limits);
        let a1 = s.start(&who("anna"), t0()).unwrap();
        let a2 = s.start(&who("anna"), t0() + Duration::seconds(1)).unwrap();
        let a3 = s.start(&who("anna"), t0() + Duration::seconds(2)).unwrap();
        assert_eq!(s.find(&a1.id, t0()), Found::Unknown, "the oldest gave way");
        let b = s.start(&who("bo"), t0()).unwrap();
        assert!(matches!(
            s.start(&who("cilla"), t0()),
            Err(StartError::Full(3))
        ));
        assert_eq!(s.end_account("anna"), 2);
        assert_eq!(s.find(&a2.id, t0()), Found::Unknown);
        assert_eq!(s.find(&a3.id, t0()), Found::Unknown);
        assert_eq!(s.end(&b.id), Some(who("bo")));
        assert_eq!(s.count(), 0);
    }

    #[test]
    fn the_cookie_is_read_among_others_and_set_with_its_flags() {
        let mut h = HeaderMap::new();
        let id = "ab".repeat(32);
        h.insert(
            "cookie",
            format!("other=1; {COOKIE}={id}; x=y").parse().unwrap(),
        );
        assert_eq!(cookie(&h), Some(id.clone()));
        h.insert("cookie", format!("{COOKIE}=short").parse().unwrap());
        assert_eq!(cookie(&h), None);
        let l = SessionLimits::default();
        assert_eq!(
            set_cookie(&id, &l, false),
            format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200")
        );
        assert!(set_cookie(&id, &l, true).ends_with("; Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
    }
}
