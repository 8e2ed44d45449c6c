//! The three endpoints of single sign-on: `GET /api/oidc` (whether it is on, and the button's
//! words), `GET /api/oidc/start` and `GET /api/oidc/callback`.

use super::token::{self, Expect};
use super::{Oidc, Pending, ProviderError};
use crate::server::access::{Action, Draft};
use crate::server::accounts::{secure, start_session, throttled, Peer};
use crate::server::auth::{hex, random_bytes, same, Identity};
use crate::server::error::ApiError;
use crate::server::throttle::Key;
use crate::server::{blocking, AppState};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;

/// The cookie that ties a started sign-in to the browser that started it.
pub const BINDING_COOKIE: &str = "rambok_oidc";

impl From<ProviderError> for ApiError {
    fn from(e: ProviderError) -> ApiError {
        ApiError::new(StatusCode::BAD_GATEWAY, e.to_string())
    }
}

fn configured(s: &AppState) -> Result<Arc<Oidc>, ApiError> {
    s.oidc().cloned().ok_or_else(|| {
        ApiError::not_found(
            "inloggning via OpenID Connect är inte påslagen på den här servern (rambok serve --oidc FIL)",
        )
    })
}

fn b64_random<const N: usize>() -> Result<String, ApiError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<N>()?))
}

/// `GET /api/oidc`: `{"enabled": true, "label": "…"}` when single sign-on is on, else
/// `{"enabled": false}`.
pub async fn status(State(s): State<AppState>) -> Json<Value> {
    Json(match s.oidc() {
        Some(o) => json!({"enabled": true, "label": o.config().label}),
        None => json!({"enabled": false}),
    })
}

fn binding_cookie(value: &str, max_age: u64, tls: bool) -> String {
    format!(
        "{BINDING_COOKIE}={value}; Path=/api/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if tls { "; Secure" } else { "" }
    )
}

fn add_cookie(r: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// `GET /api/oidc/start`: a fresh `state`, `nonce` and PKCE verifier kept here, and the browser
/// sent on to the provider's authorization endpoint with the S256 challenge.
pub async fn start(
    State(s): State<AppState>,
    parts: axum::http::Extensions,
) -> Result<Response, ApiError> {
    let oidc = configured(&s)?;
    let meta = {
        let o = oidc.clone();
        blocking(move || Ok(o.metadata()?)).await?
    };
    let state = b64_random::<32>()?;
    let nonce = b64_random::<32>()?;
    let verifier = b64_random::<32>()?;
    let binding = hex(&random_bytes::<32>()?);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let c = oidc.config();
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", c.client_id.as_str()),
        ("redirect_uri", c.redirect_url.as_str()),
        ("scope", &c.scopes.join(" ")),
        ("state", &state),
        ("nonce", &nonce),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ])
    .map_err(ApiError::internal)?;
    let pending = Pending {
        nonce,
        verifier,
        binding: binding.clone(),
        started: Instant::now(),
    };
    if !oidc.remember(state, pending) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "för många inloggningar pågår just nu; försök igen om en stund",
        ));
    }
    let sep = if meta.authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    let mut r = see_other(&format!("{}{sep}{query}", meta.authorization_endpoint));
    add_cookie(
        &mut r,
        &binding_cookie(&binding, super::PENDING_TTL_SECS, secure(&parts)),
    );
    Ok(r)
}

/// A refusal of the callback as a small page in Swedish (the browser shows it), with the status
/// and the log entry of the JSON error. The `rambok_oidc` cookie stays: a stray callback with a
/// wrong state does not spoil the sign-in under way in the same browser.
fn refusal_page(e: ApiError) -> Response {
    let message = e.message().to_string();
    let mut r = e.into_response();
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"sv\"><head><meta charset=\"utf-8\"><title>Inloggningen nekades – rambok</title>\
         <link rel=\"stylesheet\" href=\"/style.css\"></head><body><main><h1>Inloggningen nekades</h1>\
         <p role=\"alert\" id=\"oidc-fel\">{escaped}</p><p><a href=\"/\">Tillbaka till rambok</a></p></main></body></html>\n"
    );
    *r.body_mut() = axum::body::Body::from(html);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

fn binding_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == BINDING_COOKIE)
        .map(|(_, v)| v.trim().to_string())
}

/// `GET /api/oidc/callback?code=…&state=…`: the provider's answer. On success a session cookie
/// and the browser sent to the page; otherwise a page that says why.
pub async fn callback(
    State(s): State<AppState>,
    Peer(ip): Peer,
    parts: axum::http::Extensions,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let tls = secure(&parts);
    match signed_in(&s, ip, tls, &headers, query.as_deref().unwrap_or("")).await {
        Ok(r) => r,
        Err(e) => refusal_page(e),
    }
}

fn short(s: &str) -> String {
    s.chars().take(200).filter(|c| !c.is_control()).collect()
}

/// Which of the sign-in's failures count toward the address's lock.
enum Failure {
    /// Before the provider gave anything (an unknown state): answered, not counted.
    Plain(ApiError),
    /// The provider's answer was refused: logged and counted against the address.
    Refused {
        error: ApiError,
        /// The person the verified token names, when it got that far.
        name: Option<String>,
        detail: String,
    },
}

async fn signed_in(
    s: &AppState,
    ip: Option<std::net::IpAddr>,
    tls: bool,
    headers: &HeaderMap,
    query: &str,
) -> Result<Response, ApiError> {
    let oidc = configured(s)?;
    let now = Utc::now();
    let keys = [Key::address(ip)];
    s.throttle()
        .check(&keys, now)
        .map_err(|r| throttled(r, now))?;
    let address = ip.map(|a| a.to_canonical().to_string()).unwrap_or_default();
    let log = |action: Action, name: &str, role, detail: String| {
        let mut d = Draft::new(action, name, name, role);
        d.address = address.clone();
        d.detail = detail;
        let users = s.users().clone();
        blocking(move || Ok(users.log(&d, now)?))
    };
    match answer(&oidc, headers, query).await {
        Ok(who) => {
            let (cookie, _csrf) = start_session(s, &who, None, now, tls)?;
            log(
                Action::SignedIn,
                &who.name,
                Some(who.role),
                "OpenID Connect".into(),
            )
            .await?;
            let mut r = see_other("/");
            add_cookie(&mut r, &cookie);
            add_cookie(&mut r, &binding_cookie("", 0, tls));
            Ok(r)
        }
        Err(Failure::Plain(e)) => Err(e),
        Err(Failure::Refused {
            error,
            name,
            detail,
        }) => {
            let _ = s.throttle().failed(&keys, now);
            log(
                Action::SignInRefused,
                name.as_deref().unwrap_or(""),
                None,
                format!("OpenID Connect: {}", short(&detail)),
            )
            .await?;
            Err(error)
        }
    }
}

/// Checks the provider's answer and gives who signed in.
async fn answer(oidc: &Arc<Oidc>, headers: &HeaderMap, query: &str) -> Result<Identity, Failure> {
    let plain = Failure::Plain;
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|_| {
        plain(ApiError::bad_request(
            "svaret från identitetsleverantören kan inte läsas",
        ))
    })?;
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let state = param("state").unwrap_or("");
    let pending = oidc.take(state);
    if let Some(error) = param("error") {
        return Err(plain(ApiError::unauthorized(format!(
            "identitetsleverantören avbröt inloggningen: {}{}",
            short(error),
            param("error_description")
                .map(|d| format!(" ({})", short(d)))
                .unwrap_or_default()
        ))));
    }
    let Some(pending) = pending else {
        return Err(plain(ApiError::bad_request(
            "okänt, redan använt eller för gammalt state: börja om med Logga in",
        )));
    };
    let bound = binding_of(headers).is_some_and(|b| same(b.as_bytes(), pending.binding.as_bytes()));
    if !bound {
        return Err(plain(ApiError::bad_request(
            "inloggningen startades inte i den här webbläsaren (kakan rambok_oidc saknas eller stämmer inte): börja om med Logga in",
        )));
    }
    let config = oidc.config().clone();
    if let Some(iss) = param("iss") {
        if iss != config.issuer {
            return Err(plain(ApiError::bad_request(format!(
                "svaret kommer från utfärdaren '{}', inte den konfigurerade",
                short(iss)
            ))));
        }
    }
    let Some(code) = param("code").filter(|c| !c.is_empty() && c.len() <= 4096) else {
        return Err(plain(ApiError::bad_request(
            "svaret från identitetsleverantören saknar code",
        )));
    };
    let o = oidc.clone();
    let code = code.to_string();
    let verifier = pending.verifier.clone();
    let exchanged = blocking(move || Ok(o.exchange(&code, &verifier))).await;
    let id_token = match exchanged {
        Err(e) => return Err(plain(e)),
        Ok(Err(Exchange::Provider(e))) => return Err(plain(e.into())),
        Ok(Err(Exchange::Refused(why))) => {
            return Err(Failure::Refused {
                error: ApiError::unauthorized(format!(
                    "identitetsleverantören tog inte emot koden ({why}); den kan redan ha använts: börja om med Logga in"
                )),
                name: None,
                detail: format!("koden nekades: {why}"),
            })
        }
        Ok(Ok(t)) => t,
    };
    let o = oidc.clone();
    let kid = token::key_id(&id_token);
    let keys = match blocking(move || Ok(o.keys(kid.as_deref()))).await {
        Err(e) => return Err(plain(e)),
        Ok(Err(e)) => return Err(plain(e.into())),
        Ok(Ok(k)) => k,
    };
    let expect = Expect {
        issuer: &config.issuer,
        client_id: &config.client_id,
        nonce: &pending.nonce,
        now: Utc::now(),
    };
    let claims = token::verify(&id_token, &keys, &expect).map_err(|e| Failure::Refused {
        error: ApiError::unauthorized(format!("inloggningen nekades: {e}")),
        name: None,
        detail: e.to_string(),
    })?;
    identity(&config, &claims)
}

/// The person an ID token names, with the role its claim maps to.
fn identity(config: &super::OidcConfig, claims: &Map<String, Value>) -> Result<Identity, Failure> {
    let raw = claims
        .get(&config.name_claim)
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = crate::server::users::check_name(raw).map_err(|e| Failure::Refused {
        error: ApiError::forbidden(format!(
            "inloggningen nekades: anspråket {} ska namnge personen: {e}",
            config.name_claim
        )),
        name: None,
        detail: format!("anspråket {} duger inte som namn", config.name_claim),
    })?;
    let Some(role) = config.role_for(claims) else {
        return Err(Failure::Refused {
            error: ApiError::forbidden(format!(
                "{name} har ingen roll i rambok: inget av värdena i anspråket {} finns i rolltabellen; fråga en administratör om din grupp ska ge en roll",
                config.role_claim
            )),
            name: Some(name),
            detail: format!("ingen roll för anspråket {}", config.role_claim),
        });
    };
    Ok(Identity { name, role })
}

/// Why a code was not exchanged for tokens.
pub(super) enum Exchange {
    /// The provider could not be asked, or answered nonsense.
    Provider(ProviderError),
    /// The provider refused the code (`invalid_grant`: used, expired, or not for this verifier).
    Refused(String),
}

impl Oidc {
    /// Exchanges `code` with the PKCE `verifier` at the token endpoint; the ID token (blocking).
    pub(super) fn exchange(&self, code: &str, verifier: &str) -> Result<String, Exchange> {
        let meta = self.metadata().map_err(Exchange::Provider)?;
        let c = &self.config;
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &c.redirect_url),
            ("code_verifier", verifier),
        ];
        let mut req = self.agent.post(&meta.token_endpoint);
        match (c.client_auth, c.client_secret.as_deref()) {
            (super::config::ClientAuth::Basic, Some(secret)) => {
                let enc = |v: &str| {
                    serde_urlencoded::to_string([("", v)]).unwrap_or_default()[1..].to_string()
                };
                let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    enc(&c.client_id),
                    enc(secret)
                ));
                req = req.header("Authorization", format!("Basic {basic}"));
            }
            (super::config::ClientAuth::Post, Some(secret)) => {
                form.push(("client_id", &c.client_id));
                form.push(("client_secret", secret));
            }
            _ => form.push(("client_id", &c.client_id)),
        }
        let (status, body) = self
            .json(req.send_form(form), "tokenändpunkten")
            .map_err(Exchange::Provider)?;
        if status != 200 {
            let error = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("okänt fel");
            return Err(Exchange::Refused(format!("{status} {}", short(error))));
        }
        body.get("id_token")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| Exchange::Provider(self.fail("tokenändpunktens svar saknar id_token")))
    }
}
