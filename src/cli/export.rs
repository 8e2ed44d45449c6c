//! `rambok export --year Y --format xlsx|csv --out PATH`: everything a revisor takes away for a
//! year — frames, bridges, internal budgets, outcomes, investments, goals, the full audit trail
//! with hashes, and the control findings — as one workbook or a folder of CSV files, in the unit,
//! sign convention and decimals asked for.

use super::{open_existing, CliError, Result};
use crate::domain::amount::Unit;
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
    Xlsx,
    /// A folder with one semicolon-separated file per sheet.
    Csv,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[arg(long)]
    pub year: i32,
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: ExportFormat,
    /// The workbook file (xlsx) or folder (csv) to write.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// The delegation table for the control sheet; Kalmar's when not given.
    #[arg(long, env = "RAMBOK_DELEGATION", value_name = "FILE")]
    pub delegation: Option<PathBuf>,
    /// The unit of every amount: kr, tkr or mnkr.
    #[arg(long, default_value = "tkr")]
    pub unit: Unit,
    #[arg(long, value_enum, default_value = "cost")]
    pub sign: SignArg,
    /// Decimals of every amount (default: 0, and 1 on the outcome sheet).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=5))]
    pub decimals: Option<u32>,
}

/// What the files call the ledger: its folder's name.
pub fn ledger_name(db: &Path) -> String {
    let named = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    named(db)
        .or_else(|| db.canonicalize().ok().as_deref().and_then(named))
        .unwrap_or_else(|| "rambok".to_string())
}

pub fn run(db: &Path, a: ExportArgs, out: &mut dyn Write) -> Result<()> {
    let (delegation, _) = super::audit::load_delegation(a.delegation.as_deref())?;
    let ledger = open_existing(db)?;
    let records = ledger.records()?;
    let mut sheets = sheets(&records, a.year, &delegation);
    set_decimals(&mut sheets, a.decimals);
    let stamp = stamp(&records, &ledger_name(db));
    let sign = a.sign.into();
    let fail = |e: std::io::Error| CliError::Io(format!("{}: cannot write: {e}", a.out.display()));
    match a.format {
        ExportFormat::Xlsx => {
            let figures = Figures { unit: a.unit, sign };
            let bytes = workbook(&sheets, figures, &stamp)
                .map_err(|e| CliError::Io(format!("cannot build the workbook: {e}")))?;
            std::fs::write(&a.out, bytes).map_err(fail)?;
        }
        ExportFormat::Csv => {
            std::fs::create_dir_all(&a.out).map_err(fail)?;
            for s in &sheets {
                let style = Style::csv(a.unit, s.decimals, sign);
                let file = a.out.join(format!("{}.csv", s.name));
                std::fs::write(&file, render_csv_file(&s.tables, &style, &stamp))
                    .map_err(|e| CliError::Io(format!("{}: cannot write: {e}", file.display())))?;
            }
        }
    }
    writeln!(
        out,
        "wrote {} sheets for {} in {} ({} events in the audit trail) to {}",
        sheets.len(),
        a.year,
        a.unit.name(),
        records.len(),
        a.out.display()
    )
    .map_err(super::io)
}
