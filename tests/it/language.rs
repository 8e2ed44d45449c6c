//! One language: everything rambok says to a person is Swedish (docs/language.md). Every
//! command's help, a range of wrong and right invocations, and the API's errors are read for
//! English words and for counts in the wrong number ("1 händelser").
//!
//! What stays English by design is left out before reading: command names and flags, event
//! types and field names (`frame_set`, `decision.date`), text in backticks, paths and addresses,
//! and what the user typed, quoted back in '…'.

use crate::cli::{kalmar, rambok};
use crate::server::{call, get, kalmar as served};
use axum::body::Body;
use clap::CommandFactory;
use std::path::Path;

/// Words that are English and not Swedish: one of them in a message means a message in English.
const ENGLISH: &[&str] = &[
    "the",
    "is",
    "are",
    "was",
    "were",
    "not",
    "must",
    "cannot",
    "should",
    "expected",
    "unknown",
    "missing",
    "invalid",
    "error",
    "found",
    "nothing",
    "which",
    "with",
    "without",
    "this",
    "that",
    "there",
    "been",
    "has",
    "have",
    "does",
    "only",
    "every",
    "already",
    "please",
    "try",
    "usage",
    "options",
    "default",
    "possible",
    "values",
    "print",
    "version",
    "arguments",
    "commands",
    "required",
    "given",
    "into",
    "and",
    "or",
    "of",
    "no",
    "file",
    "line",
    "field",
    "event",
    "events",
    "imported",
    "ledger",
    "records",
    "sequence",
    "wrote",
    "added",
    "skipped",
    "refused",
    "failed",
    "allowed",
    "needs",
    "before",
    "after",
    "than",
    "instead",
    "did",
    "yet",
    "shows",
    "see",
    "its",
    "it",
    "be",
    "by",
    "at",
    "on",
    "an",
    "for",
    "when",
    "where",
    "what",
    "who",
    "why",
    "how",
    "all",
    "none",
    "some",
    "too",
    "more",
    "less",
    "bytes",
    "years",
    "offices",
    "areas",
    "nearest",
    "mean",
    "cut",
    "short",
    "head",
    "entry",
    "entries",
    "stored",
    "damaged",
    "changed",
    "removed",
    "token's",
    "role",
    "may",
    "append",
    "appending",
    "read",
    "written",
    "connection",
    "answer",
    "certificate",
    "key",
    "private",
    "trusted",
    "name",
    "named",
    "exists",
    "first",
    "stop",
    "served",
    "open",
    "browser",
    "signed",
    "whole",
    "number",
    "between",
    "query",
    "body",
    "request",
    "requests",
    "carry",
    "several",
    "send",
    "array",
    "object",
    "objects",
    "twice",
    "endpoint",
    "takes",
    "page",
    "method",
    "here",
    "storage",
    "failure",
    "details",
    "worker",
    "task",
];

/// The words of `text` a person reads as the message, without what stays English by design.
fn words(text: &str) -> Vec<String> {
    let mut kept = String::new();
    let mut in_code = false;
    let mut in_quote = false;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '`' => in_code = !in_code,
            // A quote opens after a space or bracket and closes before one: "kontorets" is no quote.
            '\'' if !in_quote && (i == 0 || !chars[i - 1].is_alphanumeric()) => in_quote = true,
            '\'' if in_quote && chars.get(i + 1).is_none_or(|n| !n.is_alphanumeric()) => {
                in_quote = false
            }
            _ if in_code || in_quote => {}
            c => kept.push(c),
        }
    }
    // A field or parameter is named as it is typed: "fältet events", "parametern year".
    let mut named = false;
    kept.split_whitespace()
        .filter(|w| {
            let after_name = named;
            named = matches!(*w, "fältet" | "fält" | "parametern" | "nyckeln");
            !after_name
        })
        .filter(|w| {
            !(w.starts_with('-')
                || w.contains('_')
                || w.contains('/')
                || w.contains('.') && w.trim_end_matches(['.', ',', ':', ';', ')']).contains('.')
                || w.contains('=')
                || w.contains('<')
                || w.contains('[') && w.contains(']')
                // A hash or an id ("…3be2…" is no "be").
                || is_hex_run(w))
        })
        .flat_map(|w| {
            w.split(|c: char| !c.is_alphabetic() && c != '\'')
                .map(|s| s.trim_matches('\''))
                // A code in capitals (OF, KLK) is a name, not a word.
                .filter(|s| {
                    !(s.is_empty() || s.chars().count() > 1 && s.chars().all(char::is_uppercase))
                })
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether `w` is a hash or an id: eight or more hexadecimal digits, at least one a digit, with
/// dashes (a UUID). The access log's short hash column is ten ("be04990dab" is no "be").
fn is_hex_run(w: &str) -> bool {
    let w = w.trim_matches(['(', '.', ',', ':', ';', ')', '…']);
    w.chars().filter(char::is_ascii_hexdigit).count() >= 8
        && w.chars().any(|c| c.is_ascii_digit())
        && w.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// The English words in `text`, and counts of one said in the plural.
fn english(text: &str) -> Vec<String> {
    let mut found: Vec<String> = words(text)
        .into_iter()
        .filter(|w| ENGLISH.contains(&w.as_str()))
        .collect();
    for plural in ["händelser", "poster", "filer", "rader", "iakttagelser"] {
        if text.contains(&format!(" 1 {plural}")) || text.starts_with(&format!("1 {plural}")) {
            found.push(format!("1 {plural}"));
        }
    }
    found.sort();
    found.dedup();
    found
}

pub(crate) fn assert_swedish(what: &str, text: &str) {
    let found = english(text);
    assert!(found.is_empty(), "{what}: English {found:?} in:\n{text}");
}

#[test]
fn the_reader_of_messages_tells_english_from_swedish() {
    assert_eq!(
        english("rambok: the ledger at x is damaged"),
        ["at", "damaged", "is", "ledger", "the"]
    );
    assert!(english("Förvaltningar: KLK, OF, SBK").is_empty());
    assert_eq!(english("läste 1 händelser: 1 tillagd"), ["1 händelser"]);
    assert!(
        english("fältet amount: '12 is not' är inget belopp; se `rambok record --help`").is_empty()
    );
    assert!(english("Användning: rambok report frames [FLAGGOR] --year <ÅR>").is_empty());
    // A short hash in a table's column is no words, whatever letters it starts with.
    assert!(english(" 1  2026-12-02 05:12:53  t   skapad    rut   be04990dab").is_empty());
    assert_eq!(english("be the ledger"), ["be", "ledger", "the"]);
    assert!(english("kommunledningskontorets budgetram för KLK 2017").is_empty());
    // A hash is no words, whatever letters it happens to hold.
    assert!(english("senaste: sekvens 400 hash e1e19c644bc4b1ec572d6f3cc4741fb327ac3410dc6d79a3be2cd3152dd90523").is_empty());
    // In parentheses too (`verify --against`: "… vid sekvens 397 (899e…ba42be0c)").
    assert!(english(
        "vid sekvens 397 (899efdd222b9b4408ddc70340e030683aabb6ac24d7c80a14fb91410ba42be0c)"
    )
    .is_empty());
    assert_eq!(english("the be"), ["be", "the"]);
}

/// Every command's path, from the command tree: `["report", "frames"]`, `["record", "transfer"]`.
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        out.push(path.to_vec());
        for sub in cmd.get_subcommands() {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_string());
            walk(sub, &p, out);
        }
    }
    let mut out = Vec::new();
    let cmd = rambok::cli::usage::localize(rambok::cli::Cli::command());
    walk(&cmd, &[], &mut out);
    out
}

#[test]
fn every_command_helps_in_swedish() {
    let db = tempfile::tempdir().unwrap();
    let paths = command_paths();
    assert!(paths.len() > 35, "{paths:?}");
    for path in paths {
        for flag in ["--help", "-h"] {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push(flag);
            let (code, stdout, stderr) = rambok(db.path(), &args);
            assert_eq!(code, 0, "{args:?}: {stderr}");
            assert!(stdout.contains("Användning: rambok"), "{args:?}: {stdout}");
            assert_swedish(&format!("{args:?}"), &stdout);
        }
    }
}

/// Runs one command line on `db` and requires its exit code, and Swedish in all it printed.
fn says_in_swedish(db: &Path, args: &[&str], code: i32) -> String {
    let (got, stdout, stderr) = rambok(db, args);
    assert_eq!(got, code, "{args:?}:\n{stdout}\n{stderr}");
    let all = format!("{stdout}\n{stderr}");
    assert_swedish(&format!("{args:?}"), &all);
    all
}

#[test]
fn wrong_command_lines_are_answered_in_swedish() {
    let db = kalmar();
    let d = db.path.as_path();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, "{\"type\": \"frame_set\"}\n").unwrap();
    let (f, folder) = (file.to_str().unwrap(), dir.path().to_str().unwrap());
    // A workbook that is none.
    let book = dir.path().join("bok.xlsx");
    std::fs::write(&book, "inte en arbetsbok").unwrap();
    let book = book.to_str().unwrap();
    // A single sign-on file with an issuer over plain HTTP to another machine.
    let sso = dir.path().join("sso.json");
    std::fs::write(
        &sso,
        r#"{"issuer": "http://idp.kommun.se", "client_id": "rambok", "redirect_url": "https://rambok.kommun.se/api/oidc/callback", "roles": {"g": "controller"}}"#,
    )
    .unwrap();
    let sso = sso.to_str().unwrap();
    let out = dir.path().join("ut.xlsx");
    let out = out.to_str().unwrap();
    for (args, code) in [
        (&["report", "frames"][..], 2),
        (&["report", "frames", "--year", "abc"], 2),
        (
            &["report", "frames", "--year", "2017", "--format", "xml"],
            2,
        ),
        (&["report", "frames", "--yaer", "2017"], 2),
        (&["reprot"], 2),
        (&["record", "nope"], 2),
        (&["record", "approved", "--event"], 2),
        (
            &["export", "--year", "2017", "--out", out, "--decimals", "9"],
            2,
        ),
        (
            &["report", "budget", "--office", "klk", "--year", "2017"],
            1,
        ),
        (
            &[
                "history", "--office", "KLK", "--year", "2017", "--area", "XYZ",
            ],
            1,
        ),
        (&["report", "frames", "--year", "1999"], 1),
        (
            &[
                "report",
                "frames",
                "--year",
                "2017",
                "--as-of",
                "2017-13-01",
            ],
            1,
        ),
        (
            &["report", "frames", "--year", "2017", "--known-at", "igår"],
            1,
        ),
        (
            &["report", "frames", "--year", "2017", "--format", "svg"],
            1,
        ),
        (
            &[
                "history", "--office", "KLK", "--year", "2017", "--format", "svg", "--area", "ADM",
            ],
            1,
        ),
        (&["diff", "--from", "2017-02-01", "--to", "2017-01-01"], 1),
        (&["log", "--since", "igår"], 1),
        (&["record", "frame_changed", "--office", "KLK"], 1),
        (
            &[
                "record",
                "frame_changed",
                "--office",
                "KLK",
                "--year",
                "2017",
                "--amount",
                "tolv",
                "--category",
                "ramjustering",
                "--reason",
                "Test",
                "--body",
                "KF",
                "--date",
                "2017-01-01",
            ],
            1,
        ),
        (&["import", f], 1),
        (&["import", folder], 1),
        (&["import", "/finns/inte.jsonl"], 1),
        (&["serve", "--port", "0", "--oidc", "/finns/inte.json"], 1),
        (&["serve", "--port", "0", "--oidc", sso], 1),
        (&["import", f, "--office", "KLK"], 1),
        (&["import", book], 1),
        (&["import", book, "--office", "KLK", "--year", "2017"], 1),
        (
            &[
                "import",
                book,
                "--office",
                "KLK",
                "--year",
                "2017",
                "--map",
                "area=A,net=ZZZZ",
            ],
            1,
        ),
        (
            &[
                "import",
                book,
                "--office",
                "KLK",
                "--year",
                "2017",
                "--map",
                "area=A,net=B",
            ],
            1,
        ),
        (&["import", book, book], 1),
        (&["verify", "--against", "/finns/inte"], 1),
        (
            &["control", "--year", "2017", "--delegation", "/finns/inte"],
            1,
        ),
        (
            &[
                "token",
                "add",
                "--role",
                "controller",
                "--name",
                "karіn",
                "--by",
                "t",
            ],
            1,
        ),
        (&["token", "remove", "--name", "ingen", "--by", "t"], 1),
        (
            &[
                "token",
                "add",
                "--role",
                "controller",
                "--name",
                "k",
                "--expires",
                "2001-01-01",
            ],
            1,
        ),
        (&["serve", "--tls-cert", "/finns/inte"], 1),
        (&["serve", "--connections-max", "0"], 2),
        (&["serve", "--header-timeout", "x"], 2),
        (
            &["user", "add", "ny", "--role", "controller", "--by", "t"],
            1,
        ),
        (
            &[
                "user",
                "add",
                "ny",
                "--role",
                "controller",
                "--password-stdin",
                "--by",
                "t",
            ],
            1,
        ),
        (&["user", "add", "ny", "--role", "chef", "--by", "t"], 2),
        (&["user", "disable", "ingen", "--by", "t"], 1),
        (
            &["user", "passwd", "ingen", "--password-stdin", "--by", "t"],
            1,
        ),
        (
            &["--server", "ftp://x", "report", "frames", "--year", "2017"],
            1,
        ),
        (
            &[
                "--server",
                "http://127.0.0.1:9",
                "--token",
                "rbk_x",
                "report",
                "frames",
                "--year",
                "2017",
            ],
            5,
        ),
    ] {
        says_in_swedish(d, args, code);
    }
    let none = dir.path().join("ingen");
    says_in_swedish(&none, &["report", "frames", "--year", "2017"], 1);
}

#[test]
fn right_command_lines_are_answered_in_swedish() {
    let db = kalmar();
    let d = db.path.as_path();
    let dir = tempfile::tempdir().unwrap();
    let digest = dir.path().join("kontrollsumma.json");
    let digest = digest.to_str().unwrap();
    let out = dir.path().join("ut.xlsx");
    let csv = dir.path().join("csv");
    for args in [
        &["verify"][..],
        &["digest", "--out", digest],
        &["verify", "--against", digest],
        &["export", "--year", "2017", "--out", out.to_str().unwrap()],
        &[
            "export",
            "--year",
            "2017",
            "--format",
            "csv",
            "--out",
            csv.to_str().unwrap(),
        ],
        &[
            "token", "add", "--role", "revisor", "--name", "rut", "--by", "t",
        ],
        &["token", "list"],
        &["token", "log"],
        &["token", "remove", "--name", "rut", "--by", "t"],
        &["user", "list"],
        &["init"],
        &[
            "record",
            "frame_changed",
            "--office",
            "KLK",
            "--year",
            "2018",
            "--amount",
            "1",
            "--unit",
            "tkr",
            "--category",
            "ramjustering",
            "--reason",
            "Prov",
            "--body",
            "KF",
            "--date",
            "2017-06-20",
        ],
    ] {
        says_in_swedish(d, args, 0);
    }
    says_in_swedish(d, &["control", "--year", "2017"], 7);
    says_in_swedish(d, &["control", "--year", "2014"], 7);
    says_in_swedish(d, &["history", "--office", "KLK", "--year", "2017"], 0);
    let one = dir.path().join("en.jsonl");
    std::fs::write(
        &one,
        "{\"type\":\"office_defined\",\"office\":\"MHF\",\"name\":\"miljöförvaltningen\",\"committee\":\"MHN\"}\n",
    )
    .unwrap();
    let said = says_in_swedish(d, &["import", one.to_str().unwrap()], 0);
    assert!(said.contains("1 händelse"), "{said}");
    let said = says_in_swedish(d, &["import", "--dry-run", one.to_str().unwrap()], 0);
    assert!(said.contains("inget registrerades"), "{said}");
    // A workbook's preview, and its import.
    let book = dir.path().join("bok.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Område").unwrap();
    ws.write_string(0, 1, "Netto").unwrap();
    ws.write_string(1, 0, "ADM").unwrap();
    ws.write_number(1, 1, 108_000.0).unwrap();
    std::fs::write(&book, wb.save_to_buffer().unwrap()).unwrap();
    let sheet = [
        "import",
        book.to_str().unwrap(),
        "--office",
        "KLK",
        "--year",
        "2019",
        "--unit",
        "tkr",
        "--map",
        "area=A,net=B",
        "--body",
        "KS",
        "--date",
        "2018-11-20",
    ];
    let said = says_in_swedish(d, &[&sheet[..], &["--dry-run"]].concat(), 0);
    assert!(
        said.contains("läste 1 rad: 1 händelse skulle läggas till"),
        "{said}"
    );
    let said = says_in_swedish(d, &sheet, 0);
    assert!(said.contains("läste 1 rad: 1 tillagd"), "{said}");
    let fresh = dir.path().join("ny");
    says_in_swedish(&fresh, &["init"], 0);
    let said = says_in_swedish(&fresh, &["verify"], 0);
    assert!(said.contains("0 poster"), "{said}");
    let copy = dir.path().join("kopia");
    let said = says_in_swedish(
        d,
        &[
            "copy",
            "--from",
            d.to_str().unwrap(),
            "--to",
            copy.to_str().unwrap(),
        ],
        0,
    );
    assert!(said.contains("hashkedjan stämmer i båda"), "{said}");
    says_in_swedish(
        d,
        &[
            "copy",
            "--from",
            d.to_str().unwrap(),
            "--to",
            copy.to_str().unwrap(),
        ],
        1,
    );
    says_in_swedish(Path::new("mysql://värd/db"), &["verify"], 1);
}

#[test]
fn the_api_errors_the_page_shows_are_swedish() {
    let k = served();
    for uri in [
        "/api/frames",
        "/api/frames?year=abc",
        "/api/frames?year=1999",
        "/api/frames?year=2017&unit=x",
        "/api/frames?year=2017&sign=x",
        "/api/frames?year=2017&decimals=9",
        "/api/frames?year=2017&as_of=2017-13-01",
        "/api/frames?year=2017&known_at=igår",
        "/api/frames?year=2017&year=2016",
        "/api/frames?year=2017&färg=röd",
        "/api/budget?office=klk&year=2017",
        "/api/diff?from=2017-02-01&to=2017-01-01",
        "/api/verify?seq=1",
        "/api/finns-inte",
    ] {
        let reply = get(&k, uri);
        assert!(reply.status.is_client_error(), "{uri}: {}", reply.status);
        let message = reply.json()["error"].as_str().unwrap().to_string();
        assert_swedish(uri, &message);
    }
    let posts = [
        (Some(&k.controller), "inte json"),
        (Some(&k.controller), "[]"),
        (Some(&k.controller), "{\"events\": 1}"),
        (
            Some(&k.controller),
            "{\"events\": [], \"recorded_by\": \"x\"}",
        ),
        (
            Some(&k.controller),
            "{\"type\": \"frame_set\", \"office\": \"KLK\"}",
        ),
        (Some(&k.controller), "{\"type\": \"nope\"}"),
        (Some(&k.revisor), "{\"type\": \"frame_set\"}"),
        (None, "{}"),
    ];
    for (token, body) in posts {
        let reply = call(
            &k.state,
            "POST",
            "/api/events",
            token.map(String::as_str),
            Body::from(body),
        );
        assert!(reply.status.is_client_error(), "{body}: {}", reply.status);
        let message = reply.json()["error"].as_str().unwrap().to_string();
        assert_swedish(body, &message);
    }
    // Recording, attesting and the workbook import from the page.
    for (uri, token, body) in [
        ("/api/preview", &k.controller, "inte json"),
        ("/api/preview", &k.controller, "{\"values\": {}}"),
        (
            "/api/preview",
            &k.controller,
            "{\"type\": \"nope\", \"values\": {}}",
        ),
        (
            "/api/preview",
            &k.controller,
            "{\"type\": \"frame_changed\", \"values\": {\"amount\": \"tolv\"}}",
        ),
        (
            "/api/preview",
            &k.controller,
            "{\"type\": \"frame_changed\", \"values\": {\"area\": \"ADM\"}}",
        ),
        (
            "/api/preview",
            &k.controller,
            "{\"type\": \"frame_changed\", \"values\": {}, \"place\": 1}",
        ),
        (
            "/api/preview",
            &k.controller,
            "{\"type\": \"frame_changed\", \"färg\": 1}",
        ),
        ("/api/preview", &k.revisor, "{}"),
        ("/api/events?dry_run=kanske", &k.controller, "[]"),
        ("/api/verify", &k.revisor, "hej"),
        (
            "/api/verify",
            &k.revisor,
            "{\"format\": \"rambok-digest-1\"}",
        ),
        ("/api/verify", &k.controller, "{}"),
        ("/api/import.xlsx?office=KLK&year=2017", &k.controller, "x"),
        (
            "/api/import.xlsx?office=KLK&year=2017&map=area%3DA%2Cnet%3DB",
            &k.controller,
            "x",
        ),
        (
            "/api/import.xlsx?office=KLK&year=2017&map=area%3DA%2Cnet%3DB&period=2017-06",
            &k.controller,
            "x",
        ),
    ] {
        let reply = call(&k.state, "POST", uri, Some(token), Body::from(body));
        assert!(
            reply.status.is_client_error(),
            "{uri} {body}: {}",
            reply.status
        );
        let v = reply.json();
        assert_swedish(&format!("{uri} {body}"), v["error"].as_str().unwrap());
    }
    for uri in ["/api/pending?year=abc", "/api/digest"] {
        let reply = call(&k.state, "GET", uri, Some(&k.controller), Body::empty());
        assert!(reply.status.is_client_error(), "{uri}: {}", reply.status);
        assert_swedish(uri, reply.json()["error"].as_str().unwrap());
    }
    // The forms' words: every label, help and description the page shows.
    let forms = rambok::json::forms::forms_json();
    for form in forms["forms"].as_array().unwrap() {
        assert_swedish("about", form["about"].as_str().unwrap());
        for field in form["fields"].as_array().unwrap() {
            for key in ["label", "help", "group"] {
                assert_swedish(key, field[key].as_str().unwrap());
            }
            if let Some(sign) = field.get("sign") {
                assert_swedish("sign", &sign.to_string());
            }
        }
    }
    let access = call(
        &k.state,
        "GET",
        "/api/access",
        Some(&k.controller),
        Body::empty(),
    );
    assert_eq!(access.status.as_u16(), 403);
    assert_swedish("access", access.json()["error"].as_str().unwrap());
    let bad = call(
        &k.state,
        "GET",
        "/api/frames?year=2017",
        Some("rbk_0"),
        Body::empty(),
    );
    assert_swedish("bad token", bad.json()["error"].as_str().unwrap());
    // Signing in and managing accounts.
    for (method, uri, token, body) in [
        ("POST", "/api/session", None, "inte json"),
        ("POST", "/api/session", None, "{\"name\": \"x\"}"),
        (
            "POST",
            "/api/session",
            None,
            "{\"name\": \"x\", \"password\": 1}",
        ),
        (
            "POST",
            "/api/session",
            None,
            "{\"name\": \"x\", \"password\": \"y\"}",
        ),
        ("DELETE", "/api/session", Some(&k.revisor), ""),
        ("GET", "/api/session", None, ""),
        ("GET", "/api/users", Some(&k.controller), ""),
        ("POST", "/api/tokens", Some(&k.revisor), "{}"),
    ] {
        let reply = call(
            &k.state,
            method,
            uri,
            token.map(String::as_str),
            Body::from(body),
        );
        assert!(
            reply.status.is_client_error(),
            "{uri} {body}: {}",
            reply.status
        );
        assert_swedish(body, reply.json()["error"].as_str().unwrap());
    }
}
