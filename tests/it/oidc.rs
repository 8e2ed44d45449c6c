//! Single sign-on end to end against a real OpenID provider: the npm package `oidc-provider`
//! (installed by scripts/install-oidc-provider.sh), run by Node.js from tests/oidc/provider.mjs on
//! 127.0.0.1 at a free port. A client that acts as a browser (cookies per host, redirects followed
//! one by one, the provider's login and consent forms filled in) goes from `/api/oidc/start`
//! through the provider back to `/api/oidc/callback`, and the session it gets has the role the
//! `groups` claim maps to. Refused: a wrong state, a state used twice, a callback in another
//! browser, a replayed code, a tampered ID token, one for another audience, an expired one, one
//! with another nonce, and a person whose groups map to no role; after five refusals the address
//! is locked. When Node.js or the package is missing these tests fail, never pass.

use super::server::{kalmar, Kalmar};
use rambok::server::oidc::OidcConfig;
use rambok::server::{self, Running};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CLIENT_SECRET: &str = "testhemlighet-for-rambok";

/// The provider, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

fn provider_dir() -> PathBuf {
    std::env::var_os("RAMBOK_OIDC_PROVIDER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/oidc-provider"))
}

impl Provider {
    fn start(redirect: &str) -> Provider {
        let dir = provider_dir();
        assert!(
            dir.join("node_modules/oidc-provider/package.json").exists(),
            "oidc-provider is not installed in {}: run scripts/install-oidc-provider.sh",
            dir.display()
        );
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc/provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("OIDC_PROVIDER_DIR", &dir)
            .env("REDIRECT", redirect)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "node (Node.js 20 or later) must be installed: scripts/install-oidc-provider.sh",
            );
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Read to the end: the provider writes notices later, and a closed pipe would stop it.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the provider did not say where it listens within 60 s");
        let issuer = line
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("unexpected first line from the provider: {line}"))
            .to_string();
        let p = Provider { child, issuer };
        let agent = agent();
        let discovery = format!("{}/.well-known/openid-configuration", p.issuer);
        let up = (0..100).any(|_| {
            let ok = agent
                .get(&discovery)
                .call()
                .is_ok_and(|r| r.status().as_u16() == 200);
            if !ok {
                std::thread::sleep(Duration::from_millis(100));
            }
            ok
        });
        assert!(up, "the provider's discovery did not answer within 10 s");
        p
    }

    /// Makes the provider's next token response carry a bad ID token (see provider.mjs).
    fn spoil_next_token(&self, mode: &str) {
        let r = agent()
            .post(format!("{}/test/next-token?mode={mode}", self.issuer))
            .send_empty()
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A server with single sign-on against a provider of its own.
pub(crate) struct Setup {
    k: Kalmar,
    running: Running,
    provider: Provider,
}

impl Setup {
    pub(crate) fn new() -> Setup {
        let k = kalmar();
        let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
        let callback = format!("{}/api/oidc/callback", running.url());
        let provider = Provider::start(&callback);
        let config = OidcConfig::parse(
            &json!({
                "issuer": provider.issuer,
                "client_id": "rambok",
                "client_secret_env": "RAMBOK_TEST_OIDC_SECRET",
                "redirect_url": callback,
                "scopes": ["openid", "profile", "groups"],
                "role_claim": "groups",
                "name_claim": "name",
                "roles": {"rambok-controller": "controller", "rambok-revisor": "revisor"},
                "label": "Testkommunens konto"
            }),
            "test",
            |var| (var == "RAMBOK_TEST_OIDC_SECRET").then(|| CLIENT_SECRET.to_string()),
        )
        .unwrap();
        assert!(k.state.set_oidc(config));
        Setup {
            k,
            running,
            provider,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url())
    }
}

/// One answer the browser got.
struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

/// Acts as a browser: a cookie jar per host and port (paths are not needed here), redirects
/// seen one at a time.
struct Browser {
    agent: ureq::Agent,
    jar: HashMap<String, BTreeMap<String, String>>,
}

fn origin(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or("").to_string()
}

fn absolute(base: &str, location: &str) -> String {
    if location.contains("://") {
        location.to_string()
    } else {
        let scheme = base.split_once("://").map_or("http", |(s, _)| s);
        format!("{scheme}://{}{location}", origin(base))
    }
}

impl Browser {
    fn new() -> Browser {
        Browser {
            agent: agent(),
            jar: HashMap::new(),
        }
    }

    fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jar.get(&origin(url))?.get(name).cloned()
    }

    fn send(&mut self, method: &str, url: &str, form: Option<&[(String, String)]>) -> Page {
        let jar = self.jar.entry(origin(url)).or_default();
        let cookies = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let sent = match (method, form) {
            ("GET", _) => {
                let mut r = self.agent.get(url);
                if !cookies.is_empty() {
                    r = r.header("Cookie", &cookies);
                }
                r.call()
            }
            (_, form) => {
                let mut r = self.agent.post(url);
                if !cookies.is_empty() {
                    r = r.header("Cookie", &cookies);
                }
                r.send_form(
                    form.unwrap_or(&[])
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str())),
                )
            }
        };
        let mut r = sent.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        for set in r.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attrs) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let gone = value.is_empty() || attrs.to_ascii_lowercase().contains("max-age=0");
            if gone {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_string(), value.trim().to_string());
            }
        }
        let location = (r.headers().get("location")).map(|l| absolute(url, l.to_str().unwrap()));
        let body = r.body_mut().read_to_string().unwrap_or_default();
        Page {
            status: r.status().as_u16(),
            location,
            body,
        }
    }

    /// From `/api/oidc/start` through the provider's login and consent forms, signing in as
    /// `login`, to the callback URL the provider sends the browser to (not yet visited).
    fn through_provider(&mut self, s: &Setup, login: &str) -> String {
        let callback = s.url("/api/oidc/callback");
        let mut page = self.send("GET", &s.url("/api/oidc/start"), None);
        assert_eq!(page.status, 303, "start: {}", page.body);
        let mut at = s.url("/api/oidc/start");
        for _ in 0..20 {
            if let Some(next) = page.location.clone() {
                if next.starts_with(&callback) {
                    return next;
                }
                page = self.send("GET", &next, None);
                at = next;
                continue;
            }
            assert_eq!(page.status, 200, "at {at}: {}", page.body);
            let (action, mut fields) = form(&page.body)
                .unwrap_or_else(|| panic!("no form on the provider's page {at}: {}", page.body));
            if page.body.contains("name=\"login\"") {
                fields.push(("login".into(), login.into()));
                fields.push(("password".into(), "vilket-som-helst".into()));
            }
            let target = absolute(&at, &action);
            page = self.send("POST", &target, Some(&fields));
            at = target;
        }
        panic!("the flow did not come back to {callback} in 20 steps");
    }
}

/// The first form on a page: its action and hidden fields.
fn form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = html.find("<form")?;
    let end = start + html[start..].find("</form>")?;
    let f = &html[start..end];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        let i = tag.find(&key)? + key.len();
        Some(tag[i..i + tag[i..].find('"')?].to_string())
    };
    let action = attr(f, "action")?;
    let fields = f
        .split("<input")
        .skip(1)
        .filter(|t| t.contains("type=\"hidden\""))
        .filter_map(|t| Some((attr(t, "name")?, attr(t, "value").unwrap_or_default())))
        .collect();
    Some((action, fields))
}

/// The message on a refusal page, read for English words on the way (tests/it/language.rs).
fn said(p: &Page) -> String {
    let start = p.body.find("id=\"oidc-fel\">").map(|i| i + 14);
    let text = start
        .and_then(|i| Some(p.body[i..i + p.body[i..].find("</p>")?].to_string()))
        .unwrap_or_else(|| panic!("no message on the page: {}", p.body));
    crate::language::assert_swedish("a single sign-on refusal", &text);
    text
}

fn json(p: &Page) -> Value {
    serde_json::from_str(&p.body).unwrap_or_else(|_| panic!("not JSON: {}", p.body))
}

fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    (pairs.into_iter())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

fn with_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let pairs: Vec<(String, String)> = (pairs.into_iter())
        .map(|(k, v)| {
            if k == name {
                (k, value.to_string())
            } else {
                (k, v)
            }
        })
        .collect();
    format!("{base}?{}", serde_urlencoded::to_string(pairs).unwrap())
}

fn access_log(s: &Setup) -> Vec<Value> {
    let r = agent()
        .get(s.url("/api/access"))
        .header("Authorization", format!("Bearer {}", s.k.auditor))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    serde_json::from_str::<Value>(&r)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn signing_in_through_the_provider_gives_a_session_with_the_mapped_role() {
    let s = Setup::new();
    let status = json(&Browser::new().send("GET", &s.url("/api/oidc"), None));
    assert_eq!(
        status,
        json!({"enabled": true, "label": "Testkommunens konto"})
    );

    let mut b = Browser::new();
    let cb = b.through_provider(&s, "anna");
    assert!(!param(&cb, "code").is_empty(), "{cb}");
    assert!(b.cookie(&cb, "rambok_oidc").is_some(), "the binding cookie");
    let page = b.send("GET", &cb, None);
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some(s.url("/").as_str()));
    assert_eq!(
        b.cookie(&cb, "rambok_oidc"),
        None,
        "the binding cookie is cleared"
    );
    let session = b.cookie(&cb, "rambok_session").expect("a session cookie");
    assert_eq!(session.len(), 64);

    let who = b.send("GET", &s.url("/api/session"), None);
    assert_eq!(who.status, 200, "{}", who.body);
    let who = json(&who);
    assert_eq!(who["name"], "Anna Berg");
    assert_eq!(who["role"], "controller");
    assert_eq!(who["may_append"], true);
    let csrf = who["csrf"].as_str().unwrap().to_string();
    assert_eq!(csrf.len(), 64);

    // The same session as a password sign-in's: a change without the CSRF value is refused.
    let no_csrf = b.send("POST", &s.url("/api/preview"), Some(&[]));
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.body);
    assert!(
        no_csrf.body.contains("X-CSRF-Token saknas"),
        "{}",
        no_csrf.body
    );
    let out = agent()
        .delete(s.url("/api/session"))
        .header("Cookie", format!("rambok_session={session}"))
        .header("X-CSRF-Token", &csrf)
        .call()
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    let after = b.send("GET", &s.url("/api/session"), None);
    assert_eq!(after.status, 401, "signed out: {}", after.body);

    // Another person, another group: the revisor role (her other group maps to nothing).
    let mut b = Browser::new();
    let cb = b.through_provider(&s, "rut");
    assert_eq!(b.send("GET", &cb, None).status, 303);
    let rut = json(&b.send("GET", &s.url("/api/session"), None));
    assert_eq!(
        (rut["name"].as_str(), rut["role"].as_str()),
        (Some("Rut Ek"), Some("revisor"))
    );

    let log = access_log(&s);
    let signed_in: Vec<(&str, &str, &str)> = (log.iter())
        .filter(|e| e["action"] == "signed_in")
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["role"].as_str().unwrap_or(""),
                e["detail"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        signed_in,
        [
            ("Anna Berg", "controller", "OpenID Connect"),
            ("Rut Ek", "revisor", "OpenID Connect")
        ]
    );
    let text = serde_json::to_string(&log).unwrap();
    assert!(
        !text.contains(&session) && !text.contains(&csrf),
        "no secrets in the log"
    );
}

#[test]
fn a_wrong_state_a_state_used_twice_another_browser_and_a_replayed_code_are_refused() {
    let s = Setup::new();
    let mut b = Browser::new();
    let cb = b.through_provider(&s, "anna");

    let wrong = b.send("GET", &with_param(&cb, "state", "fel-state"), None);
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(
        said(&wrong).contains("okänt, redan använt eller för gammalt state"),
        "{}",
        wrong.body
    );
    assert!(
        wrong.body.contains("<html lang=\"sv\">"),
        "a page for the person: {}",
        wrong.body
    );
    assert_eq!(b.cookie(&cb, "rambok_session"), None);

    // A callback opened in another browser (an attacker's link) lacks the binding cookie.
    let mut other = Browser::new();
    let cb2 = other.through_provider(&s, "anna");
    let elsewhere = Browser::new().send("GET", &cb2, None);
    assert_eq!(elsewhere.status, 400, "{}", elsewhere.body);
    assert!(
        said(&elsewhere).contains("startades inte i den här webbläsaren"),
        "{}",
        elsewhere.body
    );

    // The wrong state took nothing: the right one still signs in, once.
    let ok = b.send("GET", &cb, None);
    assert_eq!(ok.status, 303, "{}", ok.body);
    let session = b.cookie(&cb, "rambok_session").unwrap();
    let again = b.send("GET", &cb, None);
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(said(&again).contains("redan använt"), "{}", again.body);
    assert_eq!(
        b.cookie(&cb, "rambok_session"),
        Some(session),
        "the session stays"
    );

    // The used code with a fresh state: the provider refuses it, and so does rambok.
    let start = b.send("GET", &s.url("/api/oidc/start"), None);
    let fresh = param(start.location.as_deref().unwrap(), "state");
    let replay = b.send("GET", &with_param(&cb, "state", &fresh), None);
    assert_eq!(replay.status, 401, "{}", replay.body);
    assert!(
        said(&replay).contains("tog inte emot koden"),
        "{}",
        replay.body
    );
    assert!(said(&replay).contains("invalid_grant"), "{}", replay.body);
}

#[test]
fn bad_id_tokens_and_an_unmapped_person_are_refused_and_then_the_address_is_locked() {
    let s = Setup::new();
    let refused = |login: &str, mode: Option<&str>| -> Page {
        if let Some(m) = mode {
            s.provider.spoil_next_token(m);
        }
        let mut b = Browser::new();
        let cb = b.through_provider(&s, login);
        let page = b.send("GET", &cb, None);
        assert_eq!(
            b.cookie(&cb, "rambok_session"),
            None,
            "{login} {mode:?}: {}",
            page.body
        );
        page
    };
    // Olle's groups give no role; the tampered token makes him a controller, unsigned.
    let tampered = refused("olle", Some("tampered"));
    assert_eq!(tampered.status, 401, "{}", tampered.body);
    assert!(
        said(&tampered).contains("ingen giltig signatur"),
        "{}",
        tampered.body
    );
    let audience = refused("anna", Some("audience"));
    assert_eq!(audience.status, 401, "{}", audience.body);
    assert!(
        said(&audience).contains("mottagaren (aud)"),
        "{}",
        audience.body
    );
    assert!(
        said(&audience).contains("en-annan-klient"),
        "{}",
        audience.body
    );
    let expired = refused("anna", Some("expired"));
    assert_eq!(expired.status, 401, "{}", expired.body);
    assert!(
        said(&expired).contains("giltighetstiden (exp) gick ut"),
        "{}",
        expired.body
    );
    let nonce = refused("anna", Some("nonce"));
    assert_eq!(nonce.status, 401, "{}", nonce.body);
    assert!(said(&nonce).contains("nonce"), "{}", nonce.body);
    let unmapped = refused("olle", None);
    assert_eq!(unmapped.status, 403, "{}", unmapped.body);
    assert!(
        said(&unmapped).contains("Olle Ny har ingen roll i rambok"),
        "{}",
        unmapped.body
    );

    let log = access_log(&s);
    let refusals: Vec<(&str, &str)> = (log.iter())
        .filter(|e| e["action"] == "sign_in_refused")
        .map(|e| {
            (
                e["name"].as_str().unwrap_or(""),
                e["detail"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(refusals.len(), 5, "{refusals:?}");
    assert!(refusals
        .iter()
        .all(|(_, d)| d.starts_with("OpenID Connect: ")));
    assert_eq!(refusals[4].0, "Olle Ny");
    assert!(log.iter().all(|e| e["action"] != "signed_in"));

    // Five refusals from one address lock it, as for passwords: a good sign-in waits too.
    let mut b = Browser::new();
    let cb = b.through_provider(&s, "anna");
    let locked = b.send("GET", &cb, None);
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(
        said(&locked).contains("för många misslyckade inloggningar"),
        "{}",
        locked.body
    );
}

#[test]
fn without_configuration_single_sign_on_is_off() {
    let k = kalmar();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let mut b = Browser::new();
    let status = b.send("GET", &format!("{}/api/oidc", running.url()), None);
    assert_eq!(json(&status), json!({"enabled": false}));
    let start = b.send("GET", &format!("{}/api/oidc/start", running.url()), None);
    assert_eq!(start.status, 404);
    assert!(start.body.contains("inte påslagen"), "{}", start.body);
}
