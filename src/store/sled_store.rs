//! The sled engine: one tree `log` holding blocks under `b` + first sequence number (big-endian, so
//! keys sort in log order) and the head under `h`.
//!
//! Durability: sled's `flush` ends in `sync_file_range`, which writes the pages but not the file's
//! metadata and does not flush the drive's write cache, so it does not survive a power cut. `sync`
//! therefore follows it with `fdatasync` on sled's data file. Blocks are kept far below sled's blob
//! threshold (a quarter of a segment), so every byte lives in that one file.
//!
//! Opening looks at the folder first (`folder`), since sled's open writes into it, and compares the
//! head sled recovered with the witness (`witness`), which every sync rewrites.

use super::folder::{self, Folder, DATA_FILE};
use super::witness::{self, WITNESS_FILE};
use super::{Block, Derived, DerivedIter, Head, Store, StoreError};
use std::fs::File;
use std::path::{Path, PathBuf};

const TREE: &[u8] = b"log";
const HEAD_KEY: &[u8] = b"h";
/// `s` + the first sequence number of an append that has staged derived entries beyond the head,
/// present until that append moves the head: only then does `discard_staged` have to look through
/// the derived entries.
const STAGING_PREFIX: u8 = b's';

fn staging_key(from_seq: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = STAGING_PREFIX;
    k[1..].copy_from_slice(&from_seq.to_be_bytes());
    k
}
const BLOCK_PREFIX: u8 = b'b';
/// Derived entries (indexes) live under their own prefix, so they never meet blocks or the head.
const DERIVED_PREFIX: u8 = b'x';
/// Blocks per sled batch when an append is large; the head moves in the last batch only.
const BLOCKS_PER_BATCH: usize = 256;
/// Derived entries per sled batch when they are staged.
const DERIVED_PER_BATCH: usize = 1024;
/// sled's page cache; its default of 1 GiB would dominate the memory of a large import, and with
/// less, index entries inserted across the whole tree page nodes out and back in.
const CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// sled writes a node larger than a quarter of a segment to a separate blob file; with 48 KiB
/// blocks a leaf reaches about 350 KiB, so segments of 4 MiB keep every node in the data file that
/// `sync` makes durable (and `sync` still syncs any blob file, should one appear).
pub(super) const SEGMENT_BYTES: usize = 4 << 20;

pub struct SledStore {
    path: PathBuf,
    db: sled::Db,
    log: sled::Tree,
    data_file: File,
}

/// A failure of sled or of the file system, told in Swedish.
trait Failure {
    fn into_store_error(self) -> StoreError;
}

impl Failure for sled::Error {
    fn into_store_error(self) -> StoreError {
        match self {
            sled::Error::Io(e) => e.into_store_error(),
            // sled reports a bad checksum or an unreadable configuration this way: damage, not an
            // IO fault.
            sled::Error::Corruption { .. } | sled::Error::Unsupported(_) => StoreError::Corrupt(
                "sled fann sina filer skadade (en kontrollsumma stämmer inte eller konfigurationen går inte att läsa)".into(),
            ),
            sled::Error::CollectionNotFound(_) => StoreError::Io("sled hittar inte ett träd".into()),
            sled::Error::ReportableBug(_) => StoreError::Io("sled stötte på ett internt fel".into()),
        }
    }
}

impl Failure for std::io::Error {
    fn into_store_error(self) -> StoreError {
        StoreError::Io(crate::lang::io_error(&self))
    }
}

impl Failure for String {
    fn into_store_error(self) -> StoreError {
        StoreError::Io(self)
    }
}

fn io(e: impl Failure) -> StoreError {
    e.into_store_error()
}

pub fn block_key(first_seq: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = BLOCK_PREFIX;
    k[1..].copy_from_slice(&first_seq.to_be_bytes());
    k
}

fn derived_key(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(DERIVED_PREFIX);
    k.extend_from_slice(key);
    k
}

fn unprefixed(kv: sled::Result<(sled::IVec, sled::IVec)>) -> Result<Derived, StoreError> {
    let (k, v) = kv.map_err(io)?;
    Ok((k[1..].to_vec(), v.to_vec()))
}

fn encode_head(head: &Head) -> Vec<u8> {
    let mut v = Vec::with_capacity(40);
    v.extend_from_slice(&head.seq.to_le_bytes());
    v.extend_from_slice(&head.hash);
    v
}

impl SledStore {
    /// Opens (creating if needed) the store at `path`. A store held by another process gives
    /// [`StoreError::InUse`]. A folder that holds a store's files only in part, or damaged ones,
    /// gives [`StoreError::Damaged`] before sled sees it, so nothing in it changes; a new store
    /// whose creation fails leaves nothing behind.
    pub fn open(path: &Path) -> Result<SledStore, StoreError> {
        match folder::inspect(path)? {
            Folder::Present(found) => SledStore::open_present(path, found),
            Folder::Absent => {
                let created = folder::Creation::note(path);
                let opened = SledStore::open_present(path, witness::Found::Absent);
                match &opened {
                    // Another process is creating it at this very moment: its files, not ours.
                    Err(StoreError::InUse { .. }) | Ok(_) => {}
                    Err(_) => created.undo(),
                }
                opened
            }
        }
    }

    fn open_present(path: &Path, found: witness::Found) -> Result<SledStore, StoreError> {
        let db = open_db(path)?;
        let log = db.open_tree(TREE).map_err(io)?;
        let data_file = File::open(path.join(DATA_FILE)).map_err(io)?;
        // The directory entry of a new store must itself be durable.
        if let Ok(dir) = File::open(path) {
            let _ = dir.sync_all();
        }
        let store = SledStore {
            path: path.to_path_buf(),
            db,
            log,
            data_file,
        };
        // The witness is checked before anything is cleaned up (the ledger discards what an
        // abandoned append staged, after opening): blocks beyond a head that went back are the
        // missing records themselves, not an abandoned append, and must stay.
        let head = store.head()?;
        match found.valid() {
            Some(w) if w.head.seq > head.seq => {
                return Err(StoreError::Corrupt(format!(
                    "posterna {}–{} saknas: liggaren var varaktigt sparad till och med sekvens {} ({WITNESS_FILE}) men dess datafil slutar nu vid {}; datafilen är skadad (återställ den från en säkerhetskopia)",
                    head.seq + 1,
                    w.head.seq,
                    w.head.seq,
                    head.seq
                )));
            }
            // A witness that holds the data file's length from now on (a new store, or one
            // whose witness is missing, unreadable or of version 1).
            Some(w) if w.data_bytes.is_some() => {}
            _ => store.sync()?,
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Another named tree of the same database (the server's API tokens), kept apart from the
    /// log: nothing in it is part of the hash chain, and the log itself is not available by name.
    pub fn tree(&self, name: &str) -> Result<sled::Tree, StoreError> {
        if name.as_bytes() == TREE {
            return Err(StoreError::Io(format!("trädet '{name}' är loggen")));
        }
        self.db.open_tree(name).map_err(io)
    }

    /// The raw tree, for tests that tamper with stored bytes the way an attacker would.
    pub fn raw_tree(&self) -> &sled::Tree {
        &self.log
    }
}

/// How long an open waits for a store that another handle is just letting go of (a process
/// that is exiting, a handle being dropped) before it reports the store as in use.
const LOCK_WAIT_MS: u64 = 1_000;

/// The sled configuration of a rambok store; tests that look at sled directly must use it too.
pub fn config(path: &Path) -> sled::Config {
    sled::Config::new()
        .path(path)
        .cache_capacity(CACHE_BYTES)
        .segment_size(SEGMENT_BYTES)
}

fn open_db(path: &Path) -> Result<sled::Db, StoreError> {
    let started = std::time::Instant::now();
    loop {
        let opened = match catch_sled_panic(|| config(path).open()) {
            Ok(opened) => opened,
            Err(Caught::Sled(panic)) => {
                return Err(StoreError::Corrupt(format!(
                    "sled kan inte läsa liggaren i {}: {panic}",
                    path.display()
                )))
            }
            Err(Caught::Other(payload)) => std::panic::resume_unwind(payload),
        };
        match opened {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(ref e)) if e.to_string().contains("could not acquire lock") => {
                if started.elapsed().as_millis() as u64 >= LOCK_WAIT_MS {
                    return Err(StoreError::InUse {
                        path: path.to_path_buf(),
                    });
                }
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            Err(other) => {
                return Err(match io(other) {
                    StoreError::Io(why) => StoreError::Io(format!(
                        "kan inte öppna liggaren i {}: {why}",
                        path.display()
                    )),
                    damaged => damaged,
                })
            }
        }
    }
}

thread_local! {
    /// How many [`catch_sled_panic`] this thread is inside; then the message of sled's panic.
    static SLED_GUARDED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    static SLED_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// sled 0.34 can panic on damaged files instead of returning an error: recovering a log whose
/// middle is damaged, it panics with "tried to serialize Uninitialized" while writing its snapshot,
/// and reading a damaged page later it can panic applying it ("tried to Set a value to an index")
/// (tests/it/reliability.rs, damaged files). Runs `f` so that a panic raised **in sled's own
/// code** becomes `Err(Caught::Sled(message))`, its message kept off stderr by a panic hook
/// installed once. Any other panic is ours, a bug: the hook before passes it on as usual, and it
/// comes back as `Caught::Other` for the caller to resume. Guards nest.
pub fn catch_sled_panic<T>(f: impl FnOnce() -> T) -> Result<T, Caught> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if SLED_GUARDED.with(|g| g.get()) > 0 && in_sled(info) {
                SLED_PANIC.with(|p| *p.borrow_mut() = Some(panic_message(info)));
            } else {
                previous(info);
            }
        }));
    });
    SLED_GUARDED.with(|g| g.set(g.get() + 1));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    SLED_GUARDED.with(|g| g.set(g.get() - 1));
    result.map_err(|payload| match SLED_PANIC.with(|p| p.borrow_mut().take()) {
        Some(message) => Caught::Sled(message),
        None => Caught::Other(payload),
    })
}

/// A panic caught by [`catch_sled_panic`].
pub enum Caught {
    /// sled stopped on damaged data; where it stopped, in Swedish.
    Sled(String),
    /// Any other panic, to be resumed.
    Other(Box<dyn std::any::Any + Send>),
}

/// Whether the panic was raised in sled's sources (its crate folder, `sled-0.34.x/src/…`).
fn in_sled(info: &std::panic::PanicHookInfo<'_>) -> bool {
    info.location().is_some_and(|l| {
        Path::new(l.file())
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with("sled-"))
    })
}

/// "sled stötte på skadade data (sled serialization.rs:662)"
fn panic_message(info: &std::panic::PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let msg = (payload.downcast_ref::<&str>().copied())
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("");
    // sled's own words are English; the user reads ours, and where sled stopped.
    let stopped = if msg.contains("Uninitialized") {
        "sled stötte på skadade data"
    } else {
        "sled avbröts"
    };
    match info.location() {
        Some(l) => {
            let file = Path::new(l.file()).file_name().unwrap_or_default();
            format!("{stopped} (sled {}:{})", file.to_string_lossy(), l.line())
        }
        None => stopped.to_string(),
    }
}

impl SledStore {
    /// What the witness file says now.
    pub fn witness(&self) -> Result<witness::Found, StoreError> {
        witness::read(&self.path)
    }

    fn data_bytes(&self) -> Result<u64, StoreError> {
        Ok(self.data_file.metadata().map_err(io)?.len())
    }

    /// `fdatasync` on any blob file sled wrote beside its data file.
    fn sync_blobs(&self) -> Result<(), StoreError> {
        let Ok(entries) = std::fs::read_dir(self.path.join("blobs")) else {
            return Ok(());
        };
        for entry in entries {
            let path = entry.map_err(io)?.path();
            match File::open(&path).and_then(|f| f.sync_data()) {
                // sled removes blobs it no longer needs, also while we look.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                other => other.map_err(io)?,
            }
        }
        Ok(())
    }
}

impl Store for SledStore {
    fn head(&self) -> Result<Head, StoreError> {
        match self.log.get(HEAD_KEY).map_err(io)? {
            None => Ok(Head::EMPTY),
            Some(v) if v.len() == 40 => Ok(Head {
                seq: u64::from_le_bytes(v[..8].try_into().expect("8 bytes")),
                hash: v[8..].try_into().expect("32 bytes"),
            }),
            Some(v) => Err(StoreError::Corrupt(format!(
                "huvudposten har {} byte i stället för 40",
                v.len()
            ))),
        }
    }

    fn append_with(
        &self,
        blocks: &[Block],
        head: Head,
        derived: &[Derived],
        staged: &[u64],
    ) -> Result<(), StoreError> {
        let chunks: Vec<&[Block]> = blocks.chunks(BLOCKS_PER_BATCH).collect();
        let last = chunks.len().saturating_sub(1);
        let finish = |batch: &mut sled::Batch| {
            for (k, v) in derived {
                batch.insert(derived_key(k), v.as_slice());
            }
            batch.insert(HEAD_KEY, encode_head(&head));
            for from in staged {
                batch.remove(&staging_key(*from)[..]);
            }
        };
        if chunks.is_empty() {
            let mut batch = sled::Batch::default();
            finish(&mut batch);
            return self.log.apply_batch(batch).map_err(io);
        }
        for (i, chunk) in chunks.into_iter().enumerate() {
            let mut batch = sled::Batch::default();
            for b in chunk {
                batch.insert(&block_key(b.first_seq)[..], b.bytes.as_slice());
            }
            if i == last {
                finish(&mut batch);
            }
            self.log.apply_batch(batch).map_err(io)?;
        }
        Ok(())
    }

    fn clear_derived(&self) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for kv in self.log.scan_prefix([DERIVED_PREFIX]) {
            batch.remove(kv.map_err(io)?.0);
            n += 1;
            if n % 100_000 == 0 {
                self.log
                    .apply_batch(std::mem::take(&mut batch))
                    .map_err(io)?;
            }
        }
        self.log.apply_batch(batch).map_err(io)
    }

    fn put_derived(&self, derived: &[Derived]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (k, v) in derived {
            batch.insert(derived_key(k), v.as_slice());
        }
        self.log.apply_batch(batch).map_err(io)
    }

    fn get_derived(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .log
            .get(derived_key(key))
            .map_err(io)?
            .map(|v| v.to_vec()))
    }

    fn scan_derived(&self, prefix: &[u8]) -> DerivedIter<'_> {
        Box::new(self.log.scan_prefix(derived_key(prefix)).map(unprefixed))
    }

    fn range_derived(&self, start: &[u8], end: &[u8]) -> DerivedIter<'_> {
        Box::new(
            self.log
                .range(derived_key(start)..derived_key(end))
                .map(unprefixed),
        )
    }

    fn stage(
        &self,
        from_seq: u64,
        blocks: &[Block],
        derived: &[Derived],
    ) -> Result<(), StoreError> {
        // The marker first: a crash cannot leave staged entries without it. Nothing staged needs
        // to be atomic (it is invisible until the head moves), so it goes in small batches.
        self.log
            .insert(&staging_key(from_seq)[..], &[1u8][..])
            .map_err(io)?;
        for chunk in blocks.chunks(BLOCKS_PER_BATCH) {
            let mut batch = sled::Batch::default();
            for b in chunk {
                batch.insert(&block_key(b.first_seq)[..], b.bytes.as_slice());
            }
            self.log.apply_batch(batch).map_err(io)?;
        }
        // In key order: consecutive inserts then meet the same few tree nodes, which sled's small
        // page cache keeps, instead of paging nodes in and out for keys all over the tree.
        let mut sorted: Vec<&Derived> = derived.iter().collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for chunk in sorted.chunks(DERIVED_PER_BATCH) {
            let mut batch = sled::Batch::default();
            for (k, v) in chunk.iter().copied() {
                batch.insert(derived_key(k), v.as_slice());
            }
            self.log.apply_batch(batch).map_err(io)?;
        }
        Ok(())
    }

    fn discard_staged(
        &self,
        from_seq: u64,
        staged_after: &dyn Fn(&[u8], u64) -> bool,
    ) -> Result<(), StoreError> {
        let after = from_seq.saturating_sub(1);
        let mut batch = sled::Batch::default();
        let mut any = false;
        for kv in self
            .log
            .range(block_key(from_seq.max(1))..=block_key(u64::MAX))
        {
            let (k, _) = kv.map_err(io)?;
            batch.remove(k);
            any = true;
        }
        let markers: Vec<sled::IVec> = self
            .log
            .scan_prefix([STAGING_PREFIX])
            .keys()
            .collect::<Result<_, _>>()
            .map_err(io)?;
        if !markers.is_empty() {
            for kv in self.log.scan_prefix([DERIVED_PREFIX]) {
                let (k, _) = kv.map_err(io)?;
                if staged_after(&k[1..], after) {
                    batch.remove(k);
                }
            }
            for m in markers {
                if m.len() == 9
                    && u64::from_be_bytes(m[1..].try_into().expect("8 bytes")) >= from_seq
                {
                    batch.remove(m);
                }
            }
            any = true;
        }
        if any {
            self.log.apply_batch(batch).map_err(io)?;
            self.sync()?;
        }
        Ok(())
    }

    fn blocks(
        &self,
        from_seq: u64,
        to_seq: u64,
    ) -> Box<dyn Iterator<Item = Result<Block, StoreError>> + '_> {
        // Start at the block that holds `from_seq`: the last one starting at or before it.
        let start = self
            .log
            .range(block_key(0)..=block_key(from_seq.max(1)))
            .next_back()
            .and_then(|kv| kv.ok())
            .map(|(k, _)| k)
            .map_or_else(|| block_key(0).to_vec(), |k| k.to_vec());
        let iter = self
            .log
            .range(start..=block_key(to_seq).to_vec())
            .map(|kv| {
                let (k, v) = kv.map_err(io)?;
                if k.len() != 9 || k[0] != BLOCK_PREFIX {
                    return Err(StoreError::Corrupt(format!(
                        "oväntad nyckel {:?} i loggen",
                        k.as_ref()
                    )));
                }
                let first_seq = u64::from_be_bytes(k[1..].try_into().expect("8 bytes"));
                Ok(Block {
                    first_seq,
                    bytes: v.to_vec(),
                })
            });
        Box::new(iter)
    }

    fn sync(&self) -> Result<(), StoreError> {
        // The head read before the flush is durable after it; one applied meanwhile may not be.
        let head = self.head()?;
        self.db.flush().map_err(io)?;
        // The data file's length for the witness: at least what this sync makes durable (read
        // before the fdatasync, so growth after it does not count) and no more than the file
        // holds afterwards (sled may shorten it by segments it freed meanwhile).
        let before = self.data_bytes()?;
        self.data_file.sync_data().map_err(io)?;
        self.sync_blobs()?;
        let data_bytes = before.min(self.data_bytes()?);
        witness::write(&self.path, &head, data_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::{catch_sled_panic, Caught};

    #[test]
    fn a_panic_outside_sled_is_passed_on_not_taken_for_damage() {
        let caught = catch_sled_panic(|| -> u8 { panic!("ett fel i rambok") });
        match caught {
            Err(Caught::Other(payload)) => {
                assert_eq!(payload.downcast_ref::<&str>(), Some(&"ett fel i rambok"))
            }
            Err(Caught::Sled(message)) => panic!("taken for sled's: {message}"),
            Ok(_) => panic!("not caught"),
        }
        // Nested guards: the outer one still catches after the inner one ended.
        let inner = catch_sled_panic(|| catch_sled_panic(|| 1).ok());
        assert_eq!(inner.ok().flatten(), Some(1));
    }
}
