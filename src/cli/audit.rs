//! `rambok history`, `diff` and `control`: the auditor's and revisor's commands.

use super::report::{clock, print, Common, Format};
use super::{open_existing, CliError, Result};
use crate::control::delegation::Delegation;
use crate::control::rules::{control, Report, Settings};
use crate::json::parse_date;
use crate::query;
use crate::store::record::Recorded;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    /// Förvaltningens kod, t.ex. KLK.
    #[arg(long)]
    pub office: String,
    /// Budgetåret.
    #[arg(long)]
    pub year: i32,
    /// Ett verksamhetsområdes internbudget i stället för budgetramen.
    #[arg(long)]
    pub area: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// Datumet att jämföra från (ÅÅÅÅ-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Datumet att jämföra till (ÅÅÅÅ-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(clap::Args, Debug)]
pub struct ControlArgs {
    /// Budgetåret.
    #[arg(long)]
    pub year: i32,
    /// En delegationsordning (JSON, se docs/control.md) att pröva besluten mot i stället för
    /// liggarens egna (delegation_set).
    #[arg(long, env = "RAMBOK_DELEGATION", value_name = "FILE")]
    pub delegation: Option<PathBuf>,
    /// Antal dagar mellan beslut och registrering efter vilka en händelse räknas som sent
    /// registrerad.
    #[arg(long, default_value_t = 30)]
    pub late_days: i64,
    #[command(flatten)]
    pub common: Common,
}

fn all(db: &Path) -> Result<Vec<Recorded>> {
    Ok(open_existing(db)?.records()?)
}

pub fn run_history(db: &Path, a: HistoryArgs, out: &mut dyn Write) -> Result<()> {
    let clock = clock(&a.common)?;
    let ledger = open_existing(db)?;
    if a.common.format == Format::Svg {
        if a.area.is_some() {
            return Err(CliError::Input(
                "--format svg ritar budgetramens brygga; utelämna --area".into(),
            ));
        }
        let b = query::bridge(&ledger, &a.office, a.year - 1, a.year, &clock)?;
        return out
            .write_all(
                crate::report::svg::waterfall(&b, &query::options::style(&a.common, 0)).as_bytes(),
            )
            .map_err(super::io);
    }
    let h = query::history(&ledger, &a.office, a.year, a.area.as_deref(), &clock)?;
    print(&query::history_rendered(&h, &clock), &a.common, out)
}

pub fn run_diff(db: &Path, a: DiffArgs, out: &mut dyn Write) -> Result<()> {
    let c = clock(&a.common)?;
    let from = parse_date(&a.from).map_err(|e| CliError::Input(format!("--from: {e}")))?;
    let to = parse_date(&a.to).map_err(|e| CliError::Input(format!("--to: {e}")))?;
    if to < from {
        return Err(CliError::Input(format!(
            "--to {to} ligger före --from {from}"
        )));
    }
    let d = query::diff(&open_existing(db)?, from, to, c.known_at)?;
    print(&query::diff_rendered(&d), &a.common, out)
}

/// The delegation order in `file`, with the name to cite it by; `None` without a file (the
/// ledger's own orders are tried).
pub fn load_delegation(file: Option<&Path>) -> Result<Option<(Delegation, String)>> {
    let Some(f) = file else { return Ok(None) };
    let text = std::fs::read_to_string(f).map_err(|e| {
        CliError::Input(format!(
            "{}: kan inte läsas: {}",
            f.display(),
            crate::lang::io_error(&e)
        ))
    })?;
    let name = f.display().to_string();
    let delegation =
        Delegation::parse(&text).map_err(|e| CliError::Input(format!("{name}: {e}")))?;
    Ok(Some((delegation, name)))
}

/// Runs the controls; returns the report so `main` can set the exit code.
pub fn run_control(db: &Path, a: ControlArgs, out: &mut dyn Write) -> Result<Report> {
    let delegation = load_delegation(a.delegation.as_deref())?;
    let records = all(db)?;
    let report = control(
        &records,
        &Settings {
            year: a.year,
            late_days: a.late_days,
            delegation,
        },
    );
    print(&query::control_rendered(&report), &a.common, out)?;
    Ok(report)
}
