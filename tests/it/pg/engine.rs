//! One ledger, two engines: the Kalmar ledger copied from sled to PostgreSQL and back answers every
//! command with the same bytes, keeps the same records and hash chain, and `init`/`copy` refuse
//! what they must.

use super::Cluster;
use crate::cli::{ok, rambok, Db};
use std::path::Path;

/// The Kalmar fixtures (every file, as a backfill) imported into `db`.
fn import_kalmar(db: &Path) -> String {
    let files: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/kalmar"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .map(|p| p.display().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
    let mut args = vec![
        "import",
        "--backfill",
        "--source",
        crate::cli::KALMAR_SOURCE,
    ];
    args.extend(files.iter().map(String::as_str));
    ok(db, &args)
}

/// The Kalmar ledger on sled, and how many records it holds.
fn kalmar() -> (Db, u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    ok(&path, &["init"]);
    assert!(import_kalmar(&path).contains(" 0 överhoppade"));
    let verified = ok(&path, &["verify"]);
    let n = verified
        .strip_prefix("ok: ")
        .and_then(|v| v.split(" poster").next())
        .and_then(|v| v.replace(' ', "").parse().ok())
        .unwrap_or_else(|| panic!("{verified}"));
    (Db { _dir: dir, path }, n)
}

/// Commands whose output depends only on the records (not on where they are kept).
const COMMANDS: &[&[&str]] = &[
    &["report", "frames", "--year", "2017"],
    &[
        "report",
        "frames",
        "--year",
        "2016",
        "--as-of",
        "2016-06-30",
    ],
    &["report", "frames", "--year", "2017", "--format", "json"],
    &[
        "report", "bridge", "--office", "KLK", "--from", "2016", "--to", "2017",
    ],
    &[
        "report", "budget", "--office", "KLK", "--year", "2017", "--format", "csv",
    ],
    &["report", "outcome", "--office", "KLK", "--year", "2014"],
    &["report", "investments", "--office", "SBK", "--year", "2017"],
    &["report", "goals", "--year", "2017"],
    &["report", "indicators", "--year", "2017"],
    &["history", "--office", "KLK", "--year", "2017"],
    &["diff", "--from", "2016-01-01", "--to", "2017-12-31"],
    &["control", "--year", "2014"],
    &["log"],
    &["verify"],
];

fn answers(db: &Path) -> Vec<(i32, String, String)> {
    COMMANDS.iter().map(|args| rambok(db, args)).collect()
}

#[test]
fn a_ledger_copied_to_postgresql_and_back_answers_every_command_alike() {
    let pg = Cluster::start();
    let (sled, n) = kalmar();
    let there = pg.url("kalmar");
    let out = ok(
        Path::new("."),
        &[
            "copy",
            "--from",
            sled.path.to_str().unwrap(),
            "--to",
            there.to_str().unwrap(),
        ],
    );
    assert!(out.contains(&format!("kopierade {n} poster")), "{out}");
    let back = sled._dir.path().join("back");
    ok(
        Path::new("."),
        &[
            "copy",
            "--from",
            there.to_str().unwrap(),
            "--to",
            back.to_str().unwrap(),
        ],
    );
    let expected = answers(&sled.path);
    // Every command answers (control finds its one error of 2014 and exits 7).
    for (args, (code, out, err)) in COMMANDS.iter().zip(&expected) {
        assert!(
            *code == 0 || (*code == 7 && args[0] == "control"),
            "{args:?}: {err}"
        );
        assert!(!out.is_empty(), "{args:?}");
    }
    for (db, name) in [(&there, "postgres"), (&back, "sled again")] {
        for (args, (want, got)) in COMMANDS.iter().zip(expected.iter().zip(answers(db))) {
            assert_eq!(*want, got, "{name}: {args:?}");
        }
    }
    // The same bytes: the rows hold sled's blocks as they were.
    assert_eq!(pg.psql("SELECT max(seq) FROM rambok_heads"), n.to_string());
    let digest = sled._dir.path().join("digest");
    ok(&sled.path, &["digest", "--out", digest.to_str().unwrap()]);
    let against = ok(&there, &["verify", "--against", digest.to_str().unwrap()]);
    assert!(
        against.contains(&format!("bygger vidare på kontrollsumman vid sekvens {n}")),
        "{against}"
    );
}

#[test]
fn imports_and_reports_on_postgresql_match_sled() {
    let pg = Cluster::start();
    let (sled, n) = kalmar();
    let db = pg.url("direkt");
    let made = ok(&db, &["init"]);
    assert!(
        made.contains("skapade en tom liggare i postgres://"),
        "{made}"
    );
    assert!(ok(&db, &["init"]).contains("det finns redan en liggare"));
    let first = import_kalmar(&db);
    assert!(
        first.contains(&format!("{n} tillagda, 0 överhoppade")),
        "{first}"
    );
    // Importing again adds nothing (every event known), on PostgreSQL as on sled.
    let again = import_kalmar(&db);
    assert!(
        again.contains(&format!("0 tillagda, {n} överhoppade")),
        "{again}"
    );
    // Reports (not the log, whose times differ) are the same.
    for args in &COMMANDS[..9] {
        assert_eq!(rambok(&sled.path, args), rambok(&db, args), "{args:?}");
    }
    // A record through `record`, with --expect-seq: the conflict is typed (exit 3).
    let (code, _, err) = rambok(
        &db,
        &[
            "record",
            "office_defined",
            "--office",
            "NYF",
            "--name",
            "nya förvaltningen",
            "--expect-seq",
            "5",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("konflikt"), "{err}");
}

#[test]
fn bad_urls_and_missing_ledgers_are_refused_and_nothing_is_made() {
    let pg = Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = rambok(Path::new("mysql://värd/db"), &["init"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("'mysql://värd/db' är en adress som rambok inte kan öppna"),
        "{err}"
    );
    let (code, _, err) = rambok(&pg.url("saknas"), &["verify"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("det finns ingen liggare 'saknas'"), "{err}");
    let bad = pg.url("Stora-Bokstäver");
    let (code, _, err) = rambok(&bad, &["init"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("liggarens namn"), "{err}");
    // No folder named after the URL appeared anywhere.
    assert!(!Path::new("postgres:").exists() && !Path::new("mysql:").exists());
    // copy refuses a target with records, and a password never shows in a message.
    let one = pg.url("ett");
    ok(&one, &["init"]);
    ok(
        &one,
        &[
            "record",
            "office_defined",
            "--office",
            "NYF",
            "--name",
            "nya förvaltningen",
        ],
    );
    let (code, _, err) = rambok(
        Path::new("."),
        &[
            "copy",
            "--from",
            one.to_str().unwrap(),
            "--to",
            one.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("det finns redan en liggare med poster"),
        "{err}"
    );
    let secret = format!(
        "postgres://postgres:hemligt@/postgres?host={}&port=1&ledger=x",
        dir.path().display()
    );
    let (code, _, err) = rambok(Path::new(&secret), &["verify"]);
    assert_eq!(code, 5, "{err}");
    assert!(
        !err.contains("hemligt") && err.contains("kan inte ansluta"),
        "{err}"
    );
}

/// What the PostgreSQL engine says, right and wrong, is Swedish (docs/language.md).
#[test]
fn postgresql_messages_are_swedish() {
    let pg = Cluster::start();
    let db = pg.url("sprak");
    let dir = tempfile::tempdir().unwrap();
    let says = |db: &Path, args: &[&str], code: i32| {
        let (got, out, err) = rambok(db, args);
        assert_eq!(got, code, "{args:?}: {out}{err}");
        crate::language::assert_swedish(&format!("{args:?}"), &format!("{out}\n{err}"));
    };
    says(&db, &["init"], 0);
    says(&db, &["init"], 0);
    says(
        &db,
        &[
            "record",
            "office_defined",
            "--office",
            "KLK",
            "--name",
            "kommunledningskontoret",
        ],
        0,
    );
    says(
        &db,
        &[
            "record",
            "office_defined",
            "--office",
            "BUF",
            "--name",
            "barn",
            "--expect-seq",
            "0",
        ],
        3,
    );
    says(&db, &["verify"], 0);
    says(&db, &["token", "list"], 0);
    let tokens = dir.path().join("token");
    says(
        &db,
        &["token", "--tokens", tokens.to_str().unwrap(), "list"],
        1,
    );
    says(&pg.url("saknas"), &["verify"], 1);
    let copy = dir.path().join("kopia");
    says(
        Path::new("."),
        &[
            "copy",
            "--from",
            db.to_str().unwrap(),
            "--to",
            copy.to_str().unwrap(),
        ],
        0,
    );
    pg.psql("UPDATE rambok_blocks SET bytes = overlay(bytes placing '\\x58'::bytea from length(bytes) - 3 for 1) WHERE ledger = 'sprak'");
    says(&db, &["verify"], 6);
    pg.stop_hard();
    says(&db, &["verify"], 5);
}
