//! `rambok serve` end to end: every report through `app().oneshot` and over a real socket, the
//! same figures and text as the CLI; appends with the token holder as recorder, 409 on conflict,
//! 422 naming the field; many readers and writers at once with nothing lost or duplicated; an
//! attack suite with no unauthorised write; and the binary itself beside the CLI (`--server`, and
//! the in-use message). The conflicts, the many readers and writers, the racing writers and
//! the attacks run on both engines (`NAME::sled`, `NAME::pg`).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use rambok::cli::report::{print, Common, Format, Report, SignArg};
use rambok::domain::amount::Unit;
use rambok::server::auth::Role;
use rambok::server::{self, AppState};
use rambok::store::Store;
use serde_json::{json, Value};
use std::path::PathBuf;
use tower::ServiceExt;

/// A server state over a fresh store with the Kalmar fixtures, and one token per role; on the
/// test thread's engine (`crate::engines`: on PostgreSQL the tokens in the ledger's database).
pub struct Kalmar {
    pub _dir: tempfile::TempDir,
    pub state: AppState,
    pub controller: String,
    pub auditor: String,
    pub revisor: String,
}

pub fn kalmar() -> Kalmar {
    let db = crate::engines::fresh("server");
    let ledger = crate::engines::open(&db.path);
    let events = rambok::cli::demo::fixture_events().unwrap();
    ledger
        .append(&events, "demo", None, chrono::Utc::now())
        .unwrap();
    let state = AppState::new(ledger, None).unwrap();
    let dir = db.dir;
    let add = |name: &str, role| {
        (state.tokens())
            .add(name, role, None, "test.admin", chrono::Utc::now())
            .unwrap()
    };
    Kalmar {
        controller: add("karin.controller", Role::Controller),
        auditor: add("anders.auditor", Role::Auditor),
        revisor: add("rut.revisor", Role::Revisor),
        state,
        _dir: dir,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// One request through the router, without a socket.
pub fn call(state: &AppState, method: &str, uri: &str, token: Option<&str>, body: Body) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let app = server::app(state.clone());
    runtime().block_on(async move {
        let res = app.oneshot(req.body(body).unwrap()).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: bytes.to_vec(),
        }
    })
}

pub fn get(k: &Kalmar, uri: &str) -> Reply {
    call(&k.state, "GET", uri, Some(&k.revisor), Body::empty())
}

fn post(k: &Kalmar, token: &str, uri: &str, body: &Value) -> Reply {
    call(
        &k.state,
        "POST",
        uri,
        Some(token),
        Body::from(body.to_string()),
    )
}

fn frame_of(v: &Value, office: &str) -> String {
    v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["office"] == office)
        .map(|f| f["frame"].as_str().unwrap().to_string())
        .unwrap()
}

fn head(k: &Kalmar) -> u64 {
    k.state.ledger().store().head().unwrap().seq
}

fn frame_changed(reason: &str) -> Value {
    json!({"type": "frame_changed", "office": "KLK", "year": 2017, "amount": "-100", "unit": "tkr",
        "category": "ramjustering", "reason": reason, "decision": {"body": "KF", "date": "2016-12-01"}})
}

#[test]
fn frames_move_with_the_date_as_in_the_cli() {
    let k = kalmar();
    let before = get(&k, "/api/frames?year=2017&as_of=2016-07-01");
    assert_eq!(before.status, StatusCode::OK, "{}", before.text());
    assert_eq!(frame_of(&before.json(), "KLK"), "466890000");
    let after = get(&k, "/api/frames?year=2017&as_of=2016-11-22").json();
    assert_eq!(frame_of(&after, "KLK"), "477569000");
    assert_eq!(after["as_of"], "2016-11-22");
    // Known-at before anything was recorded: nothing is known.
    let nothing = get(&k, "/api/frames?year=2017&known_at=2000-01-01T00:00:00Z").json();
    assert!(nothing["frames"].as_array().unwrap().is_empty());
    // A date is the end of that day in Swedish time; the CLI's forms and messages.
    let nothing = get(&k, "/api/frames?year=2017&known_at=2000-01-01").json();
    assert!(nothing["frames"].as_array().unwrap().is_empty());
    assert_eq!(nothing["known_at"], "2000-01-01T22:59:59.999999+00:00");
    let all = get(
        &k,
        "/api/frames?year=2017&known_at=2999-12-31%2023:59:59%20CET",
    )
    .json();
    assert_eq!(frame_of(&all, "KLK"), "477569000");
    let bad = get(&k, "/api/frames?year=2017&known_at=ig%C3%A5r");
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let v = bad.json();
    assert_eq!(v["field"], "known_at", "{v}");
    let message = v["error"].as_str().unwrap();
    assert!(
        message.contains("'igår' är inte en tidpunkt") && message.contains("RFC 3339"),
        "{v}"
    );
}

#[test]
fn text_and_csv_are_the_clis_own_rendering() {
    let k = kalmar();
    let report = Report::Bridge {
        office: "KLK".into(),
        from: 2016,
        to: 2017,
    };
    for (format, name) in [(Format::Table, "table"), (Format::Csv, "csv")] {
        let common = Common {
            as_of: Some("2016-11-22".into()),
            known_at: None,
            format,
            unit: Unit::Tkr,
            sign: SignArg::Result,
            decimals: None,
        };
        let mut cli = Vec::new();
        let clock = rambok::cli::report::clock(&common).unwrap();
        let rendered = rambok::query::answer(k.state.ledger(), &report, &clock).unwrap();
        print(&rendered, &common, &mut cli).unwrap();
        let api = get(
            &k,
            &format!("/api/bridge?office=KLK&from=2016&to=2017&as_of=2016-11-22&sign=result&format={name}"),
        );
        assert_eq!(api.status, StatusCode::OK);
        assert_eq!(api.text(), String::from_utf8(cli).unwrap(), "{name}");
    }
    let csv = get(&k, "/api/frames?year=2017&format=csv");
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("ramar-2017.csv"));
    assert!(
        csv.text()
            .starts_with("\u{FEFF}Budgetramar 2017, tkr;Enhet: tkr;Tecken: kostnad positiv\r\nKontor;Namn;Budgetram;Ändringar utan ram;Anm.\r\n"),
        "{}",
        csv.text()
    );
}

#[test]
fn every_report_answers_in_json() {
    let k = kalmar();
    let checks: [(&str, &str); 11] = [
        ("/api/bridge?office=KLK&from=2016&to=2017", "changes"),
        ("/api/budget?office=KLK&year=2017&compare=2016", "rows"),
        ("/api/outcome?office=KLK&year=2014", "rows"),
        ("/api/investments?office=KLK&year=2017&compare=2016", "rows"),
        ("/api/goals?year=2017", "counts"),
        ("/api/history?office=KLK&year=2017", "lines"),
        ("/api/history?office=KLK&year=2017&area=ADM", "lines"),
        ("/api/diff?from=2016-07-01&to=2016-11-22", "frames"),
        ("/api/control?year=2017", "findings"),
        ("/api/verify", "head"),
        ("/api/events?from_seq=280", "events"),
    ];
    for (uri, key) in checks {
        let r = get(&k, uri);
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
        assert!(!r.json()[key].is_null(), "{uri} has no {key}: {}", r.text());
    }
    let budget = get(&k, "/api/budget?office=KLK&year=2017").json();
    assert_eq!(budget["total"]["net"], "477569000");
    let verify = get(&k, "/api/verify").json();
    assert_eq!(
        (verify["ok"].clone(), verify["records"].clone()),
        (json!(true), json!(crate::kalmar_events()))
    );
    let control = get(&k, "/api/control?year=2017");
    let n = control.json()["findings"].as_array().unwrap().len();
    assert_eq!(control.headers["x-rambok-findings"], n.to_string().as_str());
    let history = get(&k, "/api/history?office=KLK&year=2017").json();
    assert!(history["lines"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["recorded_by"] == "demo" && !l["decision"].is_null()));
}

#[test]
fn info_lists_what_the_page_needs() {
    let k = kalmar();
    let info = get(&k, "/api/info").json();
    assert_eq!(info["name"], "rut.revisor");
    assert_eq!(info["role"], "revisor");
    assert_eq!(info["head"]["seq"], crate::kalmar_events());
    let dates: Vec<&str> = info["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(dates.contains(&"2016-06-30") && dates.contains(&"2016-11-22"));
    assert!(info["offices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["code"] == "KLK"));
}

#[test]
fn svg_and_workbooks() {
    let k = kalmar();
    let svg = get(
        &k,
        "/api/bridge.svg?office=KLK&from=2016&to=2017&as_of=2016-07-01",
    );
    assert_eq!(svg.headers["content-type"], "image/svg+xml; charset=utf-8");
    assert!(svg.text().starts_with("<svg") && svg.text().contains("466 890"));
    let history_svg = get(&k, "/api/history?office=KLK&year=2017&format=svg");
    assert!(history_svg.text().contains("477 569"));
    use calamine::{Reader, Xlsx};
    let read = |bytes: Vec<u8>| Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let one = get(&k, "/api/frames?year=2017&as_of=2016-07-01&format=xlsx");
    assert!(one.headers["content-disposition"]
        .to_str()
        .unwrap()
        .ends_with(".xlsx\""));
    let mut book = read(one.body);
    let sheet = book.worksheet_range("Ramar").unwrap();
    assert!(sheet.rows().any(|r| r
        .iter()
        .any(|c| matches!(c, calamine::Data::Float(f) if *f == 466890.0))));
    let export = get(&k, "/api/export.xlsx?year=2017");
    assert_eq!(export.status, StatusCode::OK);
    let names = read(export.body).sheet_names();
    assert!(
        names.contains(&"Verifikationskedja".to_string()),
        "{names:?}"
    );
}

#[test]
fn errors_carry_the_clis_messages() {
    let k = kalmar();
    let bad_date = get(&k, "/api/frames?year=2017&as_of=2016-13-01");
    assert_eq!(bad_date.status, StatusCode::BAD_REQUEST);
    let v = bad_date.json();
    assert!(v["error"].as_str().unwrap().starts_with("as_of:"), "{v}");
    assert_eq!(v["field"], "as_of");
    let typo = get(&k, "/api/frames?yaer=2017&year=2017").json();
    assert!(typo["error"]
        .as_str()
        .unwrap()
        .contains("okänd parameter 'yaer'"));
    let missing = get(&k, "/api/frames").json();
    assert_eq!(missing["error"], "parametern year krävs");
    let diff = get(&k, "/api/diff?from=2016-11-22&to=2016-07-01").json();
    assert_eq!(diff["error"], "to 2016-07-01 ligger före from 2016-11-22");
}

#[test]
fn appends_are_recorded_by_the_token_holder() {
    let k = kalmar();
    let r = post(&k, &k.controller, "/api/events", &frame_changed("Ny lokal"));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(
        (v["added"].clone(), v["head_seq"].clone()),
        (json!(1), json!(crate::kalmar_events() + 1))
    );
    assert_eq!(v["recorded_by"], "karin.controller");
    let log = get(
        &k,
        &format!("/api/events?from_seq={}", crate::kalmar_events() + 1),
    )
    .json();
    assert_eq!(log["events"][0]["recorded_by"], "karin.controller");
    assert_eq!(log["events"][0]["event"]["reason"], "Ny lokal");
    // The same event again: nothing added.
    let again = post(&k, &k.controller, "/api/events", &frame_changed("Ny lokal"));
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["skipped"], 1);
    // The frame moved, for readers too.
    let after = get(&k, "/api/frames?year=2017").json();
    assert_eq!(frame_of(&after, "KLK"), "477469000");
}

crate::engines::on_both_engines! {
fn conflicts_are_409_and_rejections_422_and_nothing_is_half_written() {
    let k = kalmar();
    let stale = json!({"events": [frame_changed("A")], "expected_seq": 12});
    let r = post(&k, &k.controller, "/api/events", &stale);
    assert_eq!(r.status, StatusCode::CONFLICT);
    let v = r.json();
    assert_eq!(
        (v["expected"].clone(), v["actual"].clone()),
        (json!(12), json!(crate::kalmar_events()))
    );
    assert_eq!(
        v["error"],
        format!(
            "konflikt: väntade att lägga till efter sekvens 12, men liggaren är vid {}",
            crate::kalmar_events()
        )
    );
    let ok = post(
        &k,
        &k.controller,
        &format!("/api/events?expected_seq={}", crate::kalmar_events()),
        &json!([frame_changed("B")]),
    );
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    let mut bad = frame_changed("C");
    bad["office"] = json!("NOPE");
    let r = post(
        &k,
        &k.controller,
        "/api/events",
        &json!([frame_changed("D"), bad]),
    );
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let v = r.json();
    assert_eq!(
        (v["index"].clone(), v["field"].clone()),
        (json!(1), json!("office"))
    );
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .starts_with("händelse 1: fältet office:"),
        "{v}"
    );
    let mut number = frame_changed("E");
    number["amount"] = json!(100);
    let r = post(&k, &k.controller, "/api/events", &number).json();
    assert_eq!(r["field"], "amount");
    assert_eq!(
        head(&k),
        crate::kalmar_events() + 1,
        "the rejected batch wrote nothing"
    );
}
}

#[test]
fn the_page_and_its_files_are_served_with_safe_headers() {
    let k = kalmar();
    let page = call(&k.state, "GET", "/", None, Body::empty());
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("<html lang=\"sv\">"));
    assert!(page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    let js = call(&k.state, "GET", "/app.js", None, Body::empty());
    assert_eq!(js.headers["content-type"], "text/javascript; charset=utf-8");
    let health = call(&k.state, "GET", "/api/health", None, Body::empty());
    assert_eq!(health.json()["ok"], true);
}

/// A blocking client for the socket tests.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn socket_get(a: &ureq::Agent, url: &str, token: &str) -> (u16, Value) {
    let mut r = a
        .get(url)
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap(),
    )
}

fn socket_post(a: &ureq::Agent, url: &str, token: &str, body: &Value) -> (u16, Value) {
    let mut r = a
        .post(url)
        .header("Authorization", format!("Bearer {token}"))
        .send(body.to_string())
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap(),
    )
}

#[test]
fn over_a_real_socket() {
    let k = kalmar();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    assert!(running.addr.ip().is_loopback());
    let a = agent();
    let base = running.url();
    let (s, v) = socket_get(
        &a,
        &format!("{base}/api/frames?year=2017&as_of=2016-07-01"),
        &k.auditor,
    );
    assert_eq!(s, 200);
    assert_eq!(frame_of(&v, "KLK"), "466890000");
    let (s, v) = socket_post(
        &a,
        &format!("{base}/api/events"),
        &k.controller,
        &frame_changed("Socket"),
    );
    assert_eq!(
        (s, v["head_seq"].clone()),
        (201, json!(crate::kalmar_events() + 1))
    );
    let (s, _) = socket_post(
        &a,
        &format!("{base}/api/events"),
        &k.auditor,
        &frame_changed("No"),
    );
    assert_eq!(s, 403);
    let page = a
        .get(&format!("{base}/"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(page.contains("Budgetramar"));
    running.stop().unwrap();
}

crate::engines::on_both_engines! {
fn many_readers_and_writers_lose_and_duplicate_nothing() {
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 25;
    const READERS: usize = 6;
    let k = kalmar();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let base = running.url();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..READERS)
        .map(|i| {
            let (base, token, done) = (base.clone(), k.revisor.clone(), done.clone());
            std::thread::spawn(move || {
                let a = agent();
                let mut reads = 0;
                while !done.load(std::sync::atomic::Ordering::SeqCst) || reads < 3 {
                    let path = if i % 2 == 0 {
                        "verify"
                    } else {
                        "frames?year=2017"
                    };
                    let (s, v) = socket_get(&a, &format!("{base}/api/{path}"), &token);
                    assert_eq!(s, 200, "{v}");
                    if path == "verify" {
                        assert_eq!(v["ok"], true, "{v}");
                    }
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (base, token) = (base.clone(), k.controller.clone());
            std::thread::spawn(move || {
                let a = agent();
                for i in 0..PER_WRITER {
                    let (s, v) = socket_post(
                        &a,
                        &format!("{base}/api/events"),
                        &token,
                        &frame_changed(&format!("w{w}-{i}")),
                    );
                    assert_eq!(s, 201, "{v}");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let reads: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(reads >= READERS * 3);
    // Every event exactly once, gapless, the chain intact.
    let a = agent();
    let mut seen = std::collections::BTreeMap::new();
    let mut next = Some(1u64);
    let mut seqs = Vec::new();
    while let Some(from) = next {
        let (_, page) = socket_get(
            &a,
            &format!("{base}/api/events?from_seq={from}&limit=1000"),
            &k.revisor,
        );
        for e in page["events"].as_array().unwrap() {
            seqs.push(e["seq"].as_u64().unwrap());
            if let Some(reason) = e["event"]["reason"].as_str().filter(|r| r.starts_with('w')) {
                *seen.entry(reason.to_string()).or_insert(0) += 1;
            }
        }
        next = page["next_seq"].as_u64();
    }
    let total = crate::kalmar_events() as usize + WRITERS * PER_WRITER;
    assert_eq!(seqs, (1..=total as u64).collect::<Vec<_>>());
    assert_eq!(seen.len(), WRITERS * PER_WRITER);
    assert!(seen.values().all(|&n| n == 1));
    let (_, v) = socket_get(&a, &format!("{base}/api/verify"), &k.revisor);
    assert_eq!(
        (v["ok"].clone(), v["records"].clone()),
        (json!(true), json!(total))
    );
    running.stop().unwrap();
}
}

crate::engines::on_both_engines! {
fn readers_do_not_wait_for_a_writer() {
    let k = kalmar();
    // An append in progress holds the ledger's writer lock until it commits or is dropped.
    let appender = k
        .state
        .ledger()
        .begin("slow.writer", None, chrono::Utc::now())
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let (state, token) = (k.state.clone(), k.auditor.clone());
    std::thread::spawn(move || {
        for uri in [
            "/api/info",
            "/api/frames?year=2017",
            "/api/verify",
            "/api/events",
        ] {
            let r = call(&state, "GET", uri, Some(&token), Body::empty());
            tx.send((uri, r.status)).unwrap();
        }
    });
    for _ in 0..4 {
        let (uri, status) = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("a read waited for the writer");
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    drop(appender);
}
}

crate::engines::on_both_engines! {
fn racing_writers_with_the_same_expected_seq_one_wins() {
    let k = kalmar();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let base = running.url();
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let (base, token) = (base.clone(), k.controller.clone());
            std::thread::spawn(move || {
                let body =
                    json!({"events": [frame_changed(&format!("race {i}"))], "expected_seq": crate::kalmar_events()});
                socket_post(&agent(), &format!("{base}/api/events"), &token, &body).0
            })
        })
        .collect();
    let mut codes: Vec<u16> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    codes.sort_unstable();
    assert_eq!(codes, [201, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(head(&k), crate::kalmar_events() + 1);
}
}

crate::engines::on_both_engines! {
/// What an attacker tries; none may write, each is refused with the right status and logged.
fn attacks_write_nothing_and_are_logged() {
    let k = kalmar();
    let before = head(&k);
    let event = frame_changed("Intrång").to_string();
    let random = format!("rbk_{}", "ab".repeat(32));
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    let big = "x".repeat(server::REQUEST_BODY_BYTES_MAX + 1);
    let many = serde_json::to_string(&vec![json!({}); server::EVENTS_PER_REQUEST_MAX + 1]).unwrap();
    let forged = json!({"events": [frame_changed("Förfalskad")], "recorded_by": "kommundirektör"})
        .to_string();
    let mut inner = frame_changed("Förfalskad");
    inner["recorded_by"] = json!("kommundirektör");
    let inner = inner.to_string();
    let (c, au, rv) = (
        k.controller.as_str(),
        k.auditor.as_str(),
        k.revisor.as_str(),
    );
    type Attack<'a> = (&'a str, &'a str, Option<&'a str>, Vec<u8>, u16);
    let attacks: Vec<Attack> = vec![
        ("POST", "/api/events", None, event.clone().into(), 401),
        (
            "POST",
            "/api/events",
            Some("not-a-token"),
            event.clone().into(),
            401,
        ),
        (
            "POST",
            "/api/events",
            Some(&random),
            event.clone().into(),
            401,
        ),
        (
            "POST",
            "/api/events?token=whatever",
            None,
            event.clone().into(),
            401,
        ),
        ("POST", "/api/events", Some(au), event.clone().into(), 403),
        ("POST", "/api/events", Some(rv), event.clone().into(), 403),
        ("POST", "/api/events", Some(c), forged.into(), 400),
        ("POST", "/api/events", Some(c), inner.into(), 422),
        ("POST", "/api/events", Some(c), big.into(), 413),
        ("POST", "/api/events", Some(c), many.into(), 413),
        (
            "POST",
            "/api/events",
            Some(c),
            b"{\"type\": \"frame_set\",".to_vec(),
            400,
        ),
        ("POST", "/api/events", Some(c), b"\xff\xfe{}".to_vec(), 400),
        ("POST", "/api/events", Some(c), deep.into(), 400),
        ("POST", "/api/events", Some(c), b"\"hello\"".to_vec(), 400),
        ("POST", "/api/events", Some(c), b"[]".to_vec(), 400),
        (
            "POST",
            "/api/events",
            Some(c),
            b"{\"events\": [], \"expected_seq\": -1}".to_vec(),
            400,
        ),
        (
            "POST",
            "/api/events?expected_seq=-5",
            Some(c),
            event.clone().into(),
            400,
        ),
        ("PUT", "/api/events", Some(c), event.clone().into(), 405),
        ("DELETE", "/api/events", Some(c), vec![], 405),
        (
            "POST",
            "/api/frames?year=2017",
            Some(c),
            event.clone().into(),
            405,
        ),
        ("GET", "/api/frames?year=2017", None, vec![], 401),
        ("GET", "/api/verify", Some("Bearer"), vec![], 401),
        ("GET", "/api/../api/events", Some(rv), vec![], 404),
        (
            "GET",
            "/api/%2e%2e/%2e%2e/etc/passwd",
            Some(rv),
            vec![],
            404,
        ),
        ("GET", "/..%2f..%2fetc%2fpasswd", None, vec![], 404),
        ("GET", "//etc/passwd", None, vec![], 404),
        ("GET", "/app.js/../../Cargo.toml", None, vec![], 404),
        ("GET", "/web/app.js", None, vec![], 404),
        ("GET", "/src/server/mod.rs", None, vec![], 404),
    ];
    for (method, uri, token, body, status) in &attacks {
        let r = call(&k.state, method, uri, *token, Body::from(body.clone()));
        assert_eq!(r.status.as_u16(), *status, "{method} {uri}: {}", r.text());
        let text = r.text();
        assert!(
            !text.contains("root:") && !text.contains("[package]") && !text.contains("fn "),
            "{uri}: {text}"
        );
        if r.status.as_u16() != 405 {
            assert!(r.json()["error"].is_string(), "{method} {uri}: {text}");
        }
    }
    assert_eq!(head(&k), before, "an attack wrote to the ledger");
    let log = k.state.refusals();
    assert_eq!(log.len(), attacks.len(), "{log:#?}");
    assert!(log
        .iter()
        .any(|l| l.contains("403") && l.contains("anders.auditor")));
    assert!(log
        .iter()
        .any(|l| l.contains("401") && l.contains("token: ingen")));
    // A recorder header is ignored: the token's holder records.
    let req = Request::builder()
        .method("POST")
        .uri("/api/events")
        .header("Authorization", format!("Bearer {c}"))
        .header("X-Recorded-By", "kommundirektör")
        .body(Body::from(frame_changed("Med huvud").to_string()))
        .unwrap();
    let status = runtime()
        .block_on(server::app(k.state.clone()).oneshot(req))
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::CREATED);
    let records = k.state.all_records().unwrap();
    assert_eq!(records.last().unwrap().recorded_by, "karin.controller");
    assert!(records.iter().all(|r| r.recorded_by != "kommundirektör"));
}
}

// ---- the binary: serve beside the CLI ------------------------------------------------------

pub fn rambok(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_rambok"))
        .env_remove("RAMBOK_DB")
        .env_remove("RAMBOK_SERVER")
        .env_remove("RAMBOK_TOKEN")
        .env_remove("RAMBOK_CA_CERT")
        .env("RAMBOK_USER", "cli.test")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

pub fn fixtures() -> Vec<String> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/kalmar"));
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    files
}

/// Stops the child server on drop, gently (SIGTERM) so it removes serve.json.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

/// `rambok serve --port 0 --db DB EXTRA…`, and the address it prints (`http://` or `https://`).
pub fn start_serve(db: &std::path::Path, extra: &[&str]) -> (Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rambok"))
        .env_remove("RAMBOK_SERVER")
        .env_remove("RAMBOK_TLS_CERT")
        .env_remove("RAMBOK_TLS_KEY")
        .args(["serve", "--port", "0", "--db"])
        .arg(db)
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    (Child(child), url)
}

#[test]
fn the_cli_beside_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    assert!(rambok(&db, &["init"]).status.success());
    let mut import = vec!["import"];
    let files = fixtures();
    import.extend(files.iter().map(String::as_str));
    assert!(rambok(&db, &import).status.success());
    let made = rambok(
        &db,
        &[
            "token",
            "add",
            "--role",
            "controller",
            "--name",
            "karin",
            "--by",
            "test.admin",
        ],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let token = String::from_utf8(made.stdout).unwrap().trim().to_string();
    let listed = String::from_utf8(rambok(&db, &["token", "list"]).stdout).unwrap();
    assert!(listed.contains("controller") && listed.contains("karin") && !listed.contains(&token));

    let (server, url) = start_serve(&db, &[]);
    // Without --server: a clear message, exit 4.
    let busy = rambok(&db, &["report", "frames", "--year", "2017"]);
    let stderr = String::from_utf8_lossy(&busy.stderr);
    assert_eq!(busy.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("serveras av `rambok serve` på {url}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("--server {url} --token")),
        "{stderr}"
    );
    // With --server: the same commands, the same output.
    let remote = |args: &[&str]| {
        let mut all = vec!["--server", url.as_str(), "--token", token.as_str()];
        all.extend_from_slice(args);
        rambok(&db, &all)
    };
    let frames = remote(&[
        "report",
        "frames",
        "--year",
        "2017",
        "--as-of",
        "2016-07-01",
    ]);
    assert!(
        frames.status.success(),
        "{}",
        String::from_utf8_lossy(&frames.stderr)
    );
    let listed = String::from_utf8_lossy(&frames.stdout);
    assert!(
        listed.lines().any(|l| l.starts_with("KLK ")
            && l.contains("kommunledningskontoret")
            && l.trim_end().ends_with("466 890")),
        "{listed}"
    );
    let recorded = remote(&[
        "record",
        "frame_changed",
        "--office",
        "KLK",
        "--year",
        "2017",
        "--amount",
        "−1 000",
        "--unit",
        "tkr",
        "--category",
        "ramjustering",
        "--reason",
        "Via servern",
        "--decided-by",
        "KF",
        "--decision-date",
        "2016-12-01",
    ]);
    let out = String::from_utf8_lossy(&recorded.stdout);
    assert!(
        out.starts_with(&format!(
            "registrerad som sekvens {}",
            crate::kalmar_events() + 1
        )),
        "{out} {}",
        String::from_utf8_lossy(&recorded.stderr)
    );
    let stale = remote(&["import", "--expect-seq", "5", &files[0]]);
    assert_eq!(
        stale.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&stale.stderr)
    );
    let verify = remote(&["verify"]);
    assert!(String::from_utf8_lossy(&verify.stdout)
        .starts_with(&format!("ok: {} poster", crate::kalmar_events() + 1)));
    // The frame change recorded above leaves KLK's 2017 internal budget 1 000 tkr off its frame:
    // an error, so exit 7, as locally (and 2014: the report's own Markförvärv error).
    assert_eq!(
        remote(&["control", "--year", "2017"]).status.code(),
        Some(7)
    );
    assert_eq!(
        remote(&["control", "--year", "2014"]).status.code(),
        Some(7)
    );
    let history = remote(&[
        "history", "--office", "KLK", "--year", "2017", "--format", "json",
    ]);
    let v: Value = serde_json::from_slice(&history.stdout).unwrap();
    let last = v["lines"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["text"].clone(), last["recorded_by"].clone()),
        (json!("Via servern"), json!("karin"))
    );
    // The workbook through the server, in the unit and sign asked for, naming the served folder.
    let book = dir.path().join("revision.xlsx");
    let exported = remote(&[
        "export",
        "--year",
        "2017",
        "--unit",
        "mnkr",
        "--sign",
        "result",
        "--out",
        book.to_str().unwrap(),
    ]);
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&book).unwrap();
    let ramar = wb.worksheet_range("Ramar").unwrap();
    let stamp = ramar.get((0, 0)).unwrap().to_string();
    assert!(
        stamp.contains("Liggare: db") && stamp.contains("Enhet: mnkr"),
        "{stamp}"
    );
    assert!(ramar
        .rows()
        .any(|r| r[0] == calamine::Data::String("KLK".into())
            && r[2] == calamine::Data::Float(-476.569)));
    let refused = rambok(&db, &["--server", &url, "--token", "rbk_wrong", "verify"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("servern vägrade"));

    drop(server);
    assert!(
        !db.join("serve.json").exists(),
        "serve.json is removed when the server stops"
    );
    assert!(rambok(&db, &["verify"]).status.success());
}

#[test]
fn serve_demo_prints_an_address_that_works() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rambok"))
        .env_remove("RAMBOK_SERVER")
        .args(["serve", "--demo", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lines: Vec<String> = std::io::BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| l.unwrap())
        .take_while(|l| !l.starts_with("API:"))
        .collect();
    let _stop = Child(child);
    let page = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no address in {lines:#?}"));
    let (base, token) = page.split_once("/#token=").unwrap();
    let base = format!("http://{base}");
    let a = agent();
    let (s, v) = socket_get(&a, &format!("{base}/api/frames?year=2017"), token);
    assert_eq!(s, 200);
    assert_eq!(frame_of(&v, "KLK"), "477569000");
    let controller = lines
        .iter()
        .find(|l| l.trim_start().starts_with("controller"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap();
    let (s, v) = socket_post(
        &a,
        &format!("{base}/api/events"),
        controller,
        &frame_changed("Demo"),
    );
    assert_eq!(
        (s, v["recorded_by"].clone()),
        (201, json!("demo-controller"))
    );
    let (s, _) = socket_post(
        &a,
        &format!("{base}/api/events"),
        token,
        &frame_changed("Nej"),
    );
    assert_eq!(s, 403, "the page's token only reads");
}

#[test]
fn an_unknown_office_is_not_found_with_the_nearest_code() {
    let k = kalmar();
    let reply = get(&k, "/api/budget?office=klk&year=2017");
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.text().contains("Menade du KLK?"), "{}", reply.text());
}
