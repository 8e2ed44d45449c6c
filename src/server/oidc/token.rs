//! Checking an ID token (a JWT, RFC 7519) as OpenID Connect Core §3.1.3.7 asks: its signature
//! against a key of the provider's JWKS (RS256, PS256 or ES256; never `none` or a shared-secret
//! algorithm), then `iss`, `aud` (and `azp`), `exp`, `iat` and `nonce`. Pure: the keys, what to
//! expect and the moment are passed in.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{Map, Value};

/// The longest ID token taken, in bytes.
pub const ID_TOKEN_BYTES_MAX: usize = 64 * 1024;
/// Keys taken from one JWKS.
pub const KEYS_MAX: usize = 64;
/// How far the provider's clock may be from ours, in seconds.
pub const CLOCK_SKEW_SECS: i64 = 120;

/// One public key of a JWKS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub kid: Option<String>,
    pub key: KeyMaterial,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyMaterial {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// A P-256 point, uncompressed (0x04, x, y).
    P256(Vec<u8>),
}

/// Why an ID token was not taken; the message says what and is shown to the person.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("ID-token har fel form: {0}")]
    Malformed(String),
    #[error("ID-token är signerad med {0}; rambok tar RS256, PS256 och ES256")]
    Algorithm(String),
    #[error("ID-token är signerad med en nyckel ({0}) som identitetsleverantörens JWKS inte har")]
    UnknownKey(String),
    #[error("ID-token har ingen giltig signatur (ändrad, eller signerad av någon annan)")]
    Signature,
    #[error("ID-token: {0}")]
    Claim(String),
}

fn b64(part: &str, what: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| TokenError::Malformed(format!("{what} är inte base64url")))
}

fn strip_zeros(mut b: Vec<u8>) -> Vec<u8> {
    let lead = b.iter().take_while(|x| **x == 0).count();
    b.drain(..lead.min(b.len().saturating_sub(1)));
    b
}

/// The signing keys of a JWKS document (`{"keys": [...]}`): RSA and P-256 keys meant for
/// signatures; other keys are passed over.
pub fn parse_jwks(doc: &Value) -> Result<Vec<Key>, String> {
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("JWKS saknar listan keys")?;
    let mut out = Vec::new();
    for k in keys.iter().take(KEYS_MAX) {
        if k.get("use")
            .and_then(Value::as_str)
            .is_some_and(|u| u != "sig")
        {
            continue;
        }
        let kid = k.get("kid").and_then(Value::as_str).map(str::to_string);
        let field = |name: &str| -> Option<Vec<u8>> {
            URL_SAFE_NO_PAD
                .decode(k.get(name)?.as_str()?.trim_end_matches('='))
                .ok()
        };
        let key = match k.get("kty").and_then(Value::as_str) {
            Some("RSA") => match (field("n"), field("e")) {
                (Some(n), Some(e)) => KeyMaterial::Rsa {
                    n: strip_zeros(n),
                    e: strip_zeros(e),
                },
                _ => continue,
            },
            Some("EC") if k.get("crv").and_then(Value::as_str) == Some("P-256") => {
                match (field("x"), field("y")) {
                    (Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => {
                        let mut p = vec![4u8];
                        p.extend(x);
                        p.extend(y);
                        KeyMaterial::P256(p)
                    }
                    _ => continue,
                }
            }
            _ => continue,
        };
        out.push(Key { kid, key });
    }
    Ok(out)
}

/// What the ID token must say.
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: DateTime<Utc>,
}

/// The key id an ID token names in its header, if any (to fetch the JWKS again when it is new).
pub fn key_id(jwt: &str) -> Option<String> {
    let h = jwt.split('.').next()?;
    let header: Value = serde_json::from_slice(&b64(h, "huvudet").ok()?).ok()?;
    header.get("kid")?.as_str().map(str::to_string)
}

/// The claims of `jwt` once its signature and its claims are checked.
pub fn verify(jwt: &str, keys: &[Key], expect: &Expect) -> Result<Map<String, Value>, TokenError> {
    if jwt.len() > ID_TOKEN_BYTES_MAX {
        return Err(TokenError::Malformed(format!(
            "längre än {ID_TOKEN_BYTES_MAX} byte"
        )));
    }
    let parts: Vec<&str> = jwt.split('.').collect();
    let [h, p, s] = parts[..] else {
        return Err(TokenError::Malformed(
            "väntade tre delar åtskilda av punkt (en signerad JWT)".into(),
        ));
    };
    let header: Value = serde_json::from_slice(&b64(h, "huvudet")?)
        .map_err(|_| TokenError::Malformed("huvudet är inte JSON".into()))?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let kid = header.get("kid").and_then(Value::as_str);
    let signature = b64(s, "signaturen")?;
    let input = &jwt.as_bytes()[..h.len() + 1 + p.len()];
    let fits = |k: &&Key| {
        matches!(
            (alg, &k.key),
            ("RS256" | "PS256", KeyMaterial::Rsa { .. }) | ("ES256", KeyMaterial::P256(_))
        )
    };
    if !matches!(alg, "RS256" | "PS256" | "ES256") {
        return Err(TokenError::Algorithm(
            alg.chars().take(16).collect::<String>(),
        ));
    }
    let candidates: Vec<&Key> = match kid {
        Some(kid) => keys
            .iter()
            .filter(|k| k.kid.as_deref() == Some(kid))
            .filter(fits)
            .collect(),
        None => keys.iter().filter(fits).collect(),
    };
    if candidates.is_empty() {
        return Err(TokenError::UnknownKey(
            kid.unwrap_or("utan kid").chars().take(64).collect(),
        ));
    }
    let good = candidates.iter().any(|k| match (&k.key, alg) {
        (KeyMaterial::Rsa { n, e }, "RS256") => RsaPublicKeyComponents { n, e }
            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, input, &signature)
            .is_ok(),
        (KeyMaterial::Rsa { n, e }, "PS256") => RsaPublicKeyComponents { n, e }
            .verify(&signature::RSA_PSS_2048_8192_SHA256, input, &signature)
            .is_ok(),
        (KeyMaterial::P256(point), "ES256") => {
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(input, &signature)
                .is_ok()
        }
        _ => false,
    });
    if !good {
        return Err(TokenError::Signature);
    }
    let claims: Value = serde_json::from_slice(&b64(p, "innehållet")?)
        .map_err(|_| TokenError::Malformed("innehållet är inte JSON".into()))?;
    let Value::Object(claims) = claims else {
        return Err(TokenError::Malformed(
            "innehållet är inte ett JSON-objekt".into(),
        ));
    };
    check_claims(&claims, expect)?;
    Ok(claims)
}

fn shown(v: Option<&Value>) -> String {
    match v {
        None => "saknas".into(),
        Some(Value::String(s)) => format!("'{}'", s.chars().take(80).collect::<String>()),
        Some(v) => v.to_string().chars().take(80).collect(),
    }
}

fn check_claims(c: &Map<String, Value>, expect: &Expect) -> Result<(), TokenError> {
    let claim = |m: String| Err(TokenError::Claim(m));
    if c.get("iss").and_then(Value::as_str) != Some(expect.issuer) {
        return claim(format!(
            "utfärdaren (iss) är {}, väntade '{}'",
            shown(c.get("iss")),
            expect.issuer
        ));
    }
    let audiences: Vec<&str> = match c.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expect.client_id) {
        return claim(format!(
            "mottagaren (aud) är {}, inte den här klienten ('{}')",
            shown(c.get("aud")),
            expect.client_id
        ));
    }
    let azp = c.get("azp").and_then(Value::as_str);
    if (audiences.len() > 1 || azp.is_some()) && azp != Some(expect.client_id) {
        return claim(format!(
            "den auktoriserade parten (azp) är {}, inte den här klienten",
            shown(c.get("azp"))
        ));
    }
    let now = expect.now.timestamp();
    match c.get("exp").and_then(Value::as_i64) {
        None => return claim("giltighetstiden (exp) saknas".into()),
        Some(exp) if exp + CLOCK_SKEW_SECS <= now => {
            return claim(format!(
                "giltighetstiden (exp) gick ut för {} sekunder sedan",
                now - exp
            ))
        }
        Some(_) => {}
    }
    if let Some(iat) = c.get("iat").and_then(Value::as_i64) {
        if iat > now + CLOCK_SKEW_SECS {
            return claim("utfärdandetiden (iat) ligger i framtiden".into());
        }
    }
    if c.get("nonce").and_then(Value::as_str) != Some(expect.nonce) {
        return claim(format!(
            "nonce är {}, inte det inloggningen skickade",
            shown(c.get("nonce"))
        ));
    }
    if c.get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return claim("subjektet (sub) saknas".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    use serde_json::json;

    fn keypair() -> EcdsaKeyPair {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap()
    }

    fn jwks(k: &EcdsaKeyPair, kid: &str) -> Vec<Key> {
        let p = k.public_key().as_ref();
        let doc = json!({"keys": [
            {"kty": "oct", "k": "AAAA"},
            {"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
             "x": URL_SAFE_NO_PAD.encode(&p[1..33]), "y": URL_SAFE_NO_PAD.encode(&p[33..])}]});
        parse_jwks(&doc).unwrap()
    }

    fn sign(k: &EcdsaKeyPair, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = k.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn expect() -> Expect<'static> {
        Expect {
            issuer: "https://idp.example",
            client_id: "rambok",
            nonce: "n-1",
            now: now(),
        }
    }

    fn claims() -> Value {
        json!({"iss": "https://idp.example", "aud": "rambok", "sub": "anna",
               "exp": 1_800_000_300, "iat": 1_800_000_000, "nonce": "n-1",
               "groups": ["rambok-controller"]})
    }

    fn header() -> Value {
        json!({"alg": "ES256", "kid": "k1", "typ": "JWT"})
    }

    #[test]
    fn a_good_token_gives_its_claims() {
        let k = keypair();
        let t = sign(&k, &header(), &claims());
        let c = verify(&t, &jwks(&k, "k1"), &expect()).unwrap();
        assert_eq!(c["groups"], json!(["rambok-controller"]));
        assert_eq!(key_id(&t).as_deref(), Some("k1"));
    }

    #[test]
    fn a_changed_claim_another_key_or_algorithm_fails_the_signature() {
        let k = keypair();
        let keys = jwks(&k, "k1");
        let t = sign(&k, &header(), &claims());
        let parts: Vec<&str> = t.split('.').collect();
        let mut changed = claims();
        changed["groups"] = json!(["rambok-admin"]);
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(changed.to_string()),
            parts[2]
        );
        assert_eq!(
            verify(&forged, &keys, &expect()),
            Err(TokenError::Signature)
        );
        let other = sign(&keypair(), &header(), &claims());
        assert_eq!(verify(&other, &keys, &expect()), Err(TokenError::Signature));
        let unknown = sign(&k, &json!({"alg": "ES256", "kid": "k9"}), &claims());
        assert_eq!(
            verify(&unknown, &keys, &expect()),
            Err(TokenError::UnknownKey("k9".into()))
        );
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string()),
            parts[1]
        );
        assert_eq!(
            verify(&none, &keys, &expect()),
            Err(TokenError::Algorithm("none".into()))
        );
        let hs = sign(&k, &json!({"alg": "HS256", "kid": "k1"}), &claims());
        assert!(matches!(
            verify(&hs, &keys, &expect()),
            Err(TokenError::Algorithm(_))
        ));
        assert!(matches!(
            verify("a.b", &keys, &expect()),
            Err(TokenError::Malformed(_))
        ));
    }

    #[test]
    fn issuer_audience_expiry_and_nonce_are_checked() {
        let k = keypair();
        let keys = jwks(&k, "k1");
        let with = |key: &str, v: Value| {
            let mut c = claims();
            c[key] = v;
            verify(&sign(&k, &header(), &c), &keys, &expect())
        };
        let said = |r: Result<Map<String, Value>, TokenError>| match r {
            Err(TokenError::Claim(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(said(with("iss", json!("https://evil.example"))).contains("utfärdaren (iss)"));
        assert!(said(with("aud", json!("annan"))).contains("mottagaren (aud)"));
        assert!(said(with("aud", json!(["annan", "rambok"]))).contains("azp"));
        assert!(with("aud", json!(["rambok"])).is_ok());
        assert!(said(with("exp", json!(1_800_000_000 - 121))).contains("gick ut"));
        assert!(with("exp", json!(1_800_000_000 - 60)).is_ok(), "skew");
        assert!(said(with("iat", json!(1_800_000_000 + 600))).contains("framtiden"));
        assert!(said(with("nonce", json!("n-2"))).contains("nonce"));
        assert!(said(with("sub", json!(""))).contains("sub"));
    }
}
