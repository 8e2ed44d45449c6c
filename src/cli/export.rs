//! `rambok export --year Y --format xlsx|csv --out PATH`: everything a revisor takes away for a
//! year — frames, bridges, internal budgets, outcomes, investments, goals, the full audit trail
//! with hashes, and the control findings — as one workbook or a folder of CSV files, in the unit,
//! sign convention and decimals asked for.

use super::{open_existing, CliError, Result};
use crate::domain::amount::Unit;
use crate::lang::counted;
pub use crate::query::export::sheets;
use crate::query::export::{set_decimals, stamp};
use crate::query::SignArg;
use crate::report::number::Style;
use crate::report::table::render_csv_file;
use crate::report::xlsx::{workbook, Figures};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// En arbetsbok för Excel och andra kalkylprogram.
    Xlsx,
    /// En mapp med en semikolonseparerad fil per blad.
    Csv,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Budgetåret.
    #[arg(long)]
    pub year: i32,
    /// Arbetsbok eller CSV-filer.
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: ExportFormat,
    /// Arbetsboken (xlsx) eller mappen (csv) att skriva.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// En delegationsordning (JSON) för kontrollbladet i stället för liggarens egna.
    #[arg(long, env = "RAMBOK_DELEGATION", value_name = "FILE")]
    pub delegation: Option<PathBuf>,
    /// Enheten för alla belopp: kr, tkr eller mnkr.
    #[arg(long, default_value = "tkr")]
    pub unit: Unit,
    /// Teckenkonventionen.
    #[arg(long, value_enum, default_value = "cost")]
    pub sign: SignArg,
    /// Antal decimaler för alla belopp (standard: 0, och 1 på utfallsbladet).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=5))]
    pub decimals: Option<u32>,
}

/// What the files call the ledger: its folder's name.
pub fn ledger_name(db: &Path) -> String {
    if let Ok(crate::store::target::Target::Postgres(url)) = crate::store::target::Target::parse(db)
    {
        return url.ledger;
    }
    let named = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    named(db)
        .or_else(|| db.canonicalize().ok().as_deref().and_then(named))
        .unwrap_or_else(|| "rambok".to_string())
}

pub fn run(db: &Path, a: ExportArgs, out: &mut dyn Write) -> Result<()> {
    let delegation = super::audit::load_delegation(a.delegation.as_deref())?;
    let ledger = open_existing(db)?;
    let records = ledger.records()?;
    let mut sheets = sheets(&records, a.year, delegation.as_ref());
    set_decimals(&mut sheets, a.decimals);
    let stamp = stamp(&records, &ledger_name(db));
    let sign = a.sign.into();
    let fail = |e: std::io::Error| {
        CliError::Io(format!(
            "{}: kan inte skrivas: {}",
            a.out.display(),
            crate::lang::io_error(&e)
        ))
    };
    match a.format {
        ExportFormat::Xlsx => {
            let figures = Figures { unit: a.unit, sign };
            let bytes = workbook(&sheets, figures, &stamp)
                .map_err(|e| CliError::Io(format!("arbetsboken kunde inte byggas: {e}")))?;
            std::fs::write(&a.out, bytes).map_err(fail)?;
        }
        ExportFormat::Csv => {
            std::fs::create_dir_all(&a.out).map_err(fail)?;
            for s in &sheets {
                let style = Style::csv(a.unit, s.decimals, sign);
                let file = a.out.join(format!("{}.csv", s.name));
                std::fs::write(&file, render_csv_file(&s.tables, &style, &stamp))
                    .map_err(|e| super::cannot_write(&file, &e))?;
            }
        }
    }
    writeln!(
        out,
        "skrev {} för {} i {} ({} i verifikationskedjan) till {}",
        counted(sheets.len() as u64, "blad", "blad"),
        a.year,
        a.unit.name(),
        counted(records.len() as u64, "händelse", "händelser"),
        a.out.display()
    )
    .map_err(super::io)
}
