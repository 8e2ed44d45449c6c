//! `rambok serve` under load, for the side-by-side comparison in docs/benchmarks.md
//! (`bash benches/compare.sh` runs it after the CLI import; it also runs on its own):
//!
//!   cargo bench --bench serve_load -- --db PATH --clients 32 --secs 5
//!
//! Opens the ledger at PATH (imported beforehand, e.g. `rambok import` of `rambok gen` output),
//! reports the time from opening to the first answer, then serves it on 127.0.0.1 (port picked by
//! the system) on the server's own threads and drives it with `--clients` keep-alive HTTP/1.1
//! connections from this process: first every client reads (reports of random kinds, offices,
//! years and as-of dates), then every client appends one event per `POST /api/events`, each
//! acknowledged once durable. Prints `key=value` lines: per phase requests per second, p50 and p99
//! latency, and the process's peak resident memory (clients included; they hold a few KiB each).

use rambok::gen::Rng;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Args {
    db: PathBuf,
    clients: usize,
    secs: f64,
}

fn args() -> Args {
    let mut a = Args {
        db: PathBuf::new(),
        clients: 32,
        secs: 5.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => a.db = PathBuf::from(value()),
            "--clients" => a.clients = value().parse().expect("--clients N"),
            "--secs" => a.secs = value().parse().expect("--secs S"),
            "--bench" => {}
            other => panic!("unknown flag {other}: --db PATH [--clients N] [--secs S]"),
        }
    }
    assert!(!a.db.as_os_str().is_empty(), "--db PATH is required");
    a
}

/// Peak resident memory of this process, MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// One keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
    stream: TcpStream,
    host: String,
    token: String,
}

impl Conn {
    fn new(addr: std::net::SocketAddr, token: &str) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            reader: BufReader::new(stream.try_clone().expect("clone")),
            stream,
            host: addr.to_string(),
            token: token.to_string(),
        }
    }

    /// Sends one request and reads the whole answer; returns the status.
    fn call(&mut self, method: &str, path: &str, body: &str) -> u16 {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            self.token,
            body.len()
        );
        self.stream.write_all(req.as_bytes()).expect("send");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().expect("length");
                }
            }
        }
        let mut buf = vec![0u8; length];
        self.reader.read_exact(&mut buf).expect("body");
        status
    }
}

fn read_path(rng: &mut Rng) -> String {
    let year = rambok::gen::FIRST_YEAR + rng.below(rambok::gen::YEARS as u64) as i32;
    let office = format!("F{:02}", rng.below(40) + 1);
    let as_of = format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
    match rng.below(7) {
        0 => format!("/api/frames?year={year}&as_of={as_of}"),
        1 => format!(
            "/api/bridge?office={office}&from={}&to={year}&as_of={as_of}",
            year - 1
        ),
        2 => format!(
            "/api/budget?office={office}&year={year}&compare={}&as_of={as_of}",
            year - 1
        ),
        3 => format!("/api/outcome?office={office}&year={year}&as_of={as_of}"),
        4 => format!("/api/investments?office={office}&year={year}&as_of={as_of}"),
        5 => format!("/api/goals?office={office}&year={year}&as_of={as_of}"),
        _ => format!("/api/history?office={office}&year={year}&as_of={as_of}"),
    }
}

fn append_body(client: usize, i: u64) -> String {
    format!(
        r#"{{"type":"frame_changed","office":"F{:02}","year":2024,"amount":"-125","unit":"tkr","category":"ramjustering","reason":"Lasttest {client}/{i}","decision":{{"body":"KF","date":"2024-03-14","case":"KS 2024/{i:06}","paragraph":"§ 42"}}}}"#,
        client % 40 + 1
    )
}

/// Runs `clients` connections for `secs`; `ask` makes one request; returns sorted latencies.
fn phase(
    addr: std::net::SocketAddr,
    token: &str,
    clients: usize,
    secs: f64,
    ask: impl Fn(&mut Conn, &mut Rng, usize, u64) -> u16 + Sync,
) -> (Vec<Duration>, f64) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut lat: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let ask = &ask;
                s.spawn(move || {
                    let mut conn = Conn::new(addr, token);
                    let mut rng = Rng(0x9e37_79b9 + c as u64 * 7919);
                    let mut out = Vec::new();
                    let mut i = 0;
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        let status = ask(&mut conn, &mut rng, c, i);
                        assert!(status < 300, "answer {status}");
                        out.push(t.elapsed());
                        i += 1;
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client"))
            .collect()
    });
    let secs = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    (lat, secs)
}

fn pct(lat: &[Duration], q: f64) -> f64 {
    if lat.is_empty() {
        return 0.0;
    }
    let i = ((lat.len() as f64 - 1.0) * q).round() as usize;
    lat[i].as_secs_f64() * 1000.0
}

fn main() {
    let a = args();
    let t = Instant::now();
    let ledger = rambok::ledger::Ledger::open(&a.db).expect("open the ledger");
    let state = rambok::server::AppState::new(ledger, None).expect("state");
    let token = state
        .tokens()
        .add(
            &format!("load-{}", std::process::id()),
            rambok::server::auth::Role::Controller,
            None,
            "serve_load",
            chrono::Utc::now(),
        )
        .expect("token");
    let running =
        rambok::server::spawn(state.clone(), "127.0.0.1:0".parse().expect("addr")).expect("serve");
    let mut first = Conn::new(running.addr, &token);
    assert_eq!(first.call("GET", "/api/frames?year=2015", ""), 200);
    println!(
        "serve_first_answer_ms={:.0}",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let head = state.ledger().head().seq;
    println!("serve_events={head}");

    let (lat, secs) = phase(running.addr, &token, a.clients, a.secs, |c, rng, _, _| {
        c.call("GET", &read_path(rng), "")
    });
    println!("serve_read_per_s={:.0}", lat.len() as f64 / secs);
    println!("serve_read_p50_ms={:.2}", pct(&lat, 0.5));
    println!("serve_read_p99_ms={:.2}", pct(&lat, 0.99));
    println!("serve_read_peak_mib={:.0}", peak_mib());

    let before = state.ledger().commit_stats();
    let (lat, secs) = phase(
        running.addr,
        &token,
        a.clients,
        a.secs,
        |c, _, client, i| c.call("POST", "/api/events", &append_body(client, i)),
    );
    let after = state.ledger().commit_stats();
    println!("serve_append_per_s={:.0}", lat.len() as f64 / secs);
    println!("serve_append_p50_ms={:.2}", pct(&lat, 0.5));
    println!("serve_append_p99_ms={:.2}", pct(&lat, 0.99));
    println!(
        "serve_append_per_sync={:.1}",
        (after.groups - before.groups) as f64 / (after.syncs - before.syncs).max(1) as f64
    );
    println!("serve_peak_mib={:.0}", peak_mib());
    // Remove the load token again, so the ledger is left as it was found (but for the appends).
    let _ = state.tokens().remove(
        &format!("load-{}", std::process::id()),
        "serve_load",
        chrono::Utc::now(),
    );
    drop(first);
    running.stop().expect("stop");
}
