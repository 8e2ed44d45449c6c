//! A dry run of the write path: events validated exactly as an append validates them (the same
//! recorder check, the same `check` against the writer's state and the events before them in the
//! batch, the same limits), and nothing written. A page previews an entry with it before anyone
//! confirms it.
//!
//! Why not an appender dropped before its commit: that leaves nothing in the log either, but it
//! throws the writer's state away (its events were applied to it), and the next append rebuilds
//! the state by reading the whole log. Here the batch is applied to a state of its own, staged
//! beside the writer's ([`View`]), which stays as it was.

use super::{check_recorder, Ledger, LedgerError, BATCH_EVENTS_MAX};
use crate::domain::event::Event;
use crate::domain::validate::{check, Known, Verdict, View};
use crate::store::Store;

/// What an append of the same events would do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DryRun {
    /// Events that would be added.
    pub added: usize,
    /// Events already in the ledger (same id, same content), which would be skipped.
    pub skipped: usize,
    /// The head the events were checked against: an append that expects it adds exactly them.
    pub head_seq: u64,
}

impl<S: Store> Ledger<S> {
    /// Validates `events`, to be recorded by `recorded_by`, as one batch against the ledger as it
    /// is (or fails with a conflict unless the log ends at `expected_seq`); writes nothing and
    /// leaves the writer's state as it was. Holds the writer lock while it checks.
    pub fn dry_run(
        &self,
        events: &[Event],
        recorded_by: &str,
        expected_seq: Option<u64>,
    ) -> Result<DryRun, LedgerError> {
        let recorded_by = check_recorder(recorded_by)?;
        if events.len() > BATCH_EVENTS_MAX {
            return Err(LedgerError::BatchTooLarge(events.len()));
        }
        let w = self.writer_at(expected_seq)?;
        let (known, _) = w.known.as_ref().expect("loaded by writer_at");
        let mut staged = Known::default();
        let mut added = 0;
        for (index, event) in events.iter().enumerate() {
            let view = View {
                base: known,
                staged: &staged,
            };
            match check(&view, event, &recorded_by) {
                Ok(Verdict::AlreadyPresent) => {}
                Ok(Verdict::New) => {
                    staged.apply(event, &recorded_by);
                    added += 1;
                }
                Err(error) => return Err(LedgerError::Rejected { index, error }),
            }
        }
        Ok(DryRun {
            added,
            skipped: events.len() - added,
            head_seq: w.head.seq,
        })
    }
}
