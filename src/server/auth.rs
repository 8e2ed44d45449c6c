//! API tokens and roles. A token is 32 random bytes shown once (`rbk_` and 64 hex digits); the
//! store keeps only its SHA-256, with the holder's name and role, in a tree of its own beside the
//! log (never in the hash chain). A request proves who it is with `Authorization: Bearer TOKEN`;
//! the name becomes the recorder of everything it appends.
//!
//! Roles: a **controller** reads and appends; an **auditor** and a **revisor** read, verify and run
//! the controls. Nobody appends without a token.

use super::error::ApiError;
use super::AppState;
use crate::store::record::RECORDED_BY_BYTES_MAX;
use crate::store::sled_store::SledStore;
use crate::store::StoreError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::Read;

/// The sled tree that holds the tokens.
pub const TOKENS_TREE: &str = "api_tokens";
/// Every token starts so, which makes a leaked one easy to recognise and search for.
pub const TOKEN_PREFIX: &str = "rbk_";
/// Random bytes per token.
const TOKEN_BYTES: usize = 32;

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Controller,
    Auditor,
    Revisor,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Controller => "controller",
            Role::Auditor => "auditor",
            Role::Revisor => "revisor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "controller" => Some(Role::Controller),
            "auditor" => Some(Role::Auditor),
            "revisor" => Some(Role::Revisor),
            _ => None,
        }
    }

    pub fn may_append(self) -> bool {
        self == Role::Controller
    }
}

/// Who a request is: the token's name and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub role: Role,
}

/// A token as listed: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    pub created_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The token tree of one store.
#[derive(Clone)]
pub struct TokenStore {
    tree: sled::Tree,
}

fn store_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(e.to_string())
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// Equal without an early exit, so the time taken says nothing about where two hashes differ.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn random_token() -> Result<String, StoreError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| store_err(format!("cannot read random bytes: {e}")))?;
    Ok(format!("{TOKEN_PREFIX}{}", hex(&bytes)))
}

/// Checks a token holder's name: it is stored as the recorder of every event they append.
pub fn check_name(name: &str) -> Result<String, TokenError> {
    let max = RECORDED_BY_BYTES_MAX.min(64);
    let name = crate::domain::text::person_name(name).map_err(|e| {
        TokenError::Input(format!(
            "a token's name is recorded with every event the token appends, and '{}' {e}",
            name.escape_debug()
        ))
    })?;
    if name.len() > max {
        return Err(TokenError::Input(format!(
            "a token's name must be at most {max} bytes; it is recorded with every event the token appends"
        )));
    }
    Ok(name)
}

impl TokenStore {
    pub fn open(store: &SledStore) -> Result<TokenStore, StoreError> {
        Ok(TokenStore {
            tree: store.tree(TOKENS_TREE)?,
        })
    }

    /// Creates a token for `name`; returns the token, which is not kept anywhere.
    pub fn add(&self, name: &str, role: Role, now: DateTime<Utc>) -> Result<String, TokenError> {
        let name = check_name(name)?;
        let token = random_token()?;
        let value = json!({
            "name": name, "role": role.name(), "sha256": hex(&sha256(&token)),
            "created_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        let inserted = self
            .tree
            .compare_and_swap(
                name.as_bytes(),
                None as Option<&[u8]>,
                Some(value.to_string().into_bytes()),
            )
            .map_err(store_err)?;
        if inserted.is_err() {
            return Err(TokenError::Input(format!(
                "a token named '{name}' exists already; remove it first (`rambok token remove --name {name}`)"
            )));
        }
        self.tree.flush().map_err(store_err)?;
        Ok(token)
    }

    /// Removes the token named `name`; false if there was none.
    pub fn remove(&self, name: &str) -> Result<bool, TokenError> {
        let gone = self
            .tree
            .remove(name.trim().as_bytes())
            .map_err(store_err)?;
        self.tree.flush().map_err(store_err)?;
        Ok(gone.is_some())
    }

    fn entries(&self) -> Result<Vec<Value>, StoreError> {
        let mut out = Vec::new();
        for kv in self.tree.iter() {
            let (_, v) = kv.map_err(store_err)?;
            let value: Value = serde_json::from_slice(&v)
                .map_err(|e| StoreError::Corrupt(format!("a stored token is unreadable: {e}")))?;
            out.push(value);
        }
        Ok(out)
    }

    pub fn list(&self) -> Result<Vec<TokenInfo>, StoreError> {
        Ok(self
            .entries()?
            .iter()
            .filter_map(|v| {
                Some(TokenInfo {
                    name: v["name"].as_str()?.to_string(),
                    role: Role::parse(v["role"].as_str()?)?,
                    created_at: v["created_at"].as_str().unwrap_or_default().to_string(),
                })
            })
            .collect())
    }

    /// The holder of `token`, comparing its hash with every stored one in constant time.
    pub fn authenticate(&self, token: &str) -> Result<Option<Identity>, StoreError> {
        let presented = sha256(token);
        let mut found = None;
        for v in self.entries()? {
            let stored = v["sha256"].as_str().and_then(unhex32);
            let role = v["role"].as_str().and_then(Role::parse);
            let name = v["name"].as_str();
            if let (Some(stored), Some(role), Some(name)) = (stored, role, name) {
                if same(&stored, &presented) && found.is_none() {
                    found = Some(Identity {
                        name: name.to_string(),
                        role,
                    });
                }
            }
        }
        Ok(found)
    }
}

/// Finds the identity behind a request's bearer token.
async fn identify(parts: &Parts, state: &AppState) -> Result<Identity, ApiError> {
    let header =
        match parts.headers.get(axum::http::header::AUTHORIZATION) {
            None => return Err(ApiError::unauthorized(
                "no token: send `Authorization: Bearer TOKEN` (create one with `rambok token add`)",
            )),
            Some(h) => h.to_str().unwrap_or(""),
        };
    let token = header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| t.starts_with(TOKEN_PREFIX) && t.len() == TOKEN_PREFIX.len() + 2 * TOKEN_BYTES)
        .ok_or_else(|| {
            ApiError::unauthorized("malformed Authorization header: expected `Bearer rbk_…`")
        })?
        .to_string();
    let tokens = state.tokens().clone();
    let found = tokio::task::spawn_blocking(move || tokens.authenticate(&token))
        .await
        .map_err(ApiError::from_join)??;
    let who = found.ok_or_else(|| ApiError::unauthorized("unknown or revoked token"))?;
    if let Some(slot) = parts.extensions.get::<super::WhoSlot>() {
        slot.set(&who.name);
    }
    Ok(who)
}

/// Any valid token: reads, verification and controls.
pub struct Reader(pub Identity);

/// A controller's token: may also append.
pub struct Controller(pub Identity);

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
                "the role {} may read, verify and run controls but not append; appending takes a controller's token",
                who.role.name()
            ))
            .by(&who));
        }
        Ok(Controller(who))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stored_hashed_and_found_by_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let tokens = TokenStore::open(&store).unwrap();
        let t = tokens.add("åsa", Role::Revisor, Utc::now()).unwrap();
        assert!(t.starts_with(TOKEN_PREFIX) && t.len() == 68);
        let raw: Vec<u8> = tokens.tree.get("åsa").unwrap().unwrap().to_vec();
        assert!(!String::from_utf8(raw).unwrap().contains(&t[4..]));
        let who = tokens.authenticate(&t).unwrap().unwrap();
        assert_eq!((who.name.as_str(), who.role), ("åsa", Role::Revisor));
        assert!(tokens
            .authenticate(&random_token().unwrap())
            .unwrap()
            .is_none());
        assert!(tokens.add("åsa", Role::Controller, Utc::now()).is_err());
        assert!(tokens.remove("åsa").unwrap());
        assert!(tokens.authenticate(&t).unwrap().is_none());
    }
}
