//! The server holds up (issue 11, point 8): 150 idle connections against a server whose process
//! may open only 128 files do not stop it answering others; a connection past the cap per address
//! is answered 503 at once; a silent connection is closed after the header timeout, and a request
//! whose body never comes gets 503 after the request timeout. The server runs as its own process,
//! under `prlimit --nofile=128:128`; the idle clients connect from 127.0.0.2, the others from
//! 127.0.0.1 (both loopback). Both tests run on both engines.

use super::server::Child;
use chrono::Utc;
use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

/// `prlimit --nofile=128:128 -- rambok serve --port 0 --db DB EXTRA…`: the child, its address and
/// the file its stderr goes to. The ledger holds the Kalmar fixtures, on the test thread's engine
/// (on PostgreSQL its tokens in the database, with it).
fn serve_in_128_files(dir: &Path, extra: &[&str]) -> (Child, SocketAddr, std::path::PathBuf) {
    let fixtures = rambok::cli::demo::fixture_events().unwrap();
    let db = match crate::engines::current() {
        crate::engines::Engine::Sled => dir.join("db"),
        crate::engines::Engine::Pg => crate::pg::fresh_url("holdup"),
    };
    crate::engines::open(&db)
        .append(&fixtures, "fixtures", None, Utc::now())
        .unwrap();
    let log = dir.join(format!("serve-{}.log", extra.join("_")));
    let mut child = std::process::Command::new("prlimit")
        .args(["--nofile=128:128", "--"])
        .arg(env!("CARGO_BIN_EXE_rambok"))
        .args(["serve", "--port", "0", "--db"])
        .arg(&db)
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("prlimit (util-linux) runs");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    (Child(child), url.parse().unwrap(), log)
}

fn health(addr: SocketAddr) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let reply = agent.get(format!("http://{addr}/api/health")).call();
    reply.map_or_else(
        |e| panic!("/api/health did not answer: {e}"),
        |r| r.status().as_u16(),
    )
}

/// The caps the server printed when it fitted them to its open-file limit.
fn caps(log: &Path) -> (usize, usize) {
    // Said on stderr just after the address on stdout: wait for it.
    let started = std::time::Instant::now();
    let line = loop {
        let text = std::fs::read_to_string(log).unwrap();
        if let Some(l) = text.lines().find(|l| l.contains("anslutningar åt gången")) {
            break l.to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server did not say its caps: {text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let numbers: Vec<usize> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

crate::engines::on_both_engines! {
fn idle_connections_do_not_stop_the_server_answering_others() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr, log) = serve_in_128_files(dir.path(), &["--header-timeout", "60"]);
    let (connections_max, per_address) = caps(&log);
    assert!(
        per_address < connections_max,
        "{per_address} < {connections_max}"
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let idle: Vec<tokio::net::TcpStream> = rt.block_on(async {
        let mut idle = Vec::new();
        for _ in 0..150 {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
            idle.push(socket.connect(addr).await.unwrap());
        }
        idle
    });
    // Answered while all 150 are open and silent (they would be closed only after 60 s).
    assert_eq!(health(addr), 200);
    // Those past the cap per address were answered 503 and closed; the others wait, open.
    let (mut refused, mut open) = (0, 0);
    for stream in idle {
        let mut s = stream.into_std().unwrap();
        s.set_nonblocking(false).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut got = Vec::new();
        match s.read_to_end(&mut got) {
            Ok(_) => {
                let text = String::from_utf8_lossy(&got);
                assert!(
                    text.starts_with("HTTP/1.1 503")
                        && text.contains("för många öppna anslutningar"),
                    "{text}"
                );
                refused += 1;
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                assert!(got.is_empty());
                open += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((open, refused), (per_address, 150 - per_address));
    assert_eq!(health(addr), 200);
}
}

crate::engines::on_both_engines! {
fn a_silent_connection_is_closed_and_a_body_that_never_comes_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr, _) = serve_in_128_files(
        dir.path(),
        &["--header-timeout", "1", "--request-timeout", "2"],
    );
    // Silent: closed after the header timeout, with nothing said.
    let mut silent = TcpStream::connect(addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut got = Vec::new();
    silent.read_to_end(&mut got).expect("closed by the server");
    // Half a request head, then nothing: closed too (hyper may say 408 first).
    let mut half = TcpStream::connect(addr).unwrap();
    half.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    half.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut got_half = Vec::new();
    half.read_to_end(&mut got_half)
        .expect("closed by the server");
    assert!(
        got_half.is_empty() || String::from_utf8_lossy(&got_half).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&got_half)
    );
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    // A body announced and never sent: 503 after the request timeout, and the connection closed.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(
        b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"na",
    )
    .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut answer = Vec::new();
    slow.read_to_end(&mut answer).expect("answered and closed");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 503") && text.contains("inte klart inom 2 s"),
        "{text}"
    );
    // A keep-alive connection that goes quiet after its answer is closed as well.
    let mut quiet = TcpStream::connect(addr).unwrap();
    quiet
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    quiet
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut after = Vec::new();
    quiet.read_to_end(&mut after).expect("closed by the server");
    assert!(String::from_utf8_lossy(&after).starts_with("HTTP/1.1 200"));
    assert_eq!(health(addr), 200);
}
}
