//! The server's one error type. Every failure becomes JSON `{"error": "...", ...}` with the CLI's
//! message and a status that says what kind: 400 malformed request, 401 not signed in or an
//! unknown token, 403 wrong role or a missing CSRF header, 404, 409 conflict, 413 too large, 422 an
//! event the ledger rejects, 429 sign-ins throttled, 500 damage or storage failure, 503 full. Storage details (paths, OS errors) go to the server's log, never to the client.

use crate::ledger::LedgerError;
use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::auth::Identity;

/// Why a request was refused, attached to the response for the log.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub reason: String,
    pub token: Option<String>,
}

/// An error response; boxed, so results that carry it stay small.
#[derive(Debug)]
pub struct ApiError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    message: String,
    /// More fields of the JSON body: `field`, `index`, `expected`, `actual`…
    extra: Map<String, Value>,
    /// The token's holder, when known, for the log.
    token: Option<String>,
    /// Headers the response carries besides (`Retry-After`).
    headers: Vec<(axum::http::HeaderName, axum::http::HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError(Box::new(Inner {
            status,
            message: message.into(),
            extra: Map::new(),
            token: None,
            headers: Vec::new(),
        }))
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// A failure the client cannot act on: the detail goes to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        eprintln!("rambok serve: internt fel: {detail}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "lagringsfel på servern; dess logg har detaljerna",
        )
    }

    pub fn from_join(e: tokio::task::JoinError) -> ApiError {
        ApiError::internal(format!("en arbetsuppgift misslyckades: {e}"))
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.0.extra.insert(key.to_string(), value.into());
        self
    }

    /// A header the response carries.
    pub fn header(
        mut self,
        name: axum::http::HeaderName,
        value: axum::http::HeaderValue,
    ) -> ApiError {
        self.0.headers.push((name, value));
        self
    }

    /// Names the token holder in the log line of a refusal.
    pub fn by(mut self, who: &Identity) -> ApiError {
        self.0.token = Some(who.name.clone());
        self
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Corrupt(_) | StoreError::Damaged(_) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
            StoreError::Io(detail) => ApiError::internal(detail),
            StoreError::InUse { .. } => ApiError::internal(e),
            StoreError::Conflict { expected, actual } => {
                ApiError::new(StatusCode::CONFLICT, e.to_string())
                    .with("expected", expected)
                    .with("actual", actual)
            }
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> ApiError {
        let message = e.to_string();
        match e {
            LedgerError::Rejected { index, error } => ApiError::unprocessable(message)
                .with("field", error.field)
                .with("message", error.message)
                .with("index", index),
            LedgerError::Conflict { expected, actual } => {
                ApiError::new(StatusCode::CONFLICT, message)
                    .with("expected", expected)
                    .with("actual", actual)
            }
            LedgerError::BadRecorder(_) => ApiError::bad_request(message),
            LedgerError::Unknown(_) => ApiError::not_found(message),
            LedgerError::BatchTooLarge(_) => ApiError::too_large(message),
            LedgerError::Store(s) => s.into(),
            LedgerError::Corrupt { seq, kind, .. } => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
                    .with("seq", seq)
                    .with("damage", kind.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let Inner {
            status,
            message,
            extra,
            token,
            headers,
        } = *self.0;
        let mut body = Map::new();
        body.insert("error".into(), json!(message));
        body.extend(extra);
        let mut response = (status, Json(Value::Object(body))).into_response();
        for (name, value) in headers {
            response.headers_mut().insert(name, value);
        }
        response.extensions_mut().insert(Refusal {
            reason: message,
            token,
        });
        response
    }
}
