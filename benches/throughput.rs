//! Throughput and latency of the whole ledger in one process, for the side-by-side comparison in
//! docs/benchmarks.md (`bash benches/compare.sh` runs it; it also runs on its own):
//!
//!   cargo bench --bench throughput -- --events 1000000 --append-secs 5
//!
//! In order: raw `fdatasync`s per second on the store's disk (4 KiB rewritten in place); a bulk
//! import of the synthetic municipality (`rambok::gen`, seed 1, as `rambok gen`) through
//! `Ledger::begin`/`push`/`commit` from parsed events, durable at the end; bytes on disk per
//! event; a full rebuild (scan every record, check the hash chain, build the frame index); as-of
//! frame queries for one office and for all offices of a year, each timed on its own; durable
//! single-event appends with 1 writer and with 32 writer threads sharing one `Ledger` (group
//! commit), each acknowledged only once durable.
//!
//! Prints `key=value` lines (for scripts) and then a markdown table. Peak memory per phase is
//! read from `VmHWM` after resetting it through `/proc/self/clear_refs`; the figure given is the
//! growth over the resident size when the phase began, i.e. what the phase itself needed.

use chrono::Utc;
use rambok::domain::event::{Date, Event};
use rambok::gen::Rng;
use rambok::json::parse_event;
use rambok::ledger::Ledger;
use rambok::projection::frame_index::FrameIndex;
use rambok::projection::Clock;
use serde_json::json;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Args {
    events: usize,
    append_secs: f64,
    fsync_secs: f64,
    one_queries: usize,
    all_queries: usize,
    rebuilds: usize,
    dir: Option<PathBuf>,
}

fn usage() -> ! {
    eprintln!(
        "usage: throughput [--events N] [--append-secs S] [--fsync-secs S] [--one-queries N] \
         [--all-queries N] [--rebuilds N] [--dir PATH]"
    );
    std::process::exit(2)
}

fn args() -> Args {
    let mut a = Args {
        events: 1_000_000,
        append_secs: 5.0,
        fsync_secs: 2.0,
        one_queries: 200_000,
        all_queries: 20_000,
        rebuilds: 3,
        dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        // `cargo bench` passes --bench to every bench binary.
        if flag == "--bench" {
            continue;
        }
        let Some(value) = it.next() else { usage() };
        let num = || value.parse::<f64>().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--events" => a.events = num() as usize,
            "--append-secs" => a.append_secs = num(),
            "--fsync-secs" => a.fsync_secs = num(),
            "--one-queries" => a.one_queries = num() as usize,
            "--all-queries" => a.all_queries = num() as usize,
            "--rebuilds" => a.rebuilds = num().max(1.0) as usize,
            "--dir" => a.dir = Some(PathBuf::from(&value)),
            _ => usage(),
        }
    }
    a
}

/// Resident memory figures of this process, in KiB: (current, peak since the last reset).
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Starts a phase's memory measurement: resets the peak to the current size (Linux ≥ 4.0).
fn memory_phase() -> u64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    memory_kib().0
}

/// The peak growth since `memory_phase` returned `base`, in MiB.
fn memory_growth_mib(base: u64) -> f64 {
    memory_kib().1.saturating_sub(base) as f64 / 1024.0
}

fn dir_bytes(path: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            total += if meta.is_dir() {
                dir_bytes(&e.path())
            } else {
                meta.len()
            };
        }
    }
    total
}

/// CPU time this process has used so far, all threads (from /proc/self/stat; 100 ticks a second
/// on Linux).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    f.iter().sum::<u64>() as f64 / 100.0
}

/// The value at quantile `q` of sorted durations (nearest rank).
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A new frame change for writer `w`, unique by its reason (so its content id is new).
fn change_event(w: usize, i: u64) -> Event {
    let office = format!("F{:02}", w % 40 + 1);
    let v = json!({"type": "frame_changed", "office": office, "year": 2024, "amount": "-125",
        "unit": "tkr", "category": "ramjustering", "reason": format!("Skrivtest {w}/{i}"),
        "decision": {"body": "KF", "date": "2024-03-14", "case": format!("KS 2024/{i:06}"),
        "paragraph": "§ 42"}});
    parse_event(&v).expect("a valid frame change")
}

struct AppendRun {
    appends: usize,
    secs: f64,
    p50: Duration,
    p99: Duration,
    cpu_per_append: Duration,
}

/// `writers` threads append one event at a time, each acknowledged once durable, for `secs`.
fn durable_appends(ledger: &Ledger, writers: usize, secs: f64, tag: usize) -> AppendRun {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let cpu = cpu_secs();
    let start = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                s.spawn(move || {
                    let mut lat = Vec::new();
                    let mut i = 0u64;
                    while Instant::now() < deadline {
                        let event = change_event(tag * 1000 + w, i);
                        i += 1;
                        let t = Instant::now();
                        ledger
                            .append(std::slice::from_ref(&event), "bench", None, Utc::now())
                            .expect("append");
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("writer thread"))
            .collect()
    });
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    latencies.sort_unstable();
    AppendRun {
        appends: latencies.len(),
        secs,
        p50: quantile(&latencies, 0.50),
        p99: quantile(&latencies, 0.99),
        cpu_per_append: Duration::from_secs_f64(cpu / latencies.len().max(1) as f64),
    }
}

/// Times up to `n` questions of each kind (for at most `secs` per kind) through `rambok::query`;
/// puts `q_KIND_p50_us`, `_p99_us` and `_count`.
fn questions(ledger: &Ledger, n: usize, secs: f64, put: &mut impl FnMut(&str, String)) {
    use rambok::query;
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let first = rambok::gen::FIRST_YEAR;
    let mut draw = || {
        let year = first + rng.below(rambok::gen::YEARS as u64) as i32;
        let office = format!("F{:02}", rng.below(40) + 1);
        let day = Date(Date::ymd(year, 1, 1).expect("date").0 + chrono::Days::new(rng.below(365)));
        (year, office, day)
    };
    type Question<'a> = Box<dyn Fn(i32, &str, Date) + 'a>;
    let clock = |d: Date| Clock {
        as_of: Some(d),
        known_at: None,
    };
    let kinds: Vec<(&str, Question)> = vec![
        (
            "frames",
            Box::new(|y, _, d| {
                black_box(query::frames(ledger, y, &clock(d)).expect("frames"));
            }),
        ),
        (
            "bridge",
            Box::new(|y, o, d| {
                black_box(query::bridge(ledger, o, y - 1, y, &clock(d)).expect("bridge"));
            }),
        ),
        (
            "budget",
            Box::new(|y, o, d| {
                black_box(query::budget(ledger, o, y, Some(y - 1), &clock(d)).expect("budget"));
            }),
        ),
        (
            "outcome",
            Box::new(|y, o, d| {
                black_box(query::outcome(ledger, o, y, &clock(d)).expect("outcome"));
            }),
        ),
        (
            "investments",
            Box::new(|y, o, d| {
                black_box(query::investments(ledger, o, y, Some(y - 1), &clock(d)).expect("inv"));
            }),
        ),
        (
            "goals",
            Box::new(|y, o, d| {
                black_box(query::goals(ledger, y, Some(o), &clock(d)).expect("goals"));
            }),
        ),
        (
            "history",
            Box::new(|y, o, d| {
                black_box(query::history(ledger, o, y, None, &clock(d)).expect("history"));
            }),
        ),
        (
            "diff",
            Box::new(|_, _, d| {
                let from = Date(d.0 - chrono::Days::new(30));
                black_box(query::diff(ledger, from, d, None).expect("diff"));
            }),
        ),
    ];
    for (name, ask) in &kinds {
        let mut lat = Vec::with_capacity(n);
        let started = Instant::now();
        while lat.len() < n && (lat.len() < 20 || started.elapsed().as_secs_f64() < secs) {
            let (y, o, d) = draw();
            let t = Instant::now();
            ask(y, &o, d);
            lat.push(t.elapsed());
        }
        lat.sort_unstable();
        put(
            &format!("q_{name}_p50_us"),
            format!("{:.0}", micros(quantile(&lat, 0.5))),
        );
        put(
            &format!("q_{name}_p99_us"),
            format!("{:.0}", micros(quantile(&lat, 0.99))),
        );
    }
}

fn rebuild(ledger: &Ledger) -> FrameIndex {
    let mut index = FrameIndex::default();
    ledger
        .scan(1, |r| {
            index.add(&r);
            Ok(())
        })
        .expect("scan");
    index.sort();
    index
}

fn main() {
    let a = args();
    let tmp;
    let dir = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d).expect("create --dir");
            d.clone()
        }
        None => {
            tmp = tempfile::tempdir().expect("temp dir");
            tmp.path().to_path_buf()
        }
    };
    let mut out: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| {
        println!("{k}={v}");
        out.push((k.to_string(), v));
    };
    put("events", a.events.to_string());

    // Raw fdatasync rates of this disk, for context: 4 KiB rewritten in place, and 4 KiB appended
    // in turn to a preallocated file (as a write-ahead log does), each followed by fdatasync.
    {
        use std::os::unix::fs::FileExt;
        let path = dir.join("fsync-probe");
        let page = vec![0x5au8; 4096];
        let slots = 16_384u64; // 64 MiB
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .expect("probe file");
        for i in 0..slots {
            f.write_all_at(&page, i * 4096).expect("write");
        }
        f.sync_all().expect("sync");
        for (key, step) in [
            ("fdatasync_rewrite_per_s", 0u64),
            ("fdatasync_log_per_s", 1),
        ] {
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed().as_secs_f64() < a.fsync_secs / 2.0 {
                f.write_all_at(&page, (n * step % slots) * 4096)
                    .expect("write");
                f.sync_data().expect("fdatasync");
                n += 1;
            }
            put(
                key,
                format!("{:.0}", n as f64 / start.elapsed().as_secs_f64()),
            );
        }
        drop(f);
        let _ = std::fs::remove_file(&path);
    }

    // The municipality, parsed (not timed: the CLI figure includes parsing).
    let t = Instant::now();
    let mut events = Vec::with_capacity(a.events);
    rambok::gen::municipality(a.events, 1, |v| {
        events.push(parse_event(&v).expect("generated events parse"))
    });
    eprintln!(
        "generated and parsed {} events in {:.2} s",
        events.len(),
        t.elapsed().as_secs_f64()
    );

    // Bulk import: one streaming append, acknowledged once durable.
    let store = dir.join("ledger");
    let ledger = Ledger::open(&store).expect("open");
    let base = memory_phase();
    let t = Instant::now();
    let mut appender = ledger.begin("bench", None, Utc::now()).expect("begin");
    for e in &events {
        appender.push(e).expect("push");
    }
    let done = appender.commit().expect("commit");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(done.added, a.events);
    put("import_secs", format!("{secs:.3}"));
    put("import_ev_per_s", format!("{:.0}", a.events as f64 / secs));
    put(
        "import_mem_growth_mib",
        format!("{:.0}", memory_growth_mib(base)),
    );
    drop(events);
    let bytes = dir_bytes(&store);
    put("disk_bytes", bytes.to_string());
    // sled writes a tree node larger than its blob threshold (a quarter of a segment) to a file
    // of its own under blobs/, which neither sled's flush nor SledStore::sync fsyncs.
    let blobs = std::fs::read_dir(store.join("blobs")).map_or(0, |d| d.count());
    put("blob_files", blobs.to_string());
    put("blob_bytes", dir_bytes(&store.join("blobs")).to_string());
    put(
        "disk_b_per_event",
        format!("{:.0}", bytes as f64 / a.events as f64),
    );

    // Full rebuild with verification, on a ledger opened afresh (its page cache cold in sled,
    // warm in the kernel).
    drop(ledger);
    let ledger = Ledger::open(&store).expect("reopen");
    let base = memory_phase();
    let mut times = Vec::new();
    let mut index = FrameIndex::default();
    for _ in 0..a.rebuilds {
        let t = Instant::now();
        index = black_box(rebuild(&ledger));
        times.push(t.elapsed());
    }
    times.sort_unstable();
    put(
        "rebuild_secs_median",
        format!("{:.3}", quantile(&times, 0.5).as_secs_f64()),
    );
    put("rebuild_secs_min", format!("{:.3}", times[0].as_secs_f64()));
    put(
        "rebuild_mem_growth_mib",
        format!("{:.0}", memory_growth_mib(base)),
    );

    // As-of queries through the index: random office and as-of day in 2015, each timed alone.
    let year = 2015;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let jan1 = Date::ymd(year, 1, 1).expect("date").0;
    let mut clock = || Clock {
        as_of: Some(Date(jan1 + chrono::Days::new(rng.below(365)))),
        known_at: None,
    };
    let offices: Vec<String> = (1..=40).map(|i| format!("F{i:02}")).collect();
    let one: Vec<(usize, Clock)> = (0..a.one_queries)
        .map(|i| ((i * 7 + i / 40) % 40, clock()))
        .collect();
    let all: Vec<Clock> = (0..a.all_queries).map(|_| clock()).collect();
    let mut lat = Vec::with_capacity(one.len());
    for (o, c) in &one {
        let t = Instant::now();
        black_box(index.frame(black_box(&offices[*o]), year, c));
        lat.push(t.elapsed());
    }
    lat.sort_unstable();
    put("one_p50_us", format!("{:.3}", micros(quantile(&lat, 0.5))));
    put("one_p99_us", format!("{:.3}", micros(quantile(&lat, 0.99))));
    let mut lat = Vec::with_capacity(all.len());
    let mut rows = 0;
    for c in &all {
        let t = Instant::now();
        let n = index
            .offices(year)
            .iter()
            .filter_map(|o| index.frame(o, year, c))
            .count();
        lat.push(t.elapsed());
        rows = black_box(n);
    }
    put("all_rows", rows.to_string());
    lat.sort_unstable();
    put("all_p50_us", format!("{:.3}", micros(quantile(&lat, 0.5))));
    put("all_p99_us", format!("{:.3}", micros(quantile(&lat, 0.99))));
    drop(index);

    // Every report kind through the query layer (the persisted index), as the CLI and the server
    // ask it: random offices, years and as-of days, each question timed on its own.
    questions(
        &ledger,
        a.one_queries.clamp(50, 5_000),
        a.append_secs,
        &mut put,
    );

    // Durable single-event appends on the imported ledger. The first append of a process loads
    // the validation state (one scan), so one append warms up before the clock starts.
    ledger
        .append(&[change_event(999, 0)], "bench", None, Utc::now())
        .expect("warm-up append");
    let mut appended = 1;
    for (writers, tag) in [(1usize, 1usize), (32, 2)] {
        let stats = ledger.commit_stats();
        let disk = dir_bytes(&store);
        let r = durable_appends(&ledger, writers, a.append_secs, tag);
        let after = ledger.commit_stats();
        appended += r.appends;
        let k = format!("append{writers}");
        put(&format!("{k}_count"), r.appends.to_string());
        put(
            &format!("{k}_per_s"),
            format!("{:.0}", r.appends as f64 / r.secs),
        );
        put(&format!("{k}_p50_us"), format!("{:.0}", micros(r.p50)));
        put(&format!("{k}_p99_us"), format!("{:.0}", micros(r.p99)));
        put(
            &format!("{k}_cpu_us_per_append"),
            format!("{:.0}", micros(r.cpu_per_append)),
        );
        let syncs = (after.syncs - stats.syncs).max(1);
        put(
            &format!("{k}_per_sync"),
            format!("{:.1}", (after.groups - stats.groups) as f64 / syncs as f64),
        );
        // sled grows its files a segment at a time: a figure per append only means something
        // over thousands of appends.
        let grown = dir_bytes(&store).saturating_sub(disk);
        put(
            &format!("{k}_disk_b_per_append"),
            format!("{:.0}", grown as f64 / r.appends.max(1) as f64),
        );
    }
    assert_eq!(ledger.head().seq as usize, a.events + appended);
    let t = Instant::now();
    let mut seen = 0usize;
    ledger
        .scan(1, |_| {
            seen += 1;
            Ok(())
        })
        .expect("the log verifies after the appends");
    assert_eq!(seen, a.events + appended);
    eprintln!(
        "verified {seen} records after the appends in {:.2} s",
        t.elapsed().as_secs_f64()
    );

    println!();
    println!("| figure | value |");
    println!("|---|---:|");
    for (k, v) in &out {
        println!("| {k} | {v} |");
    }
}
