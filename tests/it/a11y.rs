//! Accessibility (WCAG 2.1 AA, which Swedish public-sector web must meet), in a real browser (the
//! harness of `browser.rs`): Deque's axe-core, installed by `scripts/install-axe.sh`, runs on every
//! view and every recording form, and finds nothing; the slider says its date in words, the tabs
//! say which is selected and move with the arrow keys, the focus is visible, and a controller
//! records a decision with the keyboard alone.
//!
//! Fails when axe-core is not installed (never skips itself as passed), and like every browser
//! test when Chromium is missing.

use super::browser::{browser_available, shots, Browser, KLK_2017};
use super::server::kalmar;
use rambok::server::{self, auth::Role};
use serde_json::{json, Value};
use std::path::Path;

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const RIGHT: &str = "\u{E014}";
const LEFT: &str = "\u{E012}";
const END: &str = "\u{E010}";
const HOME: &str = "\u{E011}";
const SPACE: &str = "\u{E00D}";

/// The rules axe-core runs: every WCAG 2.0 and 2.1 rule of levels A and AA.
const WCAG_21_AA: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']";

fn axe_source() -> String {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/npm/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: run scripts/install-axe.sh (axe-core 4.10.3 from the npm registry)",
            file.display()
        )
    })
}

impl Browser {
    /// Runs axe-core on the page as it is now and returns its violations, each with the elements
    /// it found and why.
    fn axe(&self, axe: &str) -> Vec<String> {
        if self.js("return typeof axe") != json!("object") {
            self.call(
                "POST",
                "execute/sync",
                Some(json!({"script": format!("{axe}\n;return null;"), "args": []})),
            );
        }
        let script = format!(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, {{runOnly: {{type: 'tag', values: {WCAG_21_AA}}}, resultTypes: ['violations']}}) \
               .then((r) => done(r.violations.map((v) => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + \
                 v.nodes.map((n) => n.target.join(' ') + ': ' + n.failureSummary.replace(/\\s+/g, ' ')).join(' | ')))) \
               .catch((e) => done(['axe failed: ' + e]));"
        );
        let v = self.call(
            "POST",
            "execute/async",
            Some(json!({"script": script, "args": []})),
        );
        v.as_array()
            .unwrap_or_else(|| panic!("axe answered {v}"))
            .iter()
            .map(|s| s.as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Types `text` on the keyboard (WebDriver's key actions): it goes to whatever has the focus,
    /// as a person's typing does, whatever element that is.
    fn press(&self, text: &str) {
        let strokes: Vec<Value> = text
            .chars()
            .flat_map(|c| {
                let c = c.to_string();
                [
                    json!({"type": "keyDown", "value": c}),
                    json!({"type": "keyUp", "value": c}),
                ]
            })
            .collect();
        self.call(
            "POST",
            "actions",
            Some(json!({"actions": [{"type": "key", "id": "tangentbord", "actions": strokes}]})),
        );
    }

    /// Presses Tab until the focus is on `css`; at most `limit` presses.
    fn tab_to(&self, css: &str, limit: usize) {
        let here = format!("return document.activeElement.matches({css:?})");
        let mut passed = Vec::new();
        for _ in 0..limit {
            if self.js(&here) == json!(true) {
                return;
            }
            passed.push(self.focused());
            self.press(TAB);
        }
        panic!("{limit} presses of Tab never reached {css}; the focus went through {passed:?}");
    }

    /// Opens `url` as a new page: a change of the fragment alone would not load it anew.
    fn load(&self, url: &str) {
        self.open("about:blank");
        self.open(url);
    }

    fn focused(&self) -> Value {
        self.js("const a = document.activeElement; return a.id || a.dataset.flik || a.tagName")
    }
}

/// Asserts axe found nothing on `view`, naming each violation.
fn clean(b: &Browser, axe: &str, view: &str) {
    let found = b.axe(axe);
    assert!(
        found.is_empty(),
        "axe-core found {} violation(s) of WCAG 2.1 AA on {view}:\n{}",
        found.len(),
        found.join("\n")
    );
}

fn open_tab(b: &Browser, name: &str) {
    let tab = b.element(&format!(".flikar button[data-flik='{name}']"));
    b.click(&tab);
    b.wait_for(
        &format!("return !document.getElementById('flik-{name}').hidden && document.body.dataset.laddar === undefined"),
        &json!(true),
    );
}

#[test]
fn axe_core_finds_no_violation_on_any_view_or_form() {
    if !browser_available() {
        return;
    }
    let axe = axe_source();
    let k = kalmar();
    let admin = (k.state.tokens())
        .add(
            "ada.admin",
            Role::Admin,
            None,
            "test.admin",
            chrono::Utc::now(),
        )
        .unwrap();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let b = Browser::start();

    // Signed out: the sign-in form.
    b.open(&running.url());
    b.wait_for(
        "return !document.getElementById('inloggning').hidden",
        &json!(true),
    );
    clean(&b, &axe, "the sign-in form");
    // axe does find what it looks for: an image without a text and a field without a label.
    b.js("const i = document.createElement('img'); i.id = 'utan-text'; i.src = 'data:,'; document.body.appendChild(i); \
          const f = document.createElement('input'); f.id = 'utan-etikett'; document.body.appendChild(f); return null;");
    let found = b.axe(&axe);
    assert!(
        found.iter().any(|v| v.starts_with("image-alt"))
            && found.iter().any(|v| v.starts_with("label")),
        "axe-core must find a missing alt text and a missing label: {found:?}"
    );
    b.js("document.getElementById('utan-text').remove(); document.getElementById('utan-etikett').remove(); return null;");
    clean(&b, &axe, "the sign-in form, the planted faults removed");

    // The revisor: the budget tables, a frame's history, the revision tab.
    b.load(&format!("{}/#token={}", running.url(), k.revisor));
    b.wait_for(KLK_2017, &json!("477 569"));
    b.wait_for(
        "return document.getElementById('vattenfall').naturalWidth > 0",
        &json!(true),
    );
    clean(&b, &axe, "the budget tab");
    let opened = b.js(
        "const klk = [...document.querySelectorAll('#ramar tbody tr')].find((r) => r.cells[0].textContent === 'KLK'); \
         if (klk) klk.click(); return Boolean(klk);",
    );
    assert_eq!(opened, json!(true));
    b.wait_for(
        "const h = document.getElementById('historik'); return !h.hidden && h.querySelectorAll('tbody tr').length > 5",
        &json!(true),
    );
    clean(&b, &axe, "a frame's history");
    open_tab(&b, "revision");
    b.wait_for(
        "return document.querySelectorAll('#kontroll tbody tr').length > 0 && Boolean(document.getElementById('verifiering-resultat'))",
        &json!(true),
    );
    clean(&b, &axe, "the revision tab");

    // The controller: every recording form, a preview, a refusal beside its field, the workbook
    // import and the attests.
    b.load(&format!("{}/#token={}", running.url(), k.controller));
    b.wait_for(KLK_2017, &json!("477 569"));
    open_tab(&b, "registrera");
    b.wait_for(
        "return Boolean(document.getElementById('f-amount'))",
        &json!(true),
    );
    let kinds = b.js("return [...document.getElementById('form-typ').options].map((o) => o.value)");
    let kinds: Vec<String> = serde_json::from_value(kinds).unwrap();
    assert!(kinds.len() >= 12, "a form per event type: {kinds:?}");
    for kind in &kinds {
        b.call(
            "POST",
            "execute/sync",
            Some(json!({"script": "const s = document.getElementById('form-typ'); s.value = arguments[0]; \
                s.dispatchEvent(new Event('change', {bubbles: true})); return null;", "args": [kind]})),
        );
        b.wait_for(
            "return document.querySelectorAll('#form-falt input, #form-falt select, #form-falt textarea').length > 0",
            &json!(true),
        );
        clean(&b, &axe, &format!("the form {kind}"));
    }
    // A bad amount, named beside its field.
    b.call(
        "POST",
        "execute/sync",
        Some(json!({"script": "const s = document.getElementById('form-typ'); s.value = 'frame_changed'; \
            s.dispatchEvent(new Event('change', {bubbles: true})); return null;", "args": []})),
    );
    b.wait_for(
        "return Boolean(document.getElementById('f-amount'))",
        &json!(true),
    );
    let amount = b.element("#f-amount");
    b.keys(&amount, "12,3,4");
    let preview = b.element("#form-granska");
    b.click(&preview);
    b.wait_for(
        "return !document.getElementById('f-amount-fel').hidden",
        &json!(true),
    );
    clean(&b, &axe, "a refused amount");
    b.screenshot(&shots().join("a11y-refused.png"));

    open_tab(&b, "attest");
    b.wait_for(
        "return document.querySelector('#attest .innehall').children.length > 0",
        &json!(true),
    );
    clean(&b, &axe, "the attest tab");

    // The admin: accounts and tokens.
    b.load(&format!("{}/#token={}", running.url(), admin));
    b.wait_for(KLK_2017, &json!("477 569"));
    open_tab(&b, "konton");
    b.wait_for(
        "return document.querySelectorAll('#konton table, #tokenlista table').length === 2",
        &json!(true),
    );
    clean(&b, &axe, "the accounts tab");
    drop(b);
    running.stop().unwrap();
}

#[test]
fn the_slider_says_its_date_and_the_tabs_say_which_is_selected() {
    if !browser_available() {
        return;
    }
    let k = kalmar();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let b = Browser::start();
    b.open(&format!("{}/#token={}", running.url(), k.controller));
    b.wait_for(KLK_2017, &json!("477 569"));

    // The slider's value is said as the date of the decision it shows, never as an index.
    let said = "return document.getElementById('datum').getAttribute('aria-valuetext')";
    let text = b.js(said);
    let text = text
        .as_str()
        .unwrap_or_else(|| panic!("no aria-valuetext: {text}"));
    assert!(text.contains("2016-11-22"), "{text}");
    let slider = b.element("#datum");
    b.keys(&slider, LEFT);
    b.wait_for(
        "return (document.getElementById('datum').getAttribute('aria-valuetext') || '').includes('2016-11-22')",
        &json!(false),
    );
    let earlier = b.js(said);
    let shown = b.js("return document.getElementById('datum-text').dataset.datum");
    assert!(
        earlier.as_str().unwrap().contains(shown.as_str().unwrap()),
        "the slider says the date it shows: {earlier} against {shown}"
    );

    // The tabs: one selected, each tied to its panel, and the arrow keys move between them.
    let tabs = "return [...document.querySelectorAll('[role=tab]')].filter((t) => !t.hidden).map((t) => \
        [t.dataset.flik, t.getAttribute('aria-selected'), t.tabIndex, \
         document.getElementById(t.getAttribute('aria-controls'))?.getAttribute('role'), \
         document.getElementById(t.getAttribute('aria-controls'))?.getAttribute('aria-labelledby') === t.id])";
    assert_eq!(
        b.js(tabs),
        json!([
            ["budget", "true", 0, "tabpanel", true],
            ["registrera", "false", -1, "tabpanel", true],
            ["attest", "false", -1, "tabpanel", true],
            ["revision", "false", -1, "tabpanel", true],
        ])
    );
    let budget = b.element(".flikar button[data-flik='budget']");
    b.keys(&budget, RIGHT);
    b.wait_for(
        "return document.querySelector('[role=tab][aria-selected=true]').dataset.flik",
        &json!("registrera"),
    );
    assert_eq!(b.focused(), json!("flik-knapp-registrera"));
    assert_eq!(
        b.js("return document.getElementById('flik-registrera').hidden"),
        json!(false)
    );
    b.press(END);
    b.wait_for(
        "return document.querySelector('[role=tab][aria-selected=true]').dataset.flik",
        &json!("revision"),
    );
    b.press(RIGHT);
    b.wait_for(
        "return document.querySelector('[role=tab][aria-selected=true]').dataset.flik",
        &json!("budget"),
    );
    b.press(HOME);
    assert_eq!(b.focused(), json!("flik-knapp-budget"));

    // The focus is visible: the focused tab has an outline of its own.
    let outline = b.js(
        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth) >= 2]",
    );
    assert_eq!(outline, json!(["solid", true]), "the focus ring is visible");
    drop(b);
    running.stop().unwrap();
}

#[test]
fn a_controller_records_a_frame_change_with_the_keyboard_alone() {
    if !browser_available() {
        return;
    }
    let k = kalmar();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let b = Browser::start();
    b.open(&format!("{}/#token={}", running.url(), k.controller));
    b.wait_for(KLK_2017, &json!("477 569"));
    let head = k.state.ledger().head().seq;

    // From the top of the page: Tab to the tabs, the arrow key to "Registrera", Tab into the form.
    b.js("document.activeElement.blur(); window.scrollTo(0, 0); return null;");
    b.tab_to("[role=tab][aria-selected=true]", 40);
    b.press(RIGHT);
    b.wait_for(
        "return Boolean(document.getElementById('f-amount'))",
        &json!(true),
    );
    b.tab_to("#form-typ", 40);
    assert_eq!(
        b.js("return document.getElementById('form-typ').value"),
        json!("frame_changed"),
        "the first form is the frame change"
    );
    b.tab_to("#f-amount", 40);
    b.press("-1 000");
    b.tab_to("#f-category", 40);
    b.press("ramjustering");
    b.tab_to("#f-decision-body", 40);
    b.press("KS");
    b.tab_to("#f-decision-date", 40);
    b.press("2016-12-01");
    b.tab_to("#f-decision-case", 40);
    b.press("KS 2016/0999");
    b.tab_to("#f-decision-paragraph", 40);
    b.press("§ 401");
    b.tab_to("#f-reason", 40);
    b.press("Besparing med tangentbordet");
    b.tab_to("#form-granska", 40);
    b.press(ENTER);
    b.wait_for(
        "return (document.getElementById('form-resultat').textContent || '').includes('477 569 → 476 569')",
        &json!(true),
    );
    assert_eq!(
        k.state.ledger().head().seq,
        head,
        "a preview writes nothing"
    );
    b.tab_to("#form-spara", 40);
    b.press(SPACE);
    b.wait_for(
        "return Boolean(document.getElementById('form-sparad'))",
        &json!(true),
    );
    assert_eq!(k.state.ledger().head().seq, head + 1);
    // From the saved entry to the budget it changed, still with the keyboard: the page moves the
    // focus to "Visa i budgeten" once it has read the ledger anew.
    b.wait_for("return document.activeElement.id", &json!("form-visa"));
    b.press(ENTER);
    b.wait_for(KLK_2017, &json!("476 569"));
    b.screenshot(&shots().join("a11y-keyboard.png"));
    drop(b);
    running.stop().unwrap();
}
