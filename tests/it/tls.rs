//! HTTPS end to end: `rambok serve --tls-cert --tls-key` with certificates made here (rcgen, no
//! tools needed), and `rambok --server https://… --ca-cert` against it: the same report as the
//! local command, certificates the client does not trust refused with a message that says so,
//! `Strict-Transport-Security` over TLS only, and the flags' errors.

use super::server::{fixtures, kalmar, rambok, start_serve};
use rambok::server::{self, tls::Tls};
use std::path::{Path, PathBuf};
use std::process::Output;

/// A ledger with the Kalmar fixtures and a revisor's token, in a folder of its own.
fn ledger() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    assert!(rambok(&db, &["init"]).status.success());
    let files = fixtures();
    let mut import = vec!["import"];
    import.extend(files.iter().map(String::as_str));
    let imported = rambok(&db, &import);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let made = rambok(&db, &["token", "add", "--role", "revisor", "--name", "rut"]);
    assert!(made.status.success(), "{}", stderr(&made));
    let token = String::from_utf8(made.stdout).unwrap().trim().to_string();
    (dir, db, token)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

/// A self-signed certificate for `names` and its key, as `NAME.pem` and `NAME.key` in `dir`.
pub(crate) fn self_signed(dir: &Path, name: &str, names: &[&str]) -> (PathBuf, PathBuf) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let made = rcgen::generate_simple_self_signed(names).unwrap();
    (
        write(dir, &format!("{name}.pem"), &made.cert.pem()),
        write(
            dir,
            &format!("{name}.key"),
            &made.signing_key.serialize_pem(),
        ),
    )
}

/// A private CA (`ca.pem`, `ca.key`) and a server certificate it signed for `names` (`NAME.pem`,
/// `NAME.key`).
fn private_ca(dir: &Path, name: &str, names: &[&str]) -> (PathBuf, PathBuf, PathBuf) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Rambok test CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = rcgen::KeyPair::generate().unwrap();
    write(dir, "ca.key", &ca_key.serialize_pem());
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(names)
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    (
        write(dir, "ca.pem", &ca.pem()),
        write(dir, &format!("{name}.pem"), &leaf.pem()),
        write(dir, &format!("{name}.key"), &leaf_key.serialize_pem()),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A blocking client that trusts `ca` (PEM).
pub(crate) fn trusting(ca: &Path) -> ureq::Agent {
    let pem = std::fs::read(ca).unwrap();
    let cert = ureq::tls::Certificate::from_pem(&pem).unwrap();
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&[cert]))
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(tls)
        .build()
        .into()
}

/// The status and `Strict-Transport-Security` of `GET url`.
fn hsts(agent: &ureq::Agent, url: &str) -> (u16, Option<String>) {
    let r = agent.get(url).call().unwrap();
    let header = r
        .headers()
        .get("strict-transport-security")
        .map(|v| v.to_str().unwrap().to_string());
    (r.status().as_u16(), header)
}

#[test]
fn https_serves_the_cli_the_same_report_as_the_local_command() {
    let (dir, db, token) = ledger();
    let report = ["report", "frames", "--year", "2017"];
    let local = rambok(&db, &report);
    assert!(local.status.success(), "{}", stderr(&local));
    let (cert, key) = self_signed(dir.path(), "server", &["127.0.0.1", "localhost"]);

    let (served, url) = start_serve(&db, &["--tls-cert", s(&cert), "--tls-key", s(&key)]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    // A command on the served store says where the server is, and about --ca-cert.
    let busy = rambok(&db, &report);
    assert_eq!(busy.status.code(), Some(4));
    assert!(
        stderr(&busy).contains(&format!("--server {url} --token TOKEN"))
            && stderr(&busy).contains("--ca-cert FIL"),
        "{}",
        stderr(&busy)
    );
    let mut args = vec![
        "--server",
        url.as_str(),
        "--ca-cert",
        s(&cert),
        "--token",
        token.as_str(),
    ];
    args.extend(report);
    let remote = rambok(&db, &args);
    assert!(remote.status.success(), "{}", stderr(&remote));
    assert_eq!(
        String::from_utf8_lossy(&remote.stdout),
        String::from_utf8_lossy(&local.stdout)
    );
    assert!(String::from_utf8_lossy(&remote.stdout).contains("477 569"));
    // RAMBOK_CA_CERT does what --ca-cert does.
    let by_env = std::process::Command::new(env!("CARGO_BIN_EXE_rambok"))
        .env_remove("RAMBOK_DB")
        .env("RAMBOK_SERVER", &url)
        .env("RAMBOK_TOKEN", &token)
        .env("RAMBOK_CA_CERT", &cert)
        .args(["verify"])
        .output()
        .unwrap();
    assert!(by_env.status.success(), "{}", stderr(&by_env));
    let ok = format!("ok: {} poster", crate::kalmar_events());
    assert!(String::from_utf8_lossy(&by_env.stdout).starts_with(&ok));

    // Over TLS every response carries HSTS: the page, the API, a refusal, a missing page.
    let agent = trusting(&cert);
    for (path, status) in [
        ("/", 200),
        ("/api/health", 200),
        ("/api/frames?year=2017", 401),
        ("/no-such-page", 404),
    ] {
        assert_eq!(
            hsts(&agent, &format!("{url}{path}")),
            (status, Some("max-age=31536000".to_string())),
            "{path}"
        );
    }
    drop(served);

    // Plain HTTP, still the default, sends none.
    let (plain, url) = start_serve(&db, &[]);
    assert!(url.starts_with("http://"), "{url}");
    let agent = trusting(&cert);
    for path in ["/", "/api/health", "/no-such-page"] {
        assert_eq!(hsts(&agent, &format!("{url}{path}")).1, None, "{path}");
    }
    let mut args = vec!["--server", url.as_str(), "--token", token.as_str()];
    args.extend(report);
    let remote = rambok(&db, &args);
    assert_eq!(remote.stdout, local.stdout, "{}", stderr(&remote));
    drop(plain);
}

#[test]
fn an_untrusted_certificate_is_refused_naming_the_server() {
    let (dir, db, token) = ledger();
    let (cert, key) = self_signed(dir.path(), "server", &["127.0.0.1"]);
    let (other, _) = self_signed(dir.path(), "other", &["127.0.0.1"]);
    let (served, url) = start_serve(&db, &["--tls-cert", s(&cert), "--tls-key", s(&key)]);
    let frames = |extra: &[&str]| {
        let mut args = vec!["--server", url.as_str(), "--token", token.as_str()];
        args.extend_from_slice(extra);
        args.extend(["report", "frames", "--year", "2017"]);
        rambok(&db, &args)
    };
    // Without --ca-cert the built-in public roots do not vouch for it; nor does another
    // certificate.
    for refused in [frames(&[]), frames(&["--ca-cert", s(&other)])] {
        let text = stderr(&refused);
        assert_eq!(refused.status.code(), Some(5), "{text}");
        assert!(refused.stdout.is_empty());
        assert!(
            text.contains(&format!(
                "når inte servern på {url}: dess TLS-certifikat är inte betrott"
            )),
            "{text}"
        );
        assert!(text.contains("--ca-cert FIL"), "{text}");
    }
    drop(served);
}

#[test]
fn a_private_ca_is_trusted_and_the_name_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = private_ca(dir.path(), "server", &["127.0.0.1"]);
    let k = kalmar();
    let tls = Tls::load(&cert, &key).unwrap();
    let running =
        server::spawn_with(k.state.clone(), "127.0.0.1:0".parse().unwrap(), Some(tls)).unwrap();
    let url = running.url();
    assert!(url.starts_with("https://"), "{url}");
    let db = dir.path().join("unused");
    let verify = |ca: &Path, url: &str| {
        rambok(
            &db,
            &[
                "--server",
                url,
                "--ca-cert",
                s(ca),
                "--token",
                &k.revisor,
                "verify",
            ],
        )
    };
    let trusted = verify(&ca, &url);
    assert!(trusted.status.success(), "{}", stderr(&trusted));
    assert!(String::from_utf8_lossy(&trusted.stdout)
        .starts_with(&format!("ok: {} poster", crate::kalmar_events())));
    drop(running);

    // A certificate from the same CA, but for another name.
    let (ca, cert, key) = private_ca(dir.path(), "elsewhere", &["rambok.invalid"]);
    let tls = Tls::load(&cert, &key).unwrap();
    let running =
        server::spawn_with(k.state.clone(), "127.0.0.1:0".parse().unwrap(), Some(tls)).unwrap();
    let url = running.url();
    let wrong_name = verify(&ca, &url);
    let text = stderr(&wrong_name);
    assert_eq!(wrong_name.status.code(), Some(5), "{text}");
    assert!(
        text.contains(&format!(
            "når inte servern på {url}: dess TLS-certifikat är inte betrott"
        )) && text.contains("gäller inte för namnet")
            && text.contains("rambok.invalid"),
        "{text}"
    );
    drop(running);

    // The CA's own certificate as the server's: refused even though it is the one trusted.
    let tls = Tls::load(&ca, &dir.path().join("ca.key")).unwrap();
    let running =
        server::spawn_with(k.state.clone(), "127.0.0.1:0".parse().unwrap(), Some(tls)).unwrap();
    let url = running.url();
    let ca_as_server = verify(&ca, &url);
    let text = stderr(&ca_as_server);
    assert_eq!(ca_as_server.status.code(), Some(5), "{text}");
    assert!(
        text.contains(
            "dess TLS-certifikat är inte betrott (det är ett CA-certifikat (basicConstraints CA:TRUE)"
        ),
        "{text}"
    );
}

#[test]
fn the_wrong_scheme_and_bad_ca_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path(), "server", &["127.0.0.1"]);
    let k = kalmar();
    let running = server::spawn(k.state.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let https = running.url().replacen("http://", "https://", 1);
    let db = dir.path().join("unused");
    let call = |url: &str, ca: &Path| {
        rambok(
            &db,
            &[
                "--server",
                url,
                "--ca-cert",
                s(ca),
                "--token",
                &k.revisor,
                "verify",
            ],
        )
    };
    let plain = call(&https, &cert);
    let text = stderr(&plain);
    assert_eq!(plain.status.code(), Some(5), "{text}");
    assert!(
        text.contains(&format!(
            "når inte servern på {https}: TLS-handskakningen misslyckades"
        )) && text.contains("serverar den HTTPS"),
        "{text}"
    );
    let tls = Tls::load(&cert, &key).unwrap();
    let secure =
        server::spawn_with(k.state.clone(), "127.0.0.1:0".parse().unwrap(), Some(tls)).unwrap();
    let http = secure.url().replacen("https://", "http://", 1);
    let not_http = call(&http, &cert);
    let text = stderr(&not_http);
    assert_eq!(not_http.status.code(), Some(5), "{text}");
    assert!(
        text.contains(&format!("når inte servern på {http}: svaret är inte HTTP"))
            && text.contains("serverar den HTTPS börjar adressen med https://"),
        "{text}"
    );
    let missing = dir.path().join("missing.pem");
    let garbage = write(dir.path(), "garbage.pem", "not a certificate\n");
    for (ca, says) in [
        (&missing, "kan inte läsas"),
        (&garbage, "inget certifikat i den"),
    ] {
        let o = call(&https, ca);
        let text = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{text}");
        assert!(
            text.contains(&format!("--ca-cert {}: {says}", ca.display())),
            "{text}"
        );
    }
    let ftp = call("ftp://127.0.0.1:21", &cert);
    assert_eq!(ftp.status.code(), Some(1));
    assert!(stderr(&ftp).contains("är ingen http://- eller https://-adress"));
}

#[test]
fn serve_refuses_half_or_broken_tls_settings_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path(), "server", &["127.0.0.1"]);
    let (other_cert, _) = self_signed(dir.path(), "other", &["127.0.0.1"]);
    let garbage = write(dir.path(), "garbage.pem", "hello\n");
    let missing = dir.path().join("missing.pem");
    // No ledger here: the TLS settings are checked before the store is opened.
    let db = dir.path().join("no-ledger");
    let serve = |args: &[&str]| {
        let mut all = vec!["serve", "--port", "0"];
        all.extend_from_slice(args);
        rambok(&db, &all)
    };
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--tls-cert", s(&cert)],
            "--tls-cert kräver --tls-key".into(),
        ),
        (
            vec!["--tls-key", s(&key)],
            "--tls-key kräver --tls-cert".into(),
        ),
        (
            vec!["--tls-cert", s(&missing), "--tls-key", s(&key)],
            format!("{}: kan inte läsas: finns inte", missing.display()),
        ),
        (
            vec!["--tls-cert", s(&garbage), "--tls-key", s(&key)],
            format!("{}: inget certifikat i den", garbage.display()),
        ),
        (
            vec!["--tls-cert", s(&cert), "--tls-key", s(&garbage)],
            format!("{}: ingen privat nyckel i den", garbage.display()),
        ),
        (
            vec!["--tls-cert", s(&cert), "--tls-key", s(&cert)],
            format!("{}: ingen privat nyckel i den", cert.display()),
        ),
        (
            vec!["--tls-cert", s(&other_cert), "--tls-key", s(&key)],
            format!(
                "certifikatet i {} och nyckeln i {} kan inte servera HTTPS tillsammans",
                other_cert.display(),
                key.display()
            ),
        ),
    ];
    for (args, says) in cases {
        let o = serve(&args);
        let text = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {text}");
        assert!(text.contains(&says), "{args:?}: {text}");
    }
    assert!(!db.exists(), "nothing was created");
}
