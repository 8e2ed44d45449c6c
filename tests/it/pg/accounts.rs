//! Tokens, accounts and the access log of a ledger in PostgreSQL, kept in its database: two
//! `rambok serve` processes on one ledger share them (an account added through one signs in on
//! the other, a token made on one works on the other and, revoked there, is refused by the first
//! at once, an account disabled through one ends its session on the other), both show one access
//! log with an unbroken chain; two ledgers in one database never accept or show each other's;
//! and an access-log row changed or removed in the database is reported as on sled.

use crate::cli::{ok, rambok};
use crate::server::start_serve;
use rambok::server::access::entry_key;
use rambok::server::auth::{Role, TokenStore};
use serde_json::{json, Value};
use std::path::Path;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Who a request is: a bearer token, or a session cookie with its CSRF value.
enum As<'a> {
    Token(&'a str),
    Session(&'a str, &'a str),
    Nobody,
}

/// A reply: status, body, and the session cookie it set (if any).
struct Reply {
    status: u16,
    text: String,
    cookie: Option<String>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

fn send(server: &str, method: &str, path: &str, who: As, body: Option<Value>) -> Reply {
    let url = format!("{server}{path}");
    let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    match who {
        As::Token(t) => headers.push(("Authorization".into(), format!("Bearer {t}"))),
        As::Session(cookie, csrf) => {
            headers.push(("Cookie".into(), format!("rambok_session={cookie}")));
            headers.push(("X-CSRF-Token".into(), csrf.to_string()));
        }
        As::Nobody => {}
    }
    let agent = agent();
    let sent = match method {
        "GET" => headers
            .iter()
            .fold(agent.get(&url), |r, (k, v)| r.header(k, v))
            .call(),
        "DELETE" => headers
            .iter()
            .fold(agent.delete(&url), |r, (k, v)| r.header(k, v))
            .call(),
        _ => headers
            .iter()
            .fold(agent.post(&url), |r, (k, v)| r.header(k, v))
            .send(body.map_or_else(String::new, |b| b.to_string())),
    };
    let mut r = sent.unwrap();
    let cookie = (r.headers().get("set-cookie"))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("rambok_session="))
        .map(|v| v.split(';').next().unwrap_or("").to_string());
    Reply {
        status: r.status().as_u16(),
        text: r.body_mut().read_to_string().unwrap(),
        cookie,
    }
}

/// Signs in on `server`: the cookie and the CSRF value, or the refusal's status.
fn sign_in(server: &str, name: &str, password: &str) -> Result<(String, String), u16> {
    let r = send(
        server,
        "POST",
        "/api/session",
        As::Nobody,
        Some(json!({"name": name, "password": password})),
    );
    if r.status != 200 {
        return Err(r.status);
    }
    let csrf = r.json()["csrf"].as_str().unwrap().to_string();
    Ok((r.cookie.expect("a session cookie"), csrf))
}

/// An admin's token on the ledger at `url`, made with the CLI.
fn admin_token(url: &Path, name: &str) -> String {
    let args = [
        "token", "add", "--role", "admin", "--name", name, "--by", "test",
    ];
    ok(url, &args).trim().to_string()
}

/// The access log as `server` serves it, its chain checked here too: numbered from 1, each entry
/// holding the SHA-256 of the one before.
fn access_log(server: &str, token: &str) -> Vec<Value> {
    let r = send(server, "GET", "/api/access", As::Token(token), None);
    assert_eq!(r.status, 200, "{}", r.text);
    let entries = r.json().as_array().unwrap().clone();
    let mut prev = "0".repeat(64);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["entry"], json!(i + 1), "{e}");
        assert_eq!(e["prev"], json!(prev), "{e}");
        prev = e["hash"].as_str().unwrap().to_string();
    }
    entries
}

#[test]
fn two_servers_on_one_ledger_share_accounts_tokens_and_one_access_log() {
    let url = crate::pg::fresh_url("konton");
    ok(&url, &["init"]);
    let admin = admin_token(&url, "ada.admin");
    let (_a, a) = start_serve(&url, &[]);
    let (_b, b) = start_serve(&url, &[]);
    let pw = "nio tio elva tolv";

    // An account added through A signs in on B.
    let added = send(
        &a,
        "POST",
        "/api/users",
        As::Token(&admin),
        Some(json!({"name": "nils.nyman", "role": "controller", "password": pw})),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    let (cookie, csrf) = sign_in(&b, "nils.nyman", pw).expect("signs in on B");
    let info = send(&b, "GET", "/api/info", As::Session(&cookie, &csrf), None);
    assert_eq!(info.status, 200, "{}", info.text);

    // A token made on A works on B; revoked on B, A refuses it at its next request.
    let made = send(
        &a,
        "POST",
        "/api/tokens",
        As::Token(&admin),
        Some(json!({"name": "robot", "role": "controller"})),
    );
    assert_eq!(made.status, 201, "{}", made.text);
    let robot = made.json()["token"].as_str().unwrap().to_string();
    for server in [&a, &b] {
        let r = send(server, "GET", "/api/info", As::Token(&robot), None);
        assert_eq!(r.status, 200, "{server}: {}", r.text);
    }
    let revoked = send(&b, "DELETE", "/api/tokens/robot", As::Token(&admin), None);
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    for server in [&a, &b] {
        let r = send(server, "GET", "/api/info", As::Token(&robot), None);
        assert_eq!(r.status, 401, "{server}: {}", r.text);
        assert!(
            r.text.contains("okänd eller återkallad token"),
            "{}",
            r.text
        );
    }

    // The account disabled through A: its session on B ends at its next request, and it cannot
    // sign in on either.
    let off = send(
        &a,
        "DELETE",
        "/api/users/nils.nyman",
        As::Token(&admin),
        None,
    );
    assert_eq!(off.status, 200, "{}", off.text);
    let r = send(&b, "GET", "/api/info", As::Session(&cookie, &csrf), None);
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(
        r.text.contains("kontot 'nils.nyman' har ändrats"),
        "{}",
        r.text
    );
    crate::language::assert_swedish(
        "a session ended by a change",
        &r.json()["error"].to_string(),
    );
    for server in [&a, &b] {
        assert_eq!(sign_in(server, "nils.nyman", pw), Err(403));
    }
    let listed = send(&b, "GET", "/api/users", As::Token(&admin), None).json();
    assert_eq!(listed["users"][0]["disabled"], json!(true), "{listed}");

    // One access log, the same through both, its chain unbroken, with all of it in order.
    let log_a = access_log(&a, &admin);
    assert_eq!(log_a, access_log(&b, &admin));
    let actions: Vec<&str> = log_a
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "created",
            "user_added",
            "signed_in",
            "created",
            "revoked",
            "user_disabled",
            "sign_in_refused",
            "sign_in_refused"
        ]
    );
    let cli = ok(&url, &["token", "log", "--format", "json"]);
    let cli: Value = serde_json::from_str(&cli).unwrap();
    assert_eq!(cli, json!(log_a));
}

#[test]
fn two_ledgers_in_one_database_never_accept_or_show_each_others_accounts() {
    let (x, y) = (crate::pg::fresh_url("x"), crate::pg::fresh_url("y"));
    let pw = "ett lösenord för x";
    let mut admins = Vec::new();
    for (url, tag) in [(&x, "x"), (&y, "y")] {
        ok(url, &["init"]);
        admins.push(admin_token(url, &format!("{tag}.admin")));
        let ledger = crate::pg::open(url);
        let users = TokenStore::of(ledger.store()).unwrap().users();
        (users.add(
            &format!("{tag}.anna"),
            Role::Auditor,
            pw,
            "test",
            chrono::Utc::now(),
        ))
        .unwrap();
    }
    let (_sx, sx) = start_serve(&x, &[]);
    let (_sy, sy) = start_serve(&y, &[]);
    let servers = [(&sx, "x", "y"), (&sy, "y", "x")];
    for (i, (server, own, other)) in servers.into_iter().enumerate() {
        let (mine, theirs) = (&admins[i], &admins[1 - i]);
        let r = send(server, "GET", "/api/info", As::Token(theirs), None);
        assert_eq!(r.status, 401, "{own}: {}", r.text);
        assert_eq!(sign_in(server, &format!("{other}.anna"), pw), Err(401));
        assert!(sign_in(server, &format!("{own}.anna"), pw).is_ok());
        for list in ["/api/tokens", "/api/users", "/api/access"] {
            let r = send(server, "GET", list, As::Token(mine), None);
            assert_eq!(r.status, 200, "{list}: {}", r.text);
            assert!(r.text.contains(&format!("{own}.")), "{list}: {}", r.text);
            assert!(!r.text.contains(&format!("{other}.")), "{list}: {}", r.text);
        }
        let listed = ok(if own == "x" { &x } else { &y }, &["user", "list"]);
        assert!(!listed.contains(&format!("{other}.")), "{listed}");
    }
}

#[test]
fn an_access_log_row_changed_or_removed_in_the_database_breaks_the_log() {
    let url = crate::pg::fresh_url("skadad_logg");
    ok(&url, &["init"]);
    for name in ["a", "b", "c"] {
        let args = [
            "token", "add", "--role", "auditor", "--name", name, "--by", "maria",
        ];
        ok(&url, &args);
    }
    let ledger = crate::pg::open(&url);
    let pg = ledger.store().postgres().unwrap();
    let key = entry_key(2).to_vec();
    let changed = pg
        .raw_execute(
            "UPDATE rambok_accounts SET value = overlay(value placing 'mallo'::bytea
               from position('maria'::bytea in value))
             WHERE ledger = $1 AND tree = 'api_access' AND key = $2",
            &[&pg.ledger(), &key],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let (code, out, err) = rambok(&url, &["token", "log"]);
    assert_eq!(code, 6, "{out}{err}");
    assert!(
        err.contains("åtkomstloggen (api_access) bryts vid post 2: post 3 bär en SHA-256 av post 2 som dess byte inte längre har"),
        "{err}"
    );
    assert!(out.is_empty(), "{out}");
    let removed = pg
        .raw_execute(
            "DELETE FROM rambok_accounts WHERE ledger = $1 AND tree = 'api_access' AND key = $2",
            &[&pg.ledger(), &key],
        )
        .unwrap();
    assert_eq!(removed, 1);
    let (code, _, err) = rambok(&url, &["token", "log", "--format", "json"]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.contains("bryts vid post 2: post 2 saknas (nästa är post 3)"),
        "{err}"
    );
}
