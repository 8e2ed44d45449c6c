//! An append in progress: events pushed one at a time are validated against the writer's state,
//! encoded into blocks (staged beyond the head when many), and made visible at once on commit.

use super::commit::{Group, Journal};
use super::{
    Appended, Ledger, LedgerError, Writer, BATCH_EVENTS_MAX, BLOCK_BYTES_MAX, BLOCK_RECORDS_MAX,
};
use crate::domain::event::Event;
use crate::domain::validate::{check, Known, Verdict, View};
use crate::index::{self, Digester, IndexHead};
use crate::store::record;
use crate::store::{Block, Derived, Head, Store};
use chrono::{DateTime, Utc};

/// Blocks an appender keeps in memory before writing them, still invisible, beyond the head.
const PENDING_BLOCKS_MAX: usize = 64;
/// Bytes of index entries an appender keeps before staging them as runs: the more it groups,
/// the fewer keys a bulk import writes.
const PENDING_INDEX_BYTES_MAX: usize = 8 << 20;

/// An append in progress; see [`Ledger::begin`].
pub struct Appender<'l, S: Store> {
    ledger: &'l Ledger<S>,
    writer: std::sync::MutexGuard<'l, Writer>,
    /// Always empty: the events of this batch are applied to the writer's state as they come.
    nothing_staged: Known,
    /// Whether the writer's state holds events of this batch (to be thrown away if it fails).
    applied: bool,
    recorded_by: String,
    at: DateTime<Utc>,
    /// The head as it will be if this append commits.
    head: Head,
    block: Block,
    in_block: usize,
    pending: Vec<Block>,
    wrote_staged: bool,
    /// The index entries of this append's records not yet written (staged as runs).
    derived: Vec<Derived>,
    derived_bytes: usize,
    /// Catalogue markers this append adds: written with the head, never staged.
    markers: Vec<Derived>,
    /// The index's running digest as it will be if this append commits.
    digest: [u8; 32],
    seen: usize,
    added: usize,
    done: bool,
    /// How to take this append's events back out of the writer's state.
    journal: Option<Journal>,
}

impl<'l, S: Store> Appender<'l, S> {
    pub(super) fn new(
        ledger: &'l Ledger<S>,
        writer: std::sync::MutexGuard<'l, Writer>,
        recorded_by: &str,
        at: DateTime<Utc>,
    ) -> Appender<'l, S> {
        let head = writer.head;
        let digest = writer.index_head.digest;
        let journal = Journal {
            known: Default::default(),
            context: Default::default(),
            head,
            index_head: writer.index_head,
            last_recorded_at: writer.last_recorded_at,
        };
        Appender {
            ledger,
            writer,
            nothing_staged: Known::default(),
            applied: false,
            recorded_by: recorded_by.to_string(),
            at,
            head,
            block: Block {
                first_seq: head.seq + 1,
                bytes: Vec::new(),
            },
            in_block: 0,
            pending: Vec::new(),
            wrote_staged: false,
            derived: Vec::new(),
            derived_bytes: 0,
            markers: Vec::new(),
            digest,
            seen: 0,
            added: 0,
            done: false,
            journal: Some(journal),
        }
    }

    /// Validates one event against the ledger and the events pushed before it, and encodes it.
    /// A duplicate of a known event (same id, same content) is counted and skipped.
    pub fn push(&mut self, event: &Event) -> Result<(), LedgerError> {
        let index = self.seen;
        self.seen += 1;
        if self.seen > BATCH_EVENTS_MAX {
            return Err(LedgerError::BatchTooLarge(self.seen));
        }
        // Validated against, and applied straight to, the writer's state: no copy of it per batch.
        // Should the append not commit, Drop throws the state away to be rebuilt from the log.
        let (known, context) = self.writer.known.as_mut().expect("loaded by begin");
        let view = View {
            base: known,
            staged: &self.nothing_staged,
        };
        match check(&view, event, &self.recorded_by) {
            Ok(Verdict::AlreadyPresent) => return Ok(()),
            Ok(Verdict::New) => {}
            Err(error) => return Err(LedgerError::Rejected { index, error }),
        }
        let journal = self.journal.as_mut().expect("kept until commit");
        known.apply_logged(event, &self.recorded_by, &mut journal.known);
        self.applied = true;
        let seq = self.head.seq + 1;
        let (bytes, hash) = record::encode(&self.head.hash, seq, self.at, &self.recorded_by, event);
        let mut digest = Digester::after(&self.digest);
        for (k, v) in context.entries_logged(seq, self.at, event, &bytes, &mut journal.context) {
            digest.add(&k, &v);
            if index::is_marker(&k) {
                self.markers.push((k, v));
            } else {
                self.derived_bytes += k.len() + v.len();
                self.derived.push((k, v));
            }
        }
        self.digest = digest.finish();
        if self.in_block > 0
            && (self.in_block == BLOCK_RECORDS_MAX
                || self.block.bytes.len() + bytes.len() > BLOCK_BYTES_MAX)
        {
            let full = std::mem::replace(
                &mut self.block,
                Block {
                    first_seq: seq,
                    bytes: Vec::new(),
                },
            );
            self.pending.push(full);
            self.in_block = 0;
        }
        self.block.bytes.extend_from_slice(&bytes);
        self.in_block += 1;
        self.head = Head { seq, hash };
        self.added += 1;
        if self.pending.len() >= PENDING_BLOCKS_MAX {
            self.wrote_staged = true;
            let from = self.writer.head.seq + 1;
            let runs = if self.derived_bytes >= PENDING_INDEX_BYTES_MAX {
                self.derived_bytes = 0;
                index::runs::runs(&std::mem::take(&mut self.derived))
            } else {
                Vec::new()
            };
            self.ledger.store.stage(from, &self.pending, &runs)?;
            self.pending.clear();
        }
        Ok(())
    }

    /// The events pushed so far that would be added, and those skipped as already held.
    pub fn counts(&self) -> (usize, usize) {
        (self.added, self.seen - self.added)
    }

    /// Queues every pushed event to be made visible at once (group commit), then waits until it
    /// is durable.
    pub fn commit(mut self) -> Result<Appended, LedgerError> {
        let (added, skipped) = (self.added, self.seen - self.added);
        let head = self.head;
        let mut ticket = None;
        if added > 0 {
            if self.in_block > 0 {
                let last = std::mem::replace(
                    &mut self.block,
                    Block {
                        first_seq: 0,
                        bytes: Vec::new(),
                    },
                );
                self.pending.push(last);
            }
            let index_head = IndexHead {
                seq: head.seq,
                digest: self.digest,
            };
            let mut derived = index::runs::runs(&std::mem::take(&mut self.derived));
            derived.append(&mut self.markers);
            let blocks = std::mem::take(&mut self.pending);
            let journal = self.journal.take().expect("kept until commit");
            let (group, t) = Group::new(
                blocks,
                derived,
                head,
                index_head,
                self.staged_from(),
                journal,
            );
            // Refused when a commit before it failed: this append was chained onto it.
            if let Err(refused) = self.ledger.enqueue(group) {
                let (error, journal) = *refused;
                self.journal = journal;
                return Err(error);
            }
            self.writer.head = head;
            self.writer.index_head = index_head;
            self.writer.last_recorded_at = Some(self.at);
            ticket = Some(t);
            self.applied = false;
        }
        self.done = true;
        let ledger = self.ledger;
        drop(self);
        if let Some(t) = ticket {
            ledger.await_commit(t)?;
        }
        Ok(Appended {
            added,
            skipped,
            head_seq: head.seq,
        })
    }
}

impl<S: Store> Appender<'_, S> {
    /// The append's first sequence number, when it staged anything beyond the head.
    fn staged_from(&self) -> Option<u64> {
        self.wrote_staged.then_some(self.writer.head.seq + 1)
    }
}

impl<S: Store> Drop for Appender<'_, S> {
    fn drop(&mut self) {
        if self.applied {
            // Refused half-way (or not queued): take its events back out of the writer's state.
            match (self.writer.known.as_mut(), self.journal.take()) {
                (Some((known, context)), Some(journal)) => {
                    known.undo(journal.known);
                    context.undo(journal.context);
                }
                _ => self.writer.known = None,
            }
        }
        if !self.done && self.wrote_staged {
            // Blocks beyond the head are invisible; remove them so a later append starts clean.
            // Should this fail, the next open removes them.
            // Only this append's own: groups queued before it may still be on their way.
            let from = self.writer.head.seq + 1;
            let _ = self.ledger.store.discard_staged(from, &index::beyond_head);
        }
    }
}
