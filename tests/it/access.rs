//! The access log: every token created, revoked or expired is recorded with who did it, when, and
//! the token's name and role, never the token; `rambok token log` and `GET /api/access` show it to
//! auditors and revisors only; an entry changed behind rambok's back breaks the chain (exit 6); an
//! expired token is refused with 401.

use super::server::{call, kalmar};
use axum::body::Body;
use chrono::{Duration, NaiveDate, Utc};
use rambok::server::access::{entry_key, ACCESS_TREE};
use rambok::server::auth::{expiry_after, Role};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

/// `rambok --db DB ARGS` with `USER` set to `user` (and `LOGNAME` unset), or neither when `None`.
fn rambok(db: &Path, args: &[&str], user: Option<&str>) -> Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_rambok"));
    c.env_remove("RAMBOK_DB")
        .env_remove("RAMBOK_SERVER")
        .env_remove("RAMBOK_TOKEN")
        .env_remove("RAMBOK_USER")
        .env_remove("LOGNAME")
        .env_remove("USER");
    if let Some(u) = user {
        c.env("USER", u);
    }
    c.arg("--db").arg(db).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A closed ledger of the Kalmar fixtures at `db`.
fn ledger(db: &Path) {
    let fixtures = rambok::cli::demo::fixture_events().unwrap();
    rambok::ledger::Ledger::open(db)
        .unwrap()
        .append(&fixtures, "fixtures", None, Utc::now())
        .unwrap();
}

#[test]
fn token_changes_are_logged_with_who_and_role_and_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l");
    ledger(&db);
    let made = rambok(
        &db,
        &[
            "token",
            "add",
            "--role",
            "revisor",
            "--name",
            "rut.revisor",
            "--expires",
            "2999-12-31",
            "--by",
            "  Maria \t Admin  ",
        ],
        Some("ignored"),
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    let token = text(&made.stdout).trim().to_string();
    assert!(token.starts_with("rbk_"));
    let listed = text(&rambok(&db, &["token", "list"], None).stdout);
    assert!(
        listed.contains("rut.revisor") && listed.contains("giltig t.o.m. 2999-12-31 (UTC)"),
        "{listed}"
    );
    // Without --by: the OS user.
    let removed = rambok(
        &db,
        &["token", "remove", "--name", "rut.revisor"],
        Some("olof"),
    );
    assert!(removed.status.success(), "{}", text(&removed.stderr));

    let table = rambok(&db, &["token", "log"], None);
    assert!(table.status.success(), "{}", text(&table.stderr));
    let table = text(&table.stdout);
    let rows: Vec<&str> = table.lines().skip(3).collect();
    assert_eq!(rows.len(), 2, "{table}");
    for (row, (by, what)) in rows
        .iter()
        .zip([("Maria Admin", "skapad"), ("olof", "återkallad")])
    {
        assert!(
            row.contains(by)
                && row.contains(what)
                && row.contains("rut.revisor")
                && row.contains("revisor")
                && row.contains("2999-12-31"),
            "{table}"
        );
    }
    assert!(
        table.starts_with("Åtkomstlogg: API-token och konton (2 händelser)\nNr  Tid (UTC)"),
        "{table}"
    );

    let json = rambok(&db, &["token", "log", "--format", "json"], None);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let json_text = text(&json.stdout);
    let v: Value = serde_json::from_str(&json_text).unwrap();
    let entries = v.as_array().unwrap();
    let fields = |e: &Value| {
        ["entry", "by", "action", "name", "role", "valid_through"].map(|k| e[k].to_string())
    };
    assert_eq!(
        fields(&entries[0]),
        [
            "1",
            "\"Maria Admin\"",
            "\"created\"",
            "\"rut.revisor\"",
            "\"revisor\"",
            "\"2999-12-31\""
        ]
    );
    assert_eq!(fields(&entries[1])[..3], ["2", "\"olof\"", "\"revoked\""]);
    assert_eq!(
        entries[1]["prev"], entries[0]["hash"],
        "each entry carries the one before"
    );
    // The secret appears nowhere: not the token, not its hex, not its hash.
    let secret = &token["rbk_".len()..];
    let hashed: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    for shown in [&table, &json_text] {
        assert!(
            !shown.contains(secret) && !shown.contains(&hashed),
            "{shown}"
        );
    }
}

#[test]
fn who_changes_tokens_must_be_known() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l");
    ledger(&db);
    // Without --by or any of RAMBOK_USER, USER, LOGNAME: the name of the user the process runs
    // as (its uid in /etc/passwd), so a service or CI shell is still someone.
    let os = rambok(
        &db,
        &["token", "add", "--role", "auditor", "--name", "a"],
        None,
    );
    assert_eq!(os.status.code(), Some(0), "{}", text(&os.stderr));
    let uid = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("Uid:")
                .map(|u| u.split_whitespace().next().unwrap().to_string())
        })
        .unwrap();
    let me = std::fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .find(|l| l.split(':').nth(2) == Some(uid.as_str()))
        .map(|l| l.split(':').next().unwrap().to_string())
        .unwrap();
    let log = text(&rambok(&db, &["token", "log", "--format", "json"], None).stdout);
    assert!(
        log.contains(&format!("\"by\": \"{me}\"")) || log.contains(&format!("\"by\":\"{me}\"")),
        "{log}"
    );
    let blank = rambok(
        &db,
        &[
            "token", "add", "--role", "auditor", "--name", "a", "--by", "   ",
        ],
        Some("u"),
    );
    assert_eq!(blank.status.code(), Some(1), "{}", text(&blank.stderr));
    assert!(text(&blank.stderr).contains("--by"));
    let past = rambok(
        &db,
        &[
            "token",
            "add",
            "--role",
            "auditor",
            "--name",
            "a",
            "--expires",
            "2001-02-03",
        ],
        Some("u"),
    );
    assert_eq!(past.status.code(), Some(1));
    assert!(
        text(&past.stderr).contains("2001-02-03 har redan passerat"),
        "{}",
        text(&past.stderr)
    );
    let bad = rambok(
        &db,
        &[
            "token",
            "add",
            "--role",
            "auditor",
            "--name",
            "a",
            "--expires",
            "2030-02-30",
        ],
        Some("u"),
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("--expires"),
        "{}",
        text(&bad.stderr)
    );
    let log = rambok(&db, &["token", "log", "--format", "json"], None);
    let entries: serde_json::Value = serde_json::from_slice(&log.stdout).unwrap();
    assert_eq!(
        entries.as_array().map(Vec::len),
        Some(1),
        "only the token made under the OS user's name; nothing refused was logged: {entries}"
    );
}

#[test]
fn the_access_log_is_for_auditors_and_revisors() {
    let k = kalmar();
    let get = |token: Option<&str>| call(&k.state, "GET", "/api/access", token, Body::empty());
    for token in [&k.revisor, &k.auditor] {
        let r = get(Some(token));
        assert_eq!(r.status.as_u16(), 200, "{}", r.text());
        let v = r.json();
        let entries = v.as_array().unwrap();
        assert_eq!(entries.len(), 3, "one per token made");
        assert!(entries
            .iter()
            .all(|e| e["action"] == "created" && e["by"] == "test.admin"));
        for t in [&k.controller, &k.auditor, &k.revisor] {
            assert!(!r.text().contains(&t["rbk_".len()..]));
        }
    }
    let controller = get(Some(&k.controller));
    assert_eq!(controller.status.as_u16(), 403, "{}", controller.text());
    assert!(controller.json()["error"]
        .as_str()
        .unwrap()
        .contains("rollen auditor, revisor eller admin"));
    assert_eq!(get(None).status.as_u16(), 401);
    let odd = call(
        &k.state,
        "GET",
        "/api/access?limit=5",
        Some(&k.revisor),
        Body::empty(),
    );
    assert_eq!(odd.status.as_u16(), 400, "an unknown parameter is refused");
}

#[test]
fn an_expired_token_is_refused_and_its_expiry_logged() {
    let k = kalmar();
    let day = NaiveDate::from_ymd_opt(2020, 6, 30).unwrap();
    let expires_at = expiry_after(day).unwrap();
    let old = (k.state.tokens())
        .add(
            "tidigare.revisor",
            Role::Revisor,
            Some(expires_at),
            "test.admin",
            expires_at - Duration::days(90),
        )
        .unwrap();
    for _ in 0..2 {
        let r = call(
            &k.state,
            "GET",
            "/api/frames?year=2017",
            Some(&old),
            Body::empty(),
        );
        assert_eq!(r.status.as_u16(), 401, "{}", r.text());
        let msg = r.json()["error"].as_str().unwrap().to_string();
        assert!(
            msg.contains("tokenen 'tidigare.revisor' upphörde vid slutet av 2020-06-30 (UTC)"),
            "{msg}"
        );
    }
    let log = call(
        &k.state,
        "GET",
        "/api/access",
        Some(&k.revisor),
        Body::empty(),
    )
    .json();
    let last: Vec<&Value> = log.as_array().unwrap().iter().rev().take(2).collect();
    assert_eq!(
        (last[0]["action"].as_str(), last[0]["by"].as_str()),
        (Some("expired"), Some("rambok"))
    );
    assert_eq!(last[0]["name"], "tidigare.revisor");
    assert_eq!(last[1]["action"], "created", "the expiry is logged once");
    assert!(k
        .state
        .refusals()
        .iter()
        .any(|l| l.contains("401") && l.contains("tidigare.revisor")));
}

/// Tampering as an attacker with access to the files would: sled opened directly, an entry's
/// `by` rewritten, the head left alone; then the entry removed altogether.
#[test]
fn an_entry_changed_or_removed_behind_rambok_breaks_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l");
    ledger(&db);
    for name in ["a", "b", "c"] {
        let made = rambok(
            &db,
            &[
                "token", "add", "--role", "auditor", "--name", name, "--by", "maria",
            ],
            None,
        );
        assert!(made.status.success(), "{}", text(&made.stderr));
    }
    let tamper = |f: &dyn Fn(&sled::Tree)| {
        let sled = rambok::store::sled_store::config(&db).open().unwrap();
        let tree = sled.open_tree(ACCESS_TREE).unwrap();
        f(&tree);
        tree.flush().unwrap();
    };
    tamper(&|t| {
        let bytes = t.get(entry_key(2)).unwrap().unwrap().to_vec();
        let at = bytes.windows(5).position(|w| w == b"maria").unwrap();
        let mut forged = bytes.clone();
        forged[at..at + 5].copy_from_slice(b"mallo");
        t.insert(entry_key(2), forged).unwrap();
    });
    let broken = rambok(&db, &["token", "log"], None);
    assert_eq!(broken.status.code(), Some(6), "{}", text(&broken.stdout));
    let msg = text(&broken.stderr);
    assert!(
        msg.contains("åtkomstloggen (api_access) bryts vid post 2: post 3 bär en SHA-256 av post 2 som dess byte inte längre har"),
        "{msg}"
    );
    assert!(text(&broken.stdout).is_empty());
    tamper(&|t| {
        t.remove(entry_key(2)).unwrap();
    });
    let gone = rambok(&db, &["token", "log", "--format", "json"], None);
    assert_eq!(gone.status.code(), Some(6));
    assert!(
        text(&gone.stderr).contains("bryts vid post 2: post 2 saknas (nästa är post 3)"),
        "{}",
        text(&gone.stderr)
    );
}
