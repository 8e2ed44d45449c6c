//! The web page in a real browser: Debian's headless Chromium driven through chromedriver's
//! WebDriver protocol (plain HTTP, with the same blocking client the CLI uses). The page loads
//! against a server with the Kalmar fixtures; moving the date slider with the keyboard moves
//! KLK's 2017 frame from 466 890 to 477 569 tkr; a click opens a line's history; the revisor tab
//! verifies the chain. Screenshots go to `target/browser/`.
//!
//! Fails when `/usr/bin/chromedriver` is absent, unless `RAMBOK_SKIP_BROWSER` is set; CI installs
//! the browser (`scripts/install-browser.sh`).

use super::server::kalmar;
use rambok::server;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// WebDriver's key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const WAIT: Duration = Duration::from_secs(20);

/// A WebDriver session in a chromedriver this test started; both end on drop.
pub struct Browser {
    agent: ureq::Agent,
    base: String,
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn send(agent: &ureq::Agent, method: &str, url: &str, body: Option<&Value>) -> Value {
    let reply = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, body) => agent
            .post(url)
            .header("Content-Type", "application/json")
            .send(body.unwrap_or(&json!({})).to_string()),
    };
    let text = reply
        .and_then(|mut r| r.body_mut().read_to_string())
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {url}: {e}: {text}"))
}

impl Browser {
    pub fn start() -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while agent.get(format!("{base}/status")).call().is_err() {
            assert!(started.elapsed() < WAIT, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=1400,2400".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let v = send(&agent, "POST", &format!("{base}/session"), Some(&caps));
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Browser {
            agent,
            base,
            session,
            driver,
            _profile: profile,
        }
    }

    pub(crate) fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let v = send(&self.agent, method, &url, body.as_ref());
        if v["value"]["error"].is_string() {
            panic!("{method} {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    pub fn open(&self, url: &str) {
        self.call("POST", "url", Some(json!({ "url": url })));
    }

    pub fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            "execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Polls `script` until it returns `want`.
    pub fn wait_for(&self, script: &str, want: &Value) {
        let started = Instant::now();
        loop {
            let got = self.js(script);
            if &got == want {
                return;
            }
            assert!(
                started.elapsed() < WAIT,
                "waited for {script} to be {want}, it is {got}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn element(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    pub fn keys(&self, element: &str, text: &str) {
        self.call(
            "POST",
            &format!("element/{element}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn click(&self, element: &str) {
        self.call("POST", &format!("element/{element}/click"), Some(json!({})));
    }

    pub fn screenshot(&self, file: &Path) {
        let v = self.call("GET", "screenshot", None);
        let png = base64(v.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.agent.delete(url).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (value(c) as u32) << (18 - 6 * i));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    out
}

pub fn shots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser")
}

/// Whether the browser test runs: a test that cannot run fails, unless `RAMBOK_SKIP_BROWSER` says
/// to leave it out (README, "Tests").
pub fn browser_available() -> bool {
    if std::env::var_os("RAMBOK_SKIP_BROWSER").is_some() {
        eprintln!("browser test left out: RAMBOK_SKIP_BROWSER is set");
        return false;
    }
    assert!(
        Path::new(CHROMEDRIVER).exists(),
        "{CHROMEDRIVER} is missing: run scripts/install-browser.sh (Debian's chromium and chromium-driver), or set RAMBOK_SKIP_BROWSER=1 to leave the browser test out"
    );
    true
}

pub(crate) const KLK_2017: &str = "const r = [...document.querySelectorAll('#ramar tbody tr')].find((r) => r.cells[0].textContent === 'KLK'); \
     return document.body.dataset.laddar === undefined && r ? r.cells[2].textContent : null;";
const SHOWN_DATE: &str = "return document.getElementById('datum-text').dataset.datum;";

/// Presses an arrow key on the slider until it shows `date`.
fn slide_to(b: &Browser, slider: &str, key: &str, date: &str) {
    for _ in 0..40 {
        if b.js(SHOWN_DATE) == json!(date) {
            return;
        }
        b.keys(slider, key);
    }
    panic!("the slider never showed {date}");
}

#[test]
fn the_kalmar_page_moves_with_the_date_slider() {
    if !browser_available() {
        return;
    }
    let k = kalmar();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let b = Browser::start();
    b.open(&format!("{}/#token={}", running.url(), k.revisor));
    b.wait_for(KLK_2017, &json!("477 569"));
    assert_eq!(b.js(SHOWN_DATE), json!("2016-11-22"));
    assert_eq!(
        b.js("return location.hash"),
        json!(""),
        "the token leaves the address bar"
    );
    // The Swedish number format, done in the page, agrees with the CLI's.
    let formatted = b.js(
        "return [rambok.money('-1325760', true, {unit: 'tkr', sign: 'cost', decimals: 1}), \
        rambok.money('477569000', true, {unit: 'tkr', sign: 'result', decimals: 0}), \
        rambok.money('-0.04', false, {unit: 'kr', sign: 'cost', decimals: 1}), \
        rambok.money('477569000', true, {unit: 'mnkr', sign: 'cost', decimals: 1}), \
        rambok.money('1500', false, {unit: 'tkr', sign: 'cost', decimals: 0})]",
    );
    assert_eq!(
        formatted,
        json!(["\u{2212}1 325,8", "\u{2212}477 569", "0,0", "477,6", "2"])
    );

    let slider = b.element("#datum");
    slide_to(&b, &slider, "\u{E012}", "2016-06-30");
    b.wait_for(KLK_2017, &json!("466 890"));
    b.screenshot(&shots().join("kalmar-2016-06-30.png"));
    slide_to(&b, &slider, "\u{E014}", "2016-11-22");
    b.wait_for(KLK_2017, &json!("477 569"));
    b.wait_for(
        "return document.getElementById('vattenfall').naturalWidth > 0",
        &json!(true),
    );
    b.wait_for(
        "return document.querySelectorAll('#driftsbudget tbody tr').length > 3",
        &json!(true),
    );

    // A click on a frame's line opens its history, with decisions and recorders.
    // Found and clicked in one step: the table may be drawn anew between two WebDriver calls.
    let clicked = b.js(
        "const rows = [...document.querySelectorAll('#ramar tbody tr')]; \
        const klk = rows.find((r) => r.cells[0].textContent === 'KLK'); \
        if (klk) klk.click(); return Boolean(klk);",
    );
    assert_eq!(clicked, json!(true));
    b.wait_for(
        "const h = document.getElementById('historik'); return !h.hidden && h.querySelectorAll('tbody tr').length > 5 \
         && [...h.querySelectorAll('th')].some((t) => t.textContent === 'Registrerad av') \
         && [...h.querySelectorAll('td')].some((t) => t.textContent === 'demo');",
        &json!(true),
    );
    b.js("window.scrollTo(0, 0); return null;");
    b.screenshot(&shots().join("kalmar-slider.png"));

    // The revisor's tab: the chain verified, the control findings listed.
    let tab = b.element(".flikar button[data-flik='revision']");
    b.click(&tab);
    b.wait_for(
        &format!("const v = document.getElementById('verifiering-resultat'); return v ? v.textContent.startsWith('Kedjan håller: {} poster') : false;", crate::kalmar_events()),
        &json!(true),
    );
    b.wait_for(
        "return document.querySelectorAll('#kontroll tbody tr').length > 0",
        &json!(true),
    );
    b.screenshot(&shots().join("kalmar-revision.png"));
    drop(b);
    running.stop().unwrap();
}
