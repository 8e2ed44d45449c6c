//! `rambok token add|list|remove|log`: API tokens for `rambok serve`. A token is shown once, when
//! it is made; the store keeps its SHA-256 with the holder's name, role and expiry. Every change is
//! written to the access log with who made it (`--by`, else the OS user), which `token log` shows
//! and checks. Tokens are managed while the server is stopped (it holds the store).

use super::{open_existing, CliError, Result};
use crate::domain::amount::Unit;
use crate::json::parse_date;
use crate::ledger::LedgerError;
use crate::report::number::{Sign, Style};
use crate::report::table::{render_terminal, Cell, Row, Table};
use crate::server::access::{entries_json, hex, Logged};
use crate::server::auth::{changed_by, expiry_after, valid_through, Role, TokenError, TokenStore};
use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::Path;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleArg {
    /// Reads and appends events.
    Controller,
    /// Reads, verifies and runs the controls, and reads the access log.
    Auditor,
    /// Reads, verifies and runs the controls, and reads the access log (the elected revisors).
    Revisor,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessFormat {
    Table,
    /// A JSON array, as `GET /api/access` answers.
    Json,
}

/// Who makes a change to the tokens, for the access log.
#[derive(clap::Args, Debug)]
pub struct Actor {
    /// Who makes the change, recorded in the access log (default: RAMBOK_USER, else the OS user:
    /// $USER, $LOGNAME or the name of the process's uid).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub action: TokenAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum TokenAction {
    /// Make a token and print it (once); its name is recorded with every event it appends.
    Add {
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long)]
        name: String,
        /// The last day the token works: it expires at the end of that day, UTC.
        #[arg(long, value_name = "YYYY-MM-DD")]
        expires: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// The tokens' names, roles, creation times and expiry (never the tokens).
    List,
    /// Revoke a token.
    Remove {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// The access log: every token created, revoked or expired, by whom and when (never a
    /// token). Exits 6 when an entry was changed or removed.
    Log {
        #[arg(long, value_enum, default_value = "table")]
        format: AccessFormat,
    },
}

fn tokens(db: &Path) -> Result<TokenStore> {
    let ledger = open_existing(db)?;
    TokenStore::open(ledger.store()).map_err(|e| CliError::Ledger(LedgerError::Store(e)))
}

fn fail(e: TokenError) -> CliError {
    match e {
        TokenError::Input(m) => CliError::Input(m),
        TokenError::Store(s) => CliError::Ledger(LedgerError::Store(s)),
    }
}

/// Who makes the change: `--by`, else the OS user; normalised and checked as the access log
/// keeps it.
fn actor(a: Actor) -> Result<String> {
    let from_env = || {
        ["RAMBOK_USER", "USER", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
    };
    let by = a.by.or_else(from_env).or_else(login_name).ok_or_else(|| {
        CliError::Input(
            "who is making this change? give --by NAME (RAMBOK_USER, USER and LOGNAME are not set, and the process's user has no name)".into(),
        )
    })?;
    changed_by(&by).map_err(|e| CliError::Input(format!("--by: {e}")))
}

/// The name of the user this process runs as, from its uid and `/etc/passwd` (Linux), for a
/// shell without `USER` (a service, a container, CI).
fn login_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_string())
    })
}

/// `--expires YYYY-MM-DD`: the moment the token stops working, the end of that day (UTC).
fn expiry(day: Option<String>) -> Result<Option<DateTime<Utc>>> {
    let Some(day) = day else { return Ok(None) };
    let date = parse_date(day.trim()).map_err(|e| CliError::Input(format!("--expires: {e}")))?;
    expiry_after(date.0)
        .map(Some)
        .ok_or_else(|| CliError::Input(format!("--expires: {day} is too far in the future")))
}

fn role_of(r: RoleArg) -> Role {
    match r {
        RoleArg::Controller => Role::Controller,
        RoleArg::Auditor => Role::Auditor,
        RoleArg::Revisor => Role::Revisor,
    }
}

/// How `list` shows a token's expiry.
fn expiry_text(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match expires_at {
        None => "no expiry".into(),
        Some(t) if t <= now => format!("expired at the end of {} (UTC)", valid_through(t)),
        Some(t) => format!("valid through {} (UTC)", valid_through(t)),
    }
}

pub fn run(db: &Path, a: TokenArgs, out: &mut dyn Write) -> Result<()> {
    // Arguments are checked before the store is opened.
    let now = Utc::now();
    match a.action {
        TokenAction::Add {
            role,
            name,
            expires,
            actor: who,
        } => {
            let (role, expires_at, by) = (role_of(role), expiry(expires)?, actor(who)?);
            let token = tokens(db)?
                .add(&name, role, expires_at, &by, now)
                .map_err(fail)?;
            writeln!(out, "{token}").map_err(super::io)?;
            eprintln!(
                "rambok: a token for '{}' with the role {} ({}); it is shown only now, so keep it safe (use it as `Authorization: Bearer TOKEN`, or RAMBOK_TOKEN with --server)",
                name.trim(),
                role.name(),
                expiry_text(expires_at, now)
            );
            Ok(())
        }
        TokenAction::List => {
            for t in tokens(db)?.list().map_err(|e| fail(e.into()))? {
                writeln!(
                    out,
                    "{:<10}  {:<24}  {}  {}",
                    t.role.name(),
                    t.name,
                    chrono::DateTime::parse_from_rfc3339(&t.created_at).map_or_else(
                        |_| t.created_at.clone(),
                        |at| crate::domain::time::shown(at.with_timezone(&chrono::Utc))
                    ),
                    expiry_text(t.expires_at, now)
                )
                .map_err(super::io)?;
            }
            Ok(())
        }
        TokenAction::Remove { name, actor: who } => {
            let by = actor(who)?;
            if tokens(db)?.remove(&name, &by, now).map_err(fail)? {
                writeln!(out, "removed the token '{}'", name.trim()).map_err(super::io)
            } else {
                Err(CliError::Input(format!(
                    "there is no token named '{}'",
                    name.trim()
                )))
            }
        }
        TokenAction::Log { format } => {
            let log = tokens(db)?.access_log().map_err(|e| fail(e.into()))?;
            let text = match format {
                AccessFormat::Json => serde_json::to_string_pretty(&entries_json(&log))
                    .map_err(|e| CliError::Io(e.to_string()))?,
                AccessFormat::Table => {
                    let style = Style::terminal(Unit::Kr, 0, Sign::Cost);
                    render_terminal(&access_table(&log), &style)
                        .trim_end()
                        .to_string()
                }
            };
            writeln!(out, "{text}").map_err(super::io)
        }
    }
}

/// The access log as a table, with the Swedish headings of the other audit tables.
fn access_table(log: &[Logged]) -> Table {
    let mut t = Table::new(
        format!("Åtkomstlogg: API-token ({} händelser)", log.len()),
        &[
            "Nr",
            "Tid (UTC)",
            "Av",
            "Händelse",
            "Token",
            "Roll",
            "Giltig t.o.m.",
            "Hash",
        ],
    );
    for Logged { entry: e, hash } in log {
        t.push(Row::new(vec![
            Cell::Figure(e.number.to_string()),
            Cell::text(e.at.format("%Y-%m-%d %H:%M:%S").to_string()),
            Cell::text(&e.by),
            Cell::text(e.action.swedish()),
            Cell::text(&e.name),
            Cell::text(e.role.name()),
            Cell::text(
                e.expires_at
                    .map_or("–".to_string(), |x| valid_through(x).to_string()),
            ),
            Cell::text(&hex(hash)[..10]),
        ]));
    }
    t
}
