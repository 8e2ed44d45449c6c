//! API tokens for programs. A token is 32 random bytes shown once (`rbk_` and 64 hex digits); the
//! store keeps only its SHA-256, with the holder's name, role and expiry, in a tree of its own
//! beside the log (`store::accounts`: sled's, or the ledger's rows in PostgreSQL; never in the
//! hash chain). Every change to the tokens (created, revoked, expired) is written to the access
//! log (`super::access`) in the same transaction as the change. Nothing is cached: every request
//! reads the stored tokens, so a token revoked through one server is refused by every other.
//!
//! A token may expire: it then works until the end of its last valid day (UTC) and is refused
//! with 401 after.

use super::access::{self, Action, Draft, Logged};
use super::auth::{hex, random_bytes, same, valid_through, Auth, Identity, Role};
use crate::store::accounts::{Accounts, Tree, Tx, TxError};
use crate::store::record::RECORDED_BY_BYTES_MAX;
use crate::store::sled_store::SledStore;
use crate::store::{Engine, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The tree that holds the tokens.
pub const TOKENS_TREE: &str = Tree::Tokens.name();
/// Every token starts so, which makes a leaked one easy to recognise and search for.
pub const TOKEN_PREFIX: &str = "rbk_";
/// Random bytes per token.
pub const TOKEN_BYTES: usize = 32;

/// A token as listed: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token as stored (JSON, under its name): its SHA-256, never the token.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stored {
    name: String,
    role: Role,
    sha256: [u8; 32],
    created_at: String,
    expires_at: Option<DateTime<Utc>>,
    /// Whether the access log has recorded its expiry (the first time it was refused).
    expiry_logged: bool,
}

impl Stored {
    fn to_json(&self) -> Vec<u8> {
        let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut v = json!({
            "name": self.name, "role": self.role.name(), "sha256": hex(&self.sha256),
            "created_at": self.created_at,
        });
        if let Some(t) = self.expires_at {
            v["expires_at"] = json!(at(t));
        }
        if self.expiry_logged {
            v["expiry_logged"] = json!(true);
        }
        v.to_string().into_bytes()
    }

    fn parse(bytes: &[u8]) -> Result<Stored, StoreError> {
        let bad =
            |what: &str| StoreError::Corrupt(format!("en sparad token kan inte läsas: {what}"));
        let v: Value = serde_json::from_slice(bytes).map_err(|e| bad(&e.to_string()))?;
        let text = |k: &str| v[k].as_str().ok_or_else(|| bad(&format!("{k} saknas")));
        let expires_at = match v.get("expires_at") {
            None => None,
            Some(t) => Some(
                t.as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .ok_or_else(|| bad("expires_at är ingen tid"))?
                    .with_timezone(&Utc),
            ),
        };
        Ok(Stored {
            name: text("name")?.to_string(),
            role: Role::parse(text("role")?).ok_or_else(|| bad("en okänd roll"))?,
            sha256: unhex32(text("sha256")?)
                .ok_or_else(|| bad("sha256 är inte 64 hexadecimala siffror"))?,
            created_at: text("created_at")?.to_string(),
            expires_at,
            expiry_logged: v["expiry_logged"].as_bool().unwrap_or(false),
        })
    }

    fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|t| now >= t)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The tokens of one ledger, and the access log beside them; the accounts are kept with them
/// ([`TokenStore::users`]), so tokens, accounts and their log always live in one place.
#[derive(Clone)]
pub struct TokenStore {
    accounts: Accounts,
}

/// Appends the entry for `action` on `token` to the access log, in the transaction that makes
/// the change itself.
fn log_change(
    tx: &mut dyn Tx,
    action: Action,
    by: &str,
    token: &Stored,
    now: DateTime<Utc>,
) -> Result<(), TxError<TokenError>> {
    let mut draft = Draft::new(action, by, &token.name, Some(token.role));
    draft.expires_at = token.expires_at;
    access::append(tx, &draft, now)
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
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

fn random_token() -> Result<String, StoreError> {
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        hex(&random_bytes::<TOKEN_BYTES>()?)
    ))
}

/// Checks a token holder's name: it is stored as the recorder of every event they append.
pub fn check_name(name: &str) -> Result<String, TokenError> {
    let max = RECORDED_BY_BYTES_MAX.min(64);
    let name = crate::domain::text::person_name(name).map_err(|e| {
        TokenError::Input(format!(
            "en tokens namn sparas med varje händelse som tokenen lägger till, och '{}' {e}",
            name.escape_debug()
        ))
    })?;
    if name.len() > max {
        return Err(TokenError::Input(format!(
            "en tokens namn får vara högst {max} byte; det sparas med varje händelse som tokenen lägger till"
        )));
    }
    Ok(name)
}

/// Who makes a change to the tokens, as the access log keeps it: runs of white space made one
/// space, then checked as a token holder's name is.
pub fn changed_by(by: &str) -> Result<String, TokenError> {
    check_name(&by.split_whitespace().collect::<Vec<_>>().join(" "))
}

impl TokenStore {
    /// The tokens kept in a sled store (a ledger's folder, or one of their own).
    pub fn open(store: &SledStore) -> Result<TokenStore, StoreError> {
        Accounts::sled(store).map(TokenStore::new)
    }

    /// The tokens of the ledger `engine` holds: beside it in its folder, or in its database.
    pub fn of(engine: &Engine) -> Result<TokenStore, StoreError> {
        Accounts::of(engine).map(TokenStore::new)
    }

    pub fn new(accounts: Accounts) -> TokenStore {
        TokenStore { accounts }
    }

    /// Where they are kept.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The accounts kept beside these tokens, logged to the same access log.
    pub fn users(&self) -> super::users::UserStore {
        super::users::UserStore::new(self.accounts.clone())
    }

    /// Creates a token for `name`, valid until `expires_at` if given, and logs it as made `by`;
    /// returns the token, which is not kept anywhere.
    pub fn add(
        &self,
        name: &str,
        role: Role,
        expires_at: Option<DateTime<Utc>>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<String, TokenError> {
        let name = check_name(name)?;
        let by = changed_by(by)?;
        // Kept to the second, as the token's JSON holds it.
        let expires_at = expires_at.map(|t| t.trunc_subsecs(0));
        if let Some(t) = expires_at.filter(|t| *t <= now) {
            return Err(TokenError::Input(format!(
                "slutdagen {} har redan passerat; en token fungerar till och med den dag som anges (UTC)",
                valid_through(t)
            )));
        }
        let token = random_token()?;
        let stored = Stored {
            name: name.clone(),
            role,
            sha256: sha256(&token),
            created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            expires_at,
            expiry_logged: false,
        };
        self.accounts.transact(|tx| {
            if tx.get(Tree::Tokens, name.as_bytes())?.is_some() {
                return Err(TxError::Abort(TokenError::Input(format!(
                    "det finns redan en token med namnet '{name}'; ta bort den först (`rambok token remove --name {name}`)"
                ))));
            }
            tx.insert(Tree::Tokens, name.as_bytes(), &stored.to_json())?;
            log_change(tx, Action::Created, &by, &stored, now)
        })?;
        Ok(token)
    }

    /// Revokes the token named `name` and logs it as done `by`; false if there was none.
    pub fn remove(&self, name: &str, by: &str, now: DateTime<Utc>) -> Result<bool, TokenError> {
        let by = changed_by(by)?;
        let name = name.trim();
        self.accounts.transact(|tx| {
            let Some(v) = tx.remove(Tree::Tokens, name.as_bytes())? else {
                return Ok(false);
            };
            let stored = Stored::parse(&v).map_err(TxError::store)?;
            log_change(tx, Action::Revoked, &by, &stored, now)?;
            Ok(true)
        })
    }

    fn entries(&self) -> Result<Vec<Stored>, StoreError> {
        let pairs = self.accounts.scan(Tree::Tokens)?;
        pairs.iter().map(|(_, v)| Stored::parse(v)).collect()
    }

    pub fn list(&self) -> Result<Vec<TokenInfo>, StoreError> {
        Ok(self
            .entries()?
            .into_iter()
            .map(|t| TokenInfo {
                name: t.name,
                role: t.role,
                created_at: t.created_at,
                expires_at: t.expires_at,
            })
            .collect())
    }

    /// The access log, oldest first, each entry checked against the chain; a break is
    /// [`StoreError::Corrupt`] naming the entry.
    pub fn access_log(&self) -> Result<Vec<Logged>, StoreError> {
        let pairs = self.accounts.scan(Tree::Access)?;
        access::check(&pairs).map_err(|b| StoreError::Corrupt(b.to_string()))
    }

    /// The holder of `token`, comparing its hash with every stored one in constant time. A token
    /// past its expiry is [`Auth::Expired`]; the first time, the access log records it.
    pub fn authenticate(&self, token: &str, now: DateTime<Utc>) -> Result<Auth, StoreError> {
        let presented = sha256(token);
        let mut found = None;
        for t in self.entries()? {
            if same(&t.sha256, &presented) && found.is_none() {
                found = Some(t);
            }
        }
        let Some(t) = found else {
            return Ok(Auth::Unknown);
        };
        let who = Identity {
            name: t.name.clone(),
            role: t.role,
        };
        match t.expires_at {
            Some(expires_at) if t.expired(now) => {
                if !t.expiry_logged {
                    self.log_expiry(&t.name, &presented, now)
                        .map_err(|e| match e {
                            TokenError::Store(s) => s,
                            TokenError::Input(m) => StoreError::Io(m),
                        })?;
                }
                Ok(Auth::Expired { who, expires_at })
            }
            _ => Ok(Auth::Valid(who)),
        }
    }

    /// Marks the token named `name` (if it is still the one presented) as logged expired, and
    /// logs it, once however many requests race to do so.
    fn log_expiry(
        &self,
        name: &str,
        presented: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<(), TokenError> {
        self.accounts.transact(|tx| {
            let Some(v) = tx.get(Tree::Tokens, name.as_bytes())? else {
                return Ok(());
            };
            let mut stored = Stored::parse(&v).map_err(TxError::store)?;
            if stored.expiry_logged || !same(&stored.sha256, presented) {
                return Ok(());
            }
            stored.expiry_logged = true;
            tx.insert(Tree::Tokens, name.as_bytes(), &stored.to_json())?;
            log_change(tx, Action::Expired, access::EXPIRY_NOTICED_BY, &stored, now)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn tokens_are_stored_hashed_and_found_by_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let tokens = TokenStore::open(&store).unwrap();
        let now = Utc::now();
        let t = tokens
            .add("åsa", Role::Revisor, None, "admin", now)
            .unwrap();
        assert!(t.starts_with(TOKEN_PREFIX) && t.len() == 68);
        let raw = (tokens.accounts.get(Tree::Tokens, "åsa".as_bytes()))
            .unwrap()
            .unwrap();
        assert!(!String::from_utf8(raw).unwrap().contains(&t[4..]));
        let who = Identity {
            name: "åsa".into(),
            role: Role::Revisor,
        };
        assert_eq!(tokens.authenticate(&t, now).unwrap(), Auth::Valid(who));
        assert_eq!(
            tokens.authenticate(&random_token().unwrap(), now).unwrap(),
            Auth::Unknown
        );
        assert!(tokens
            .add("åsa", Role::Controller, None, "admin", now)
            .is_err());
        assert!(tokens.remove("åsa", "admin", now).unwrap());
        assert_eq!(tokens.authenticate(&t, now).unwrap(), Auth::Unknown);
        let actions: Vec<Action> = (tokens.access_log().unwrap().iter())
            .map(|l| l.entry.action)
            .collect();
        assert_eq!(actions, [Action::Created, Action::Revoked]);
    }

    #[test]
    fn an_expired_token_is_refused_and_its_expiry_logged_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let tokens = TokenStore::open(&store).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let expires_at = super::super::auth::expiry_after(day).unwrap();
        assert_eq!(expires_at.to_rfc3339(), "2027-01-01T00:00:00+00:00");
        assert_eq!(valid_through(expires_at), day);
        let made = expires_at - chrono::Duration::days(30);
        let t = tokens
            .add("rut", Role::Auditor, Some(expires_at), "admin", made)
            .unwrap();
        let last_moment = expires_at - chrono::Duration::microseconds(1);
        assert!(matches!(
            tokens.authenticate(&t, last_moment).unwrap(),
            Auth::Valid(_)
        ));
        for _ in 0..2 {
            assert!(matches!(
                tokens.authenticate(&t, expires_at).unwrap(),
                Auth::Expired { expires_at: e, .. } if e == expires_at
            ));
        }
        let log = tokens.access_log().unwrap();
        let actions: Vec<(Action, &str)> = (log.iter())
            .map(|l| (l.entry.action, l.entry.by.as_str()))
            .collect();
        assert_eq!(
            actions,
            [(Action::Created, "admin"), (Action::Expired, "rambok")]
        );
        assert!(tokens
            .add("old", Role::Auditor, Some(made), "admin", expires_at)
            .is_err());
    }
}
