//! Accounts for people: a name, a role and a password stored as an Argon2id PHC string (random
//! salt, the `argon2` crate's default cost), in a tree of their own (`users`) beside the tokens
//! (`store::accounts`: sled's, or the ledger's rows in PostgreSQL), never in the hash chain. An
//! account is never removed, since its name is the recorder of what it appended; it is disabled
//! instead. Every change (added, disabled, enabled, role changed, password set) is written to the
//! access log in the same transaction as the change, and
//! every sign-in and refusal on its own; no entry holds a password or a hash.
//!
//! Checking a password costs about as much for a name that is no account's as for one that is: a
//! dummy hash is checked instead, so the time taken does not tell which names exist.

use super::access::{self, Action, Draft};
use super::auth::{random_bytes, Identity, Role};
use crate::store::accounts::{Accounts, Tree, TxError};
use crate::store::record::RECORDED_BY_BYTES_MAX;
use crate::store::sled_store::SledStore;
use crate::store::StoreError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The tree that holds the accounts.
pub const USERS_TREE: &str = Tree::Users.name();
/// The shortest password, in characters.
pub const PASSWORD_CHARS_MIN: usize = 12;
/// The longest password, in bytes (hashing reads all of it).
pub const PASSWORD_BYTES_MAX: usize = 1024;
/// The longest name, in bytes.
pub const NAME_BYTES_MAX: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// Bad input: the message says what and why.
    #[error("{0}")]
    Input(String),
    #[error("det finns inget konto med namnet '{0}'")]
    NotFound(String),
    #[error("det finns redan ett konto med namnet '{0}'")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An account as listed: never its password or hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub disabled: bool,
}

impl UserInfo {
    pub fn to_json(&self) -> Value {
        json!({"name": self.name, "role": self.role.name(), "created_at": self.created_at,
            "disabled": self.disabled})
    }
}

/// An account as stored (JSON, under its name).
#[derive(Clone, Debug)]
struct Stored {
    info: UserInfo,
    phc: String,
}

impl Stored {
    fn to_json(&self) -> Vec<u8> {
        let mut v = self.info.to_json();
        v["phc"] = json!(self.phc);
        v.to_string().into_bytes()
    }

    fn parse(bytes: &[u8]) -> Result<Stored, StoreError> {
        let bad =
            |what: &str| StoreError::Corrupt(format!("ett sparat konto kan inte läsas: {what}"));
        let v: Value = serde_json::from_slice(bytes).map_err(|e| bad(&e.to_string()))?;
        let text = |k: &str| v[k].as_str().ok_or_else(|| bad(&format!("{k} saknas")));
        Ok(Stored {
            info: UserInfo {
                name: text("name")?.to_string(),
                role: Role::parse(text("role")?).ok_or_else(|| bad("en okänd roll"))?,
                created_at: text("created_at")?.to_string(),
                disabled: v["disabled"].as_bool().unwrap_or(false),
            },
            phc: text("phc")?.to_string(),
        })
    }
}

/// What a sign-in's name and password turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Valid(Identity),
    /// The right password for a disabled account.
    Disabled(Identity),
    /// The wrong password for an account that exists.
    WrongPassword(Identity),
    /// No account of that name.
    Unknown,
}

/// Checks an account's name: it is stored as the recorder of every event its holder appends.
pub fn check_name(name: &str) -> Result<String, UserError> {
    let max = RECORDED_BY_BYTES_MAX.min(NAME_BYTES_MAX);
    let checked = crate::domain::text::person_name(name).map_err(|e| {
        UserError::Input(format!(
            "ett kontos namn sparas med varje händelse det lägger till, och '{}' {e}",
            name.escape_debug()
        ))
    })?;
    if checked.len() > max {
        return Err(UserError::Input(format!(
            "ett kontos namn får vara högst {max} byte; det sparas med varje händelse det lägger till"
        )));
    }
    Ok(checked)
}

/// Checks a new password: at least [`PASSWORD_CHARS_MIN`] characters, at most
/// [`PASSWORD_BYTES_MAX`] bytes, not only white space.
pub fn check_password(password: &str) -> Result<(), UserError> {
    let chars = password.chars().count();
    if password.trim().is_empty() {
        return Err(UserError::Input(format!(
            "lösenordet är tomt; det ska ha minst {PASSWORD_CHARS_MIN} tecken"
        )));
    }
    if chars < PASSWORD_CHARS_MIN {
        return Err(UserError::Input(format!(
            "lösenordet har {chars} tecken; det ska ha minst {PASSWORD_CHARS_MIN}"
        )));
    }
    if password.len() > PASSWORD_BYTES_MAX {
        return Err(UserError::Input(format!(
            "lösenordet är {} byte; det får vara högst {PASSWORD_BYTES_MAX}",
            password.len()
        )));
    }
    Ok(())
}

fn hash_password(password: &str) -> Result<String, UserError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| StoreError::Io(format!("ett salt kan inte göras: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Store(StoreError::Io(format!("lösenordet kan inte hashas: {e}"))))
}

/// Whether `password` matches `phc`; a stored hash that cannot be read is damage.
fn matches(phc: &str, password: &str) -> Result<bool, StoreError> {
    let parsed = PasswordHash::new(phc).map_err(|e| {
        StoreError::Corrupt(format!("ett kontos lösenordshash kan inte läsas: {e}"))
    })?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// A hash of a password nobody knows, checked for names that are no account's.
fn dummy() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let unknown = random_bytes::<16>()
            .map(|b| super::auth::hex(&b))
            .unwrap_or_default();
        hash_password(&format!("{unknown}-okänt-konto")).unwrap_or_default()
    })
}

/// A change to one account.
enum Change<'a> {
    Disable,
    Enable,
    Role(Role),
    Password(&'a str),
}

/// The accounts of one ledger, and the access log beside them.
#[derive(Clone)]
pub struct UserStore {
    accounts: Accounts,
}

impl UserStore {
    /// The accounts kept in a sled store.
    pub fn open(store: &SledStore) -> Result<UserStore, StoreError> {
        Accounts::sled(store).map(UserStore::new)
    }

    /// The accounts kept in `accounts` (see `TokenStore::users`).
    pub fn new(accounts: Accounts) -> UserStore {
        UserStore { accounts }
    }

    /// Adds an account, logged as added `by`; its name must be new.
    pub fn add(
        &self,
        name: &str,
        role: Role,
        password: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<UserInfo, UserError> {
        let name = check_name(name)?;
        check_password(password)?;
        let stored = Stored {
            info: UserInfo {
                name: name.clone(),
                role,
                created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                disabled: false,
            },
            phc: hash_password(password)?,
        };
        self.accounts.transact(|tx| {
            if tx.get(Tree::Users, name.as_bytes())?.is_some() {
                return Err(TxError::Abort(UserError::Exists(name.clone())));
            }
            tx.insert(Tree::Users, name.as_bytes(), &stored.to_json())?;
            access::append(
                tx,
                &Draft::new(Action::UserAdded, by, &name, Some(role)),
                now,
            )
        })?;
        Ok(stored.info)
    }

    fn change(
        &self,
        name: &str,
        change: Change,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<UserInfo, UserError> {
        let name = name.trim();
        let phc = match change {
            Change::Password(p) => {
                check_password(p)?;
                Some(hash_password(p)?)
            }
            _ => None,
        };
        self.accounts.transact(|tx| {
            let Some(v) = tx.get(Tree::Users, name.as_bytes())? else {
                return Err(TxError::Abort(UserError::NotFound(name.to_string())));
            };
            let mut s = Stored::parse(&v).map_err(TxError::store)?;
            let action = match change {
                Change::Disable => {
                    s.info.disabled = true;
                    Action::UserDisabled
                }
                Change::Enable => {
                    s.info.disabled = false;
                    Action::UserEnabled
                }
                Change::Role(r) => {
                    s.info.role = r;
                    Action::RoleChanged
                }
                Change::Password(_) => {
                    s.phc = phc.clone().unwrap_or_default();
                    Action::PasswordSet
                }
            };
            tx.insert(Tree::Users, name.as_bytes(), &s.to_json())?;
            access::append(tx, &Draft::new(action, by, name, Some(s.info.role)), now)?;
            Ok(s.info)
        })
    }

    pub fn disable(&self, name: &str, by: &str, now: DateTime<Utc>) -> Result<UserInfo, UserError> {
        self.change(name, Change::Disable, by, now)
    }

    pub fn enable(&self, name: &str, by: &str, now: DateTime<Utc>) -> Result<UserInfo, UserError> {
        self.change(name, Change::Enable, by, now)
    }

    pub fn set_role(
        &self,
        name: &str,
        role: Role,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<UserInfo, UserError> {
        self.change(name, Change::Role(role), by, now)
    }

    pub fn set_password(
        &self,
        name: &str,
        password: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<UserInfo, UserError> {
        self.change(name, Change::Password(password), by, now)
    }

    pub fn list(&self) -> Result<Vec<UserInfo>, StoreError> {
        let pairs = self.accounts.scan(Tree::Users)?;
        pairs
            .iter()
            .map(|(_, v)| Ok(Stored::parse(v)?.info))
            .collect()
    }

    /// Checks a sign-in's name and password, always hashing once (a dummy for unknown names).
    pub fn verify(&self, name: &str, password: &str) -> Result<Verdict, StoreError> {
        Ok(self.verify_kept(name, password)?.0)
    }

    /// The SHA-256 of the account's record as stored now, and whether it is disabled; `None`
    /// when there is no such account. A session compares it at every request with the one it
    /// signed in with, so a change made through any server ends it.
    pub fn kept(&self, name: &str) -> Result<Option<([u8; 32], bool)>, StoreError> {
        match self.accounts.get(Tree::Users, name.as_bytes())? {
            None => Ok(None),
            Some(v) => Ok(Some((access::hash(&v), Stored::parse(&v)?.info.disabled))),
        }
    }

    /// [`UserStore::verify`], with the SHA-256 of the record it checked against.
    pub fn verify_kept(
        &self,
        name: &str,
        password: &str,
    ) -> Result<(Verdict, Option<[u8; 32]>), StoreError> {
        let password = if password.len() > PASSWORD_BYTES_MAX {
            ""
        } else {
            password
        };
        let stored = match self.accounts.get(Tree::Users, name.trim().as_bytes())? {
            Some(v) => Some((Stored::parse(&v)?, access::hash(&v))),
            None => None,
        };
        let Some((s, kept)) = stored else {
            let _ = matches(dummy(), password);
            return Ok((Verdict::Unknown, None));
        };
        let who = Identity {
            name: s.info.name.clone(),
            role: s.info.role,
        };
        let verdict = match (matches(&s.phc, password)?, s.info.disabled) {
            (false, _) => Verdict::WrongPassword(who),
            (true, true) => Verdict::Disabled(who),
            (true, false) => Verdict::Valid(who),
        };
        Ok((verdict, Some(kept)))
    }

    /// Writes a sign-in, a refusal or a sign-out to the access log.
    pub fn log(&self, draft: &Draft, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.accounts
            .transact(|tx| access::append::<StoreError>(tx, draft, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_stored_as_argon2id_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let users = UserStore::open(&store).unwrap();
        let now = Utc::now();
        let pw = "korrekt häst batteri";
        users
            .add("anna", Role::Controller, pw, "admin", now)
            .unwrap();
        let raw = (users.accounts.get(Tree::Users, b"anna")).unwrap().unwrap();
        let raw = String::from_utf8(raw).unwrap();
        assert!(raw.contains("$argon2id$") && !raw.contains(pw), "{raw}");
        let anna = Identity {
            name: "anna".into(),
            role: Role::Controller,
        };
        assert_eq!(
            users.verify("anna", pw).unwrap(),
            Verdict::Valid(anna.clone())
        );
        assert_eq!(
            users.verify("anna", "fel lösenord här").unwrap(),
            Verdict::WrongPassword(anna.clone())
        );
        assert_eq!(users.verify("bo", pw).unwrap(), Verdict::Unknown);
        users.disable("anna", "admin", now).unwrap();
        assert_eq!(users.verify("anna", pw).unwrap(), Verdict::Disabled(anna));
        assert!(matches!(
            users.add("anna", Role::Auditor, pw, "admin", now),
            Err(UserError::Exists(_))
        ));
        assert!(matches!(
            users.disable("bo", "admin", now),
            Err(UserError::NotFound(_))
        ));
    }

    #[test]
    fn a_short_empty_or_huge_password_is_refused_with_the_limit() {
        let msg = |p: &str| check_password(p).unwrap_err().to_string();
        assert_eq!(msg(""), "lösenordet är tomt; det ska ha minst 12 tecken");
        assert_eq!(msg("kort"), "lösenordet har 4 tecken; det ska ha minst 12");
        assert!(msg(&"x".repeat(2000)).contains("högst 1024"));
        assert!(check_password("tolv tecken!").is_ok());
    }
}
