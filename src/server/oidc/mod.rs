//! Single sign-on with OpenID Connect: the authorization code flow with PKCE (S256), as Entra ID
//! and other providers offer it, configured with `rambok serve --oidc FILE` (`config`).
//!
//! `GET /api/oidc/start` sends the browser to the provider with a fresh `state`, `nonce` and PKCE
//! challenge, kept here (at most [`PENDING_MAX`], for [`PENDING_TTL_SECS`]) and bound to the
//! browser by a short-lived cookie. `GET /api/oidc/callback` takes the `state` once, exchanges the
//! code at the token endpoint with the verifier, checks the ID token (`token`: signature against
//! the provider's JWKS, `iss`, `aud`, `exp`, `nonce`), maps the configured claim to a role, and
//! then starts the same session a password sign-in starts (cookie, CSRF value, expiry, access log).
//! The provider's metadata and keys are fetched at the first sign-in and kept; the keys are fetched
//! again when a token names a key they lack (at most once a minute).

pub mod config;
mod flow;
pub mod token;

pub use config::OidcConfig;
pub use flow::{callback, start, status};

use crate::server::lock;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use token::Key;

/// Sign-ins started and not yet come back, at most.
pub const PENDING_MAX: usize = 10_000;
/// How long a started sign-in may take at the provider.
pub const PENDING_TTL_SECS: u64 = 600;
/// The largest answer taken from the provider, in bytes.
const ANSWER_BYTES_MAX: u64 = 256 * 1024;
/// How long one request to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(15);
/// The keys are fetched again at most this often.
const JWKS_REFRESH: Duration = Duration::from_secs(60);

/// What the provider's discovery document says.
#[derive(Clone, Debug)]
struct Metadata {
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

struct Pending {
    nonce: String,
    verifier: String,
    binding: String,
    started: Instant,
}

struct Provider {
    meta: Metadata,
    keys: Vec<Key>,
    keys_fetched: Instant,
}

/// The single sign-on of a running server.
pub struct Oidc {
    config: OidcConfig,
    agent: ureq::Agent,
    provider: Mutex<Option<Provider>>,
    pending: Mutex<HashMap<String, Pending>>,
}

/// Why the provider could not be used; shown to the person and logged.
#[derive(Debug, thiserror::Error)]
#[error("identitetsleverantören {issuer}: {why}")]
pub struct ProviderError {
    issuer: String,
    why: String,
}

impl Oidc {
    pub fn new(config: OidcConfig) -> Oidc {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(PROVIDER_TIMEOUT))
            .build()
            .into();
        Oidc {
            config,
            agent,
            provider: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    fn fail(&self, why: impl Into<String>) -> ProviderError {
        ProviderError {
            issuer: self.config.issuer.clone(),
            why: why.into(),
        }
    }

    /// A JSON answer from the provider (blocking).
    fn json(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        what: &str,
    ) -> Result<(u16, Value), ProviderError> {
        let mut r = sent.map_err(|e| self.fail(format!("{what} kunde inte nås ({e})")))?;
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(ANSWER_BYTES_MAX)
            .read_to_vec()
            .map_err(|e| self.fail(format!("{what}: svaret kunde inte läsas ({e})")))?;
        let v = serde_json::from_slice(&body)
            .map_err(|_| self.fail(format!("{what} svarade {status} utan JSON")))?;
        Ok((status, v))
    }

    fn get_json(&self, url: &str, what: &str) -> Result<Value, ProviderError> {
        match self.json(self.agent.get(url).call(), what)? {
            (200, v) => Ok(v),
            (status, _) => Err(self.fail(format!("{what} svarade {status}"))),
        }
    }

    fn fetch_keys(&self, jwks_uri: &str) -> Result<Vec<Key>, ProviderError> {
        let doc = self.get_json(jwks_uri, "nyckeluppsättningen (jwks_uri)")?;
        token::parse_jwks(&doc).map_err(|e| self.fail(e))
    }

    /// Reads the discovery document and the keys (blocking).
    fn discover(&self) -> Result<Provider, ProviderError> {
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer);
        let doc = self.get_json(
            &url,
            "upptäcktsdokumentet (.well-known/openid-configuration)",
        )?;
        if doc.get("issuer").and_then(Value::as_str) != Some(self.config.issuer.as_str()) {
            return Err(self.fail(format!(
                "upptäcktsdokumentet anger utfärdaren {}, inte den konfigurerade",
                doc.get("issuer").map_or("(ingen)".into(), Value::to_string)
            )));
        }
        let endpoint = |key: &str| -> Result<String, ProviderError> {
            doc.get(key)
                .and_then(Value::as_str)
                .filter(|u| config::acceptable_url(u))
                .map(str::to_string)
                .ok_or_else(|| {
                    self.fail(format!(
                        "upptäcktsdokumentet saknar {key} (eller det är ingen https://-adress)"
                    ))
                })
        };
        let meta = Metadata {
            authorization_endpoint: endpoint("authorization_endpoint")?,
            token_endpoint: endpoint("token_endpoint")?,
            jwks_uri: endpoint("jwks_uri")?,
        };
        if let Some(methods) = doc.get("code_challenge_methods_supported") {
            let s256 = methods
                .as_array()
                .is_some_and(|a| a.iter().any(|m| m == "S256"));
            if !s256 {
                return Err(self.fail("leverantören erbjuder inte PKCE med S256"));
            }
        }
        let keys = self.fetch_keys(&meta.jwks_uri)?;
        Ok(Provider {
            meta,
            keys,
            keys_fetched: Instant::now(),
        })
    }

    /// The provider's metadata, discovered at the first call (blocking).
    fn metadata(&self) -> Result<Metadata, ProviderError> {
        if let Some(p) = lock(&self.provider).as_ref() {
            return Ok(p.meta.clone());
        }
        let p = self.discover()?;
        let meta = p.meta.clone();
        *lock(&self.provider) = Some(p);
        Ok(meta)
    }

    /// The keys to check a token naming `kid` with: fetched again when none has that id and the
    /// last fetch is more than a minute old (blocking).
    fn keys(&self, kid: Option<&str>) -> Result<Vec<Key>, ProviderError> {
        let (keys, jwks_uri, fresh) = {
            let held = lock(&self.provider);
            let p = held.as_ref().ok_or_else(|| self.fail("metadata saknas"))?;
            (
                p.keys.clone(),
                p.meta.jwks_uri.clone(),
                p.keys_fetched.elapsed() < JWKS_REFRESH,
            )
        };
        let known = kid.is_none_or(|kid| keys.iter().any(|k| k.kid.as_deref() == Some(kid)));
        if known || fresh {
            return Ok(keys);
        }
        let keys = self.fetch_keys(&jwks_uri)?;
        if let Some(p) = lock(&self.provider).as_mut() {
            p.keys = keys.clone();
            p.keys_fetched = Instant::now();
        }
        Ok(keys)
    }

    /// Keeps a started sign-in; false when [`PENDING_MAX`] are already waiting.
    fn remember(&self, state: String, p: Pending) -> bool {
        let mut pending = lock(&self.pending);
        let ttl = Duration::from_secs(PENDING_TTL_SECS);
        if pending.len() >= PENDING_MAX {
            pending.retain(|_, p| p.started.elapsed() < ttl);
        }
        if pending.len() >= PENDING_MAX {
            return false;
        }
        pending.insert(state, p);
        true
    }

    /// Takes the sign-in started with `state`, once; `None` when there is none or it is too old.
    fn take(&self, state: &str) -> Option<Pending> {
        let p = lock(&self.pending).remove(state)?;
        (p.started.elapsed() < Duration::from_secs(PENDING_TTL_SECS)).then_some(p)
    }

    /// Sign-ins waiting for the provider now.
    pub fn pending(&self) -> usize {
        lock(&self.pending).len()
    }
}
