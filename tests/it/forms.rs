//! Recording and attesting through the API the page uses: the forms are the CLI's, a preview
//! validates through the write path and says what the entry would do while writing nothing, a
//! field's problem comes back named and in Swedish, an attest of one's own entry is refused by
//! validation, the entries awaiting an attest are listed, and a kept digest is checked.

use super::server::{call, kalmar, Kalmar, Reply};
use axum::body::Body;
use axum::http::StatusCode;
use rambok::server::auth::Role;
use rambok::store::Store;
use serde_json::{json, Value};

fn post(k: &Kalmar, token: &str, uri: &str, body: &Value) -> Reply {
    call(
        &k.state,
        "POST",
        uri,
        Some(token),
        Body::from(body.to_string()),
    )
}

fn head(k: &Kalmar) -> u64 {
    k.state.ledger().store().head().unwrap().seq
}

fn klk_2017(k: &Kalmar) -> String {
    let v = call(
        &k.state,
        "GET",
        "/api/frames?year=2017",
        Some(&k.revisor),
        Body::empty(),
    )
    .json();
    v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["office"] == "KLK")
        .map(|f| f["frame"].as_str().unwrap().to_string())
        .unwrap()
}

/// The archive move of the issue, as a controller types it.
fn archive_move(amount: &str) -> Value {
    json!({"type": "frame_changed", "values": {
        "office": "KLK", "year": "2017", "amount": amount, "unit": "tkr",
        "category": "ramjustering", "reason": "Flyttkostnader arkivcentrum, etapp 2",
        "decision.body": "KF", "decision.date": "2016-12-12", "decision.case": "KS 2016/1200",
        "decision.paragraph": "§ 210", "note": ""
    }})
}

#[test]
fn the_forms_are_the_clis_with_labels_help_and_the_sign_in_words() {
    let k = kalmar();
    let r = call(
        &k.state,
        "GET",
        "/api/forms",
        Some(&k.revisor),
        Body::empty(),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let types: Vec<&str> = v["forms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, rambok::json::TYPE_NAMES);
    let change = v["forms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == "frame_changed")
        .unwrap();
    let field = |path: &str| {
        change["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("no field {path}"))
            .clone()
    };
    let amount = field("amount");
    assert_eq!(amount["input"], "amount");
    assert_eq!(amount["required"], true);
    assert_eq!(
        amount["sign"],
        json!({"positive": "ger mer pengar", "negative": "minskar ramen"})
    );
    assert!(amount["help"].as_str().unwrap().contains("\"−1 000\""));
    assert_eq!(field("decision.body")["label"], "Beslutsorgan");
    assert_eq!(field("decision.case")["required"], false);
    assert_eq!(field("unit")["input"], "unit");
}

#[test]
fn a_preview_says_what_the_frame_becomes_and_writes_nothing_until_confirmed() {
    let k = kalmar();
    let before = head(&k);
    let r = post(
        &k,
        &k.controller,
        "/api/preview",
        &archive_move("\u{2212}1 000"),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let p = r.json();
    assert_eq!(
        p["effects"][0]["text"],
        "KLK 2017: budgetram 477 569 → 476 569 tkr"
    );
    assert_eq!(
        p["effects"][0]["frame"],
        json!({"before": "477569000", "after": "476569000"})
    );
    assert_eq!(
        p["event"]["amount"], "-1000000",
        "the event in kronor, as the log writes it"
    );
    assert_eq!(p["added"], 1);
    assert_eq!(p["head_seq"], before);
    assert_eq!(head(&k), before, "a preview writes nothing");
    assert_eq!(klk_2017(&k), "477569000");

    // Confirmed: exactly the previewed event, after the head the preview saw.
    let save = json!({"events": [p["event"]], "expected_seq": p["head_seq"]});
    let r = post(&k, &k.controller, "/api/events", &save);
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(klk_2017(&k), "476569000");
    assert_eq!(head(&k), before + 1);
    // The same save again, after the head moved: a conflict, nothing written twice.
    let r = post(&k, &k.controller, "/api/events", &save);
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
}

#[test]
fn a_bad_amount_is_named_beside_its_field_in_swedish_and_nothing_is_written() {
    let k = kalmar();
    let before = head(&k);
    for (amount, field, words) in [
        (
            "12,5,0",
            "amount",
            "'12,5,0' är inte ett belopp (skriv till exempel 477 569",
        ),
        ("1 000,000001", "amount", "öre"),
        ("0", "amount", "en ramändring på noll ändrar ingenting"),
    ] {
        let r = post(&k, &k.controller, "/api/preview", &archive_move(amount));
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{amount}: {}",
            r.text()
        );
        let e = r.json();
        assert_eq!(e["field"], field, "{e}");
        let message = e["message"].as_str().unwrap();
        assert!(message.contains(words), "{amount}: {message}");
        assert!(
            e["error"]
                .as_str()
                .unwrap()
                .starts_with(&format!("fältet {field}: ")),
            "{e}"
        );
    }
    // The ledger's own rules, through the dry run: an office it does not know.
    let mut unknown = archive_move("1 000");
    unknown["values"]["office"] = json!("KLX");
    let e = post(&k, &k.controller, "/api/preview", &unknown).json();
    assert_eq!(e["field"], "office", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("'KLX' är inte en definierad förvaltning"),
        "{e}"
    );
    // A missing decision date, a field the type does not have.
    let mut undated = archive_move("1 000");
    undated["values"]
        .as_object_mut()
        .unwrap()
        .remove("decision.date");
    assert_eq!(
        post(&k, &k.controller, "/api/preview", &undated).json()["field"],
        "decision.date"
    );
    let mut stray = archive_move("1 000");
    stray["values"]["area"] = json!("ADM");
    let e = post(&k, &k.controller, "/api/preview", &stray).json();
    assert_eq!(e["field"], "area", "{e}");
    assert_eq!(head(&k), before, "nothing was written");
    // Only those who record may preview.
    let r = post(&k, &k.revisor, "/api/preview", &archive_move("1 000"));
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[test]
fn a_budget_line_and_a_correction_preview_their_effect() {
    let k = kalmar();
    let line = json!({"type": "budget_line", "values": {
        "office": "KLK", "year": "2017", "area": "ADM", "revenue": "65 595", "cost": "175 102",
        "unit": "tkr", "decision.body": "KS", "decision.date": "2016-12-12"}});
    let p = post(&k, &k.controller, "/api/preview", &line).json();
    assert_eq!(
        p["effects"][0]["text"],
        "KLK 2017: budgetram 477 569 → 477 569 tkr; ADM netto 108 507 → 109 507 tkr, internbudgeten 477 569 → 478 569 tkr",
        "{p}"
    );

    // A correction made from a history row names the row's office-year as its place.
    let history = call(
        &k.state,
        "GET",
        "/api/history?office=KLK&year=2017",
        Some(&k.revisor),
        Body::empty(),
    )
    .json();
    let archive = history["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["text"].as_str().unwrap().contains("arkivcentrum"))
        .unwrap()
        .clone();
    let correction = json!({"type": "correction",
        "values": {"corrects": archive["id"], "reason": "Registrerad på fel år"},
        "place": {"office": "KLK", "year": 2017, "area": null}});
    let p = post(&k, &k.controller, "/api/preview", &correction).json();
    assert_eq!(
        p["effects"][0]["text"], "KLK 2017: budgetram 477 569 → 476 569 tkr",
        "{p}"
    );
    let mut reasonless = correction.clone();
    reasonless["values"]["reason"] = json!(" ");
    let e = post(&k, &k.controller, "/api/preview", &reasonless).json();
    assert_eq!(e["field"], "reason", "{e}");
}

#[test]
fn a_dry_run_of_a_batch_validates_and_previews_without_writing() {
    let k = kalmar();
    let before = head(&k);
    let change = json!({"type": "frame_changed", "office": "KLK", "year": 2017, "amount": "-1000",
        "unit": "tkr", "category": "ramjustering", "reason": "Arkiv",
        "decision": {"body": "KF", "date": "2016-12-12"}});
    let r = post(
        &k,
        &k.controller,
        "/api/events?dry_run=true",
        &json!([change]),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(
        (v["dry_run"].clone(), v["added"].clone()),
        (json!(true), json!(1))
    );
    assert_eq!(
        v["effects"][0]["text"],
        "KLK 2017: budgetram 477 569 → 476 569 tkr"
    );
    assert_eq!(head(&k), before);
    // The dry run leaves the writer as it was: the next append needs no rebuild, and succeeds.
    let r = post(&k, &k.controller, "/api/events", &json!([change]));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = post(
        &k,
        &k.controller,
        "/api/events?dry_run=maybe",
        &json!([change]),
    );
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

fn pending(k: &Kalmar, token: &str) -> Value {
    let r = call(
        &k.state,
        "GET",
        "/api/pending?year=2017",
        Some(token),
        Body::empty(),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

#[test]
fn an_approver_attests_anothers_entry_and_never_their_own() {
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
    let p = post(
        &k,
        &k.controller,
        "/api/preview",
        &archive_move("\u{2212}1 000"),
    )
    .json();
    let r = post(&k, &k.controller, "/api/events", &json!([p["event"]]));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = p["event"]["id"].as_str().unwrap().to_string();

    let mine = pending(&k, &k.controller);
    let entry = mine["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["own"], true);
    assert_eq!(entry["recorded_by"], "karin.controller");
    assert!(
        entry["text"]
            .as_str()
            .unwrap()
            .contains("Flyttkostnader arkivcentrum"),
        "{entry}"
    );
    let theirs = pending(&k, &bo);
    let entry = theirs["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id.as_str())
        .unwrap();
    assert_eq!(entry["own"], false);
    let waiting = theirs["count"].as_u64().unwrap();

    // Her own attest: refused by validation, named on the field, nothing written.
    let before = head(&k);
    let attest = json!({"type": "approved", "event": id, "comment": "Attesterad mot protokollet"});
    let r = post(&k, &k.controller, "/api/events", &json!([attest]));
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let e = r.json();
    assert_eq!(e["field"], "event");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("registrerades av karin.controller själv"),
        "{e}"
    );
    assert_eq!(head(&k), before);
    // Also as a form's preview.
    let form = json!({"type": "approved", "values": {"event": id}});
    assert_eq!(
        post(&k, &k.controller, "/api/preview", &form).status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Bo's: accepted, and the entry no longer waits.
    let r = post(&k, &bo, "/api/events", &json!([attest]));
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let after = pending(&k, &bo);
    assert_eq!(after["count"].as_u64().unwrap(), waiting - 1);
    assert!(!after["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["id"] == id.as_str()));
}

#[test]
fn a_revisor_downloads_a_digest_and_checks_it_later() {
    let k = kalmar();
    let r = call(
        &k.state,
        "GET",
        "/api/digest",
        Some(&k.revisor),
        Body::empty(),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let disposition = r.headers["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains(&format!("rambok-kontrollsumma-{}.json", head(&k))),
        "{disposition}"
    );
    let kept = r.body.clone();
    let change = json!({"type": "frame_changed", "office": "KLK", "year": 2017, "amount": "-1000",
        "unit": "tkr", "category": "ramjustering", "reason": "Arkiv",
        "decision": {"body": "KF", "date": "2016-12-12"}});
    assert_eq!(
        post(&k, &k.controller, "/api/events", &json!([change])).status,
        StatusCode::CREATED
    );

    let r = call(
        &k.state,
        "POST",
        "/api/verify",
        Some(&k.revisor),
        Body::from(kept.clone()),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["against"]["seq"], head(&k) - 1);
    // A digest this ledger does not extend: an answer, not a failure.
    let mut forged: Value = serde_json::from_slice(&kept).unwrap();
    let hash = forged["hash"].as_str().unwrap().to_string();
    let other = if hash.starts_with('0') { "1" } else { "0" };
    forged["hash"] = json!(format!("{other}{}", &hash[1..]));
    let v = call(
        &k.state,
        "POST",
        "/api/verify",
        Some(&k.revisor),
        Body::from(forged.to_string()),
    )
    .json();
    assert_eq!(v["ok"], false, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("skiljer sig från kontrollsumman"),
        "{v}"
    );
    // Not a digest at all; and not for those who record.
    let r = call(
        &k.state,
        "POST",
        "/api/verify",
        Some(&k.revisor),
        Body::from("hej"),
    );
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .starts_with("inte en kontrollsumma från rambok"));
    let r = call(
        &k.state,
        "GET",
        "/api/digest",
        Some(&k.controller),
        Body::empty(),
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// One request with a session cookie, and the CSRF value when given.
fn with_session(k: &Kalmar, uri: &str, cookie: &str, csrf: Option<&str>, body: &Value) -> Reply {
    let mut req = axum::http::Request::builder()
        .method("POST")
        .uri(uri)
        .header("Cookie", format!("rambok_session={cookie}"));
    if let Some(c) = csrf {
        req = req.header("X-CSRF-Token", c);
    }
    let req = req.body(Body::from(body.to_string())).unwrap();
    let app = rambok::server::app(k.state.clone());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            use tower::ServiceExt;
            let res = app.oneshot(req).await.unwrap();
            let (parts, body) = res.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            Reply {
                status: parts.status,
                headers: parts.headers,
                body: bytes.to_vec(),
            }
        })
}

#[test]
fn a_signed_in_controller_previews_and_saves_only_with_the_csrf_value() {
    let k = kalmar();
    let password = "en lång och bra lösenfras";
    (k.state.users())
        .add(
            "karin.lind",
            Role::Controller,
            password,
            "test",
            chrono::Utc::now(),
        )
        .unwrap();
    let r = call(
        &k.state,
        "POST",
        "/api/session",
        None,
        Body::from(json!({"name": "karin.lind", "password": password}).to_string()),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    let cookie = cookie
        .strip_prefix("rambok_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = r.json()["csrf"].as_str().unwrap().to_string();
    let form = archive_move("\u{2212}1 000");
    let r = with_session(&k, "/api/preview", &cookie, None, &form);
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = with_session(&k, "/api/preview", &cookie, Some(&csrf), &form);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let p = r.json();
    assert_eq!(p["recorded_by"], "karin.lind");
    let save = json!({"events": [p["event"]], "expected_seq": p["head_seq"]});
    let r = with_session(&k, "/api/events", &cookie, Some(&csrf), &save);
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(klk_2017(&k), "476569000");
}
