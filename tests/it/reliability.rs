//! Reliability, proven rather than argued (docs/reliability.md has the method and the figures of a
//! long run):
//!
//! - **crash safety**: a child process appends batches of 1 to 70 000 events and is killed with
//!   SIGKILL at random moments; after every kill the store must open, verify, hold every
//!   acknowledged batch, show no part of an unfinished one, and take the next append gaplessly;
//! - **damaged files**: bytes flipped in copies of a store must be reported (non-zero exit and a
//!   message) or leave the figures unchanged, never give other figures, panic or hang;
//! - **concurrency**: many appenders and readers in one process see whole batches only; a second
//!   process on a store in use gets exit 4 whatever it runs;
//! - **damaged folders**: sled's `conf` garbled or cut short, its data file deleted or cut short:
//!   every command exits 6 naming the file and what the witness recorded, never advises `init`,
//!   and leaves the folder byte for byte as it was.
//!
//! - **verify --against** (`verify_against.rs`): on every damaged copy it reports at least what
//!   `verify` reports, with the same exit code, and exits 0 only where `verify` does.
//! - **damaged rows** (`damaged_rows.rs`): the damaged-files harness on PostgreSQL, bytes changed
//!   in a block, an index entry or the head.
//!
//! Crash safety and concurrency run on both engines (`NAME::sled`, `NAME::pg`, see
//! `crate::engines`); on PostgreSQL the child is killed while the database runs on (killing the
//! database is `pg::shared`'s test), and the in-use check, sled's alone, is left out.
//!
//! Every harness is bounded in the default run; `RAMBOK_LONG=1` runs the long version. A seed is
//! drawn from the clock and printed; `RAMBOK_SEED=N` replays one.

use crate::engines::{self, on_both_engines, Engine};
use chrono::Utc;
use rambok::control::verify::verify;
use rambok::domain::event::{content_id, Event};
use rambok::json::parse_event;
use rambok::ledger::{Ledger, LedgerError};
use rambok::store::sled_store::block_key;
use rambok::store::{Store, StoreError};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

mod damaged_rows;
mod verify_against;

const BIN: &str = env!("CARGO_BIN_EXE_rambok");

fn long() -> bool {
    std::env::var("RAMBOK_LONG").is_ok_and(|v| v == "1")
}

/// xorshift64*, seeded from the clock unless RAMBOK_SEED is set.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The seed of one harness run; printed so that a failure can be replayed with RAMBOK_SEED.
fn seed(harness: &str) -> u64 {
    let seed = match std::env::var("RAMBOK_SEED") {
        Ok(s) => s.parse().expect("RAMBOK_SEED must be an unsigned integer"),
        Err(_) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64;
            nanos ^ (harness.len() as u64).rotate_left(32)
        }
    };
    eprintln!("{harness}: seed {seed} (replay with RAMBOK_SEED={seed})");
    seed
}

fn template() -> Event {
    parse_event(
        &serde_json::from_str(
            r#"{"type":"frame_changed","office":"KLK","year":2017,"amount":"1","unit":"kr","category":"test","reason":"reliability","decision":{"body":"KF","date":"2016-06-30"}}"#,
        )
        .unwrap(),
    )
    .unwrap()
}

/// An event carrying `note`, with the content id that note gives it (so every note is a new event).
fn tagged(template: &Event, note: String) -> Event {
    let mut e = template.clone();
    e.id = content_id(&e.body, Some(&note));
    e.note = Some(note);
    e
}

/// Events of one batch, tagged `"<kind> <group> <batch> <size> <index>"`, so that a reader can count
/// how much of each batch it sees.
fn batch(template: &Event, kind: &str, group: u64, batch: u64, size: u64) -> Vec<Event> {
    (0..size)
        .map(|i| tagged(template, format!("{kind} {group} {batch} {size} {i}")))
        .collect()
}

/// A batch: (round or writer, batch number).
type BatchKey = (u64, u64);
/// Every batch a reader saw.
type Batches = BTreeMap<BatchKey, Seen>;

/// A batch as a reader saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    size: u64,
    count: u64,
    first_seq: u64,
    last_seq: u64,
}

/// Reads the whole ledger and tallies the tagged batches, checking that every batch's events stand
/// together, in order. Returns the batches by (group, batch), and the number of records.
fn tally<S: Store>(ledger: &Ledger<S>, kind: &str) -> Result<(Batches, u64), String> {
    let mut seen = Batches::new();
    let mut records = 0u64;
    let mut problem: Option<String> = None;
    ledger
        .scan(1, |r| {
            records += 1;
            if problem.is_some() {
                return Ok(());
            }
            let note = r.event.note.as_deref().unwrap_or("");
            let f: Vec<&str> = note.split(' ').collect();
            if f.len() != 5 || f[0] != kind {
                problem = Some(format!("record {} has an unexpected note {note:?}", r.seq));
                return Ok(());
            }
            let n: Vec<u64> = f[1..].iter().map(|x| x.parse().unwrap()).collect();
            let (key, size, index) = ((n[0], n[1]), n[2], n[3]);
            let s = seen.entry(key).or_insert(Seen {
                size,
                count: 0,
                first_seq: r.seq,
                last_seq: r.seq,
            });
            if index != s.count || r.seq != s.first_seq + index || size != s.size {
                problem = Some(format!(
                    "record {} ({note}) is out of place: batch {key:?} started at {} with {} seen",
                    r.seq, s.first_seq, s.count
                ));
            }
            s.count += 1;
            s.last_seq = r.seq;
            Ok(())
        })
        .map_err(|e| format!("scan failed: {e}"))?;
    match problem {
        Some(p) => Err(p),
        None => Ok((seen, records)),
    }
}

/// One run of the real binary, killed after `timeout` (a hang).
struct Run {
    /// `None`: it did not finish in time and was killed.
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
}

fn run_bin(db: &Path, args: &[&str], timeout: Duration) -> Run {
    let mut child = Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("RAMBOK_SERVER")
        .env_remove("RAMBOK_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rambok");
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            String::from_utf8_lossy(&v).into_owned()
        })
    };
    let out = pipe(Box::new(child.stdout.take().unwrap()));
    let err = pipe(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Run {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

#[cfg(unix)]
fn signal_of(status: &ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(status)
}

#[cfg(not(unix))]
fn signal_of(_: &ExitStatus) -> Option<i32> {
    None
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Crash safety
// ---------------------------------------------------------------------------------------------

const CHILD_ENV: &str = "RAMBOK_CRASH_CHILD";
const CHILD_ROUND_ENV: &str = "RAMBOK_CRASH_ROUND";
const CHILD_SEED_ENV: &str = "RAMBOK_CRASH_SEED";
/// Batch sizes the child draws from: single appends, small and large batches, and one beyond
/// 256 blocks × 256 records, which stages blocks beyond the head before it commits.
const CRASH_SIZES: [u64; 4] = [1, 50, 5_000, 70_000];
/// A store this large is set aside and the rounds go on with a fresh one (keeps each round quick).
const CRASH_STORE_MAX: u64 = 250_000;

/// The child of [`crash_safety`]: appends batches to the store named by RAMBOK_CRASH_CHILD until
/// it is killed, printing `begin <round> <batch> <size>` before each append and
/// `ack <seq> <count>` once the append has returned (that is, once it is durable).
#[test]
#[ignore = "the child process of crash_safety; does nothing unless RAMBOK_CRASH_CHILD is set"]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let num = |name: &str| -> u64 { std::env::var(name).unwrap().parse().unwrap() };
    let round = num(CHILD_ROUND_ENV);
    let mut rng = Rng::new(num(CHILD_SEED_ENV));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // A line that cannot be written means the parent is gone: stop.
    let mut say = |line: String| writeln!(out, "{line}").and_then(|()| out.flush()).is_ok();
    let ledger = open_any(Path::new(&path)).expect("the child opens the store");
    // The first append reads the whole log to learn what it holds; do that now, so that the
    // appends timed and killed below are appends only.
    drop(
        ledger
            .begin("crash", None, Utc::now())
            .expect("read the log"),
    );
    if !say(format!("open {}", ledger.head().seq)) {
        return;
    }
    let t = template();
    let started = Instant::now();
    for b in 0.. {
        if started.elapsed() > Duration::from_secs(120) {
            return; // the parent should have killed us long ago
        }
        let size = rng.pick(&CRASH_SIZES);
        let expected = rng.percent(50).then(|| ledger.head().seq);
        let done = if size > 1 && rng.percent(30) {
            // The streaming appender, as `rambok import` uses it: events are made while pushing.
            if !say(format!("begin {round} {b} {size}")) {
                return;
            }
            let mut a = ledger.begin("crash", expected, Utc::now()).expect("begin");
            for i in 0..size {
                a.push(&tagged(&t, format!("crash {round} {b} {size} {i}")))
                    .expect("push");
            }
            a.commit().expect("commit")
        } else {
            let events = batch(&t, "crash", round, b, size);
            if !say(format!("begin {round} {b} {size}")) {
                return;
            }
            ledger
                .append(&events, "crash", expected, Utc::now())
                .expect("append")
        };
        assert_eq!(done.added as u64, size);
        if !say(format!("ack {} {}", done.head_seq, done.added)) {
            return;
        }
    }
}

/// Where the child was when it died, from what it had printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum KilledAt {
    /// Before the store was open (sled's open and recovery) and read once.
    Opening,
    /// Between appends (making the next batch's events).
    Between,
    /// During an append of this size that turned out committed (`true`) or not.
    During(u64, bool),
}

#[derive(Default)]
struct CrashStats {
    kills: usize,
    at: BTreeMap<KilledAt, usize>,
    acked_batches: usize,
    acked_events: u64,
    /// Kills after which blocks beyond the head were found (an interrupted large append).
    staged_left: usize,
    in_use_checked: usize,
    stores: usize,
    slowest_open: Duration,
}

/// What the parent knows to be in the current store.
struct Model {
    path: PathBuf,
    /// Committed batches: (round, batch) → size.
    batches: BTreeMap<BatchKey, u64>,
    head: u64,
}

/// What the child printed before it died.
#[derive(Default)]
struct ChildSaid {
    /// The head it found on opening; `None` if it died before.
    opened_at: Option<u64>,
    /// Acknowledged batches: key, size and the head after it.
    acked: Vec<(BatchKey, u64, u64)>,
    /// The batch begun and not acknowledged: key and size.
    in_flight: Option<(BatchKey, u64)>,
    /// How long each acknowledged append took: size and duration.
    timings: Vec<(u64, Duration)>,
}

fn parse_child(lines: &[(Instant, String)], ctx: &str) -> ChildSaid {
    let mut said = ChildSaid::default();
    let mut began: Option<Instant> = None;
    for (at, line) in lines {
        let f: Vec<&str> = line.split(' ').collect();
        let nums = || -> Vec<u64> { f[1..].iter().map(|x| x.parse().unwrap()).collect() };
        match f[0] {
            "open" => said.opened_at = Some(nums()[0]),
            "begin" => {
                let n = nums();
                assert!(said.in_flight.is_none(), "{ctx}: begin without ack");
                said.in_flight = Some(((n[0], n[1]), n[2]));
                began = Some(*at);
            }
            "ack" => {
                let n = nums();
                let (seq, count) = (n[0], n[1]);
                let (key, size) = said.in_flight.take().expect("ack after begin");
                assert_eq!(count, size, "{ctx}: {line}");
                let prev = said.acked.last().map_or(said.opened_at.unwrap(), |a| a.2);
                assert_eq!(seq, prev + size, "{ctx}: acknowledgements are gapless");
                said.timings
                    .push((size, at.duration_since(began.take().unwrap())));
                said.acked.push((key, size, seq));
            }
            _ => {} // the test harness's own lines
        }
    }
    said
}

/// A ledger on either engine, as the CLI opens it: a folder (made when missing) or a PostgreSQL
/// URL (the ledger must exist).
fn open_any(db: &Path) -> Result<AnyLedger, LedgerError> {
    Ledger::open_target(&rambok::store::target::Target::parse(db).expect("a folder or a URL"))
}

type AnyLedger = Ledger<rambok::store::Engine>;

/// Whether blocks beyond the head are stored: an interrupted large append. On sled read with sled
/// itself, since opening the ledger removes them; on PostgreSQL in the ledger's rows (what an
/// append stages is in its connection's temporary tables, gone with the connection).
fn staged_blocks_left(path: &Path, ctx: &str) -> bool {
    if path.to_str().is_some_and(|p| p.starts_with("postgres://")) {
        let ledger = open_any(path).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        return blocks_beyond_head(&ledger, ledger.store().head().unwrap().seq) > 0;
    }
    let db = rambok::store::sled_store::config(path)
        .open()
        .unwrap_or_else(|e| panic!("{ctx}: sled opens the store: {e}"));
    let tree = db.open_tree("log").unwrap();
    let head = tree.get(b"h").unwrap().map_or(0, |v| {
        u64::from_le_bytes(v[..8].try_into().expect("8 bytes"))
    });
    let left = tree
        .range(block_key(head + 1)..=block_key(u64::MAX))
        .next()
        .is_some();
    drop(tree);
    drop(db);
    left
}

/// On PostgreSQL, waits until the killed process's connections are gone from the server: a
/// statement it had sent goes on to its end there (an append that lands after the kill, as if
/// the process had lived a moment longer), and the checks must see the ledger as it is once it
/// has. The connections say whose they are (`application_name` "rambok PID").
fn settled_after_kill(path: &Path, pid: u32, ctx: &str) {
    if !path.to_str().is_some_and(|p| p.starts_with("postgres://")) {
        return;
    }
    let ledger = open_any(path).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let rambok::store::Engine::Postgres(pg) = ledger.store() else {
        unreachable!()
    };
    let started = Instant::now();
    while pg
        .raw_execute(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = $1",
            &[&format!("rambok {pid}")],
        )
        .unwrap_or_else(|e| panic!("{ctx}: {e}"))
        > 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{ctx}: the killed process's connections are still on the server after 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How many blocks the store holds beyond `head`.
fn blocks_beyond_head(ledger: &AnyLedger, head: u64) -> usize {
    match ledger.store() {
        rambok::store::Engine::Sled(sled) => sled
            .raw_tree()
            .range(block_key(head + 1)..=block_key(u64::MAX))
            .count(),
        rambok::store::Engine::Postgres(pg) => pg
            .raw_execute(
                "SELECT 1 FROM rambok_blocks WHERE ledger = $1 AND first_seq > $2",
                &[&pg.ledger(), &(head as i64)],
            )
            .unwrap() as usize,
    }
}

/// Opens the store after a kill. sled may release the lock of a handle just dropped a little
/// later, from another thread (seen while other tests ran sled in this process): wait briefly.
fn open_after_kill(path: &Path, ctx: &str) -> (AnyLedger, Duration) {
    let started = Instant::now();
    let ledger = loop {
        match open_any(path) {
            Err(LedgerError::Store(StoreError::InUse { .. }))
                if started.elapsed() < Duration::from_secs(10) =>
            {
                std::thread::sleep(Duration::from_millis(5))
            }
            other => break other,
        }
    }
    .unwrap_or_else(|e| panic!("{ctx}: the store opens after a kill: {e}"));
    (ledger, started.elapsed())
}

/// The checks after a kill: the store verifies; nothing is left beyond the head; every batch is
/// whole; every batch of earlier rounds and every acknowledged one is there, where it was
/// acknowledged; nothing appears that was not begun; the next append continues at head + 1.
/// Updates the model to the store and says where the child died.
fn check_after_kill(
    model: &mut Model,
    said: &ChildSaid,
    probe: &Event,
    ctx: &str,
    stats: &mut CrashStats,
) -> KilledAt {
    if let Some(h) = said.opened_at {
        assert_eq!(h, model.head, "{ctx}: the child opened at the head");
    }
    stats.staged_left += staged_blocks_left(&model.path, ctx) as usize;
    let (ledger, took) = open_after_kill(&model.path, ctx);
    stats.slowest_open = stats.slowest_open.max(took);
    let head = verify(&ledger)
        .unwrap_or_else(|e| panic!("{ctx}: verification: {e}"))
        .head
        .seq;
    assert_eq!(
        blocks_beyond_head(&ledger, head),
        0,
        "{ctx}: nothing is left beyond the head after opening"
    );
    let (seen, records) = tally(&ledger, "crash").unwrap_or_else(|e| panic!("{ctx}: {e}"));
    assert_eq!(records, head, "{ctx}");
    for (key, s) in &seen {
        assert_eq!(
            s.count, s.size,
            "{ctx}: batch {key:?} is only partly there: {s:?}"
        );
    }
    for (key, size) in &model.batches {
        assert_eq!(
            seen.get(key).map(|s| s.size),
            Some(*size),
            "{ctx}: batch {key:?} of an earlier round is gone"
        );
    }
    for (key, size, seq) in &said.acked {
        let s = seen.get(key).unwrap_or_else(|| {
            panic!("{ctx}: acknowledged batch {key:?} ({size} events, up to {seq}) is gone")
        });
        assert_eq!(s.last_seq, *seq, "{ctx}: batch {key:?}");
    }
    let begun: HashSet<BatchKey> = (said.acked.iter().map(|a| a.0))
        .chain(said.in_flight.map(|f| f.0))
        .collect();
    for key in seen.keys() {
        assert!(
            model.batches.contains_key(key) || begun.contains(key),
            "{ctx}: batch {key:?} is there but was never begun"
        );
    }
    model.batches = seen.iter().map(|(k, s)| (*k, s.size)).collect();
    let done = ledger
        .append(
            std::slice::from_ref(probe),
            "parent",
            Some(head),
            Utc::now(),
        )
        .unwrap_or_else(|e| panic!("{ctx}: the next append: {e}"));
    assert_eq!((done.added, done.head_seq), (1, head + 1), "{ctx}");
    let (_, _, probe_key) = note_fields(probe);
    model.batches.insert(probe_key, 1);
    model.head = head + 1;
    match (said.opened_at, said.in_flight) {
        (None, _) => KilledAt::Opening,
        (Some(_), None) => KilledAt::Between,
        (Some(_), Some((key, size))) => KilledAt::During(size, seen.contains_key(&key)),
    }
}

/// The fields of a tagged event's note: kind, size and batch key.
fn note_fields(e: &Event) -> (String, u64, BatchKey) {
    let f: Vec<&str> = e.note.as_deref().unwrap().split(' ').collect();
    let n: Vec<u64> = f[1..].iter().map(|x| x.parse().unwrap()).collect();
    (f[0].to_string(), n[2], (n[0], n[1]))
}

/// Starts the child on `path`; its stdout lines arrive on the channel with the time they came.
fn spawn_child(
    path: &Path,
    round: usize,
    seed: u64,
    stderr: &Path,
) -> (
    std::process::Child,
    mpsc::Receiver<(Instant, String)>,
    std::thread::JoinHandle<()>,
) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "reliability::crash_child",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, path)
        .env(CHILD_ROUND_ENV, round.to_string())
        .env(CHILD_SEED_ENV, seed.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .expect("spawn the child");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    (child, rx, reader)
}

/// Collects the child's lines until `deadline`, or until one satisfies `stop` (then `true`).
fn collect_until(
    rx: &mpsc::Receiver<(Instant, String)>,
    deadline: Instant,
    lines: &mut Vec<(Instant, String)>,
    stop: &dyn Fn(&str) -> bool,
) -> bool {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        match rx.recv_timeout(deadline - now) {
            Ok(l) => {
                let hit = stop(&l.1);
                lines.push(l);
                if hit {
                    return true;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => return false,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // The child ended by itself: the caller finds out why.
                std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                return false;
            }
        }
    }
}

/// A new store for the crash rounds: a folder the child makes, or a PostgreSQL ledger made here
/// (the child opens it as the CLI would, so it must exist).
fn crash_store(dir: &Path, round: usize) -> PathBuf {
    match engines::current() {
        Engine::Sled => dir.join(format!("store{round}")),
        Engine::Pg => {
            let db = engines::fresh("crash");
            drop(engines::open(&db.path));
            db.path
        }
    }
}

on_both_engines! {
fn crash_safety() {
    let seed = seed("crash_safety");
    let mut rng = Rng::new(seed);
    let on_pg = engines::current() == Engine::Pg;
    let kills = match (long(), on_pg) {
        (true, _) => 300,
        (false, false) => 15,
        (false, true) => 8,
    };
    let dir = tempfile::tempdir().unwrap();
    let t = template();
    let mut model = Model {
        path: crash_store(dir.path(), 0),
        batches: BTreeMap::new(),
        head: 0,
    };
    let mut stats = CrashStats {
        stores: 1,
        ..CrashStats::default()
    };
    // How long an append of each size takes here, learnt as the rounds go: total and count.
    let mut took: HashMap<u64, (Duration, u32)> = CRASH_SIZES
        .iter()
        .map(|&s| (s, (Duration::from_millis(5 + s / 200), 1)))
        .collect();
    let mean = |t: (Duration, u32)| t.0 / t.1;

    for round in 0..kills {
        let ctx = format!("seed {seed}, round {round}");
        if model.head > CRASH_STORE_MAX {
            let _ = std::fs::remove_dir_all(&model.path);
            model = Model {
                path: crash_store(dir.path(), round),
                batches: BTreeMap::new(),
                head: 0,
            };
            stats.stores += 1;
        }
        let stderr = dir.path().join("child.stderr");
        let (mut child, rx, reader) = spawn_child(&model.path, round, rng.next(), &stderr);
        let spawned = Instant::now();
        let mut lines = Vec::new();
        if rng.percent(25) {
            // At any moment; half of these early enough to land in sled's open and recovery.
            let within = if rng.percent(50) { 80_000 } else { 800_000 };
            let at = spawned + Duration::from_micros(rng.below(within));
            collect_until(&rx, at, &mut lines, &|_| false);
        } else {
            // During an append of a chosen size.
            let size = rng.pick(&CRASH_SIZES);
            let deadline = spawned + Duration::from_secs(20);
            // Every third round first checks, while the child holds the store, that a second
            // opener is told it is in use (after a wait of its own for the lock). PostgreSQL
            // takes any number of processes: that is tested in `pg/`.
            if round % 3 == 0
                && !on_pg
                && collect_until(&rx, deadline, &mut lines, &|l| l.starts_with("open "))
            {
                match Ledger::open(&model.path) {
                    Err(LedgerError::Store(StoreError::InUse { .. })) => stats.in_use_checked += 1,
                    Err(e) => panic!("{ctx}: a second opener got {e}"),
                    Ok(_) => panic!("{ctx}: a second opener got the store in use"),
                }
                // What the child said meanwhile is past: the begin to wait for is a new one.
                lines.extend(rx.try_iter());
            }
            let suffix = format!(" {size}");
            let begun = |l: &str| l.starts_with("begin ") && l.ends_with(&suffix);
            collect_until(&rx, deadline, &mut lines, &begun);
            // Anywhere in the append; for the largest, every other time near its end, where it
            // stages blocks beyond the head, commits and syncs.
            let span = mean(took[&size]).as_micros() as u64;
            let delay = Duration::from_micros(if size == 70_000 && rng.percent(50) {
                span * 8 / 10 + rng.below(span * 3 / 10 + 1)
            } else {
                rng.below(span * 12 / 10 + 1)
            });
            collect_until(&rx, Instant::now() + delay, &mut lines, &|_| false);
        }
        let pid = child.id();
        child.kill().expect("kill the child");
        let status = child.wait().unwrap();
        settled_after_kill(&model.path, pid, &ctx);
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        if signal_of(&status) != Some(9) {
            panic!(
                "{ctx}: the child ended by itself ({status}) before it was killed:\n{}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        }
        stats.kills += 1;

        let said = parse_child(&lines, &ctx);
        for (size, d) in &said.timings {
            let t = took.get_mut(size).unwrap();
            *t = (t.0 + *d, t.1 + 1);
        }
        stats.acked_batches += said.acked.len();
        stats.acked_events += said.acked.iter().map(|a| a.1).sum::<u64>();
        let probe = tagged(&t, format!("crash {} {round} 1 0", u64::MAX));
        let at = check_after_kill(&mut model, &said, &probe, &ctx, &mut stats);
        *stats.at.entry(at).or_default() += 1;
        // Every few rounds, the command line agrees.
        if round % 5 == 4 || round + 1 == kills {
            let run = run_bin(&model.path, &["verify"], Duration::from_secs(60));
            assert_eq!(
                run.status.and_then(|s| s.code()),
                Some(0),
                "{ctx}: {}",
                run.stderr
            );
            let ok = format!(
                "ok: {}",
                rambok::lang::counted(model.head, "post", "poster")
            );
            assert!(run.stdout.starts_with(&ok), "{ctx}: {}", run.stdout);
        }
    }

    eprintln!(
        "crash_safety: {} kills over {} stores; {} acknowledged appends ({} events) all found; \
         {} kills left staged blocks beyond the head; {} in-use checks; slowest open after a \
         kill {:?}",
        stats.kills,
        stats.stores,
        stats.acked_batches,
        stats.acked_events,
        stats.staged_left,
        stats.in_use_checked,
        stats.slowest_open
    );
    let mut sizes: Vec<_> = took.iter().map(|(s, t)| (*s, mean(*t), t.1 - 1)).collect();
    sizes.sort();
    for (size, mean, n) in sizes {
        eprintln!(
            "crash_safety:   an append of {size:>6} took {mean:>8.1?} on average ({n} timed)"
        );
    }
    for (at, n) in &stats.at {
        let what = match at {
            KilledAt::Opening => "while opening the store".to_string(),
            KilledAt::Between => "between appends".to_string(),
            KilledAt::During(size, true) => {
                format!("during an append of {size}: committed, unacknowledged")
            }
            KilledAt::During(size, false) => format!("during an append of {size}: absent"),
        };
        eprintln!("crash_safety:   {n:>4} killed {what}");
    }
}
}

// ---------------------------------------------------------------------------------------------
// 2. Damaged files
// ---------------------------------------------------------------------------------------------

/// Synthetic events on top of the Kalmar fixtures: enough that 2017 has frames of every office
/// and that sled's log spans several segments (about 4 MB).
const DAMAGE_SYNTHETIC: usize = 20_000;
/// The "staged" store's one large append: beyond 256 blocks × 256 records, so it staged blocks.
const DAMAGE_STAGED: usize = 70_000;
const HANG: Duration = Duration::from_secs(10);

/// The outcome of one damage trial.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// (a) Reported: a non-zero exit and a message; the string sorts them by exit code and kind.
    Reported(String),
    /// (b) Both commands exit 0 with exactly the undamaged output.
    Unchanged,
    /// (c) Exit 0 with other output, a panic, a signal or a hang.
    Failure(String),
}

/// Judges one command's run: `Ok(None)` unchanged, `Ok(Some(kind))` reported, `Err((kind,
/// detail))` a failure.
fn judge(run: &Run, expected: &str) -> Result<Option<String>, (String, String)> {
    let fail = |kind: &str, detail: String| Err((kind.to_string(), detail));
    let Some(status) = run.status else {
        return fail("hang", format!("no exit after {HANG:?}"));
    };
    if run.stderr.contains("panicked at") {
        let at = run.stderr.lines().find(|l| l.contains("panicked at"));
        return fail("panic", at.unwrap_or("").to_string());
    }
    if let Some(sig) = signal_of(&status) {
        return fail("killed by a signal", format!("signal {sig}"));
    }
    match status.code() {
        Some(0) if run.stdout == expected => Ok(None),
        Some(0) => fail(
            "exit 0 with other output",
            first_difference(expected, &run.stdout),
        ),
        Some(code @ (5 | 6)) if run.stderr.starts_with("rambok: ") => {
            let msg = &run.stderr["rambok: ".len()..];
            let kind = if msg.starts_with("liggaren i ") && msg.contains("är skadad: sleds") {
                "the store at … is damaged: sled's conf or db … (found before sled opened it)"
            } else if msg.contains("sled kan inte läsa liggaren") {
                "the store is damaged: sled cannot read … (a sled panic, caught)"
            } else if msg.starts_with("liggaren är skadad vid") {
                "the ledger is damaged …"
            } else if msg.starts_with("liggaren är skadad:") {
                "the store is damaged …"
            } else if msg.contains("sled fann sina filer skadade") {
                "storage failure … (sled) Read corrupted data …"
            } else {
                "storage failure (other)"
            };
            Ok(Some(format!("exit {code}: {kind}")))
        }
        Some(code) => fail(&format!("exit {code}"), first_line(&run.stderr).to_string()),
        None => fail("no exit code", String::new()),
    }
}

fn first_difference(expected: &str, got: &str) -> String {
    let (e, g): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), got.lines().collect());
    match e.iter().zip(&g).position(|(a, b)| a != b) {
        Some(i) => format!(
            "line {}: {:?} instead of {:?}",
            i + 1,
            g[i].trim(),
            e[i].trim()
        ),
        None => format!("{} lines instead of {}", g.len(), e.len()),
    }
}

fn first_line(s: &str) -> &str {
    let l = s.lines().next().unwrap_or("");
    let mut end = l.len().min(200);
    while !l.is_char_boundary(end) {
        end -= 1;
    }
    &l[..end]
}

/// Builds a pristine store as `init`, `import` and `import` would: the Kalmar fixtures, then,
/// opened again, synthetic events in appends of these sizes.
fn pristine_store(path: &Path, appends: &[usize]) {
    let fixtures = rambok::cli::demo::fixture_events().unwrap();
    Ledger::open(path)
        .unwrap()
        .append(&fixtures, "fixtures", Some(0), Utc::now())
        .unwrap();
    let ledger = Ledger::open(path).unwrap();
    let mut synthetic = Vec::new();
    rambok::gen::municipality(appends.iter().sum(), 7, |v| {
        synthetic.push(parse_event(&v).unwrap())
    });
    let mut rest = &synthetic[..];
    for &n in appends {
        let done = ledger.append(&rest[..n], "gen", None, Utc::now()).unwrap();
        assert_eq!(done.added, n);
        rest = &rest[n..];
    }
}

/// A pristine store to damage copies of, and what the commands print for it undamaged.
struct Pristine {
    name: &'static str,
    path: PathBuf,
    report: String,
    verify: String,
}

const REPORT_ARGS: [&str; 6] = ["report", "frames", "--year", "2017", "--format", "json"];

fn pristine(dir: &Path, name: &'static str, build: impl FnOnce(&Path)) -> Pristine {
    let path = dir.join(name);
    build(&path);
    // What the commands print, from a copy: opening a store changes its files.
    let scratch = dir.join("scratch");
    copy_dir(&path, &scratch);
    let report = run_bin(&scratch, &REPORT_ARGS, HANG);
    let verify = run_bin(&scratch, &["verify"], HANG);
    for run in [&report, &verify] {
        assert_eq!(run.status.and_then(|s| s.code()), Some(0), "{}", run.stderr);
    }
    std::fs::remove_dir_all(&scratch).unwrap();
    assert!(
        report.stdout.contains("\"F40\""),
        "the synthetic offices are in the report"
    );
    Pristine {
        name,
        path,
        report: report.stdout,
        verify: verify.stdout,
    }
}

#[test]
fn damaged_files_are_reported_never_misread() {
    let seed = seed("damaged_files");
    let mut rng = Rng::new(seed);
    let trials = if long() { 1200 } else { 100 };
    let dir = tempfile::tempdir().unwrap();
    // Three pristine stores. "written": the last process to open it appended (three appends), so
    // sled recovers that tail from its log on the next open: the usual state after an import.
    // "reopened": the same opened once more since, so sled's snapshot covers everything.
    // "staged": one append of 70 000 events, which staged blocks beyond the head before it moved
    // the head (12 MB; fewer trials, it is slower to copy and read).
    let split = [DAMAGE_SYNTHETIC - 8_000, 5_000, 3_000];
    let written = pristine(dir.path(), "written", |p| pristine_store(p, &split));
    let reopened = pristine(dir.path(), "reopened", |p| {
        copy_dir(&written.path, p);
        drop(Ledger::open(p).unwrap());
    });
    let staged = pristine(dir.path(), "staged", |p| {
        pristine_store(p, &[DAMAGE_STAGED])
    });
    assert_eq!(written.report, reopened.report);

    let mut tally: BTreeMap<(&str, Outcome), BTreeMap<&str, usize>> = BTreeMap::new();
    let mut by_file: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    for trial in 0..trials {
        let p = match rng.below(100) {
            0..=44 => &written,
            45..=84 => &reopened,
            _ => &staged,
        };
        let variant = p.name;
        let copy = dir.path().join("trial");
        let _ = std::fs::remove_dir_all(&copy);
        copy_dir(&p.path, &copy);
        // Mostly sled's data file; otherwise any other file of the store (conf, snapshots).
        let mut files: Vec<String> = std::fs::read_dir(&copy)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        files.sort();
        let file = if rng.percent(80) {
            "db".to_string()
        } else {
            files[rng.below(files.len() as u64) as usize].clone()
        };
        let path = copy.join(&file);
        let mut bytes = std::fs::read(&path).unwrap();
        let len = bytes.len() as u64;
        let (damage, flips): (&str, u64) = match rng.below(10) {
            0..=4 => ("one bit", 1),
            5..=6 => ("one byte", 1),
            7..=8 => ("2-8 bytes", 2 + rng.below(7)),
            _ => ("512-byte run", 512),
        };
        let mut offsets = Vec::new();
        let start = rng.below(len);
        for k in 0..flips {
            let at = if damage == "512-byte run" {
                ((start + k) % len) as usize
            } else {
                rng.below(len) as usize
            };
            let mask = if damage == "one bit" {
                1u8 << rng.below(8)
            } else {
                1 + rng.below(255) as u8
            };
            bytes[at] ^= mask;
            if offsets.len() < 8 {
                offsets.push(format!("{at}^{mask:#04x}"));
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        let file_class = match file.as_str() {
            "db" => "db",
            "conf" => "conf",
            f if f.starts_with("snap.") => "snapshot",
            "rambok.head" => "rambok.head",
            _ => "other",
        };
        *by_file.entry((file_class, variant)).or_default() += 1;

        let report = run_bin(&copy, &REPORT_ARGS, HANG);
        let verified = run_bin(&copy, &["verify"], HANG);
        let outcome = match (judge(&report, &p.report), judge(&verified, &p.verify)) {
            (Err((kind, detail)), _) => Err(("report", kind, detail)),
            (_, Err((kind, detail))) => Err(("verify", kind, detail)),
            (Ok(None), Ok(None)) => Ok(Outcome::Unchanged),
            (Ok(Some(r)), _) | (Ok(None), Ok(Some(r))) => Ok(Outcome::Reported(r)),
        };
        let outcome = outcome.unwrap_or_else(|(command, kind, detail)| {
            failures.push(format!(
                "trial {trial} ({variant}, {file}, {damage} at {}): {command}: {kind}: {detail}; \
                 report said: {}{}; verify said: {}{}",
                offsets.join(" "),
                first_line(&report.stdout),
                first_line(&report.stderr),
                first_line(&verified.stdout),
                first_line(&verified.stderr)
            ));
            Outcome::Failure(format!("{command}: {kind}"))
        });
        let class = match &outcome {
            Outcome::Reported(_) => "(a) reported",
            Outcome::Unchanged => "(b) unchanged",
            Outcome::Failure(_) => "(c) FAILURE",
        };
        *tally
            .entry((class, outcome))
            .or_default()
            .entry(variant)
            .or_default() += 1;
    }

    eprintln!("damaged_files: {trials} trials");
    for ((file, variant), n) in &by_file {
        eprintln!("damaged_files:   {n:>5} damaged {file} ({variant})");
    }
    for ((class, outcome), by_variant) in &tally {
        let detail = match outcome {
            Outcome::Reported(r) => r.clone(),
            Outcome::Unchanged => "exit 0, identical report and verify output".into(),
            Outcome::Failure(f) => f.clone(),
        };
        let n: usize = by_variant.values().sum();
        let split: Vec<String> = by_variant.iter().map(|(v, n)| format!("{v} {n}")).collect();
        eprintln!(
            "damaged_files:   {n:>5} {class}: {detail} [{}]",
            split.join(", ")
        );
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {trials} damaged stores were misread, panicked or hung; the first:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Concurrency
// ---------------------------------------------------------------------------------------------

on_both_engines! {
fn concurrent_appenders_and_readers_see_whole_batches() {
    let seed = seed("concurrency");
    let (writers, batches, readers) = if long() { (16, 150, 4) } else { (16, 25, 3) };
    let db = engines::fresh("concurrency");
    let ledger = Arc::new(engines::open(&db.path));
    let t = Arc::new(template());
    // One record first, so that an expectation of `head - 1` is always stale.
    ledger
        .append(
            &batch(&t, "conc", u64::MAX, 0, 1),
            "setup",
            Some(0),
            Utc::now(),
        )
        .unwrap();
    // Batches acknowledged so far: (writer, batch) → (size, last sequence number).
    let acked: Arc<Mutex<HashMap<BatchKey, (u64, u64)>>> = Arc::default();
    let conflicts = Arc::new(AtomicU64::new(0));
    let stale_refused = Arc::new(AtomicU64::new(0));
    let writing = Arc::new(AtomicBool::new(true));

    let writer_threads: Vec<_> = (0..writers)
        .map(|w: u64| {
            let (ledger, t, acked) = (Arc::clone(&ledger), Arc::clone(&t), Arc::clone(&acked));
            let (conflicts, stale_refused) = (Arc::clone(&conflicts), Arc::clone(&stale_refused));
            std::thread::spawn(move || {
                let mut rng = Rng::new(seed ^ (w + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let optimistic = w.is_multiple_of(2);
                for b in 0..batches {
                    let size = rng.pick(&[1, 1, 3, 50, 300, 1_000]);
                    let events = batch(&t, "conc", w, b, size);
                    let who = format!("w{w}");
                    if optimistic && b % 4 == 0 {
                        let stale = ledger.head().seq - 1;
                        match ledger.append(&events, &who, Some(stale), Utc::now()) {
                            Err(LedgerError::Conflict { expected, actual }) => {
                                assert_eq!(expected, stale);
                                assert!(actual > stale, "{actual} after {stale}");
                                stale_refused.fetch_add(1, Ordering::Relaxed);
                            }
                            other => panic!("seed {seed}: a stale expectation gave {other:?}"),
                        }
                    }
                    loop {
                        let expected = optimistic.then(|| ledger.head().seq);
                        // A client reads, thinks, then writes: others get in between.
                        std::thread::sleep(Duration::from_micros(rng.below(300)));
                        match ledger.append(&events, &who, expected, Utc::now()) {
                            Ok(done) => {
                                assert_eq!(done.added as u64, size, "seed {seed}");
                                acked.lock().unwrap().insert((w, b), (size, done.head_seq));
                                break;
                            }
                            Err(LedgerError::Conflict {
                                expected: e,
                                actual,
                            }) if Some(e) == expected && actual > e => {
                                conflicts.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => panic!("seed {seed}: writer {w} batch {b}: {e}"),
                        }
                    }
                }
            })
        })
        .collect();

    let reader_threads: Vec<_> = (0..readers)
        .map(|_| {
            let (ledger, acked, writing) = (
                Arc::clone(&ledger),
                Arc::clone(&acked),
                Arc::clone(&writing),
            );
            std::thread::spawn(move || {
                // Full scans made, and the problems found (how many, and the first).
                let (mut scans, mut problems, mut first) = (0u64, 0u64, None::<String>);
                let mut last_records = 0;
                loop {
                    let done = !writing.load(Ordering::SeqCst);
                    let before = acked.lock().unwrap().clone();
                    let problem = match tally(&ledger, "conc") {
                        Err(e) => Some(e),
                        Ok((seen, records)) => {
                            let half = seen.iter().find(|(_, s)| s.count != s.size);
                            let missing = before.iter().find(|(key, (size, last))| {
                                seen.get(key).map(|s| (s.size, s.last_seq)) != Some((*size, *last))
                            });
                            let shrank = records < last_records;
                            last_records = records;
                            match (half, missing, shrank) {
                                (Some((key, s)), _, _) => {
                                    Some(format!("half a batch {key:?}: {s:?}"))
                                }
                                (_, Some((key, _)), _) => {
                                    Some(format!("acknowledged batch {key:?} not seen whole"))
                                }
                                (_, _, true) => Some("the log shrank".into()),
                                _ => None,
                            }
                        }
                    };
                    scans += 1;
                    if let Some(p) = problem {
                        problems += 1;
                        first.get_or_insert(p);
                    }
                    if done {
                        return (scans, problems, first);
                    }
                }
            })
        })
        .collect();

    for w in writer_threads {
        w.join().unwrap();
    }
    writing.store(false, Ordering::SeqCst);
    let (mut scans, mut problems, mut first) = (0, 0, None);
    for r in reader_threads {
        let (s, p, f) = r.join().unwrap();
        (scans, problems) = (scans + s, problems + p);
        first = first.or(f);
    }
    assert!(
        problems == 0,
        "seed {seed}: {problems} of {scans} concurrent reads went wrong; the first: {}",
        first.unwrap_or_default()
    );

    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len() as u64, writers * batches);
    let (seen, records) = tally(&ledger, "conc").unwrap();
    let total: u64 = 1 + acked.values().map(|a| a.0).sum::<u64>();
    assert_eq!(records, total, "seed {seed}: no event lost or doubled");
    assert_eq!(ledger.head().seq, total);
    for (key, (size, last)) in &acked {
        assert_eq!(
            seen.get(key).map(|s| (s.size, s.count, s.last_seq)),
            Some((*size, *size, *last)),
            "seed {seed}: batch {key:?}"
        );
    }
    let mut ids: Vec<_> = ledger
        .records()
        .unwrap()
        .iter()
        .map(|r| r.event.id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as u64, total, "seed {seed}: every event once");
    assert!(stale_refused.load(Ordering::Relaxed) > 0);
    eprintln!(
        "concurrency: {writers} writers × {batches} batches = {total} events; {} conflicts \
         retried, {} stale expectations refused; {readers} readers made {scans} full scans",
        conflicts.load(Ordering::Relaxed),
        stale_refused.load(Ordering::Relaxed)
    );
}
}

#[test]
fn every_command_on_a_store_in_use_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let held = Ledger::open(&path).unwrap();
    let fixtures = rambok::cli::demo::fixture_events().unwrap();
    held.append(&fixtures, "a", None, Utc::now()).unwrap();
    let head = held.head();
    let import = dir.path().join("one.jsonl");
    std::fs::write(
        &import,
        r#"{"type":"frame_changed","office":"KLK","year":2017,"amount":"1","unit":"tkr","category":"c","reason":"r","decision":{"body":"KF","date":"2017-01-01"}}"#,
    )
    .unwrap();
    let digest = dir.path().join("digest.json");
    std::fs::write(&digest, rambok::control::verify::digest_text(&head)).unwrap();
    let (imp, dig) = (import.to_str().unwrap(), digest.to_str().unwrap());
    let out = dir.path().join("new-digest.json");
    let xlsx = dir.path().join("export.xlsx");
    let commands: Vec<Vec<&str>> = vec![
        vec!["log"],
        vec!["log", "--format", "json"],
        vec!["import", imp, "--user", "u"],
        vec![
            "record",
            "frame_changed",
            "--user",
            "u",
            "--office",
            "KLK",
            "--year",
            "2017",
            "--amount",
            "1",
            "--unit",
            "tkr",
            "--category",
            "c",
            "--reason",
            "r",
            "--decided-by",
            "KF",
            "--decision-date",
            "2017-01-01",
        ],
        vec!["report", "frames", "--year", "2017"],
        vec!["report", "frames", "--year", "2017", "--format", "json"],
        vec!["history", "--office", "KLK", "--year", "2017"],
        vec!["diff", "--from", "2016-01-01", "--to", "2017-06-30"],
        vec!["control", "--year", "2017"],
        vec!["export", "--year", "2017", "--out", xlsx.to_str().unwrap()],
        vec!["verify"],
        vec!["verify", "--against", dig],
        vec!["digest", "--out", out.to_str().unwrap()],
        vec!["token", "list"],
        vec!["serve", "--port", "0"],
    ];
    // All at once: each waits a moment for the lock before it gives up.
    let runs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = commands
            .iter()
            .map(|args| s.spawn(|| run_bin(&path, args, Duration::from_secs(30))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (args, run) in commands.iter().zip(runs) {
        assert_eq!(
            run.status.and_then(|s| s.code()),
            Some(4),
            "{args:?}: {}{}",
            run.stdout,
            run.stderr
        );
        assert!(
            run.stderr.contains("används av en annan process"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
    assert!(!out.exists() && !xlsx.exists(), "nothing was written");
    assert_eq!(held.head(), head, "nothing was appended");
}

// ---------------------------------------------------------------------------------------------
// 4. Damaged folders: sled's files missing, cut short or garbled
// ---------------------------------------------------------------------------------------------

/// Every file and folder under `dir`: its size and the SHA-256 of its bytes (folders: none).
fn listing(dir: &Path) -> BTreeMap<PathBuf, Option<(u64, [u8; 32])>> {
    use sha2::{Digest, Sha256};
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().to_path_buf();
            if path.is_dir() {
                out.insert(rel, None);
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(
                    rel,
                    Some((bytes.len() as u64, Sha256::digest(&bytes).into())),
                );
            }
        }
    }
    out
}

/// A ledger of the Kalmar fixtures, closed; returns its head's sequence number.
fn fixture_ledger(path: &Path) -> u64 {
    let fixtures = rambok::cli::demo::fixture_events().unwrap();
    let ledger = Ledger::open(path).unwrap();
    ledger
        .append(&fixtures, "fixtures", Some(0), Utc::now())
        .unwrap();
    ledger.head().seq
}

/// One way to damage a store's folder: its name, what it does, and the words the message must
/// say about it.
type FolderAttack = (&'static str, fn(&Path), &'static str);

fn set_len(file: &Path, len: impl FnOnce(u64) -> u64) {
    let f = std::fs::OpenOptions::new().write(true).open(file).unwrap();
    let was = f.metadata().unwrap().len();
    f.set_len(len(was)).unwrap();
}

const FOLDER_ATTACKS: [FolderAttack; 5] = [
    (
        "conf overwritten with garbage",
        |p| std::fs::write(p.join("conf"), [0x5a_u8; 63]).unwrap(),
        "sleds konfigurationsfil conf är förvanskad (dess 63 byte är varken den konfiguration",
    ),
    (
        "conf cut short",
        |p| set_len(&p.join("conf"), |_| 20),
        "sleds konfigurationsfil conf är avkortad (20 av dess 63 byte)",
    ),
    (
        "conf emptied (sled would write a new one)",
        |p| set_len(&p.join("conf"), |_| 0),
        "sleds konfigurationsfil conf är avkortad (0 av dess 63 byte)",
    ),
    (
        "data file deleted",
        |p| std::fs::remove_file(p.join("db")).unwrap(),
        "sleds datafil db saknas",
    ),
    (
        "data file emptied",
        |p| set_len(&p.join("db"), |_| 0),
        "sleds datafil db är tom",
    ),
];
// A data file merely *shorter* than at the last durable commit is no folder-level sign: sled gives
// back free segments at the end of the file, and a kill after that leaves it shorter (the crash
// runs saw it). Records it lost are found against the witness on open (exit 6), as the damaged-
// file runs check.

/// Regression: a damaged `conf` exited 5 blaming sled versions before 0.29, and a deleted `db`
/// said "no ledger, run `rambok init`" (which would have made an empty store over the witness).
#[test]
fn damaged_folders_are_reported_as_damaged_and_left_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine");
    let seq = fixture_ledger(&pristine);
    let witness = format!(
        "vittnesfilen rambok.head anger {} till och med sekvens {seq}",
        rambok::lang::counted(seq, "post", "poster")
    );
    let commands: [&[&str]; 4] = [
        &["verify"],
        &["report", "frames", "--year", "2017"],
        &["serve", "--port", "0"],
        &["init"],
    ];
    for (name, attack, says) in FOLDER_ATTACKS {
        let copy = dir.path().join("attacked");
        let _ = std::fs::remove_dir_all(&copy);
        copy_dir(&pristine, &copy);
        attack(&copy);
        let before = listing(&copy);
        for args in commands {
            let run = run_bin(&copy, args, HANG);
            let ctx = format!("{name}, rambok {}", args.join(" "));
            assert_eq!(
                run.status.and_then(|s| s.code()),
                Some(6),
                "{ctx}: {}{}",
                run.stdout,
                run.stderr
            );
            let msg = run.stderr.trim_end();
            assert!(
                msg.starts_with(&format!(
                    "rambok: liggaren i {} är skadad: ",
                    copy.display()
                )),
                "{ctx}: {msg}"
            );
            assert!(msg.contains(says), "{ctx}: {msg}");
            assert!(msg.contains(&witness), "{ctx}: {msg}");
            assert!(
                msg.ends_with("inget i mappen har ändrats: återställ den från en säkerhetskopia"),
                "{ctx}: {msg}"
            );
            assert!(!msg.to_lowercase().contains("init"), "{ctx}: {msg}");
            assert!(run.stdout.is_empty(), "{ctx}: {}", run.stdout);
            assert_eq!(listing(&copy), before, "{ctx}: the folder changed");
        }
        // The library refuses it just the same, before sled sees the folder.
        match Ledger::open(&copy) {
            Err(LedgerError::Store(StoreError::Damaged(d))) => {
                assert!(d.to_string().contains(says), "{name}: {d}")
            }
            Err(e) => panic!("{name}: {e}"),
            Ok(_) => panic!("{name}: opened"),
        }
        assert_eq!(
            listing(&copy),
            before,
            "{name}: Ledger::open changed the folder"
        );
    }
}

#[test]
fn a_folder_without_a_ledger_is_told_to_init_and_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let missing = dir.path().join("missing");
    for (db, args) in [
        (&empty, &["verify"][..]),
        (&missing, &["report", "frames", "--year", "2017"][..]),
        (&missing, &["serve", "--port", "0"][..]),
    ] {
        let run = run_bin(db, args, HANG);
        assert_eq!(
            run.status.and_then(|s| s.code()),
            Some(1),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("det finns ingen liggare i")
                && run.stderr.contains("`rambok init --db"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert!(listing(&empty).is_empty(), "nothing was created");
    assert!(!missing.exists(), "no folder was created");
    let made = run_bin(&missing, &["init"], HANG);
    assert_eq!(
        made.status.and_then(|s| s.code()),
        Some(0),
        "{}",
        made.stderr
    );
    assert!(run_bin(&missing, &["verify"], HANG)
        .stdout
        .starts_with("ok: 0 poster"));
}

/// sled's snapshot is a cache of its log: without it the store opens and reads the same.
#[test]
fn a_deleted_snapshot_is_not_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let seq = fixture_ledger(&path);
    let run = run_bin(&path, &["verify"], HANG);
    assert_eq!(run.status.and_then(|s| s.code()), Some(0), "{}", run.stderr);
    let mut snapshots = 0;
    for entry in std::fs::read_dir(&path).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with("snap.") {
            std::fs::remove_file(entry.path()).unwrap();
            snapshots += 1;
        }
    }
    assert!(snapshots > 0, "the store had a snapshot to delete");
    let again = run_bin(&path, &["verify"], HANG);
    assert_eq!(
        again.status.and_then(|s| s.code()),
        Some(0),
        "{}",
        again.stderr
    );
    assert_eq!(again.stdout, run.stdout);
    assert!(again.stdout.starts_with(&format!(
        "ok: {}",
        rambok::lang::counted(seq, "post", "poster")
    )));
}
