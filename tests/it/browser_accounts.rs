//! Signing in on the page, in Debian's headless Chromium (see `browser.rs`): an admin signs in
//! with name and password, adds an account and a token in the Konton tab; the new account signs in
//! at once; the token works until it is revoked on the page, then is refused at once; a change made
//! with the session cookie but without `X-CSRF-Token` is refused (403) while the page's own `send`
//! succeeds; an expired session sends the page back to the sign-in form, saying why.

use super::accounts::{with_admin, ADMIN, ADMIN_PASSWORD};
use super::browser::{browser_available, shots, Browser};
use rambok::server;
use rambok::server::session::SessionLimits;
use rambok::server::throttle::ThrottleLimits;
use serde_json::json;
use std::time::Duration;

fn status_of(agent: &ureq::Agent, url: &str, token: &str) -> u16 {
    agent
        .get(url)
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap()
        .status()
        .as_u16()
}

fn sign_in(b: &Browser, name: &str, password: &str) {
    b.wait_for(
        "return !document.getElementById('inloggning').hidden",
        &json!(true),
    );
    let n = b.element("#namn");
    b.js("document.getElementById('namn').value = ''; return null;");
    b.keys(&n, name);
    b.keys(&b.element("#losenord"), password);
    b.click(&b.element("#inloggning-form button[type=submit]"));
}

const SIGNED_IN_AS: &str = "return document.getElementById('app').hidden ? null : document.getElementById('vem').textContent.split(' ·')[0];";

#[test]
fn signing_in_managing_accounts_csrf_and_an_expired_session_in_the_page() {
    if !browser_available() {
        return;
    }
    let k = with_admin();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let url = running.url();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let b = Browser::start();
    b.open(&format!("{url}/"));
    // A wrong password is refused on the form, in Swedish.
    sign_in(&b, ADMIN, "inte det rätta lösenordet");
    b.wait_for(
        "return document.getElementById('inloggning-fel').textContent",
        &json!("Inloggningen misslyckades: fel namn eller lösenord"),
    );
    sign_in(&b, ADMIN, ADMIN_PASSWORD);
    b.wait_for(SIGNED_IN_AS, &json!(format!("{ADMIN} (admin)")));
    assert_eq!(
        b.js("return document.cookie"),
        json!(""),
        "the session cookie is HttpOnly: the page's scripts cannot read it"
    );

    // The admin's tab: a new account and a new token.
    b.click(&b.element("#flik-knapp-konton"));
    b.wait_for(
        "return [...document.querySelectorAll('#konton td')].some((t) => t.textContent === 'ada.admin')",
        &json!(true),
    );
    b.keys(&b.element("#nytt-konto-namn"), "nils.nyman");
    b.js("document.getElementById('nytt-konto-roll').value = 'controller'; return null;");
    b.keys(&b.element("#nytt-konto-losenord"), "nio tio elva tolv");
    b.click(&b.element("#nytt-konto button[type=submit]"));
    b.wait_for(
        "return [...document.querySelectorAll('#konton tbody tr')].some((r) => r.cells[0].textContent === 'nils.nyman' && r.cells[3].textContent === 'aktivt')",
        &json!(true),
    );
    b.keys(&b.element("#ny-token-namn"), "skript");
    b.click(&b.element("#ny-token button[type=submit]"));
    b.wait_for(
        "return document.getElementById('ny-token-visad').textContent.includes('rbk_')",
        &json!(true),
    );
    let shown = b.js("return document.getElementById('ny-token-visad').textContent");
    let token = shown
        .as_str()
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    let info = format!("{url}/api/info");
    assert_eq!(status_of(&agent, &info, &token), 200);
    b.screenshot(&shots().join("konton.png"));
    let revoke = b.element("#tokenlista tbody tr:last-child button");
    b.click(&revoke);
    b.wait_for(
        "return [...document.querySelectorAll('#tokenlista td')].some((t) => t.textContent === 'skript')",
        &json!(false),
    );
    assert_eq!(status_of(&agent, &info, &token), 401, "revoked at once");

    // Signed out, the new account signs in at once.
    b.click(&b.element("#logga-ut"));
    sign_in(&b, "nils.nyman", "nio tio elva tolv");
    b.wait_for(SIGNED_IN_AS, &json!("nils.nyman (controller)"));
    assert_eq!(
        b.js("return document.getElementById('flik-knapp-konton').hidden"),
        json!(true)
    );

    // A change with the cookie but without the CSRF header is refused; the page's send() succeeds.
    let event = r#"{"type": "frame_changed", "office": "KLK", "year": 2017, "amount": "-100", "unit": "tkr", "category": "ramjustering", "reason": "från sidan", "decision": {"body": "KF", "date": "2016-12-01"}}"#;
    let without = b.js(&format!(
        "return fetch('/api/events', {{method: 'POST', headers: {{'Content-Type': 'application/json'}}, body: '{}'}}).then((r) => r.status)",
        event.replace('\'', "\\'")
    ));
    assert_eq!(without, json!(403));
    let with = b.js(&format!(
        "return send('POST', '/api/events', JSON.parse('{event}')).then((r) => r.status)"
    ));
    assert_eq!(with, json!(201));
    let last = k.state.all_records().unwrap().pop().unwrap();
    assert_eq!(last.recorded_by, "nils.nyman");

    // The session expires (idle longer than allowed): the next redraw goes back to the form.
    let short = SessionLimits {
        idle: chrono::Duration::seconds(1),
        ..SessionLimits::default()
    };
    k.state.set_account_limits(short, ThrottleLimits::default());
    std::thread::sleep(Duration::from_millis(1500));
    b.js("document.getElementById('enhet').value = 'mnkr'; document.getElementById('enhet').dispatchEvent(new Event('change')); return null;");
    b.wait_for(
        "return document.getElementById('inloggning').hidden ? null : document.getElementById('inloggning-fel').textContent",
        &json!("Du är utloggad: sessionen har gått ut; logga in igen"),
    );
    b.screenshot(&shots().join("utloggad.png"));
    drop(b);
    running.stop().unwrap();
}
