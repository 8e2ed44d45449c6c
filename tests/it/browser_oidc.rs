//! Single sign-on in a real browser: Chromium (the harness of `browser.rs`) follows the page's
//! "Logga in med …" link to the OpenID provider of `oidc.rs` (`oidc-provider` on Node.js), signs
//! in on the provider's own form, consents, and comes back to the page signed in with the role the
//! `groups` claim maps to; a person whose groups map to no role comes back refused, in Swedish.

use super::browser::{browser_available, shots, Browser, KLK_2017};
use super::oidc::Setup;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// One step through the provider's pages: fills its login form as `arguments[1]` and submits it,
/// or submits its consent form; once per page (a mark on `window` that a new page does not have).
const STEP: &str = "if (location.origin === arguments[0]) return 'hemma'; \
    if (window.rambokSkickat) return 'väntar'; \
    const f = document.querySelector('form'); if (!f) return 'ingen sida'; \
    const login = f.querySelector('input[name=login]'); \
    if (login) { login.value = arguments[1]; f.querySelector('input[name=password]').value = 'vilket-som-helst'; } \
    window.rambokSkickat = true; f.requestSubmit(); return login ? 'inloggning' : 'samtycke';";

/// From the page's link through the provider as `login`, back to the server's origin.
fn sign_in_through_the_provider(b: &Browser, s: &Setup, login: &str) -> Vec<String> {
    let origin = s.url("");
    b.open(&s.url("/"));
    b.wait_for(
        "return !document.getElementById('sso').hidden && document.getElementById('sso-knapp').textContent",
        &json!("Logga in med Testkommunens konto"),
    );
    let link = b.element("#sso-knapp");
    b.click(&link);
    let started = Instant::now();
    let mut steps = Vec::new();
    loop {
        let step = b.call(
            "POST",
            "execute/sync",
            Some(json!({"script": STEP, "args": [origin, login]})),
        );
        let step = step.as_str().unwrap_or_default().to_string();
        // Home again only after the provider's pages (the click may not have left yet).
        if step == "hemma" && !steps.is_empty() {
            return steps;
        }
        if step == "hemma" {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        if steps.last() != Some(&step) {
            steps.push(step);
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never back at {origin}: {steps:?}, at {}",
            b.js("return location.href")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn signing_in_through_the_provider_in_chromium_gives_the_mapped_role() {
    if !browser_available() {
        return;
    }
    let s = Setup::new();
    let b = Browser::start();
    let steps = sign_in_through_the_provider(&b, &s, "anna");
    assert!(
        steps.contains(&"inloggning".to_string()) && steps.contains(&"samtycke".to_string()),
        "through the provider's login and consent: {steps:?}"
    );
    // Back on the page, signed in as Anna with the role her group maps to.
    b.wait_for(KLK_2017, &json!("477 569"));
    let who = b.js("return document.getElementById('vem').textContent");
    assert!(
        who.as_str()
            .unwrap_or_default()
            .starts_with("Anna Berg (controller)"),
        "{who}"
    );
    assert_eq!(
        b.js("return document.querySelector(\".flikar button[data-flik='registrera']\").hidden"),
        json!(false),
        "a controller records"
    );
    // The session is the server's: a cookie the page's script never sees, and its CSRF value.
    b.js("window.sessionen = null; fetch('/api/session').then((r) => r.json()).then((j) => { window.sessionen = j; }); return null;");
    b.wait_for("return window.sessionen !== null", &json!(true));
    let session: Value = b.js("return window.sessionen");
    assert_eq!(session["role"], json!("controller"), "{session}");
    assert!(session["csrf"].as_str().is_some_and(|c| c.len() >= 16));
    assert_eq!(
        b.js("return document.cookie.includes('rambok_session')"),
        json!(false),
        "HttpOnly"
    );
    b.screenshot(&shots().join("oidc-signed-in.png"));

    // Signing out ends the session: the page shows the form again.
    let out = b.element("#logga-ut");
    b.click(&out);
    b.wait_for(
        "return !document.getElementById('inloggning').hidden",
        &json!(true),
    );
    drop(b);

    // Olle, whose groups give no role, in a browser of his own (the provider would remember
    // Anna): refused, in Swedish, and no session.
    let b = Browser::start();
    sign_in_through_the_provider(&b, &s, "olle");
    b.wait_for(
        "return Boolean(document.getElementById('oidc-fel'))",
        &json!(true),
    );
    let said = b.js("return document.getElementById('oidc-fel').textContent");
    let said = said.as_str().unwrap_or_default().to_string();
    assert!(said.contains("har ingen roll i rambok"), "{said}");
    crate::language::assert_swedish("a single sign-on refusal in the browser", &said);
    b.js("window.svaret = null; fetch('/api/session').then((r) => { window.svaret = r.status; }); return null;");
    b.wait_for("return window.svaret", &json!(401));
    drop(b);
}
