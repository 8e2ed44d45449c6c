//! The writer's state and how it is kept true to the store: loaded once, caught up from its head
//! with what other processes sharing the store appended, set back by the journals of appends that
//! lost their commit, and read again from the store only after any other failure.

use super::{commit, Ledger, LedgerError, Writer, CONFLICT_RETRIES_MAX};
use crate::domain::validate::Known;
use crate::index;
use crate::store::{Head, Store};
use chrono::{DateTime, Utc};

impl<S: Store> Ledger<S> {
    /// The writer, its state loaded, once the log ends at `expected_seq` when one is given.
    pub(super) fn writer_at(
        &self,
        expected_seq: Option<u64>,
    ) -> Result<std::sync::MutexGuard<'_, Writer>, LedgerError> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        match self.take_stale() {
            commit::Stale::No => {}
            commit::Stale::Conflict(journals) if w.known.is_some() && !journals.is_empty() => {
                // Take the appends that lost back out, the last first, and start from the head
                // before the first of them; `catch_up` below reads what the other process wrote.
                self.drain();
                let Writer {
                    known: Some((known, context)),
                    ..
                } = &mut *w
                else {
                    unreachable!("checked above")
                };
                let mut first = None;
                for j in journals.into_iter().rev() {
                    known.undo(j.known);
                    context.undo(j.context);
                    first = Some((j.head, j.index_head, j.last_recorded_at));
                }
                if let Some((head, index_head, last)) = first {
                    w.head = head;
                    w.index_head = index_head;
                    w.last_recorded_at = last;
                }
            }
            _ => w.known = None,
        }
        if w.known.is_none() {
            self.reload(&mut w)?;
        } else if self.store.shared() && self.idle() {
            self.catch_up(&mut w)?;
        }
        if let Some(expected) = expected_seq {
            if expected != w.head.seq {
                return Err(LedgerError::Conflict {
                    expected,
                    actual: w.head.seq,
                });
            }
        }
        Ok(w)
    }

    /// Brings the writer up to what other processes sharing the store appended: the records
    /// after its head, applied to its state, up to the head the index covers.
    fn catch_up(&self, w: &mut Writer) -> Result<(), LedgerError> {
        let index_head = self.index_head()?;
        if index_head.seq == w.head.seq {
            return Ok(());
        }
        if index_head.seq < w.head.seq {
            // The store went back (a database restored, a standby behind): start again from it.
            return self.reload(w);
        }
        let Some((known, context)) = w.known.as_mut() else {
            return Ok(());
        };
        let mut head = w.head;
        let mut last = w.last_recorded_at;
        let applied = self.scan_raw(w.head.seq + 1, Some(index_head.seq), |r, raw| {
            self.count_state_read();
            known.apply(&r.event, &r.recorded_by);
            context.entries(r.seq, r.recorded_at, &r.event, raw);
            head = Head {
                seq: r.seq,
                hash: r.hash,
            };
            last = Some(r.recorded_at);
            Ok(())
        });
        if let Err(e) = applied {
            // Half applied: read it all again on the next append.
            w.known = None;
            return Err(e);
        }
        w.head = head;
        w.last_recorded_at = last;
        w.index_head = index_head;
        Ok(())
    }

    /// Reads the writer's state again from the store, once everything queued has reached it:
    /// head, index head, and what validation and the index know, all at one sequence number
    /// (another process sharing the store may append while this reads).
    fn reload(&self, w: &mut Writer) -> Result<(), LedgerError> {
        self.drain();
        let mut tries = 0;
        let (head, index_head) = loop {
            let head = self.store.head()?;
            let index_head = self.index_head()?;
            tries += 1;
            if index_head.seq == head.seq || !self.store.shared() || tries >= CONFLICT_RETRIES_MAX {
                break (head, index_head);
            }
        };
        let (known, context, last_at) = self.load_known(head.seq)?;
        w.head = head;
        w.known = Some((known, context));
        w.last_recorded_at = last_at;
        w.index_head = index_head;
        Ok(())
    }

    fn load_known(
        &self,
        until: u64,
    ) -> Result<(Known, index::Context, Option<DateTime<Utc>>), LedgerError> {
        let mut known = Known::default();
        let mut context = index::Context::default();
        let mut last = None;
        self.scan_raw(1, Some(until), |r, raw| {
            self.count_state_read();
            known.apply(&r.event, &r.recorded_by);
            context.entries(r.seq, r.recorded_at, &r.event, raw);
            last = Some(r.recorded_at);
            Ok(())
        })?;
        Ok((known, context, last))
    }
}
