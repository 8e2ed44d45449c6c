//! `rambok report <name>`: a question to the query layer, printed as a Swedish table, CSV or JSON.

use super::{open_existing, CliError, Result};
use crate::query::{self, options};
pub use crate::query::{Common, Format, Rendered, Report, SignArg};
use std::io::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub report: Report,
    #[command(flatten)]
    pub common: Common,
}

/// Parses the two clocks.
pub fn clock(c: &Common) -> Result<crate::projection::Clock> {
    options::clock(c).map_err(CliError::Input)
}

/// Writes a rendered report in the chosen format.
pub fn print(rendered: &Rendered, c: &Common, out: &mut dyn Write) -> Result<()> {
    let text = query::render(rendered, c).map_err(CliError::Input)?;
    out.write_all(text.as_bytes()).map_err(super::io)
}

pub fn run(db: &Path, args: ReportArgs, out: &mut dyn Write) -> Result<()> {
    let clock = clock(&args.common)?;
    let ledger = open_existing(db)?;
    if args.common.format == Format::Svg {
        if let Report::Bridge { office, from, to } = &args.report {
            let b = query::bridge(&ledger, office, *from, *to, &clock)?;
            return out
                .write_all(
                    crate::report::svg::waterfall(&b, &query::options::style(&args.common, 0))
                        .as_bytes(),
                )
                .map_err(super::io);
        }
    }
    let rendered = query::answer(&ledger, &args.report, &clock)?;
    print(&rendered, &args.common, out)
}
