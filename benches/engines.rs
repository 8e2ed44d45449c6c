//! The same ledger on both engines, same run: rambok on sled and rambok on PostgreSQL, for the
//! rows of docs/benchmarks.md that compare them (`bash benches/compare.sh` runs it against its
//! private cluster, beside pgbench's plain INSERTs on the same cluster):
//!
//!   cargo bench --bench engines -- --db 'postgres://postgres@/postgres?host=/tmp/pg&port=5432' \
//!       --sled /tmp/engines-sled --events 20000 --append-secs 2 --queries 2000
//!
//! For each engine: a bulk import of the synthetic municipality (`rambok::gen`, seed 1), durable
//! single-event appends with 1 writer and with 32 writer threads sharing one `Ledger`, and every
//! report through `rambok::query` timed one by one (p50 and p99). Prints `key=value` lines,
//! `sled_…` and `pg_…`.

use chrono::Utc;
use rambok::domain::event::{Date, Event};
use rambok::gen::Rng;
use rambok::json::parse_event;
use rambok::ledger::Ledger;
use rambok::projection::Clock;
use rambok::store::pg::PgStore;
use rambok::store::target::Target;
use rambok::store::{Engine, Store};
use serde_json::json;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Args {
    db: String,
    sled: PathBuf,
    events: usize,
    append_secs: f64,
    queries: usize,
}

fn args() -> Args {
    let mut a = Args {
        db: String::new(),
        sled: PathBuf::new(),
        events: 20_000,
        append_secs: 2.0,
        queries: 2_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--bench" {
            continue;
        }
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--db" => a.db = value,
            "--sled" => a.sled = PathBuf::from(value),
            "--events" => a.events = value.parse().expect("--events N"),
            "--append-secs" => a.append_secs = value.parse().expect("--append-secs S"),
            "--queries" => a.queries = value.parse().expect("--queries N"),
            _ => {
                eprintln!("usage: engines --db URL --sled DIR [--events N] [--append-secs S] [--queries N]");
                std::process::exit(2)
            }
        }
    }
    assert!(
        !a.db.is_empty() && !a.sled.as_os_str().is_empty(),
        "--db and --sled are needed"
    );
    a
}

fn quantile_us(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e6
}

/// A new frame change for writer `w`, unique by its reason.
fn change(w: usize, i: u64) -> Event {
    let v = json!({"type": "frame_changed", "office": format!("F{:02}", w % 40 + 1), "year": 2024,
        "amount": "-125", "unit": "tkr", "category": "ramjustering",
        "reason": format!("Motorprov {w}/{i}"),
        "decision": {"body": "KF", "date": "2024-03-14", "case": format!("KS 2024/{i:06}")}});
    parse_event(&v).expect("a valid frame change")
}

/// `writers` threads append one event at a time for `secs`; appends per second, p50, p99 (µs).
fn appends(ledger: &Ledger<Engine>, writers: usize, secs: f64, tag: usize) -> (f64, f64, f64) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut lat: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                s.spawn(move || {
                    let mut lat = Vec::new();
                    let mut i = 0;
                    while Instant::now() < deadline {
                        let e = change(tag * 1000 + w, i);
                        i += 1;
                        let t = Instant::now();
                        ledger
                            .append(&[e], "bench", None, Utc::now())
                            .expect("append");
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("writer"))
            .collect()
    });
    let secs = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    (
        lat.len() as f64 / secs,
        quantile_us(&lat, 0.5),
        quantile_us(&lat, 0.99),
    )
}

/// Reads a store has sent to its server so far (PostgreSQL; none for sled).
fn reads(ledger: &Ledger<Engine>) -> u64 {
    ledger.store().postgres().map_or(0, |p| p.reads())
}

/// Every report, `n` times each on random offices, years and dates: (name, p50, p99 in µs,
/// reads sent to the server per report).
fn reports(ledger: &Ledger<Engine>, n: usize) -> Vec<(&'static str, f64, f64, f64)> {
    use rambok::query;
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let first = rambok::gen::FIRST_YEAR;
    let mut out = Vec::new();
    let clock = |d: Date| Clock {
        as_of: Some(d),
        known_at: None,
    };
    for name in [
        "frames",
        "bridge",
        "budget",
        "outcome",
        "investments",
        "goals",
        "history",
        "diff",
    ] {
        let mut lat = Vec::with_capacity(n);
        let reads_before = reads(ledger);
        for _ in 0..n {
            let y = first + rng.below(rambok::gen::YEARS as u64) as i32;
            let o = format!("F{:02}", rng.below(40) + 1);
            let d = Date(Date::ymd(y, 1, 1).expect("date").0 + chrono::Days::new(rng.below(365)));
            let t = Instant::now();
            match name {
                "frames" => drop(black_box(
                    query::frames(ledger, y, &clock(d)).expect("frames"),
                )),
                "bridge" => drop(black_box(
                    query::bridge(ledger, &o, y - 1, y, &clock(d)).expect("bridge"),
                )),
                "budget" => drop(black_box(
                    query::budget(ledger, &o, y, Some(y - 1), &clock(d)).expect("budget"),
                )),
                "outcome" => drop(black_box(
                    query::outcome(ledger, &o, y, &clock(d)).expect("outcome"),
                )),
                "investments" => drop(black_box(
                    query::investments(ledger, &o, y, Some(y - 1), &clock(d)).expect("inv"),
                )),
                "goals" => drop(black_box(
                    query::goals(ledger, y, Some(&o), &clock(d)).expect("goals"),
                )),
                "history" => drop(black_box(
                    query::history(ledger, &o, y, None, &clock(d)).expect("history"),
                )),
                _ => drop(black_box(
                    query::diff(ledger, Date(d.0 - chrono::Days::new(30)), d, None).expect("diff"),
                )),
            }
            lat.push(t.elapsed());
        }
        let per_report = (reads(ledger) - reads_before) as f64 / n.max(1) as f64;
        lat.sort_unstable();
        out.push((
            name,
            quantile_us(&lat, 0.5),
            quantile_us(&lat, 0.99),
            per_report,
        ));
    }
    out
}

fn run(prefix: &str, ledger: Ledger<Engine>, events: &[Event], a: &Args) {
    let t = Instant::now();
    let mut appender = ledger.begin("bench", None, Utc::now()).expect("begin");
    for e in events {
        appender.push(e).expect("push");
    }
    appender.commit().expect("commit");
    println!(
        "{prefix}_import_ev_per_s={:.0}",
        events.len() as f64 / t.elapsed().as_secs_f64()
    );
    for (writers, tag) in [(1, 1), (32, 2)] {
        let before = ledger.commit_stats();
        let (per_s, p50, p99) = appends(&ledger, writers, a.append_secs, tag);
        let after = ledger.commit_stats();
        println!("{prefix}_append{writers}_per_s={per_s:.0}");
        println!("{prefix}_append{writers}_p50_us={p50:.0}");
        println!("{prefix}_append{writers}_p99_us={p99:.0}");
        println!(
            "{prefix}_append{writers}_per_sync={:.1}",
            (after.groups - before.groups) as f64 / (after.syncs - before.syncs).max(1) as f64
        );
    }
    for (name, p50, p99, per_report) in reports(&ledger, a.queries) {
        println!("{prefix}_q_{name}_p50_us={p50:.0}");
        println!("{prefix}_q_{name}_p99_us={p99:.0}");
        if prefix == "pg" {
            println!("{prefix}_q_{name}_reads={per_report:.1}");
        }
    }
    assert_eq!(ledger.store().head().expect("head").seq, ledger.head().seq);
}

fn main() {
    let a = args();
    let mut events = Vec::with_capacity(a.events);
    rambok::gen::municipality(a.events, 1, |v| {
        events.push(parse_event(&v).expect("parses"))
    });
    let sled: Ledger<Engine> = Ledger::open(&a.sled).expect("open sled").into();
    run("sled", sled, &events, &a);
    let Target::Postgres(url) = Target::parse(std::path::Path::new(&a.db)).expect("--db") else {
        panic!("--db must be a postgres:// URL")
    };
    let (store, created) = PgStore::create(&url).expect("create the PostgreSQL ledger");
    assert!(created, "the PostgreSQL ledger must be new");
    let pg = Ledger::with_store(Engine::Postgres(Box::new(store))).expect("open PostgreSQL");
    run("pg", pg, &events, &a);
}
