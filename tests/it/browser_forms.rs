//! Recording and attesting in a real browser (the harness of `browser.rs`): a controller records a
//! frame change with the keyboard, previews it, saves it and sees the frame and the waterfall
//! move; a history line is corrected with a reason; a bad amount is named in Swedish beside its field and nothing is written; an approver
//! attests another's entry and is offered no attest of their own, and the page's own attempt is
//! refused; the revisor checks a kept digest. Screenshots go to `target/browser/`.

use super::browser::{browser_available, shots, Browser, KLK_2017};
use super::server::kalmar;
use rambok::server::{self, auth::Role};
use serde_json::{json, Value};

const ENTER: &str = "\u{E007}";

impl Browser {
    /// Sends keys to the element that has the focus.
    fn keys_to_focused(&self, text: &str) {
        let v = self.call("GET", "element/active", None);
        let id = v["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .unwrap()
            .to_string();
        self.keys(&id, text);
    }

    /// Types into a field of the recording form, by its path.
    fn fill(&self, path: &str, text: &str) {
        let id = format!("#f-{}", path.replace(['.', '_'], "-"));
        let e = self.element(&id);
        self.keys(&e, text);
    }
}

/// Every control of `scope` has a label tied to it, and what describes it exists.
const LABELLED: &str = "return [...document.querySelectorAll(arguments[0] + ' input, ' + arguments[0] + ' select')].every((i) => \
    document.querySelector(`label[for=\"${i.id}\"]`) && (i.getAttribute('aria-describedby') || '').split(' ').every((d) => document.getElementById(d)));";

fn labelled(b: &Browser, scope: &str) -> Value {
    b.call(
        "POST",
        "execute/sync",
        Some(json!({"script": LABELLED, "args": [scope]})),
    )
}

fn open_recording(b: &Browser) {
    b.wait_for(KLK_2017, &json!("477 569"));
    let tab = b.element(".flikar button[data-flik='registrera']");
    b.click(&tab);
    b.wait_for(
        "return Boolean(document.getElementById('f-amount'))",
        &json!(true),
    );
}

#[test]
fn a_controller_records_a_frame_change_and_sees_the_frame_and_the_waterfall_move() {
    if !browser_available() {
        return;
    }
    let k = kalmar();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let b = Browser::start();
    b.open(&format!("{}/#token={}", running.url(), k.controller));
    b.wait_for(KLK_2017, &json!("477 569"));
    let chart_before = b.js("const i = document.getElementById('vattenfall'); return i.complete && i.naturalWidth > 0 ? i.src : null");
    assert!(
        chart_before.is_string(),
        "the waterfall is drawn: {chart_before}"
    );
    open_recording(&b);
    assert_eq!(
        labelled(&b, "#form-falt"),
        json!(true),
        "every field has its label"
    );
    // Office and year come from the pickers; the rest is typed.
    assert_eq!(
        b.js("return document.getElementById('f-office').value"),
        json!("KLK")
    );
    b.fill("amount", "\u{2212}1 000");
    b.wait_for(
        "return document.getElementById('f-amount-tecken').textContent",
        &json!("minskar ramen"),
    );
    b.fill("category", "ramjustering");
    b.fill("reason", "Flyttkostnader arkivcentrum, etapp 2");
    b.fill("decision.body", "KF");
    b.fill("decision.case", "KS 2016/1200");
    b.fill("decision.date", "2016-12-12");
    let head = k.state.ledger().head().seq;
    b.keys_to_focused(ENTER);
    b.wait_for(
        "const e = document.getElementById('form-effekt'); return e ? e.textContent : null",
        &json!("KLK 2017: budgetram 477 569 → 476 569 tkr"),
    );
    assert_eq!(
        k.state.ledger().head().seq,
        head,
        "nothing is written until confirmed"
    );
    b.screenshot(&shots().join("form-preview.png"));
    // The focus is on "Spara": Enter saves.
    assert_eq!(
        b.js("return document.activeElement.id"),
        json!("form-spara")
    );
    b.keys_to_focused(ENTER);
    b.wait_for(
        "return Boolean(document.getElementById('form-sparad'))",
        &json!(true),
    );
    assert_eq!(k.state.ledger().head().seq, head + 1);
    b.wait_for("return document.activeElement.id", &json!("form-visa"));
    b.keys_to_focused(ENTER);
    b.wait_for(KLK_2017, &json!("476 569"));
    b.wait_for(
        "return document.getElementById('datum-text').dataset.datum",
        &json!("2016-12-12"),
    );
    // The chart is drawn anew, and what it draws is the new frame.
    b.wait_for(
        &format!("const i = document.getElementById('vattenfall'); return i.complete && i.naturalWidth > 0 && i.src !== {chart_before}"),
        &json!(true),
    );
    b.js("window.chart = null; fetch('/api/bridge.svg?office=KLK&from=2016&to=2017', {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('rambok-token')}}).then((r) => r.text()).then((t) => { window.chart = t; }); return null;");
    b.wait_for(
        "return window.chart ? window.chart.includes('från 469 265 tkr till 476 569 tkr') : null",
        &json!(true),
    );
    b.screenshot(&shots().join("form-saved.png"));
    drop(b);
    running.stop().unwrap();
}

#[test]
fn a_history_line_is_corrected_with_a_reason() {
    if !browser_available() {
        return;
    }
    let k = kalmar();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let b = Browser::start();
    b.open(&format!("{}/#token={}", running.url(), k.controller));
    b.wait_for(KLK_2017, &json!("477 569"));
    b.js("[...document.querySelectorAll('#ramar tbody tr')].find((r) => r.cells[0].textContent === 'KLK').click(); return null;");
    let button = "[...document.querySelectorAll('#historik tbody tr')].find((r) => r.textContent.includes('Flyttkostnader arkivcentrum'))";
    b.wait_for(
        &format!("const r = {button}; return Boolean(r && r.querySelector('button'))"),
        &json!(true),
    );
    b.js(&format!(
        "{button}.querySelector('button').click(); return null;"
    ));
    b.wait_for("const f = document.getElementById('f-reason'); return Boolean(f) && document.activeElement === f", &json!(true));
    assert_eq!(
        b.js("return document.getElementById('form-typ').value"),
        json!("correction")
    );
    let context = b.js("return document.getElementById('form-sammanhang').textContent");
    assert!(
        context.as_str().unwrap().starts_with("Rättar sekvens"),
        "{context}"
    );
    b.keys_to_focused("Beslutet gällde 2018");
    b.keys_to_focused(ENTER);
    b.wait_for(
        "const e = document.getElementById('form-effekt'); return e ? e.textContent : null",
        &json!("KLK 2017: budgetram 477 569 → 476 569 tkr"),
    );
    b.keys_to_focused(ENTER);
    b.wait_for(
        "return Boolean(document.getElementById('form-sparad'))",
        &json!(true),
    );
    // The focus moves to "Visa i budgeten" once the page has read the ledger anew.
    b.wait_for("return document.activeElement.id", &json!("form-visa"));
    b.keys_to_focused(ENTER);
    b.wait_for(KLK_2017, &json!("476 569"));
    drop(b);
    running.stop().unwrap();
}

#[test]
fn a_bad_amount_is_named_in_swedish_beside_its_field_and_nothing_is_written() {
    if !browser_available() {
        return;
    }
    let k = kalmar();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let b = Browser::start();
    b.open(&format!("{}/#token={}", running.url(), k.controller));
    open_recording(&b);
    b.fill("amount", "12,5,0");
    b.fill("category", "ramjustering");
    b.fill("reason", "Fel belopp");
    b.fill("decision.body", "KF");
    b.fill("decision.date", "2016-12-12");
    let head = k.state.ledger().head().seq;
    let submit = b.element("#form-granska");
    b.click(&submit);
    b.wait_for(
        "const p = document.getElementById('f-amount-fel'); return p.hidden ? null : p.textContent",
        &json!("'12,5,0' är inte ett belopp (skriv till exempel 477 569, 1 325,8 eller −1 000)"),
    );
    assert_eq!(
        b.js("const i = document.getElementById('f-amount'); return [i.getAttribute('aria-invalid'), document.activeElement === i, i.getAttribute('aria-describedby').includes('f-amount-fel')]"),
        json!(["true", true, true])
    );
    assert_eq!(
        b.js("return document.getElementById('form-spara')"),
        Value::Null,
        "nothing to save"
    );
    b.screenshot(&shots().join("form-error.png"));
    // Corrected, the error goes and the preview comes.
    b.js("document.getElementById('f-amount').value = ''; return null;");
    b.fill("amount", "1 325,8");
    b.wait_for(
        "return document.getElementById('f-amount-tecken').textContent",
        &json!("ger mer pengar"),
    );
    b.click(&submit);
    b.wait_for("return document.getElementById('f-amount-fel').hidden && Boolean(document.getElementById('form-spara'))", &json!(true));
    assert_eq!(
        k.state.ledger().head().seq,
        head,
        "a preview writes nothing"
    );
    drop(b);
    running.stop().unwrap();
}

#[test]
fn an_approver_attests_anothers_entry_and_never_their_own() {
    if !browser_available() {
        return;
    }
    let k = kalmar();
    let bo = k
        .state
        .tokens()
        .add(
            "bo.attestant",
            Role::Controller,
            None,
            "test.admin",
            chrono::Utc::now(),
        )
        .unwrap();
    let change = |reason: &str| {
        json!({"type": "frame_changed", "office": "KLK", "year": 2017, "amount": "-1000", "unit": "tkr",
            "category": "ramjustering", "reason": reason, "decision": {"body": "KF", "date": "2016-12-12"}})
    };
    let record = |token: &str, reason: &str| {
        let r = super::server::call(
            &k.state,
            "POST",
            "/api/events",
            Some(token),
            axum::body::Body::from(json!([change(reason)]).to_string()),
        );
        assert_eq!(r.status, axum::http::StatusCode::CREATED, "{}", r.text());
    };
    record(&k.controller, "Karins ändring");
    let karins = k.state.ledger().head().seq;
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let row_of = |reason: &str| {
        format!(
        "const r = [...document.querySelectorAll('#attest-tabell tbody tr')].find((r) => r.textContent.includes('{reason}')); \
         return r ? (r.querySelector('button.attestera') ? 'knapp' : r.cells[4].textContent) : 'ingen rad';"
    )
    };

    // Bo attests Karin's entry.
    let b = Browser::start();
    b.open(&format!("{}/#token={bo}", running.url()));
    b.wait_for(KLK_2017, &json!("476 569"));
    let tab = b.element(".flikar button[data-flik='attest']");
    b.click(&tab);
    b.wait_for(&row_of("Karins ändring"), &json!("knapp"));
    b.js(&format!("{} r.querySelector('button.attestera').click(); return null;",
        "const r = [...document.querySelectorAll('#attest-tabell tbody tr')].find((r) => r.textContent.includes('Karins ändring'));"));
    b.wait_for(
        &format!("return document.getElementById('attest-status').textContent.startsWith('Attesterad: sekvens {karins}, av bo.attestant')"),
        &json!(true),
    );
    b.wait_for(&row_of("Karins ändring"), &json!("ingen rad"));
    b.screenshot(&shots().join("attest.png"));
    drop(b);

    // Karin is offered no attest of her own, and the page's attempt is refused.
    record(&k.controller, "Karins andra ändring");
    let b = Browser::start();
    b.open(&format!("{}/#token={}", running.url(), k.controller));
    b.wait_for(KLK_2017, &json!("475 569"));
    let tab = b.element(".flikar button[data-flik='attest']");
    b.click(&tab);
    b.wait_for(
        &row_of("Karins andra ändring"),
        &json!("din egen: någon annan attesterar"),
    );
    let id = b.js("return document.querySelector('#attest-tabell tbody tr:last-child').dataset.id");
    b.js(&format!(
        "rambok.send('POST', '/api/events', {{events: [{{type: 'approved', event: {id}}}]}}).catch((e) => {{ window.refusal = e.reply; }}); return null;"
    ));
    b.wait_for(
        "return window.refusal ? window.refusal.field : null",
        &json!("event"),
    );
    let message = b.js("return window.refusal.message");
    assert!(
        message
            .as_str()
            .unwrap()
            .contains("registrerades av karin.controller själv"),
        "{message}"
    );
    drop(b);
    running.stop().unwrap();
}

#[test]
fn a_revisor_checks_a_kept_digest_in_the_page() {
    if !browser_available() {
        return;
    }
    let k = kalmar();
    let head = k.state.ledger().head();
    let kept = rambok::control::verify::digest_text(&head);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kontrollsumma.json");
    std::fs::write(&file, kept).unwrap();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let b = Browser::start();
    b.open(&format!("{}/#token={}", running.url(), k.revisor));
    b.wait_for(KLK_2017, &json!("477 569"));
    let tab = b.element(".flikar button[data-flik='revision']");
    b.click(&tab);
    assert_eq!(
        b.js("return document.querySelector(\".flikar button[data-flik='registrera']\").hidden"),
        json!(true)
    );
    let input = b.element("#kontrollsumma-fil");
    b.keys(&input, file.to_str().unwrap());
    let check = b.element("#kontrollsumma-form button[type=submit]");
    b.click(&check);
    b.wait_for(
        &format!("return document.getElementById('kontrollsumma-resultat').textContent.startsWith('Liggaren bygger vidare på kontrollsumman vid sekvens {}')", head.seq),
        &json!(true),
    );
    assert_eq!(labelled(&b, "#kontrollsumma"), json!(true));
    drop(b);
    running.stop().unwrap();
}
