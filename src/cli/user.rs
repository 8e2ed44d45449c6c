//! `rambok user add|list|disable|enable|passwd|grant`: accounts for people, who sign in on the page
//! with a name and a password. The password is read from the terminal without echo (asked twice),
//! or with `--password-stdin` from standard input for scripts; never from a flag, where it would
//! stay in the shell's history and the process list. Every change goes to the access log with who
//! made it (`--by`, else the OS user). Like tokens, accounts are managed here while the server is
//! stopped; while it runs, an admin manages them on the page or through `/api/users`.

use super::token::{actor, role_of, Actor, RoleArg};
use super::{open_existing, CliError, Result};
use crate::ledger::LedgerError;
use crate::server::users::{check_password, UserError, UserStore, PASSWORD_BYTES_MAX};
use chrono::Utc;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct UserArgs {
    /// Används inte längre: API-token, konton och åtkomstlogg finns i liggarens mapp, eller för
    /// en liggare i PostgreSQL i databasen; anges den vägras kommandot.
    #[arg(long, env = "RAMBOK_TOKENS", value_name = "DIR", hide = true)]
    pub tokens: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub action: UserAction,
}

/// Where the password comes from.
#[derive(clap::Args, Debug)]
pub struct PasswordFrom {
    /// Läs lösenordet från standard in (för skript; ett avslutande radslut tas bort) i stället
    /// för att fråga efter det i terminalen.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum UserAction {
    /// Skapa ett konto; lösenordet frågas efter i terminalen (utan eko), eller läses med
    /// --password-stdin.
    Add {
        /// Kontots namn; det sparas med varje händelse kontot lägger till.
        name: String,
        /// Vad kontot får göra.
        #[arg(long, value_enum)]
        role: RoleArg,
        #[command(flatten)]
        password: PasswordFrom,
        #[command(flatten)]
        actor: Actor,
    },
    /// Kontonas namn, roller, när de skapades och om de är avstängda (aldrig lösenorden).
    List,
    /// Stäng av ett konto: det kan inte längre logga in (konton tas aldrig bort).
    Disable {
        /// Kontots namn.
        name: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Öppna ett avstängt konto igen.
    Enable {
        /// Kontots namn.
        name: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Sätt ett nytt lösenord för ett konto.
    Passwd {
        /// Kontots namn.
        name: String,
        #[command(flatten)]
        password: PasswordFrom,
        #[command(flatten)]
        actor: Actor,
    },
    /// Ge ett konto en annan roll.
    Grant {
        /// Kontots namn.
        name: String,
        /// Den nya rollen.
        #[arg(long, value_enum)]
        role: RoleArg,
        #[command(flatten)]
        actor: Actor,
    },
}

fn users(db: &Path, folder: &Option<std::path::PathBuf>) -> Result<UserStore> {
    let ledger = open_existing(db)?;
    Ok(super::serve::token_store(&ledger, folder)?.0.users())
}

fn fail(e: UserError) -> CliError {
    match e {
        UserError::Store(s) => CliError::Ledger(LedgerError::Store(s)),
        other => CliError::Input(other.to_string()),
    }
}

/// The password: from standard input with `--password-stdin`, else asked for twice on the
/// terminal without echo; refused (before the store is opened) when it breaks the rules.
fn password(from: &PasswordFrom, name: &str) -> Result<String> {
    let password = if from.password_stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(PASSWORD_BYTES_MAX as u64 + 3)
            .read_to_end(&mut bytes)
            .map_err(super::io)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| CliError::Input("--password-stdin: lösenordet är inte UTF-8".into()))?;
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        text.to_string()
    } else {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Input(
                "lösenordet frågas efter i en terminal, och standard in är ingen; skicka det på standard in med --password-stdin".into(),
            ));
        }
        let first = rpassword::prompt_password(format!("Lösenord för {}: ", name.trim()))
            .map_err(super::io)?;
        check_password(&first).map_err(fail)?;
        let again = rpassword::prompt_password("Samma lösenord igen: ").map_err(super::io)?;
        if again != first {
            return Err(CliError::Input(
                "lösenorden är inte lika; inget ändrades".into(),
            ));
        }
        first
    };
    check_password(&password).map_err(|e| match from.password_stdin {
        true => CliError::Input(format!("--password-stdin: {e}")),
        false => fail(e),
    })?;
    Ok(password)
}

pub fn run(db: &Path, a: UserArgs, out: &mut dyn Write) -> Result<()> {
    let now = Utc::now();
    match a.action {
        UserAction::Add {
            name,
            role,
            password: from,
            actor: who,
        } => {
            let by = actor(who)?;
            crate::server::users::check_name(&name).map_err(fail)?;
            let password = password(&from, &name)?;
            let role = role_of(role);
            let added = users(db, &a.tokens)?
                .add(&name, role, &password, &by, now)
                .map_err(fail)?;
            writeln!(
                out,
                "skapade kontot '{}' med rollen {}; det kan logga in på sidan",
                added.name,
                role.name()
            )
            .map_err(super::io)
        }
        UserAction::List => {
            for u in users(db, &a.tokens)?.list().map_err(|e| fail(e.into()))? {
                let created = chrono::DateTime::parse_from_rfc3339(&u.created_at).map_or_else(
                    |_| u.created_at.clone(),
                    |at| crate::domain::time::shown(at.with_timezone(&Utc)),
                );
                let state = if u.disabled { "avstängt" } else { "aktivt" };
                writeln!(
                    out,
                    "{:<10}  {:<24}  {created}  {state}",
                    u.role.name(),
                    u.name
                )
                .map_err(super::io)?;
            }
            Ok(())
        }
        UserAction::Disable { name, actor: who } => {
            let by = actor(who)?;
            let u = users(db, &a.tokens)?
                .disable(&name, &by, now)
                .map_err(fail)?;
            writeln!(out, "stängde av kontot '{}'", u.name).map_err(super::io)
        }
        UserAction::Enable { name, actor: who } => {
            let by = actor(who)?;
            let u = users(db, &a.tokens)?
                .enable(&name, &by, now)
                .map_err(fail)?;
            writeln!(out, "öppnade kontot '{}' igen", u.name).map_err(super::io)
        }
        UserAction::Passwd {
            name,
            password: from,
            actor: who,
        } => {
            let by = actor(who)?;
            let password = password(&from, &name)?;
            let u = users(db, &a.tokens)?
                .set_password(&name, &password, &by, now)
                .map_err(fail)?;
            writeln!(out, "satte ett nytt lösenord för kontot '{}'", u.name).map_err(super::io)
        }
        UserAction::Grant {
            name,
            role,
            actor: who,
        } => {
            let by = actor(who)?;
            let u = users(db, &a.tokens)?
                .set_role(&name, role_of(role), &by, now)
                .map_err(fail)?;
            writeln!(out, "kontot '{}' har nu rollen {}", u.name, u.role.name()).map_err(super::io)
        }
    }
}
