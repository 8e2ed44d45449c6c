//! The single sign-on configuration (`rambok serve --oidc FILE`, JSON): the provider (issuer), the
//! client registered there, and which claim value gives which role. Every error names its field.

use crate::server::auth::Role;
use serde_json::{Map, Value};
use std::path::Path;

/// The largest configuration file, in bytes.
const FILE_BYTES_MAX: usize = 64 * 1024;
/// Rows in the role table.
const ROLES_MAX: usize = 200;

/// How the client proves itself at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// `Authorization: Basic` with the id and the secret (the default with a secret).
    Basic,
    /// The id and the secret in the form.
    Post,
    /// A public client: the id in the form, PKCE alone proves the flow.
    None,
}

#[derive(Clone, Debug)]
pub struct OidcConfig {
    /// The provider's issuer URL, exactly as its ID tokens name it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub client_auth: ClientAuth,
    /// Where the provider sends the browser back: `https://HOST/api/oidc/callback`.
    pub redirect_url: String,
    pub scopes: Vec<String>,
    /// The claim whose value (a text or a list of texts) the role table is read with.
    pub role_claim: String,
    /// The claim that names the person: the recorder of what they append.
    pub name_claim: String,
    /// Claim value → role, first match in the file's order wins.
    pub roles: Vec<(String, Role)>,
    /// What the page's button says after "Logga in med".
    pub label: String,
}

const FIELDS: &[&str] = &[
    "issuer",
    "client_id",
    "client_secret",
    "client_secret_env",
    "client_auth",
    "redirect_url",
    "scopes",
    "role_claim",
    "name_claim",
    "roles",
    "label",
];

/// Whether `url` is `https://`, or `http://` to this machine (for a provider started by the tests).
pub fn acceptable_url(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

fn text(m: &Map<String, Value>, key: &str, file: &str) -> Result<Option<String>, String> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 2048 => {
            Ok(Some(s.trim().to_string()))
        }
        Some(_) => Err(format!(
            "{file}: fältet {key} ska vara en text som inte är tom (högst 2 048 byte)"
        )),
    }
}

fn required(m: &Map<String, Value>, key: &str, file: &str) -> Result<String, String> {
    text(m, key, file)?.ok_or_else(|| format!("{file}: fältet {key} saknas"))
}

impl OidcConfig {
    /// Reads the configuration in `path`; the environment gives the secret when the file names
    /// it by `client_secret_env`.
    pub fn load(path: &Path) -> Result<OidcConfig, String> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| {
            format!(
                "--oidc: {file} kan inte läsas: {}",
                crate::lang::io_error(&e)
            )
        })?;
        if bytes.len() > FILE_BYTES_MAX {
            return Err(format!("{file}: större än {FILE_BYTES_MAX} byte"));
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "{file}: inte giltig JSON: {}",
                crate::json::describe_json_error(&e)
            )
        })?;
        OidcConfig::parse(&v, &file, |name| std::env::var(name).ok())
    }

    /// The configuration in `v` (read from `file`); `env` looks up an environment variable.
    pub fn parse(
        v: &Value,
        file: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<OidcConfig, String> {
        let Value::Object(m) = v else {
            return Err(format!(
                "{file}: ska vara ett JSON-objekt med fälten issuer, client_id, redirect_url och roles"
            ));
        };
        if let Some(k) = m.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(format!(
                "{file}: okänt fält '{}' (fälten är {})",
                k.chars().take(64).collect::<String>(),
                FIELDS.join(", ")
            ));
        }
        let issuer = required(m, "issuer", file)?
            .trim_end_matches('/')
            .to_string();
        if !acceptable_url(&issuer) {
            return Err(format!(
                "{file}: fältet issuer ska vara en https://-adress (http:// bara till 127.0.0.1 eller localhost), inte '{issuer}'"
            ));
        }
        let client_id = required(m, "client_id", file)?;
        let redirect_url = required(m, "redirect_url", file)?;
        if !acceptable_url(&redirect_url) || !redirect_url.ends_with("/api/oidc/callback") {
            return Err(format!(
                "{file}: fältet redirect_url ska vara serverns adress följd av /api/oidc/callback (https://, eller http:// till den här datorn), inte '{redirect_url}'"
            ));
        }
        let client_secret = match (
            text(m, "client_secret", file)?,
            text(m, "client_secret_env", file)?,
        ) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "{file}: ange antingen client_secret eller client_secret_env, inte båda"
                ))
            }
            (Some(s), None) => Some(s),
            (None, Some(var)) => Some(env(&var).filter(|s| !s.is_empty()).ok_or_else(|| {
                format!(
                    "{file}: fältet client_secret_env namnger miljövariabeln {var}, som inte är satt"
                )
            })?),
            (None, None) => None,
        };
        let client_auth = match (text(m, "client_auth", file)?.as_deref(), &client_secret) {
            (None | Some("client_secret_basic"), Some(_)) => ClientAuth::Basic,
            (Some("client_secret_post"), Some(_)) => ClientAuth::Post,
            (None | Some("none"), None) => ClientAuth::None,
            (Some("none"), Some(_)) => {
                return Err(format!(
                    "{file}: fältet client_auth är none, men en klienthemlighet är angiven"
                ))
            }
            (Some(a @ ("client_secret_basic" | "client_secret_post")), None) => {
                return Err(format!(
                    "{file}: fältet client_auth är {a}, men client_secret och client_secret_env saknas"
                ))
            }
            (Some(other), _) => {
                return Err(format!(
                    "{file}: fältet client_auth är '{}'; det kan vara client_secret_basic, client_secret_post eller none",
                    other.chars().take(40).collect::<String>()
                ))
            }
        };
        let scopes = match m.get("scopes") {
            None => vec!["openid".into(), "profile".into()],
            Some(Value::Array(a))
                if a.len() <= 20
                    && a.iter().all(|s| {
                        s.as_str().is_some_and(|s| {
                            !s.is_empty() && s.len() <= 200 && !s.contains(char::is_whitespace)
                        })
                    }) =>
            {
                let mut s: Vec<String> = a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect();
                if !s.iter().any(|x| x == "openid") {
                    s.insert(0, "openid".into());
                }
                s
            }
            Some(_) => {
                return Err(format!(
                    "{file}: fältet scopes ska vara en lista med högst 20 texter utan blanksteg"
                ))
            }
        };
        let role_claim = text(m, "role_claim", file)?.unwrap_or_else(|| "groups".into());
        let name_claim = text(m, "name_claim", file)?.unwrap_or_else(|| "name".into());
        let label = text(m, "label", file)?.unwrap_or_else(|| "kommunens konto".into());
        if label.chars().count() > 60 {
            return Err(format!("{file}: fältet label får vara högst 60 tecken"));
        }
        let Some(Value::Object(table)) = m.get("roles") else {
            return Err(format!(
                "{file}: fältet roles saknas eller är inget objekt: det ska para ihop värden av anspråket {role_claim} med roller, till exempel {{\"rambok-controller\": \"controller\"}}"
            ));
        };
        if table.is_empty() || table.len() > ROLES_MAX {
            return Err(format!(
                "{file}: fältet roles ska ha mellan 1 och {ROLES_MAX} rader"
            ));
        }
        let mut roles = Vec::new();
        for (value, role) in table {
            let role = role
                .as_str()
                .ok_or_else(|| format!("{file}: roles.{value} ska vara en roll (en text)"))
                .and_then(|r| {
                    Role::parse_or_say(r).map_err(|e| format!("{file}: roles.{value}: {e}"))
                })?;
            roles.push((value.clone(), role));
        }
        Ok(OidcConfig {
            issuer,
            client_id,
            client_secret,
            client_auth,
            redirect_url,
            scopes,
            role_claim,
            name_claim,
            roles,
            label,
        })
    }

    /// The role the claim value (or values) in `claims` gives: the first row of the table that
    /// matches one of them.
    pub fn role_for(&self, claims: &Map<String, Value>) -> Option<Role> {
        let held: Vec<&str> = match claims.get(&self.role_claim) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        (self.roles.iter())
            .find(|(value, _)| held.contains(&value.as_str()))
            .map(|(_, role)| *role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({"issuer": "https://login.example/tenant/v2.0/", "client_id": "abc",
               "client_secret_env": "HEMLIS", "redirect_url": "https://rambok.kommun.se/api/oidc/callback",
               "roles": {"g-admin": "admin", "g-ctl": "controller"}})
    }

    fn parse(v: &Value) -> Result<OidcConfig, String> {
        OidcConfig::parse(v, "sso.json", |k| (k == "HEMLIS").then(|| "s3".to_string()))
    }

    #[test]
    fn a_good_file_gives_issuer_secret_and_the_role_table_in_order() {
        let c = parse(&base()).unwrap();
        assert_eq!(c.issuer, "https://login.example/tenant/v2.0");
        assert_eq!(c.client_secret.as_deref(), Some("s3"));
        assert_eq!(c.client_auth, ClientAuth::Basic);
        assert_eq!(c.scopes, ["openid", "profile"]);
        let claims = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            c.role_for(&claims(json!({"groups": ["x", "g-ctl", "g-admin"]}))),
            Some(Role::Admin),
            "the first row that matches"
        );
        assert_eq!(
            c.role_for(&claims(json!({"groups": "g-ctl"}))),
            Some(Role::Controller)
        );
        assert_eq!(c.role_for(&claims(json!({"groups": ["x"]}))), None);
        assert_eq!(c.role_for(&claims(json!({}))), None);
    }

    #[test]
    fn every_error_names_its_field() {
        let with = |k: &str, v: Value| {
            let mut b = base();
            b[k] = v;
            parse(&b).unwrap_err()
        };
        assert!(with("issuer", json!("http://idp.example")).contains("fältet issuer"));
        assert!(with("redirect_url", json!("https://x/cb")).contains("fältet redirect_url"));
        assert!(with("client_secret_env", json!("SAKNAS")).contains("SAKNAS"));
        assert!(with("client_secret", json!("x")).contains("inte båda"));
        assert!(with("client_auth", json!("magic")).contains("fältet client_auth"));
        assert!(with("roles", json!({"g": "kung"})).contains("roles.g: okänd roll 'kung'"));
        assert!(with("roles", json!({})).contains("fältet roles"));
        assert!(with("scopes", json!("openid")).contains("fältet scopes"));
        assert!(with("okänt", json!(1)).contains("okänt fält 'okänt'"));
        let mut b = base();
        b.as_object_mut().unwrap().remove("client_id");
        assert!(parse(&b).unwrap_err().contains("fältet client_id saknas"));
        assert!(acceptable_url("http://127.0.0.1:4000/x"));
        assert!(acceptable_url("http://localhost/x"));
        assert!(!acceptable_url("http://127.0.0.1.evil.example/x"));
    }
}
