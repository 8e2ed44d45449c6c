//! Accounts and sign-in through the API: an admin adds an account while the server runs and it
//! signs in at once; a session cookie with its flags; every change made with the cookie needs
//! `X-CSRF-Token` (403 without); an expired session, a disabled account and a revoked token are
//! refused at once; failed sign-ins are throttled per account and per address (429 with
//! `Retry-After`, a right password too); sign-ins and refusals are in the access log without a
//! password, a session id or a hash; the cookie is `Secure` over HTTPS. Adding, signing in,
//! disabling and revoking run on both engines (`NAME::sled`, `NAME::pg`).

use super::server::{kalmar, Kalmar, Reply};
use crate::engines::on_both_engines;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use rambok::server::auth::Role;
use rambok::server::session::SessionLimits;
use rambok::server::throttle::ThrottleLimits;
use rambok::server::{self, AppState};
use serde_json::{json, Value};
use std::net::SocketAddr;
use tower::ServiceExt;

pub const ADMIN: &str = "ada.admin";
pub const ADMIN_PASSWORD: &str = "rätt häst batteri häftklammer";

/// The Kalmar state with an admin account.
pub fn with_admin() -> Kalmar {
    let k = kalmar();
    (k.state.users())
        .add(
            ADMIN,
            Role::Admin,
            ADMIN_PASSWORD,
            "test",
            chrono::Utc::now(),
        )
        .unwrap();
    k
}

/// A request's extras: who it claims to be and where it comes from.
#[derive(Default, Clone)]
struct As<'a> {
    token: Option<&'a str>,
    cookie: Option<&'a str>,
    csrf: Option<&'a str>,
    from: Option<&'a str>,
}

fn send(state: &AppState, method: &str, uri: &str, who: As, body: Option<Value>) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = who.token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(c) = who.cookie {
        req = req.header("Cookie", format!("rambok_session={c}"));
    }
    if let Some(c) = who.csrf {
        req = req.header("X-CSRF-Token", c);
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let mut req = req.body(body).unwrap();
    if let Some(ip) = who.from {
        let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    let app = server::app(state.clone());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
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

/// A signed-in session: its cookie value and CSRF value.
pub struct Signed {
    pub cookie: String,
    pub csrf: String,
    pub set_cookie: String,
}

impl Signed {
    fn with_csrf(&self) -> As<'_> {
        As {
            cookie: Some(&self.cookie),
            csrf: Some(&self.csrf),
            ..As::default()
        }
    }
    fn without_csrf(&self) -> As<'_> {
        As {
            cookie: Some(&self.cookie),
            ..As::default()
        }
    }
}

fn sign_in_from(state: &AppState, name: &str, password: &str, from: Option<&str>) -> Reply {
    send(
        state,
        "POST",
        "/api/session",
        As {
            from,
            ..As::default()
        },
        Some(json!({"name": name, "password": password})),
    )
}

fn sign_in(state: &AppState, name: &str, password: &str) -> Signed {
    let r = sign_in_from(state, name, password, None);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let set_cookie = r.headers["set-cookie"].to_str().unwrap().to_string();
    let cookie = set_cookie
        .strip_prefix("rambok_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let v = r.json();
    Signed {
        cookie,
        csrf: v["csrf"].as_str().unwrap().to_string(),
        set_cookie,
    }
}

fn frame_changed(reason: &str) -> Value {
    json!({"type": "frame_changed", "office": "KLK", "year": 2017, "amount": "-100", "unit": "tkr",
        "category": "ramjustering", "reason": reason, "decision": {"body": "KF", "date": "2016-12-01"}})
}

fn head(k: &Kalmar) -> u64 {
    use rambok::store::Store;
    k.state.ledger().store().head().unwrap().seq
}

on_both_engines! {
fn an_account_added_while_serving_signs_in_at_once_and_records_as_itself() {
    let k = with_admin();
    let admin = sign_in(&k.state, ADMIN, ADMIN_PASSWORD);
    assert_eq!(
        admin.set_cookie,
        format!(
            "rambok_session={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200",
            admin.cookie
        ),
        "no Secure over plain HTTP"
    );
    let who = send(&k.state, "GET", "/api/session", admin.without_csrf(), None).json();
    assert_eq!(
        (&who["name"], &who["role"], &who["csrf"]),
        (&json!(ADMIN), &json!("admin"), &json!(admin.csrf))
    );
    let body = json!({"name": "nils.nyman", "role": "controller", "password": "nio tio elva tolv"});
    let refused = send(
        &k.state,
        "POST",
        "/api/users",
        admin.without_csrf(),
        Some(body.clone()),
    );
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    assert!(refused.json()["error"]
        .as_str()
        .unwrap()
        .contains("X-CSRF-Token"));
    let added = send(
        &k.state,
        "POST",
        "/api/users",
        admin.with_csrf(),
        Some(body),
    );
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    assert_eq!(added.json()["disabled"], json!(false));

    let nils = sign_in(&k.state, "nils.nyman", "nio tio elva tolv");
    // Reading needs no CSRF value; changing does, and must have the session's own.
    let info = send(&k.state, "GET", "/api/info", nils.without_csrf(), None);
    assert_eq!(info.json()["role"], json!("controller"));
    let before = head(&k);
    let event = Some(frame_changed("utan csrf"));
    for (who, what) in [
        (nils.without_csrf(), "saknas"),
        (
            As {
                csrf: Some(&admin.csrf),
                ..nils.without_csrf()
            },
            "stämmer inte",
        ),
    ] {
        let r = send(&k.state, "POST", "/api/events", who, event.clone());
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        assert!(
            r.json()["error"].as_str().unwrap().contains(what),
            "{}",
            r.text()
        );
    }
    assert_eq!(head(&k), before, "nothing written without the CSRF value");
    let r = send(
        &k.state,
        "POST",
        "/api/events",
        nils.with_csrf(),
        Some(frame_changed("med csrf")),
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let last = k.state.all_records().unwrap().pop().unwrap();
    assert_eq!(last.recorded_by, "nils.nyman");

    // An admin reads and manages, but appends nothing.
    let r = send(
        &k.state,
        "POST",
        "/api/events",
        admin.with_csrf(),
        Some(frame_changed("admin")),
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
}

fn a_disabled_account_and_a_revoked_token_are_refused_at_once() {
    let k = with_admin();
    let admin = sign_in(&k.state, ADMIN, ADMIN_PASSWORD);
    let pw = "ett lösenord för bo";
    k.state
        .users()
        .add("bo", Role::Revisor, pw, "test", chrono::Utc::now())
        .unwrap();
    let bo = sign_in(&k.state, "bo", pw);
    assert_eq!(
        send(&k.state, "GET", "/api/info", bo.without_csrf(), None).status,
        StatusCode::OK
    );
    let off = send(&k.state, "DELETE", "/api/users/bo", admin.with_csrf(), None);
    assert_eq!(off.status, StatusCode::OK, "{}", off.text());
    assert_eq!(off.json()["disabled"], json!(true));
    let r = send(&k.state, "GET", "/api/info", bo.without_csrf(), None);
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the session ended with the account"
    );
    let again = sign_in_from(&k.state, "bo", pw, None);
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert!(again.text().contains("avstängt"), "{}", again.text());
    // Opened again, it signs in.
    let on = send(
        &k.state,
        "PATCH",
        "/api/users/bo",
        admin.with_csrf(),
        Some(json!({"disabled": false})),
    );
    assert_eq!(on.status, StatusCode::OK, "{}", on.text());
    sign_in(&k.state, "bo", pw);
    // An admin cannot shut themselves out.
    let own = send(
        &k.state,
        "DELETE",
        &format!("/api/users/{ADMIN}"),
        admin.with_csrf(),
        None,
    );
    assert_eq!(own.status, StatusCode::BAD_REQUEST, "{}", own.text());

    let made = send(
        &k.state,
        "POST",
        "/api/tokens",
        admin.with_csrf(),
        Some(json!({"name": "skript", "role": "revisor", "expires": "2999-12-31"})),
    );
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let token = made.json()["token"].as_str().unwrap().to_string();
    assert_eq!(made.json()["valid_through"], json!("2999-12-31"));
    let listed = send(&k.state, "GET", "/api/tokens", admin.without_csrf(), None).json();
    assert!(listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "skript"));
    assert!(!listed.to_string().contains(&token[4..]));
    let with_token = As {
        token: Some(&token),
        ..As::default()
    };
    assert_eq!(
        send(&k.state, "GET", "/api/info", with_token.clone(), None).status,
        StatusCode::OK
    );
    let gone = send(
        &k.state,
        "DELETE",
        "/api/tokens/skript",
        admin.with_csrf(),
        None,
    );
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.text());
    let r = send(&k.state, "GET", "/api/info", with_token, None);
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send(
            &k.state,
            "DELETE",
            "/api/tokens/skript",
            admin.with_csrf(),
            None
        )
        .status,
        StatusCode::NOT_FOUND
    );
}

}

#[test]
fn only_an_admin_manages_and_bad_input_is_named() {
    let k = with_admin();
    for (token, method, uri) in [
        (&k.controller, "GET", "/api/users"),
        (&k.revisor, "POST", "/api/tokens"),
        (&k.auditor, "DELETE", "/api/users/x"),
    ] {
        let who = As {
            token: Some(token),
            ..As::default()
        };
        let r = send(&k.state, method, uri, who, Some(json!({})));
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}: {}", r.text());
        assert!(r.text().contains("admin"), "{}", r.text());
    }
    let admin = sign_in(&k.state, ADMIN, ADMIN_PASSWORD);
    for (body, status, words) in [
        (
            json!({"name": "a", "role": "controller", "password": "kort"}),
            400,
            "minst 12",
        ),
        (
            json!({"name": "a", "role": "chef", "password": "lång nog för detta"}),
            400,
            "okänd roll 'chef'",
        ),
        (
            json!({"name": ADMIN, "role": "admin", "password": "lång nog för detta"}),
            409,
            "finns redan",
        ),
        (
            json!({"name": "a", "role": "admin", "password": "lång nog för detta", "x": 1}),
            400,
            "okänt fält 'x'",
        ),
        (
            json!({"role": "admin", "password": "lång nog för detta"}),
            400,
            "fältet name saknas",
        ),
    ] {
        let r = send(
            &k.state,
            "POST",
            "/api/users",
            admin.with_csrf(),
            Some(body.clone()),
        );
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text());
        assert!(r.text().contains(words), "{body}: {}", r.text());
    }
    let r = send(
        &k.state,
        "PATCH",
        "/api/users/ingen",
        admin.with_csrf(),
        Some(json!({"disabled": true})),
    );
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
}

#[test]
fn an_expired_session_is_refused_and_signing_out_ends_one() {
    let k = with_admin();
    let short = SessionLimits {
        idle: chrono::Duration::milliseconds(600),
        ..SessionLimits::default()
    };
    k.state.set_account_limits(short, ThrottleLimits::default());
    let s = sign_in(&k.state, ADMIN, ADMIN_PASSWORD);
    assert_eq!(
        send(&k.state, "GET", "/api/info", s.without_csrf(), None).status,
        StatusCode::OK
    );
    std::thread::sleep(std::time::Duration::from_millis(900));
    let r = send(&k.state, "GET", "/api/info", s.without_csrf(), None);
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json()["error"],
        json!("sessionen har gått ut; logga in igen")
    );

    k.state
        .set_account_limits(SessionLimits::default(), ThrottleLimits::default());
    let s = sign_in(&k.state, ADMIN, ADMIN_PASSWORD);
    let r = send(&k.state, "DELETE", "/api/session", s.without_csrf(), None);
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "signing out needs the CSRF value too"
    );
    let r = send(&k.state, "DELETE", "/api/session", s.with_csrf(), None);
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(
        send(&k.state, "GET", "/api/info", s.without_csrf(), None).status,
        StatusCode::UNAUTHORIZED
    );
    // Bearer tokens keep working beside sessions.
    let who = As {
        token: Some(&k.revisor),
        ..As::default()
    };
    assert_eq!(
        send(&k.state, "GET", "/api/info", who, None).status,
        StatusCode::OK
    );
}

#[test]
fn failed_sign_ins_are_throttled_per_account_and_per_address_and_logged_without_secrets() {
    let k = with_admin();
    let pw = "annas lösenord är långt";
    k.state
        .users()
        .add("anna", Role::Controller, pw, "test", chrono::Utc::now())
        .unwrap();
    k.state
        .users()
        .add("bo", Role::Controller, pw, "test", chrono::Utc::now())
        .unwrap();
    let here = Some("192.0.2.1");
    let elsewhere = Some("198.51.100.2");
    for _ in 0..5 {
        let r = sign_in_from(&k.state, "anna", "fel gissning nummer ett", here);
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json()["error"], json!("fel namn eller lösenord"));
    }
    let unknown = sign_in_from(&k.state, "ingen.alls", "vad som helst här", elsewhere);
    assert_eq!(
        unknown.json()["error"],
        json!("fel namn eller lösenord"),
        "the same words"
    );
    // Locked: the right password too, from anywhere; and any account from this address.
    for (name, from) in [("anna", elsewhere), ("bo", here)] {
        let r = sign_in_from(&k.state, name, pw, from);
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{name}: {}",
            r.text()
        );
        let retry: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((890..=900).contains(&retry), "{retry}");
        assert!(r.text().contains("försök igen om 15 min"), "{}", r.text());
    }
    assert_eq!(
        sign_in_from(&k.state, "bo", pw, elsewhere).status,
        StatusCode::OK
    );

    let admin = sign_in(&k.state, ADMIN, ADMIN_PASSWORD);
    let log = send(&k.state, "GET", "/api/access", admin.without_csrf(), None);
    assert_eq!(log.status, StatusCode::OK, "{}", log.text());
    let entries = log.json();
    let signins: Vec<(String, String, String, String)> = (entries.as_array().unwrap().iter())
        .filter(|e| e["action"].as_str().unwrap().starts_with("sign"))
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
            (s("action"), s("name"), s("address"), s("detail"))
        })
        .collect();
    let refused = |name: &str, from: &str, detail: &str| {
        (
            "sign_in_refused".to_string(),
            name.to_string(),
            from.to_string(),
            detail.to_string(),
        )
    };
    let mut want = vec![refused("anna", "192.0.2.1", "fel lösenord"); 4];
    want.push(refused(
        "anna",
        "192.0.2.1",
        "fel lösenord; spärrad i 15 min",
    ));
    want.push(refused("", "198.51.100.2", "okänt namn"));
    want.push((
        "signed_in".into(),
        "bo".into(),
        "198.51.100.2".into(),
        String::new(),
    ));
    want.push((
        "signed_in".into(),
        ADMIN.into(),
        String::new(),
        String::new(),
    ));
    assert_eq!(
        signins, want,
        "the throttled attempts are not logged, their start is"
    );
    let text = entries.to_string();
    for secret in [
        pw,
        "fel gissning",
        &admin.cookie,
        &admin.csrf,
        "argon2",
        "ingen.alls",
    ] {
        assert!(!text.contains(secret), "{secret} in the access log");
    }
    let added: Vec<&Value> = (entries.as_array().unwrap().iter())
        .filter(|e| e["action"] == "user_added")
        .collect();
    assert_eq!(added.len(), 3);
    assert_eq!(
        (&added[1]["name"], &added[1]["role"]),
        (&json!("anna"), &json!("controller"))
    );
}

#[test]
fn the_session_cookie_is_secure_over_https() {
    let k = with_admin();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = super::tls::self_signed(dir.path(), "server", &["localhost"]);
    let tls = rambok::server::tls::Tls::load(&cert, &key).unwrap();
    let running =
        server::spawn_with(k.state.clone(), "127.0.0.1:0".parse().unwrap(), Some(tls)).unwrap();
    let agent = super::tls::trusting(&cert);
    let url = format!("https://localhost:{}/api/session", running.addr.port());
    let r = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(json!({"name": ADMIN, "password": ADMIN_PASSWORD}).to_string())
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.contains("; HttpOnly; SameSite=Strict; Max-Age=43200; Secure"),
        "{cookie}"
    );
    running.stop().unwrap();
}
