//! `rambok token add|list|remove|log`: API tokens for `rambok serve`. A token is shown once, when
//! it is made; the store keeps its SHA-256 with the holder's name, role and expiry. Every change is
//! written to the access log with who made it (`--by`, else the OS user), which `token log` shows
//! and checks. Tokens are managed while the server is stopped (it holds the store).

use super::{open_existing, CliError, Result};
use crate::domain::amount::Unit;
use crate::json::parse_date;
use crate::lang::counted;
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
    /// Läser och lägger till händelser.
    Controller,
    /// Läser, verifierar, kör kontrollerna och läser åtkomstloggen.
    Auditor,
    /// Läser, verifierar, kör kontrollerna och läser åtkomstloggen (de förtroendevalda
    /// revisorerna).
    Revisor,
    /// Hanterar konton och API-token, läser och läser åtkomstloggen; lägger inte till händelser.
    Admin,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessFormat {
    /// En tabell för terminalen.
    Table,
    /// En JSON-lista, som `GET /api/access` svarar.
    Json,
}

/// Who makes a change to the tokens, for the access log.
#[derive(clap::Args, Debug)]
pub struct Actor {
    /// Vem som gör ändringen, sparas i åtkomstloggen (standard: RAMBOK_USER, annars
    /// operativsystemets användare: $USER, $LOGNAME eller namnet på processens uid).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct TokenArgs {
    /// Mappen med API-token och åtkomstlogg för en liggare i PostgreSQL (skapas om den saknas);
    /// en liggare i en mapp har dem i sin egen mapp.
    #[arg(long, env = "RAMBOK_TOKENS", value_name = "DIR")]
    pub tokens: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub action: TokenAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum TokenAction {
    /// Skapa en token och skriv ut den (en gång); dess namn sparas med varje händelse den lägger
    /// till.
    Add {
        /// Vad tokenen får göra.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Vem tokenen är till; namnet sparas med det den registrerar.
        #[arg(long)]
        name: String,
        /// Den sista dagen tokenen fungerar: den upphör vid slutet av den dagen, UTC.
        #[arg(long, value_name = "YYYY-MM-DD")]
        expires: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Tokenernas namn, roller, när de skapades och upphör (aldrig själva tokenerna).
    List,
    /// Återkalla en token.
    Remove {
        /// Tokenens namn.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Åtkomstloggen: varje token som skapats, återkallats eller upphört, av vem och när
    /// (aldrig en token). Avslutar med 6 när en post har ändrats eller tagits bort.
    Log {
        /// Hur loggen skrivs.
        #[arg(long, value_enum, default_value = "table")]
        format: AccessFormat,
    },
}

fn tokens(db: &Path, folder: &Option<std::path::PathBuf>) -> Result<TokenStore> {
    let ledger = open_existing(db)?;
    Ok(super::serve::token_store(&ledger, folder)?.0)
}

fn fail(e: TokenError) -> CliError {
    match e {
        TokenError::Input(m) => CliError::Input(m),
        TokenError::Store(s) => CliError::Ledger(LedgerError::Store(s)),
    }
}

/// Who makes the change: `--by`, else the OS user; normalised and checked as the access log
/// keeps it.
pub(super) fn actor(a: Actor) -> Result<String> {
    let from_env = || {
        ["RAMBOK_USER", "USER", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
    };
    let by = a.by.or_else(from_env).or_else(login_name).ok_or_else(|| {
        CliError::Input(
            "vem gör ändringen? ange --by NAMN (RAMBOK_USER, USER och LOGNAME är inte satta, och processens användare har inget namn)".into(),
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
        .ok_or_else(|| CliError::Input(format!("--expires: {day} ligger för långt fram i tiden")))
}

pub(super) fn role_of(r: RoleArg) -> Role {
    match r {
        RoleArg::Controller => Role::Controller,
        RoleArg::Auditor => Role::Auditor,
        RoleArg::Revisor => Role::Revisor,
        RoleArg::Admin => Role::Admin,
    }
}

/// How `list` shows a token's expiry.
fn expiry_text(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match expires_at {
        None => "upphör inte".into(),
        Some(t) if t <= now => format!("upphörde vid slutet av {} (UTC)", valid_through(t)),
        Some(t) => format!("giltig t.o.m. {} (UTC)", valid_through(t)),
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
            let token = tokens(db, &a.tokens)?
                .add(&name, role, expires_at, &by, now)
                .map_err(fail)?;
            writeln!(out, "{token}").map_err(super::io)?;
            eprintln!(
                "rambok: en token för '{}' med rollen {} ({}); den visas bara nu, så förvara den säkert (använd den som `Authorization: Bearer TOKEN`, eller RAMBOK_TOKEN med --server)",
                name.trim(),
                role.name(),
                expiry_text(expires_at, now)
            );
            Ok(())
        }
        TokenAction::List => {
            for t in tokens(db, &a.tokens)?.list().map_err(|e| fail(e.into()))? {
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
            if tokens(db, &a.tokens)?
                .remove(&name, &by, now)
                .map_err(fail)?
            {
                writeln!(out, "tog bort tokenen '{}'", name.trim()).map_err(super::io)
            } else {
                Err(CliError::Input(format!(
                    "det finns ingen token med namnet '{}'",
                    name.trim()
                )))
            }
        }
        TokenAction::Log { format } => {
            let log = tokens(db, &a.tokens)?
                .access_log()
                .map_err(|e| fail(e.into()))?;
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
        format!(
            "Åtkomstlogg: API-token och konton ({})",
            counted(log.len() as u64, "händelse", "händelser")
        ),
        &[
            "Nr",
            "Tid (UTC)",
            "Av",
            "Händelse",
            "Token eller konto",
            "Roll",
            "Giltig t.o.m.",
            "Adress",
            "Anledning",
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
            Cell::text(e.role.map_or("–", Role::name)),
            Cell::text(
                e.expires_at
                    .map_or("–".to_string(), |x| valid_through(x).to_string()),
            ),
            Cell::text(&e.address),
            Cell::text(&e.detail),
            Cell::text(&hex(hash)[..10]),
        ]));
    }
    t
}
