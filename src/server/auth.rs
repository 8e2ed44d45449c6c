//! Who a request is, and what its role lets it do. A program proves who it is with an API token
//! (`Authorization: Bearer TOKEN`, `super::tokens`); a person signs in on the page with a name and
//! a password (`super::users`) and then carries a session cookie (`super::session`), and every
//! state-changing request made with the cookie must also carry `X-CSRF-Token` with the session's
//! value. Either way the name becomes the recorder of everything the request appends.
//!
//! Roles: a **controller** reads and appends; an **auditor** and a **revisor** read, verify and run
//! the controls, and read the access log; an **admin** manages accounts and tokens, reads, verifies
//! and reads the access log, and appends nothing. Nobody appends without a token or a session.

use super::error::ApiError;
use super::session::{self, Found};
use super::AppState;
use crate::store::StoreError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use chrono::{DateTime, NaiveDate, Utc};
use std::io::Read;

pub use super::tokens::{
    changed_by, check_name, TokenError, TokenInfo, TokenStore, TOKENS_TREE, TOKEN_BYTES,
    TOKEN_PREFIX,
};

/// The header a state-changing request made with the session cookie carries.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a token or an account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Controller,
    Auditor,
    Revisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Controller, Role::Auditor, Role::Revisor, Role::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Role::Controller => "controller",
            Role::Auditor => "auditor",
            Role::Revisor => "revisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }

    /// A role named in a request, or a message listing the roles there are.
    pub fn parse_or_say(s: &str) -> Result<Role, String> {
        Role::parse(s).ok_or_else(|| {
            format!(
                "okänd roll '{}'; rollerna är controller, auditor, revisor och admin",
                s.chars().take(32).collect::<String>()
            )
        })
    }

    pub fn may_append(self) -> bool {
        self == Role::Controller
    }

    /// Who may read the access log: those who examine, and the admins whose work it records.
    pub fn may_read_access(self) -> bool {
        matches!(self, Role::Auditor | Role::Revisor | Role::Admin)
    }

    /// Who manages accounts and tokens.
    pub fn may_manage(self) -> bool {
        self == Role::Admin
    }
}

/// When a token that is valid through `day` stops working: the end of that day, UTC. `None` for
/// the last day chrono knows.
pub fn expiry_after(day: NaiveDate) -> Option<DateTime<Utc>> {
    Some(day.succ_opt()?.and_hms_opt(0, 0, 0)?.and_utc())
}

/// The last day a token expiring at `expires_at` works (UTC).
pub fn valid_through(expires_at: DateTime<Utc>) -> NaiveDate {
    (expires_at - chrono::Duration::microseconds(1)).date_naive()
}

/// Who a request is: the token's or the account's name and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub role: Role,
}

/// What a presented token turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    Valid(Identity),
    /// A stored token past its expiry.
    Expired {
        who: Identity,
        expires_at: DateTime<Utc>,
    },
    /// No stored token (never made, or revoked).
    Unknown,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `N` bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| {
            StoreError::Io(format!(
                "slumpbyte kan inte läsas: {}",
                crate::lang::io_error(&e)
            ))
        })?;
    Ok(bytes)
}

/// `N` random bytes as hex.
pub(crate) fn random_hex<const N: usize>() -> Result<String, StoreError> {
    Ok(hex(&random_bytes::<N>()?))
}

/// Equal without an early exit, so the time taken says nothing about where two values differ.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Whether a request of this method may change something (and so needs the CSRF header when it
/// comes with the session cookie).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Finds the identity behind a request: its bearer token when it has an `Authorization` header,
/// else its session cookie (with the CSRF check for a state-changing method).
async fn identify(parts: &Parts, state: &AppState) -> Result<Identity, ApiError> {
    let who = match parts.headers.get(axum::http::header::AUTHORIZATION) {
        Some(h) => bearer(h.to_str().unwrap_or(""), state).await?,
        None => match session::cookie(&parts.headers) {
            Some(id) => {
                let (who, account) = signed_in(&id, &parts.method, &parts.headers, state)?;
                if let Some(kept) = account {
                    unchanged(&id, &who, kept, state).await?;
                }
                who
            }
            None => {
                return Err(ApiError::unauthorized(
                    "inte inloggad: logga in på sidan, eller skicka `Authorization: Bearer TOKEN` (skapa en med `rambok token add`)",
                ))
            }
        },
    };
    if let Some(slot) = parts.extensions.get::<super::WhoSlot>() {
        slot.set(&who.name);
    }
    Ok(who)
}

async fn bearer(header: &str, state: &AppState) -> Result<Identity, ApiError> {
    let token = header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| t.starts_with(TOKEN_PREFIX) && t.len() == TOKEN_PREFIX.len() + 2 * TOKEN_BYTES)
        .ok_or_else(|| {
            ApiError::unauthorized("felaktigt Authorization-huvud: väntade `Bearer rbk_…`")
        })?
        .to_string();
    let tokens = state.tokens().clone();
    let found = tokio::task::spawn_blocking(move || tokens.authenticate(&token, Utc::now()))
        .await
        .map_err(ApiError::from_join)??;
    match found {
        Auth::Valid(who) => Ok(who),
        Auth::Unknown => Err(ApiError::unauthorized("okänd eller återkallad token")),
        Auth::Expired { who, expires_at } => Err(ApiError::unauthorized(format!(
            "tokenen '{}' upphörde vid slutet av {} (UTC); be om en ny (`rambok token add`)",
            who.name,
            valid_through(expires_at)
        ))
        .by(&who)),
    }
}

/// Refuses a password sign-in's session (and ends it) when its account's stored record is no
/// longer the one it signed in with: disabled, given another role or a new password, through
/// this server or any other of the ledger (sessions live in each server's memory; the accounts
/// are read where they are kept, at every request).
async fn unchanged(
    id: &str,
    who: &Identity,
    kept: [u8; 32],
    state: &AppState,
) -> Result<(), ApiError> {
    let users = state.users().clone();
    let name = who.name.clone();
    let now = tokio::task::spawn_blocking(move || users.kept(&name))
        .await
        .map_err(ApiError::from_join)??;
    match now {
        Some((hash, false)) if same(&hash, &kept) => Ok(()),
        _ => {
            state.sessions().end(id);
            Err(ApiError::unauthorized(format!(
                "kontot '{}' har ändrats sedan inloggningen (avstängt, ny roll eller nytt lösenord); logga in igen",
                who.name
            ))
            .by(who))
        }
    }
}

/// The account behind a session cookie, and its record's SHA-256 at sign-in; a state-changing
/// request must also carry the session's CSRF value in `X-CSRF-Token`, or it is refused with 403.
fn signed_in(
    id: &str,
    method: &Method,
    headers: &HeaderMap,
    state: &AppState,
) -> Result<(Identity, Option<[u8; 32]>), ApiError> {
    let (who, csrf, account) = match state.sessions().find(id, Utc::now()) {
        Found::Valid { who, csrf, account } => (who, csrf, account),
        Found::Expired => {
            return Err(ApiError::unauthorized(
                "sessionen har gått ut; logga in igen",
            ))
        }
        Found::Unknown => {
            return Err(ApiError::unauthorized(
                "sessionen finns inte (utloggad, eller servern har startats om); logga in igen",
            ))
        }
    };
    if changes_state(method) {
        let sent = headers.get(CSRF_HEADER).map(|v| v.as_bytes());
        match sent {
            None => {
                return Err(ApiError::forbidden(
                    "X-CSRF-Token saknas: ett anrop som ändrar något med sessionskakan ska bära det värde inloggningen gav (csrf)",
                )
                .by(&who))
            }
            Some(v) if !same(v, csrf.as_bytes()) => {
                return Err(ApiError::forbidden(
                    "X-CSRF-Token stämmer inte med sessionens; ladda om sidan eller logga in igen",
                )
                .by(&who))
            }
            Some(_) => {}
        }
    }
    Ok((who, account))
}

/// Anyone signed in or with a valid token: reads, verification and controls.
pub struct Reader(pub Identity);

/// A controller: may also append.
pub struct Controller(pub Identity);

/// An auditor, a revisor or an admin: may also read the access log.
pub struct Auditing(pub Identity);

/// An admin: manages accounts and tokens.
pub struct Admin(pub Identity);

impl FromRequestParts<AppState> for Auditing {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let who = identify(parts, state).await?;
        if !who.role.may_read_access() {
            return Err(ApiError::forbidden(format!(
                "rollen {} får inte läsa åtkomstloggen; det kräver rollen auditor, revisor eller admin",
                who.role.name()
            ))
            .by(&who));
        }
        Ok(Auditing(who))
    }
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        identify(parts, state).await.map(Reader)
    }
}

impl FromRequestParts<AppState> for Controller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let who = identify(parts, state).await?;
        if !who.role.may_append() {
            return Err(ApiError::forbidden(format!(
                "rollen {} får läsa, verifiera och köra kontroller men inte lägga till; att lägga till kräver rollen controller",
                who.role.name()
            ))
            .by(&who));
        }
        Ok(Controller(who))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let who = identify(parts, state).await?;
        if !who.role.may_manage() {
            return Err(ApiError::forbidden(format!(
                "rollen {} får inte hantera konton och token; det kräver rollen admin",
                who.role.name()
            ))
            .by(&who));
        }
        Ok(Admin(who))
    }
}
