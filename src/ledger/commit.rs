//! Group commit: appenders queue what they encoded, and one of them, the committer, writes
//! everything queued as one batch and makes it durable with one sync, then wakes them all. While
//! it syncs, the next group gathers in the queue (appenders validate and encode under the writer
//! lock, which the committer does not hold), and the first of them commits it next.
//!
//! **Invariant:** groups reach the store in the order they were queued, which is the order of
//! the hash chain, because an appender queues while it still holds the writer lock.

use super::{Ledger, LedgerError};
use crate::index::{self, IndexHead};
use crate::store::{Block, Derived, Head, Store, StoreError};
use std::sync::{Arc, Condvar, Mutex};

/// What one append hands to the committer.
pub(super) struct Group {
    pub blocks: Vec<Block>,
    pub derived: Vec<Derived>,
    pub head: Head,
    pub index_head: IndexHead,
    /// The first sequence number of the append, when it staged blocks beyond the head: its batch
    /// ends the staging.
    pub staged: Option<u64>,
    /// How to take the append out of the writer's state should it not commit.
    pub journal: Option<Journal>,
    done: Arc<Done>,
}

/// What one append changed in the writer's state, and the writer as it was before it: an append
/// that lost its commit to another process is taken back with this, and the writer then catches
/// up from the head it had (instead of reading the whole log again).
pub(super) struct Journal {
    pub known: crate::domain::validate::Undo,
    pub context: index::ContextUndo,
    pub head: Head,
    pub index_head: IndexHead,
    pub last_recorded_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Default)]
struct Done {
    result: Mutex<Option<Result<(), Failed>>>,
    ready: Condvar,
}

/// Why a commit failed, as every group in it is told.
#[derive(Clone, Debug)]
enum Failed {
    /// Another process appended first (a shared store): retry after reading the ledger again.
    Conflict {
        expected: u64,
        actual: u64,
    },
    Other(String),
}

impl Failed {
    fn into_error(self) -> LedgerError {
        match self {
            Failed::Conflict { expected, actual } => LedgerError::Conflict { expected, actual },
            Failed::Other(e) => LedgerError::Store(StoreError::Io(e)),
        }
    }
}

#[derive(Default)]
pub(super) struct Queue {
    groups: Vec<Group>,
    /// Whether an appender is committing now (then the others only wait).
    committing: bool,
    /// A commit failed: the writer's state (head, known events) is ahead of the store and must
    /// be read again before the next append; until then nothing more is queued.
    stale: bool,
    /// Why, when it was another process appending first: an appender that built its group
    /// on the old head is then told of a conflict, which [`Ledger::append`] retries, not of a
    /// failure (tests/it/pg/shared.rs, two writers on one ledger).
    stale_conflict: Option<(u64, u64)>,
    /// After a conflict: the journals of every append that failed with it, in chain order.
    stale_journals: Vec<Journal>,
}

/// A group refused by [`Ledger::enqueue`]: why, and its journal.
pub(super) type Refused = Box<(LedgerError, Option<Journal>)>;

/// What a failed commit left for the writer to do before its next append.
pub(super) enum Stale {
    /// Nothing failed.
    No,
    /// Another process appended first: take these appends back (the last first), then catch up.
    Conflict(Vec<Journal>),
    /// Anything else: read the state again from the store.
    Reload,
}

/// How the committed groups went: appends per sync, for the benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommitStats {
    pub syncs: u64,
    pub groups: u64,
}

/// A ticket to wait on after queueing.
pub(super) struct Ticket(Arc<Done>);

impl Group {
    pub fn new(
        blocks: Vec<Block>,
        derived: Vec<Derived>,
        head: Head,
        index_head: IndexHead,
        staged: Option<u64>,
        journal: Journal,
    ) -> (Group, Ticket) {
        let done = Arc::new(Done::default());
        let group = Group {
            blocks,
            derived,
            head,
            index_head,
            staged,
            journal: Some(journal),
            done: done.clone(),
        };
        (group, Ticket(done))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<S: Store> Ledger<S> {
    /// Queues `group`; call with the writer lock held, so groups queue in chain order. Refused
    /// after a failed commit, until the writer has been read again from the store.
    /// A refused group's journal is handed back.
    pub(super) fn enqueue(&self, group: Group) -> Result<(), Refused> {
        let mut q = lock(&self.queue);
        if q.stale {
            let error = match q.stale_conflict {
                Some((expected, actual)) => LedgerError::Conflict { expected, actual },
                None => LedgerError::Store(StoreError::Io(
                    "en tidigare skrivning kunde inte slutföras; försök igen".into(),
                )),
            };
            return Err(Box::new((error, group.journal)));
        }
        q.groups.push(group);
        Ok(())
    }

    /// Whether a failed commit left the writer's state ahead of the store, and how to set it
    /// right; clears the mark, so call with the writer lock held and do what it says.
    pub(super) fn take_stale(&self) -> Stale {
        let mut q = lock(&self.queue);
        let conflict = q.stale_conflict.take();
        let journals = std::mem::take(&mut q.stale_journals);
        if !std::mem::take(&mut q.stale) {
            return Stale::No;
        }
        match conflict {
            Some(_) => Stale::Conflict(journals),
            None => Stale::Reload,
        }
    }

    /// Waits until every queued group is committed (committing them when no one else is), so
    /// the store holds everything appended; call with the writer lock held.
    pub(super) fn drain(&self) {
        loop {
            {
                let q = lock(&self.queue);
                if q.groups.is_empty() && !q.committing {
                    return;
                }
            }
            if !self.commit_if_idle() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }

    /// Commits everything queued when groups wait and no one else is committing; returns whether
    /// it did.
    fn commit_if_idle(&self) -> bool {
        let mut q = lock(&self.queue);
        if q.committing || q.groups.is_empty() {
            return false;
        }
        q.committing = true;
        let groups = std::mem::take(&mut q.groups);
        drop(q);
        self.commit_groups(groups);
        lock(&self.queue).committing = false;
        true
    }

    /// Waits until the queued group of `ticket` is durable, committing queued groups (its own
    /// and whoever else's) when no one else is.
    pub(super) fn await_commit(&self, ticket: Ticket) -> Result<(), LedgerError> {
        loop {
            if let Some(result) = lock(&ticket.0.result).clone() {
                return result.map_err(Failed::into_error);
            }
            if self.commit_if_idle() {
                continue;
            }
            let done = lock(&ticket.0.result);
            if done.is_none() {
                // Woken when this group is done, or after a while to take over committing.
                let _ = ticket
                    .0
                    .ready
                    .wait_timeout(done, std::time::Duration::from_millis(2));
            }
        }
    }

    /// Writes `groups` as one batch, syncs once, and tells each how it went.
    fn commit_groups(&self, mut groups: Vec<Group>) {
        let Some(last) = groups.last() else {
            return;
        };
        let head = last.head;
        let staged: Vec<u64> = groups.iter().filter_map(|g| g.staged).collect();
        let mut blocks = Vec::new();
        let mut derived = Vec::new();
        for g in &groups {
            blocks.extend_from_slice(&g.blocks);
            derived.extend(g.derived.iter().cloned());
        }
        derived.push((index::HEAD_KEY.to_vec(), last.index_head.encode()));
        let written = self
            .store
            .append_with(&blocks, head, &derived, &staged)
            .and_then(|()| self.store.sync());
        {
            let mut stats = lock(&self.stats);
            stats.syncs += 1;
            stats.groups += groups.len() as u64;
        }
        let result = written.map_err(|e| match e {
            StoreError::Conflict { expected, actual } => Failed::Conflict { expected, actual },
            other => Failed::Other(other.to_string()),
        });
        if result.is_err() {
            let journals = groups.iter_mut().filter_map(|g| g.journal.take()).collect();
            self.fail_queued(result.clone(), journals);
        }
        for g in groups {
            *lock(&g.done.result) = Some(result.clone());
            g.done.ready.notify_all();
        }
    }

    /// After a failed commit: every group queued behind it was chained onto it and fails too,
    /// and the writer must start again from what the store holds.
    fn fail_queued(&self, result: Result<(), Failed>, mut journals: Vec<Journal>) {
        let mut q = lock(&self.queue);
        q.stale = true;
        q.stale_conflict = match &result {
            Err(Failed::Conflict { expected, actual }) => Some((*expected, *actual)),
            _ => None,
        };
        for g in &mut q.groups {
            journals.extend(g.journal.take());
        }
        q.stale_journals = journals;
        for g in std::mem::take(&mut q.groups) {
            *lock(&g.done.result) = Some(result.clone());
            g.done.ready.notify_all();
        }
    }

    /// Whether nothing is queued or being committed: then the writer's head is the store's, as
    /// far as this process knows. Call with the writer lock held.
    pub(super) fn idle(&self) -> bool {
        let q = lock(&self.queue);
        q.groups.is_empty() && !q.committing
    }

    /// Syncs and appends committed so far.
    pub fn commit_stats(&self) -> CommitStats {
        *lock(&self.stats)
    }
}
