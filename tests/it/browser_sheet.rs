//! The workbook import in a real browser (the harness of `browser.rs`): a controller picks the
//! Kalmar 2017 internal budget as an .xlsx file in the page, maps its columns, sees the five rows
//! and their effect before anything is saved, imports them, and the ledger has the fixture's
//! figures.

use super::browser::{browser_available, shots, Browser, KLK_2017};
use super::sheet::{budget_2017, driftsbudget, kalmar_without_2017_budget, workbook};
use rambok::ledger::Ledger;
use rambok::server::{self, auth::Role, AppState};
use serde_json::json;

/// Fills the import form's text fields and picks its selects (by the fields' names).
const FILL: &str = "for (const [name, value] of Object.entries(arguments[0])) { \
    const f = document.querySelector(`#bok-falt [name=\"${name}\"]`); \
    if (!f) return 'inget fält ' + name; \
    f.value = value; f.dispatchEvent(new Event('input', {bubbles: true})); } return 'ok';";

#[test]
fn a_controller_imports_the_kalmar_2017_internal_budget_from_excel_in_the_page() {
    if !browser_available() {
        return;
    }
    let db = kalmar_without_2017_budget();
    let file = db._dir.path().join("internbudget 2017.xlsx");
    std::fs::write(&file, workbook("Driftsbudget", &driftsbudget())).unwrap();
    let state = AppState::new(Ledger::open(&db.path).unwrap(), None).unwrap();
    let controller = (state.tokens())
        .add(
            "karin.controller",
            Role::Controller,
            None,
            "test.admin",
            chrono::Utc::now(),
        )
        .unwrap();
    let running = server::spawn(state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let b = Browser::start();
    b.open(&format!("{}/#token={}", running.url(), controller));
    b.wait_for(KLK_2017, &json!("477 569"));
    let tab = b.element(".flikar button[data-flik='registrera']");
    b.click(&tab);
    b.wait_for(
        "return Boolean(document.getElementById('bok-file'))",
        &json!(true),
    );
    let picker = b.element("#bok-file");
    b.keys(&picker, file.to_str().unwrap());
    let filled = b.call(
        "POST",
        "execute/sync",
        Some(json!({"script": FILL, "args": [{
            "type": "budget_line", "office": "KLK", "year": "2017", "unit": "tkr", "sign": "result",
            "map": "area=A,revenue=B,cost=C,net=D", "first_row": "4", "body": "KS",
            "date": "2016-11-22", "case": "KS 2016/1130",
        }]})),
    );
    assert_eq!(filled, json!("ok"));
    let head = state.ledger().head().seq;
    let preview = b.element("#bok-granska");
    b.click(&preview);
    b.wait_for(
        "return document.querySelectorAll('#bok-resultat tbody tr').length",
        &json!(5),
    );
    let effect = b.js("return document.getElementById('bok-effekt').textContent");
    assert!(
        effect.as_str().unwrap_or_default().contains("KLK 2017"),
        "the effect before saving: {effect}"
    );
    assert_eq!(state.ledger().head().seq, head, "a preview writes nothing");
    b.screenshot(&shots().join("xlsx-preview.png"));
    b.wait_for("return document.activeElement.id", &json!("bok-spara"));
    let save = b.element("#bok-spara");
    b.click(&save);
    b.wait_for(
        "return Boolean(document.getElementById('bok-sparad'))",
        &json!(true),
    );
    assert_eq!(state.ledger().head().seq, head + 5);
    drop(b);
    running.stop().unwrap();
    drop(state);
    // The same figures as the fixture's 2017 internal budget.
    let fixtures = super::cli::kalmar();
    assert_eq!(budget_2017(&db.path), budget_2017(&fixtures.path));
}
