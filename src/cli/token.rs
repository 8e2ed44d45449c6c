//! `rambok token add|list|remove`: API tokens for `rambok serve`. A token is shown once, when it is
//! made; the store keeps its SHA-256 with the holder's name and role. Tokens are managed while the
//! server is stopped (it holds the store).

use super::{open_existing, CliError, Result};
use crate::ledger::LedgerError;
use crate::server::auth::{Role, TokenError, TokenStore};
use chrono::Utc;
use std::io::Write;
use std::path::Path;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleArg {
    /// Reads and appends events.
    Controller,
    /// Reads, verifies and runs the controls.
    Auditor,
    /// Reads, verifies and runs the controls (the elected revisors).
    Revisor,
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
    },
    /// The tokens' names, roles and creation times (never the tokens).
    List,
    /// Revoke a token.
    Remove {
        #[arg(long)]
        name: String,
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

pub fn run(db: &Path, a: TokenArgs, out: &mut dyn Write) -> Result<()> {
    let store = tokens(db)?;
    match a.action {
        TokenAction::Add { role, name } => {
            let role = match role {
                RoleArg::Controller => Role::Controller,
                RoleArg::Auditor => Role::Auditor,
                RoleArg::Revisor => Role::Revisor,
            };
            let token = store.add(&name, role, Utc::now()).map_err(fail)?;
            writeln!(out, "{token}").map_err(super::io)?;
            eprintln!(
                "rambok: a {} token for '{}'; it is shown only now, so keep it safe (use it as `Authorization: Bearer TOKEN`, or RAMBOK_TOKEN with --server)",
                role.name(),
                name.trim()
            );
            Ok(())
        }
        TokenAction::List => {
            for t in store.list().map_err(|e| fail(e.into()))? {
                writeln!(
                    out,
                    "{:<10}  {:<24}  {}",
                    t.role.name(),
                    t.name,
                    chrono::DateTime::parse_from_rfc3339(&t.created_at).map_or_else(
                        |_| t.created_at.clone(),
                        |at| crate::domain::time::shown(at.with_timezone(&chrono::Utc))
                    )
                )
                .map_err(super::io)?;
            }
            Ok(())
        }
        TokenAction::Remove { name } => {
            if store.remove(&name).map_err(fail)? {
                writeln!(out, "removed the token '{}'", name.trim()).map_err(super::io)
            } else {
                Err(CliError::Input(format!(
                    "there is no token named '{}'",
                    name.trim()
                )))
            }
        }
    }
}
