//! The web page: four files from `web/`, compiled into the binary, so there is no build step and
//! nothing is read from disk at run time (no path a request could lead astray).

use super::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const INDEX: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const FORMS_JS: &str = include_str!("../../web/forms.js");
const ACCOUNTS_JS: &str = include_str!("../../web/accounts.js");
const STYLE: &str = include_str!("../../web/style.css");

fn page(kind: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, kind)], body)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|| async { page("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/app.js",
            get(|| async { page("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/forms.js",
            get(|| async { page("text/javascript; charset=utf-8", FORMS_JS) }),
        )
        .route(
            "/accounts.js",
            get(|| async { page("text/javascript; charset=utf-8", ACCOUNTS_JS) }),
        )
        .route(
            "/style.css",
            get(|| async { page("text/css; charset=utf-8", STYLE) }),
        )
}
