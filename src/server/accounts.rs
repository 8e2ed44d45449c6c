//! Signing in and out (`/api/session`), and the admin's management of accounts (`/api/users`) and
//! API tokens (`/api/tokens`) while the server runs; every change takes effect at the next request.
//!
//! A sign-in is throttled per account and per client address (`super::throttle`), checks the
//! password with at most [`HASHINGS_MAX`] Argon2 computations at once (each takes ~19 MiB), and is
//! written to the access log whether it succeeds or not, without the password.

use super::access::{Action, Draft};
use super::auth::{valid_through, Admin, Identity, Reader, Role, TokenError};
use super::error::ApiError;
use super::session::{self, Found, StartError};
use super::throttle::{retry_after, Key, Refused};
use super::users::{UserError, UserInfo, Verdict};
use super::{blocking, AppState};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::net::{IpAddr, SocketAddr};

/// Password checks (Argon2id, ~19 MiB each) running at once; more sign-ins wait their turn.
pub const HASHINGS_MAX: usize = 4;
/// The largest body a sign-in or an account change may have, in bytes.
const BODY_BYTES_MAX: usize = 8 * 1024;

/// The client's address, when the request came over a socket.
pub struct Peer(pub Option<IpAddr>);

/// Marks a request that came over TLS (set by the connection loop): its cookies are `Secure`.
#[derive(Clone, Copy, Debug)]
pub struct OverTls;

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = (parts.extensions)
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Peer(ip))
    }
}

pub(super) fn secure(headers_of: &axum::http::Extensions) -> bool {
    headers_of.get::<OverTls>().is_some()
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> ApiError {
        match e {
            UserError::Input(m) => ApiError::bad_request(m),
            UserError::NotFound(_) => ApiError::not_found(e.to_string()),
            UserError::Exists(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            UserError::Store(s) => s.into(),
        }
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> ApiError {
        match e {
            TokenError::Input(m) => ApiError::bad_request(m),
            TokenError::Store(s) => s.into(),
        }
    }
}

/// A JSON object body with only the `allowed` keys.
fn object(
    body: Result<Bytes, BytesRejection>,
    allowed: &[&str],
) -> Result<Map<String, Value>, ApiError> {
    let body = body.map_err(|e| {
        ApiError::bad_request(format!("anropets innehåll kan inte läsas ({})", e.status()))
    })?;
    if body.len() > BODY_BYTES_MAX {
        return Err(ApiError::too_large(format!(
            "anropets innehåll är större än {BODY_BYTES_MAX} byte"
        )));
    }
    let v: Value = crate::json::strict::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "inte giltig JSON: {}",
            crate::json::describe_json_error(&e)
        ))
    })?;
    let Value::Object(m) = v else {
        return Err(ApiError::bad_request(format!(
            "innehållet ska vara ett JSON-objekt med fälten {}",
            allowed.join(", ")
        )));
    };
    if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!(
            "okänt fält '{}' (fälten är {})",
            k.chars().take(64).collect::<String>(),
            allowed.join(", ")
        ))
        .field(k));
    }
    Ok(m)
}

fn text<'a>(m: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad_request(format!("fältet {key} ska vara en text")).field(key)),
    }
}

fn required<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a str, ApiError> {
    text(m, key)?.ok_or_else(|| ApiError::bad_request(format!("fältet {key} saknas")).field(key))
}

fn role_field(m: &Map<String, Value>) -> Result<Option<Role>, ApiError> {
    text(m, "role")?
        .map(|r| Role::parse_or_say(r).map_err(|e| ApiError::bad_request(e).field("role")))
        .transpose()
}

fn refused_sign_in(message: &str, status: StatusCode) -> ApiError {
    ApiError::new(status, message)
}

/// `POST /api/session` with `{"name", "password"}`: a session cookie and `{"name", "role",
/// "csrf"}`; 401 for a wrong name or password (the same words for both), 403 for a disabled
/// account, 429 with `Retry-After` while the account or the address is locked.
pub async fn sign_in(
    State(s): State<AppState>,
    Peer(ip): Peer,
    parts: axum::http::Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let m = object(body, &["name", "password"])?;
    let name = required(&m, "name")?.trim().to_string();
    let password = required(&m, "password")?.to_string();
    let now = Utc::now();
    let address = ip.map(|a| a.to_canonical().to_string()).unwrap_or_default();
    let keys = [Key::Account(name.clone()), Key::address(ip)];
    s.throttle()
        .check(&keys, now)
        .map_err(|r| throttled(r, now))?;
    let verdict = {
        let _turn = s.hashing().acquire().await.map_err(ApiError::internal)?;
        let users = s.users().clone();
        let (n, p) = (name.clone(), password);
        blocking(move || Ok(users.verify_kept(&n, &p)?)).await?
    };
    let (verdict, kept) = verdict;
    let log = |action: Action, who: Option<&Identity>, detail: &str| {
        let mut d = Draft::new(
            action,
            who.map_or("", |w| &w.name),
            who.map_or("", |w| &w.name),
            who.map(|w| w.role),
        );
        d.address = address.clone();
        d.detail = detail.to_string();
        let users = s.users().clone();
        blocking(move || Ok(users.log(&d, now)?))
    };
    match verdict {
        Verdict::Valid(who) => {
            s.throttle().succeeded(&keys[0]);
            let (cookie, csrf) = start_session(&s, &who, kept, now, secure(&parts))?;
            log(Action::SignedIn, Some(&who), "").await?;
            let mut r = Json(json!({"name": who.name, "role": who.role.name(), "csrf": csrf}))
                .into_response();
            set_cookie(&mut r, &cookie);
            Ok(r)
        }
        Verdict::Disabled(who) => {
            log(Action::SignInRefused, Some(&who), "kontot är avstängt").await?;
            Err(refused_sign_in(
                &format!("kontot '{}' är avstängt; fråga en administratör", who.name),
                StatusCode::FORBIDDEN,
            )
            .by(&who))
        }
        Verdict::WrongPassword(_) | Verdict::Unknown => {
            let locked = s.throttle().failed(&keys, now);
            let who = match &verdict {
                Verdict::WrongPassword(w) => Some(w),
                _ => None,
            };
            let mut detail = if who.is_some() {
                "fel lösenord"
            } else {
                "okänt namn"
            }
            .to_string();
            if locked.as_ref().is_ok_and(|l| !l.is_empty()) {
                let minutes = s.throttle_limits().lockout.num_minutes();
                detail.push_str(&format!("; spärrad i {minutes} min"));
            }
            log(Action::SignInRefused, who, &detail).await?;
            Err(refused_sign_in(
                "fel namn eller lösenord",
                StatusCode::UNAUTHORIZED,
            ))
        }
    }
}

/// Starts a session for `who`, signed in by password (to the account whose record had the
/// SHA-256 `account`) or by single sign-on: the `Set-Cookie` value and the CSRF value; 503 when
/// the server holds all the sessions it may.
pub(super) fn start_session(
    s: &AppState,
    who: &Identity,
    account: Option<[u8; 32]>,
    now: DateTime<Utc>,
    secure: bool,
) -> Result<(String, String), ApiError> {
    let started = (s.sessions().start_account(who, account, now)).map_err(|e| match e {
        StartError::Full(_) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        StartError::Store(e) => e.into(),
    })?;
    let cookie = session::set_cookie(&started.id, &s.sessions().limits(), secure);
    Ok((cookie, started.csrf))
}

pub(super) fn throttled(r: Refused, now: DateTime<Utc>) -> ApiError {
    match r {
        Refused::Locked(until) => {
            let secs = retry_after(until, now);
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "för många misslyckade inloggningar för kontot eller från din adress; försök igen om {} min",
                    (secs + 59) / 60
                ),
            )
            .header(
                header::RETRY_AFTER,
                HeaderValue::from_str(&secs.to_string()).unwrap_or(HeaderValue::from_static("60")),
            )
        }
        Refused::Full => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "för många misslyckade inloggningar just nu; försök igen om en stund",
        )
        .header(header::RETRY_AFTER, HeaderValue::from_static("60")),
    }
}

fn set_cookie(r: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
}

/// `GET /api/session`: who is signed in (or holds the token), and the session's CSRF value.
pub async fn current(
    State(s): State<AppState>,
    headers: HeaderMap,
    Reader(who): Reader,
) -> Json<Value> {
    let csrf = session::cookie(&headers)
        .filter(|_| !headers.contains_key(header::AUTHORIZATION))
        .and_then(|id| match s.sessions().find(&id, Utc::now()) {
            Found::Valid { csrf, .. } => Some(csrf),
            _ => None,
        });
    Json(
        json!({"name": who.name, "role": who.role.name(), "csrf": csrf,
        "may_append": who.role.may_append(), "may_manage": who.role.may_manage()}),
    )
}

/// `DELETE /api/session`: signs out (with the CSRF header, as every change made with the cookie).
pub async fn sign_out(
    State(s): State<AppState>,
    parts: axum::http::Extensions,
    headers: HeaderMap,
    Reader(who): Reader,
) -> Result<Response, ApiError> {
    let id = session::cookie(&headers)
        .filter(|_| !headers.contains_key(header::AUTHORIZATION))
        .ok_or_else(|| {
            ApiError::bad_request(
                "det finns ingen session att logga ut ur; en API-token återkallas i stället",
            )
        })?;
    s.sessions().end(&id);
    let d = Draft::new(Action::SignedOut, &who.name, &who.name, Some(who.role));
    let users = s.users().clone();
    blocking(move || Ok(users.log(&d, Utc::now())?)).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut r, &session::clear_cookie(secure(&parts)));
    Ok(r)
}

/// `GET /api/users`: every account, never a password or hash.
pub async fn users(State(s): State<AppState>, _: Admin) -> Result<Json<Value>, ApiError> {
    blocking(move || {
        let list = s.users().list()?;
        Ok(Json(
            json!({"users": list.iter().map(UserInfo::to_json).collect::<Vec<_>>()}),
        ))
    })
    .await
}

/// `POST /api/users` with `{"name", "role", "password"}`: a new account, at once able to sign in.
pub async fn add_user(
    State(s): State<AppState>,
    Admin(by): Admin,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let m = object(body, &["name", "role", "password"])?;
    let name = required(&m, "name")?.to_string();
    let role =
        role_field(&m)?.ok_or_else(|| ApiError::bad_request("fältet role saknas").field("role"))?;
    let password = required(&m, "password")?.to_string();
    let added = blocking(move || {
        Ok(s.users()
            .add(&name, role, &password, &by.name, Utc::now())?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(added.to_json())).into_response())
}

/// `PATCH /api/users/{name}` with any of `{"disabled": bool, "role", "password"}`. A disabled
/// account, a new role or a new password ends the account's sessions at once.
pub async fn change_user(
    State(s): State<AppState>,
    Admin(by): Admin,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let m = object(body, &["disabled", "role", "password"])?;
    let disabled = match m.get("disabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(
                ApiError::bad_request("fältet disabled ska vara true eller false")
                    .field("disabled"),
            )
        }
    };
    let role = role_field(&m)?;
    let password = text(&m, "password")?.map(str::to_string);
    if disabled.is_none() && role.is_none() && password.is_none() {
        return Err(ApiError::bad_request(
            "inget att ändra: skicka disabled, role eller password",
        ));
    }
    not_oneself(
        &by,
        &name,
        disabled == Some(true) || role.is_some_and(|r| r != Role::Admin),
    )?;
    blocking(move || {
        let users = s.users();
        let now = Utc::now();
        let mut info = None;
        if let Some(p) = &password {
            info = Some(users.set_password(&name, p, &by.name, now)?);
        }
        if let Some(r) = role {
            info = Some(users.set_role(&name, r, &by.name, now)?);
        }
        match disabled {
            Some(true) => info = Some(users.disable(&name, &by.name, now)?),
            Some(false) => info = Some(users.enable(&name, &by.name, now)?),
            None => {}
        }
        if disabled == Some(true) || role.is_some() || password.is_some() {
            s.sessions().end_account(&name);
        }
        let info = info.ok_or_else(|| ApiError::internal("ingen ändring gjordes"))?;
        Ok(Json(info.to_json()))
    })
    .await
}

/// An admin may not lock themselves out through the API (another admin, or the CLI, can).
fn not_oneself(by: &Identity, name: &str, locks_out: bool) -> Result<(), ApiError> {
    if locks_out && by.name == name.trim() {
        return Err(ApiError::bad_request(
            "du kan inte stänga av ditt eget konto eller ta ifrån det rollen admin; be en annan administratör",
        )
        .by(by));
    }
    Ok(())
}

/// `DELETE /api/users/{name}`: disables the account (accounts are never removed: their names are
/// in the records) and ends its sessions at once.
pub async fn disable_user(
    State(s): State<AppState>,
    Admin(by): Admin,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    not_oneself(&by, &name, true)?;
    blocking(move || {
        let info = s.users().disable(&name, &by.name, Utc::now())?;
        s.sessions().end_account(&info.name);
        Ok(Json(info.to_json()))
    })
    .await
}

/// `GET /api/tokens`: every token's name, role, creation and expiry, never a token.
pub async fn tokens(State(s): State<AppState>, _: Admin) -> Result<Json<Value>, ApiError> {
    blocking(move || {
        let list = s.tokens().list()?;
        let tokens: Vec<Value> = list
            .iter()
            .map(|t| {
                json!({"name": t.name, "role": t.role.name(), "created_at": t.created_at,
                    "valid_through": t.expires_at.map(|e| valid_through(e).to_string())})
            })
            .collect();
        Ok(Json(json!({ "tokens": tokens })))
    })
    .await
}

/// `POST /api/tokens` with `{"name", "role", "expires": "YYYY-MM-DD"}` (expires optional): the
/// token, shown this once.
pub async fn add_token(
    State(s): State<AppState>,
    Admin(by): Admin,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let m = object(body, &["name", "role", "expires"])?;
    let name = required(&m, "name")?.to_string();
    let role =
        role_field(&m)?.ok_or_else(|| ApiError::bad_request("fältet role saknas").field("role"))?;
    let expires_at = match text(&m, "expires")? {
        None => None,
        Some(day) => {
            let date = crate::json::parse_date(day.trim()).map_err(|e| {
                ApiError::bad_request(format!("fältet expires: {e}")).field("expires")
            })?;
            Some(super::auth::expiry_after(date.0).ok_or_else(|| {
                ApiError::bad_request("fältet expires ligger för långt fram i tiden")
                    .field("expires")
            })?)
        }
    };
    let token = blocking(move || {
        let t = s
            .tokens()
            .add(&name, role, expires_at, &by.name, Utc::now())?;
        Ok(json!({"name": name.trim(), "role": role.name(), "token": t,
            "valid_through": expires_at.map(|e| valid_through(e).to_string())}))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(token)).into_response())
}

/// `DELETE /api/tokens/{name}`: revokes the token at once; 404 when there is none.
pub async fn revoke_token(
    State(s): State<AppState>,
    Admin(by): Admin,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    blocking(move || {
        if s.tokens().remove(&name, &by.name, Utc::now())? {
            Ok(Json(json!({"revoked": name.trim()})))
        } else {
            Err(ApiError::not_found(format!(
                "det finns ingen token med namnet '{}'",
                name.trim()
            )))
        }
    })
    .await
}
