//! What `--db` / `RAMBOK_DB` names: a folder (the sled engine) or a PostgreSQL database in libpq's
//! URL form, `postgres://USER@HOST:PORT/DBNAME`, a Unix socket as `?host=/DIR&port=N`, and the
//! ledger within it as `?ledger=NAME` (many ledgers, one per municipality, share one database).
//!
//! **Invariant:** a URL is never taken for a folder name: anything of the form `scheme://…` is
//! either a PostgreSQL URL or refused, so no folder called `postgres:` is ever created.

use std::path::{Path, PathBuf};

/// The ledger a PostgreSQL URL names when it names none.
pub const DEFAULT_LEDGER: &str = "rambok";
/// The longest ledger name.
pub const LEDGER_NAME_BYTES_MAX: usize = 63;

/// Where a ledger lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Folder(PathBuf),
    Postgres(PgUrl),
}

/// A PostgreSQL database and the ledger in it.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    /// The URL as libpq (and the driver) reads it: `ledger` taken out.
    pub conninfo: String,
    /// The ledger's name within the database.
    pub ledger: String,
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgUrl({})", self.shown())
    }
}

impl PgUrl {
    /// The URL for messages: the password, if any, left out.
    pub fn shown(&self) -> String {
        let text = without_password(&self.conninfo);
        let sep = if text.contains('?') { '&' } else { '?' };
        format!("{text}{sep}ledger={}", self.ledger)
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

impl Target {
    /// Reads what `--db` names. A path that is not UTF-8 is a folder; `postgres://` and
    /// `postgresql://` are PostgreSQL; any other `scheme://` is refused.
    pub fn parse(db: &Path) -> Result<Target, String> {
        let Some(text) = db.to_str() else {
            return Ok(Target::Folder(db.to_path_buf()));
        };
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return parse_postgres(text).map(Target::Postgres);
        }
        if let Some((scheme, _)) = text.split_once("://") {
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            {
                return Err(format!(
                    "--db: '{}' är en adress som rambok inte kan öppna: ange en mapp (sled) eller postgres://… (PostgreSQL)",
                    text.escape_debug()
                ));
            }
        }
        Ok(Target::Folder(db.to_path_buf()))
    }

    /// Whether `db` names a PostgreSQL database (and so no folder).
    pub fn is_postgres(db: &Path) -> bool {
        matches!(Target::parse(db), Ok(Target::Postgres(_)))
    }
}

fn parse_postgres(text: &str) -> Result<PgUrl, String> {
    let (base, query) = match text.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (text, None),
    };
    let mut ledger = None;
    let mut kept = Vec::new();
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        if pair.is_empty() {
            continue;
        }
        match pair.split_once('=') {
            Some(("ledger", name)) => {
                if ledger.is_some() {
                    return Err("--db: parametern ledger står två gånger i adressen".into());
                }
                ledger = Some(ledger_name(name)?);
            }
            _ => kept.push(pair),
        }
    }
    let conninfo = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(PgUrl {
        conninfo,
        ledger: ledger.unwrap_or_else(|| DEFAULT_LEDGER.to_string()),
    })
}

/// A ledger's name: 1 to 63 of `a`–`z`, `0`–`9`, `_` and `-`, starting with a letter or digit.
pub fn ledger_name(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name.len() <= LEDGER_NAME_BYTES_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(name.to_string())
    } else {
        Err(format!(
            "--db: liggarens namn '{}' ska vara 1–{LEDGER_NAME_BYTES_MAX} tecken av a–z, 0–9, _ och -, och börja med en bokstav eller siffra",
            name.escape_debug()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Target, String> {
        Target::parse(Path::new(s))
    }

    #[test]
    fn folders_stay_folders() {
        for s in ["rambok.db", "/tmp/x", "./postgres", "postgres:", "a:/b"] {
            assert_eq!(parse(s).unwrap(), Target::Folder(PathBuf::from(s)), "{s}");
        }
    }

    #[test]
    fn postgres_urls_name_the_ledger() {
        let Target::Postgres(u) =
            parse("postgres://rambok@/kommun?host=/tmp/pg&port=5433&ledger=kalmar").unwrap()
        else {
            panic!("a folder")
        };
        assert_eq!(
            u.conninfo,
            "postgres://rambok@/kommun?host=/tmp/pg&port=5433"
        );
        assert_eq!(u.ledger, "kalmar");
        let Target::Postgres(u) = parse("postgresql://h/db").unwrap() else {
            panic!("a folder")
        };
        assert_eq!(u.ledger, DEFAULT_LEDGER);
    }

    #[test]
    fn other_urls_and_bad_names_are_refused() {
        assert!(parse("mysql://h/db").unwrap_err().contains("mysql://h/db"));
        assert!(parse("http://h/").is_err());
        assert!(parse("a://").is_err());
        assert!(parse("postgres://h/db?ledger=Kalmar").is_err());
        assert!(parse("postgres://h/db?ledger=").is_err());
        assert!(parse("postgres://h/db?ledger=a&ledger=b").is_err());
        assert!(parse("postgres://h/db?ledger=a%27b").is_err());
    }

    #[test]
    fn passwords_are_not_shown() {
        let Target::Postgres(u) = parse("postgres://u:hemligt@h:5432/db?ledger=x").unwrap() else {
            panic!("a folder")
        };
        assert_eq!(u.shown(), "postgres://u:***@h:5432/db?ledger=x");
    }
}
