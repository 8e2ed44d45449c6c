//! `rambok copy --from DB --to DB`: a ledger moved between engines (sled ↔ PostgreSQL, or to
//! another folder or database) with its record bytes and hash chain as they are. The source's
//! chain is verified first; the blocks are staged beyond the target's head and made visible in
//! one step; the target's index is built from the copied log; then the target is verified and
//! must end at the source's head and hash.

use super::{open_existing, target, CliError, Ledger, Result};
use crate::control::verify;
use crate::lang::counted;
use crate::ledger::LedgerError;
use crate::store::folder::{self, Folder};
use crate::store::pg::PgStore;
use crate::store::target::Target;
use crate::store::{Block, Engine, Store};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Blocks staged per step while a ledger is copied.
const BLOCKS_PER_STEP: usize = 256;

#[derive(clap::Args, Debug)]
pub struct CopyArgs {
    /// Liggaren att kopiera från (en mapp eller postgres://…).
    #[arg(long, value_name = "DB")]
    pub from: PathBuf,
    /// Den nya liggaren (en mapp som inte finns, eller postgres://…?ledger=NAMN utan poster).
    #[arg(long, value_name = "DB")]
    pub to: PathBuf,
}

/// Opens the target: a new folder, or a PostgreSQL ledger created now or still empty.
fn open_target(to: &Path) -> Result<Engine> {
    let refused = |shown: &str| {
        CliError::Input(format!(
            "--to: det finns redan en liggare med poster i {shown}; kopiera till en ny liggare"
        ))
    };
    let engine = match target(to)? {
        Target::Folder(path) => {
            if folder::inspect(&path).map_err(LedgerError::from)? != Folder::Absent {
                return Err(refused(&to.display().to_string()));
            }
            Engine::open(&Target::Folder(path)).map_err(LedgerError::from)?
        }
        Target::Postgres(url) => Engine::Postgres(Box::new(
            PgStore::create(&url).map_err(LedgerError::from)?.0,
        )),
    };
    if engine.head().map_err(LedgerError::from)?.seq != 0 {
        return Err(refused(&engine.shown()));
    }
    Ok(engine)
}

pub fn run(a: CopyArgs, out: &mut dyn Write) -> Result<()> {
    let source = open_existing(&a.from)?;
    let checked = verify::verify(&source)?;
    let target = open_target(&a.to)?;
    if checked.head.seq > 0 {
        let mut step: Vec<Block> = Vec::with_capacity(BLOCKS_PER_STEP);
        for block in source.store().blocks(1, checked.head.seq) {
            step.push(block.map_err(LedgerError::from)?);
            if step.len() == BLOCKS_PER_STEP {
                target.stage(1, &step, &[]).map_err(LedgerError::from)?;
                step.clear();
            }
        }
        // The blocks become visible with the head, in one step: a copy cut short leaves the
        // target empty.
        if !step.is_empty() {
            target.stage(1, &step, &[]).map_err(LedgerError::from)?;
        }
        target
            .append_with(&[], checked.head, &[], &[1])
            .and_then(|()| target.sync())
            .map_err(LedgerError::from)?;
    }
    // Whatever index an empty target had (`rambok init` writes one) is for no records: opening
    // builds the index from the copied log.
    target.clear_derived().map_err(LedgerError::from)?;
    let copied = Ledger::with_store(target)?;
    let done = verify::verify(&copied)?;
    if done.head != checked.head {
        return Err(CliError::Ledger(LedgerError::Corrupt {
            seq: done.head.seq,
            kind: crate::ledger::Damage::Missing,
            what: format!(
                "kopian slutar vid sekvens {} men källan vid {}",
                done.head.seq, checked.head.seq
            ),
        }));
    }
    writeln!(
        out,
        "kopierade {} från {} till {}; hashkedjan stämmer i båda\nsenaste: sekvens {} hash {}",
        counted(done.head.seq, "post", "poster"),
        source.store().shown(),
        copied.store().shown(),
        done.head.seq,
        verify::hex(&done.head.hash)
    )
    .map_err(super::io)
}
