//! `rambok user`: an account added with `--password-stdin` or at a terminal (a pseudo-terminal made
//! by `script`, where the password must not be echoed), refused without either, with a short
//! password, or twice; listed, disabled and opened again; each change in the access log; and the
//! password it was given signs in.

use crate::engines::on_both_engines;
use rambok::server::auth::TokenStore;
use rambok::server::users::Verdict;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `rambok --db DB ARGS` with `stdin` as its standard input (a pipe), or none (`/dev/null`).
fn rambok(db: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rambok"));
    c.env_remove("RAMBOK_DB")
        .env_remove("RAMBOK_SERVER")
        .env("RAMBOK_USER", "cli.admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let Some(input) = stdin else {
        return c.stdin(Stdio::null()).output().unwrap();
    };
    let mut child = c.stdin(Stdio::piped()).spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn verdict(db: &Path, name: &str, password: &str) -> Verdict {
    let target = rambok::store::target::Target::parse(db).unwrap();
    let ledger = rambok::ledger::Ledger::open_target(&target).unwrap();
    (TokenStore::of(ledger.store()).unwrap().users())
        .verify(name, password)
        .unwrap()
}

fn init(db: &Path) {
    assert!(rambok(db, &["init"], None).status.success());
}

on_both_engines! {
fn user_add_with_password_stdin_then_list_disable_and_the_log() {
    let fresh = crate::engines::fresh("users");
    let db = fresh.path.clone();
    init(&db);
    let pw = "ett långt lösenord";
    let add = [
        "user",
        "add",
        "anna.andersson",
        "--role",
        "controller",
        "--password-stdin",
    ];
    let made = rambok(&db, &add, Some(&format!("{pw}\n")));
    assert!(made.status.success(), "{}", text(&made.stderr));
    assert_eq!(
        text(&made.stdout),
        "skapade kontot 'anna.andersson' med rollen controller; det kan logga in på sidan\n"
    );
    assert!(matches!(
        verdict(&db, "anna.andersson", pw),
        Verdict::Valid(_)
    ));

    for (stdin, code, words) in [
        (
            Some("kort\n"),
            1,
            "--password-stdin: lösenordet har 4 tecken; det ska ha minst 12",
        ),
        (
            Some("\n"),
            1,
            "--password-stdin: lösenordet är tomt; det ska ha minst 12 tecken",
        ),
        (
            Some(&format!("{pw}\n")[..]),
            1,
            "det finns redan ett konto med namnet 'anna.andersson'",
        ),
    ] {
        let o = rambok(&db, &add, stdin);
        assert_eq!(o.status.code(), Some(code), "{}", text(&o.stderr));
        assert!(text(&o.stderr).contains(words), "{}", text(&o.stderr));
    }
    // Without a terminal and without --password-stdin: refused, nothing written.
    let o = rambok(&db, &["user", "add", "bo", "--role", "revisor"], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr),
        "rambok: lösenordet frågas efter i en terminal, och standard in är ingen; skicka det på standard in med --password-stdin\n"
    );
    assert_eq!(verdict(&db, "bo", pw), Verdict::Unknown);

    let off = rambok(&db, &["user", "disable", "anna.andersson"], None);
    assert_eq!(text(&off.stdout), "stängde av kontot 'anna.andersson'\n");
    assert!(matches!(
        verdict(&db, "anna.andersson", pw),
        Verdict::Disabled(_)
    ));
    let listed = text(&rambok(&db, &["user", "list"], None).stdout);
    assert!(
        listed.starts_with("controller  anna.andersson") && listed.trim_end().ends_with("avstängt"),
        "{listed}"
    );
    let on = rambok(&db, &["user", "enable", "anna.andersson"], None);
    assert!(on.status.success(), "{}", text(&on.stderr));
    let role = rambok(
        &db,
        &["user", "grant", "anna.andersson", "--role", "auditor"],
        None,
    );
    assert_eq!(
        text(&role.stdout),
        "kontot 'anna.andersson' har nu rollen auditor\n"
    );
    let missing = rambok(&db, &["user", "disable", "ingen"], None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("det finns inget konto med namnet 'ingen'"));

    let log = text(&rambok(&db, &["token", "log"], None).stdout);
    for what in [
        "konto skapat",
        "konto avstängt",
        "konto öppnat igen",
        "roll ändrad",
    ] {
        assert!(log.contains(what), "{what}: {log}");
    }
    assert!(log.contains("cli.admin") && !log.contains(pw), "{log}");
}
}

/// Reads from `out` until `want` has appeared in what was read, or panics after 20 s.
fn read_until(out: &mut impl Read, seen: &mut String, want: &str) {
    let started = Instant::now();
    let mut buf = [0u8; 256];
    while !seen.contains(want) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no {want:?} in {seen:?}"
        );
        match out.read(&mut buf) {
            Ok(0) => panic!("ended before {want:?}: {seen:?}"),
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn user_add_at_a_terminal_asks_twice_and_echoes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l");
    init(&db);
    let pw = "hemligt lösen på terminalen";
    let command = format!(
        "{} --db {} user add per.persson --role revisor --by cli.admin",
        env!("CARGO_BIN_EXE_rambok"),
        db.display()
    );
    // `script` runs the command on a new pseudo-terminal; what we write goes to it as typing.
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let mut input = child.stdin.take().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut seen = String::new();
    for prompt in ["Lösenord för per.persson: ", "Samma lösenord igen: "] {
        read_until(&mut out, &mut seen, prompt);
        // The prompt is written just before echo is turned off; give it that moment.
        std::thread::sleep(Duration::from_millis(300));
        input.write_all(format!("{pw}\r").as_bytes()).unwrap();
        input.flush().unwrap();
    }
    read_until(&mut out, &mut seen, "skapade kontot 'per.persson'");
    drop(input);
    let mut rest = String::new();
    let _ = out.read_to_string(&mut rest);
    seen.push_str(&rest);
    let status = child.wait().unwrap();
    assert!(status.success(), "{seen}");
    assert!(
        !seen.contains("hemligt"),
        "the password was echoed: {seen:?}"
    );
    assert!(matches!(verdict(&db, "per.persson", pw), Verdict::Valid(_)));
}
