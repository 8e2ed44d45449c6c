//! `verify --against DIGEST` is never the weaker check (issue 15, point 12). A ledger is built,
//! `rambok digest` is taken, the ledger grows and is closed, and copies of its folder are damaged:
//! bytes flipped in any of its files, a 4 KiB block zeroed, two 4 KiB blocks swapped, a file cut
//! short or deleted, a value changed through sled (which only rambok's own checks can see), the
//! folder put back to before the digest (which only the digest can see). Each damaged copy is
//! copied once more, so that both commands meet the same bytes first: `verify` runs on one and
//! `verify --against` on the other, and then each runs the other command on the state the first
//! left, as a revisor who runs both would.
//!
//! Required: wherever `verify` reports damage, `verify --against` reports it too, in the same words
//! with the same exit code; `verify --against` exits 0 only where `verify` does; a reported store
//! stays reported for the next command; nothing panics or hangs. docs/reliability.md (section 5)
//! has the method and the figures.

use super::{copy_dir, first_line, long, run_bin, seed, Run, HANG};
use chrono::Utc;
use rambok::gen::Rng;
use rambok::json::parse_event;
use rambok::ledger::Ledger;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Damaged copies in the default run and with `RAMBOK_LONG=1`.
const CASES: usize = 120;
const CASES_LONG: usize = 1_200;
/// Synthetic events on top of the Kalmar fixtures. The digest is taken after the first
/// `DIGEST_AFTER` of them (so the ledger goes on past the digest, as it does after a year-end
/// digest), then the rest are appended `LATER_APPEND` at a time by one process: the last to open
/// the store wrote to it, so sled recovers that tail from its log on the next open.
const SYNTHETIC: usize = 8_000;
const DIGEST_AFTER: usize = 4_000;
const LATER_APPEND: usize = 2_000;
const BLOCK_BYTES: u64 = 4096;

/// The ways a copy is damaged, taken in turn so that each gets its share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// 1–8 bytes XORed with a non-zero value, at random offsets.
    FlipBytes,
    /// A 4 KiB-aligned block (or what the file holds of it) overwritten with zeros.
    ZeroBlock,
    /// Two different 4 KiB-aligned blocks exchanged.
    SwapBlocks,
    /// The file cut to a random length shorter than it was.
    Truncate,
    /// The file removed.
    Delete,
    /// One value in the log's tree changed or removed through sled itself (a block of records,
    /// the head, an index entry, the index head), as a bug or an editor would: sled's checksums
    /// vouch for it, so only rambok's own checks (the chain, the index) can find it.
    ThroughSled,
    /// The whole folder put back as it was before the digest (an old backup restored, records
    /// recorded since gone): consistent, so only the digest can tell.
    RolledBack,
}

const KINDS: [Kind; 7] = [
    Kind::FlipBytes,
    Kind::ZeroBlock,
    Kind::SwapBlocks,
    Kind::Truncate,
    Kind::Delete,
    Kind::ThroughSled,
    Kind::RolledBack,
];

/// Where the damage went, for the tallies: `snap.*` are all one.
fn file_class(name: &str) -> &str {
    if name.starts_with("snap.") {
        "snap.*"
    } else {
        name
    }
}

/// Damages the store at `dir` in the way `kind` says; returns where (a file, or a kind of value in
/// sled's tree) and what was done.
fn damage(rng: &mut Rng, dir: &Path, kind: Kind, older: &Path) -> (String, String) {
    match kind {
        Kind::ThroughSled => through_sled(rng, dir),
        Kind::RolledBack => {
            std::fs::remove_dir_all(dir).unwrap();
            copy_dir(older, dir);
            (
                "the folder".into(),
                "put back as it was before the digest".into(),
            )
        }
        _ => damage_file(rng, dir, kind),
    }
}

/// Damages one file of the store at `dir`.
fn damage_file(rng: &mut Rng, dir: &Path, kind: Kind) -> (String, String) {
    let mut files: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            let len = e.metadata().unwrap().len();
            (e.file_name().into_string().unwrap(), len)
        })
        .collect();
    files.sort();
    // Two blocks to swap are found only in sled's data file and a large snapshot.
    if kind == Kind::SwapBlocks {
        files.retain(|(_, len)| *len >= 2 * BLOCK_BYTES);
    }
    // Half of the time sled's data file, where the log lives; otherwise any file.
    let (name, len) = if rng.below(2) == 0 && files.iter().any(|(n, _)| n == "db") {
        files.iter().find(|(n, _)| n == "db").unwrap().clone()
    } else {
        files[rng.below(files.len() as u64) as usize].clone()
    };
    let path = dir.join(&name);
    let what = match kind {
        Kind::Delete => {
            std::fs::remove_file(&path).unwrap();
            "deleted".to_string()
        }
        Kind::Truncate => {
            let to = rng.below(len.max(1));
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(to)
                .unwrap();
            format!("cut to {to} of {len} bytes")
        }
        _ => {
            let mut bytes = std::fs::read(&path).unwrap();
            let what = rewrite(rng, &mut bytes, kind);
            std::fs::write(&path, &bytes).unwrap();
            what
        }
    };
    (name, what)
}

/// Changes or removes one value of the log's tree through sled; returns which and how.
fn through_sled(rng: &mut Rng, dir: &Path) -> (String, String) {
    let db = rambok::store::sled_store::config(dir).open().unwrap();
    let tree = db.open_tree("log").unwrap();
    let keys: Vec<sled::IVec> = tree.iter().keys().map(Result::unwrap).collect();
    // Keys as the store writes them: `b` + sequence (blocks), `h` (the head), `x` + index key
    // (the index; `xH` its head).
    let (class, of_class): (&str, Vec<&sled::IVec>) = match rng.below(4) {
        0 => (
            "sled: block",
            keys.iter().filter(|k| k[0] == b'b').collect(),
        ),
        1 => (
            "sled: head",
            keys.iter().filter(|k| &k[..] == b"h").collect(),
        ),
        2 => (
            "sled: index entry",
            keys.iter()
                .filter(|k| k[0] == b'x' && &k[..] != b"xH")
                .collect(),
        ),
        _ => (
            "sled: index head",
            keys.iter().filter(|k| &k[..] == b"xH").collect(),
        ),
    };
    assert!(!of_class.is_empty(), "{class}: no such key in the store");
    let key = of_class[rng.below(of_class.len() as u64) as usize].clone();
    let mut value = tree.get(&key).unwrap().unwrap().to_vec();
    let what = if rng.below(4) == 0 || value.is_empty() {
        tree.remove(&key).unwrap();
        format!("{key:?} removed")
    } else {
        let i = rng.below(value.len() as u64) as usize;
        let mask = 1 + rng.below(255) as u8;
        value[i] ^= mask;
        tree.insert(&key, value).unwrap();
        format!("{key:?}: byte {i}^{mask:#04x}")
    };
    db.flush().unwrap();
    (class.to_string(), what)
}

/// Changes `bytes` in place for the kinds that keep a file's length.
fn rewrite(rng: &mut Rng, bytes: &mut [u8], kind: Kind) -> String {
    let len = bytes.len() as u64;
    let blocks = len.div_ceil(BLOCK_BYTES);
    let block = |i: u64| (i * BLOCK_BYTES) as usize..((i + 1) * BLOCK_BYTES).min(len) as usize;
    match kind {
        Kind::FlipBytes if len > 0 => {
            let mut at = Vec::new();
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(len) as usize;
                let mask = 1 + rng.below(255) as u8;
                bytes[i] ^= mask;
                at.push(format!("{i}^{mask:#04x}"));
            }
            format!("bytes flipped at {}", at.join(" "))
        }
        Kind::ZeroBlock if len > 0 => {
            let i = rng.below(blocks);
            bytes[block(i)].fill(0);
            format!("block {i} zeroed (of {blocks})")
        }
        Kind::SwapBlocks => {
            // Both whole blocks: the last one may be short.
            let whole = len / BLOCK_BYTES;
            let i = rng.below(whole);
            let j = (i + 1 + rng.below(whole - 1)) % whole;
            let a = bytes[block(i)].to_vec();
            bytes.copy_within(block(j), block(i).start);
            bytes[block(j)].copy_from_slice(&a);
            format!("blocks {i} and {j} swapped (of {blocks})")
        }
        _ => "nothing (the file is empty)".to_string(),
    }
}

/// One command's answer on a damaged copy.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    /// Exit 0, with the head it printed.
    Ok(String),
    /// A non-zero exit and the message (the store's folder written `<store>`).
    Reported(i32, String),
    /// A hang, a panic, death by a signal: no answer to compare.
    Broken(String),
}

/// What `run` answered on the store at `store` (named `<store>` in the message, so that the answers
/// on two copies compare).
fn answer(run: &Run, store: &Path) -> Answer {
    let Some(status) = run.status else {
        return Answer::Broken(format!("no exit after {HANG:?}"));
    };
    if let Some(at) = run.stderr.lines().find(|l| l.contains("panicked at")) {
        return Answer::Broken(at.to_string());
    }
    match status.code() {
        Some(0) => Answer::Ok(
            run.stdout
                .lines()
                .find(|l| l.starts_with("senaste: "))
                .unwrap_or("no head printed")
                .to_string(),
        ),
        Some(code) => Answer::Reported(
            code,
            run.stderr
                .trim_end()
                .replace(&store.display().to_string(), "<store>"),
        ),
        None => Answer::Broken(format!("killed by a signal: {status}")),
    }
}

/// What is wrong when `against` answers beside `verify` (on the same bytes: `same`) or after it:
/// `None` when it is as strong. Where `verify` reports damage, `verify --against` reports it with
/// the same exit code, and on the same bytes word for word (after `verify`, sled's recovery may
/// have changed the files, and with them the words); it may only add damage of its own (exit 6,
/// a ledger that no longer extends the digest) where `verify` says ok.
fn weaker(verify: &Answer, against: &Answer, same: bool) -> Option<String> {
    match (verify, against) {
        (Answer::Broken(b), _) => Some(format!("verify broke: {b}")),
        (_, Answer::Broken(b)) => Some(format!("verify --against broke: {b}")),
        (Answer::Reported(c, m), Answer::Reported(d, n)) if c == d && (m == n || !same) => None,
        (Answer::Reported(c, _), Answer::Reported(d, n)) if c == d => Some(format!(
            "verify --against reports other damage: {}",
            first_line(n)
        )),
        (Answer::Reported(c, _), Answer::Reported(d, _)) => {
            Some(format!("verify --against exits {d} where verify exits {c}"))
        }
        (Answer::Reported(c, _), Answer::Ok(_)) => {
            Some(format!("verify --against says ok where verify exits {c}"))
        }
        (Answer::Ok(_), Answer::Reported(6, _)) => None,
        (Answer::Ok(_), Answer::Reported(d, _)) => {
            Some(format!("verify --against exits {d} where verify says ok"))
        }
        (Answer::Ok(h), Answer::Ok(g)) if h == g => None,
        (Answer::Ok(h), Answer::Ok(g)) => Some(format!(
            "both say ok, verify with {h:?}, verify --against with {g:?}"
        )),
    }
}

/// What is wrong when damage that `first` reported is gone for the command run `then` on the
/// state it left: `None` when it stays reported. Damage only the digest shows (`verify` says ok on
/// the same bytes) is not for `verify` to see.
fn stays(first: &Answer, then: &Answer, verify: &Answer) -> Option<String> {
    match (first, then, verify) {
        (_, Answer::Broken(b), _) => Some(format!("the second command broke: {b}")),
        (Answer::Reported(c, _), Answer::Ok(_), Answer::Reported(..)) => Some(format!(
            "the first exits {c}, the second says ok: the damage went away"
        )),
        _ => None,
    }
}

/// How one damaged copy came out, for the tallies.
#[derive(Default)]
struct Tally {
    cases: usize,
    verify_caught: usize,
    against_caught: usize,
    /// Both exit 0 with the undamaged head: the damage did not touch anything read.
    harmless: usize,
    /// `verify` exits 0 with another head, and `verify --against` reports it.
    only_against: usize,
}

impl Tally {
    fn add(&mut self, verify: &Answer, against: &Answer, pristine_head: &str) {
        self.cases += 1;
        let caught = |a: &Answer| matches!(a, Answer::Reported(..));
        self.verify_caught += usize::from(caught(verify));
        self.against_caught += usize::from(caught(against));
        match (verify, against) {
            (Answer::Ok(h), Answer::Ok(_)) if h == pristine_head => self.harmless += 1,
            (Answer::Ok(_), Answer::Reported(..)) => self.only_against += 1,
            _ => {}
        }
    }

    fn line(&self) -> String {
        format!(
            "{:>5} damaged, verify caught {:>5}, verify --against caught {:>5} ({} only by --against), harmless {:>5}",
            self.cases, self.verify_caught, self.against_caught, self.only_against, self.harmless
        )
    }
}

/// The store to damage, closed, in two states: "written" (the last process to open it appended,
/// so sled recovers that tail from its log on the next open: the usual state after an import) and
/// "reopened" (opened once more since, so sled's snapshot covers everything); the digest file
/// `rambok digest` wrote of it before its last appends; the head `verify` prints.
struct Pristine {
    written: PathBuf,
    /// The store as it was before the digest: the fixtures only.
    older: PathBuf,
    reopened: PathBuf,
    digest: PathBuf,
    head: String,
}

fn pristine(dir: &Path) -> Pristine {
    let written = dir.join("written");
    let fixtures = rambok::cli::demo::fixture_events().unwrap();
    let mut synthetic = Vec::new();
    rambok::gen::municipality(SYNTHETIC, 7, |v| synthetic.push(parse_event(&v).unwrap()));
    let (before, after) = synthetic.split_at(DIGEST_AFTER);
    let ledger = Ledger::open(&written).unwrap();
    ledger
        .append(&fixtures, "fixtures", Some(0), Utc::now())
        .unwrap();
    drop(ledger);
    let older = dir.join("older");
    copy_dir(&written, &older);
    let ledger = Ledger::open(&written).unwrap();
    ledger.append(before, "gen", None, Utc::now()).unwrap();
    let digested = ledger.head().seq;
    drop(ledger);
    let digest = dir.join("digest.json");
    let said = on_a_copy(
        &written,
        dir,
        &["digest", "--out", digest.to_str().unwrap()],
    );
    assert!(
        said.starts_with(&format!("skrev kontrollsumman för sekvens {digested}")),
        "{said}"
    );
    let ledger = Ledger::open(&written).unwrap();
    for chunk in after.chunks(LATER_APPEND) {
        ledger.append(chunk, "gen", None, Utc::now()).unwrap();
    }
    drop(ledger);
    let reopened = dir.join("reopened");
    copy_dir(&written, &reopened);
    drop(Ledger::open(&reopened).unwrap());
    let head = on_a_copy(&written, dir, &["verify"]);
    let extends = on_a_copy(
        &written,
        dir,
        &["verify", "--against", digest.to_str().unwrap()],
    );
    assert_eq!(extends, head);
    assert_eq!(on_a_copy(&reopened, dir, &["verify"]), head);
    Pristine {
        written,
        older,
        reopened,
        digest,
        head,
    }
}

/// Runs the binary on a copy of `store` (opening a store changes its files: sled recovers the tail
/// the last process wrote) and returns the last line it printed; it must exit 0.
fn on_a_copy(store: &Path, dir: &Path, args: &[&str]) -> String {
    let scratch = dir.join("scratch");
    copy_dir(store, &scratch);
    let run = run_bin(&scratch, args, HANG);
    std::fs::remove_dir_all(&scratch).unwrap();
    assert_eq!(run.status.and_then(|s| s.code()), Some(0), "{}", run.stderr);
    run.stdout.lines().last().unwrap_or("").to_string()
}

#[test]
fn verify_against_is_never_weaker_than_verify() {
    let seed = seed("verify_against");
    let mut rng = Rng(seed.max(1));
    let cases = if long() { CASES_LONG } else { CASES };
    let dir = tempfile::tempdir().unwrap();
    let p = pristine(dir.path());
    let digest = p.digest.to_str().unwrap();
    let verify: &[&str] = &["verify"];
    let against: &[&str] = &["verify", "--against", digest];

    let started = std::time::Instant::now();
    let mut by_kind: BTreeMap<Kind, Tally> = BTreeMap::new();
    let mut by_state: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut by_file: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut messages: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    for case in 0..cases {
        let kind = KINDS[case % KINDS.len()];
        let (one, two) = (dir.path().join("one"), dir.path().join("two"));
        for d in [&one, &two] {
            let _ = std::fs::remove_dir_all(d);
        }
        let (state, from) = match rng.below(2) {
            0 => ("written", &p.written),
            _ => ("reopened", &p.reopened),
        };
        copy_dir(from, &one);
        let (file, what) = damage(&mut rng, &one, kind, &p.older);
        copy_dir(&one, &two);

        // Both commands on the same damaged bytes, and then each after the other.
        let v = answer(&run_bin(&one, verify, HANG), &one);
        let v_then_a = answer(&run_bin(&one, against, HANG), &one);
        let a = answer(&run_bin(&two, against, HANG), &two);
        let a_then_v = answer(&run_bin(&two, verify, HANG), &two);

        let problems: Vec<String> = [
            weaker(&v, &a, true).map(|w| format!("on the same bytes: {w}")),
            weaker(&v, &v_then_a, false).map(|w| format!("verify, then verify --against: {w}")),
            stays(&a, &a_then_v, &v).map(|w| format!("verify --against, then verify: {w}")),
        ]
        .into_iter()
        .flatten()
        .chain(
            (kind == Kind::RolledBack && !matches!(a, Answer::Reported(6, _))).then(|| {
                "the ledger was put back to before the digest and verify --against did not say so"
                    .to_string()
            }),
        )
        .collect();
        if !problems.is_empty() {
            failures.push(format!(
                "case {case}: {state}, {kind:?} {file}: {what}: {}\n    verify: {v:?}\n    then --against: {v_then_a:?}\n    --against: {a:?}\n    then verify: {a_then_v:?}",
                problems.join("; ")
            ));
        }
        for t in [
            by_kind.entry(kind).or_default(),
            by_state.entry(state).or_default(),
            by_file.entry(file_class(&file).to_string()).or_default(),
            &mut total,
        ] {
            t.add(&v, &a, &p.head);
        }
        if let Answer::Reported(code, msg) = &a {
            *messages.entry(message_class(*code, msg)).or_default() += 1;
        }
    }

    eprintln!(
        "verify_against: seed {seed}: {} in {:.1} s",
        total.line(),
        started.elapsed().as_secs_f64()
    );
    for (kind, t) in &by_kind {
        eprintln!("verify_against:   {:<17} {}", format!("{kind:?}"), t.line());
    }
    for (state, t) in &by_state {
        eprintln!("verify_against:   {state:<17} {}", t.line());
    }
    for (file, t) in &by_file {
        eprintln!("verify_against:   {file:<17} {}", t.line());
    }
    for (m, n) in &messages {
        eprintln!("verify_against:   {n:>5} × {m}");
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: in {} of {cases} damaged copies verify --against was the weaker check (replay with RAMBOK_SEED={seed}):\n{}",
        failures.len(),
        failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(
        total.verify_caught > 0 && total.harmless > 0,
        "seed {seed}: the damage should be caught in some copies and harmless in others: {}",
        total.line()
    );
}

/// The kind of message `verify --against` gave, for the tallies.
fn message_class(code: i32, msg: &str) -> String {
    let kind = if msg.contains("är skadad: sleds") {
        "the store at … is damaged: sled's conf or db … (the folder check)"
    } else if msg.contains("sled kan inte läsa") {
        "the store is damaged: sled cannot read … (a sled panic, caught)"
    } else if msg.contains("sled fann sina filer skadade") {
        "the store is damaged: sled found its files damaged …"
    } else if msg.contains("saknas: liggaren var varaktigt sparad") {
        "the store is damaged: records … are missing (the witness)"
    } else if msg.contains("indexet skiljer sig från loggen") {
        "the ledger is damaged … (index differs from the log)"
    } else if msg.contains("kontrollsumma") {
        "the ledger is damaged … (the digest)"
    } else if msg.contains("liggaren är skadad") {
        "the ledger is damaged … (the chain)"
    } else {
        "other"
    };
    format!("exit {code}: {kind}")
}
