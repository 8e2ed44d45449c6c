//! `rambok serve`: one process owns the store (sled lets only one open it) and serves everyone
//! else over HTTP, or HTTPS with a certificate (`tls.rs`): a JSON API under `/api/` for every
//! report and for appending events, and the web page at `/`. See `docs/api.md`.
//!
//! Reads never wait for a writer and hold no copy of the log: every report is answered from the
//! persisted index by the query layer (`crate::query`), up to the head the index covered when the
//! request began. Writes go through [`Ledger::append`] in a blocking task, so concurrent writers
//! share one durable commit.

pub mod access;
pub mod accounts;
pub mod auth;
pub mod error;
mod events;
mod forms;
pub mod listen;
pub mod oidc;
mod params;
mod reports;
pub mod session;
mod sheet;
pub mod throttle;
pub mod tls;
pub mod tokens;
pub mod users;
mod web;

use crate::control::delegation::Delegation;
use crate::ledger::LedgerError;
use crate::store::record::Recorded;
use crate::store::{Engine, Store};
use auth::TokenStore;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, patch};
use axum::Router;
use error::{ApiError, Refusal};
use session::{SessionLimits, Sessions};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use throttle::{Throttle, ThrottleLimits};
use tls::Tls;
use users::UserStore;

pub use listen::Limits;

/// The largest request body, in bytes.
pub const REQUEST_BODY_BYTES_MAX: usize = 8 * 1024 * 1024;
/// The most events one `POST /api/events` may carry.
pub const EVENTS_PER_REQUEST_MAX: usize = 10_000;
/// How often a whole-log check runs again when the log moved while it ran (see [`steady`]).
const CHECK_ATTEMPTS: usize = 20;
/// Refusal log lines kept in memory (the full log goes to stderr).
const REFUSALS_KEPT: usize = 1000;

/// A served ledger, on either engine.
pub type Ledger = crate::ledger::Ledger<Engine>;

struct Shared {
    ledger: Ledger,
    tokens: TokenStore,
    users: UserStore,
    sessions: Sessions,
    throttle: Throttle,
    throttle_limits: Mutex<ThrottleLimits>,
    /// Turns to check a password (Argon2id takes ~19 MiB each).
    hashing: tokio::sync::Semaphore,
    /// An order given at start (`serve --delegation FILE`), tried instead of the ledger's own.
    delegation: Option<(Delegation, String)>,
    /// What the exported files call the ledger (its folder's name).
    name: String,
    refusals: Mutex<VecDeque<String>>,
    /// Single sign-on, when configured (`serve --oidc FILE`).
    oidc: std::sync::OnceLock<Arc<oidc::Oidc>>,
}

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// Serves `ledger`, with `delegation` (an order and a name for it) for the controls instead
    /// of the ledger's own orders; files it writes call the ledger `rambok`.
    pub fn new(
        ledger: impl Into<Ledger>,
        delegation: Option<(Delegation, String)>,
    ) -> Result<AppState, LedgerError> {
        AppState::named(ledger, delegation, "rambok")
    }

    /// Like [`AppState::new`], with the name the exported files give the ledger (its folder's).
    /// The API tokens and accounts are the ledger's own: beside it in its folder, or in its
    /// database ([`TokenStore::of`]).
    pub fn named(
        ledger: impl Into<Ledger>,
        delegation: Option<(Delegation, String)>,
        name: &str,
    ) -> Result<AppState, LedgerError> {
        let ledger = ledger.into();
        let tokens = TokenStore::of(ledger.store())?;
        AppState::with_tokens(ledger, tokens, delegation, name)
    }

    /// Serves `ledger` with the API tokens of `tokens`.
    pub fn with_tokens(
        ledger: impl Into<Ledger>,
        tokens: TokenStore,
        delegation: Option<(Delegation, String)>,
        name: &str,
    ) -> Result<AppState, LedgerError> {
        let users = tokens.users();
        Ok(AppState(Arc::new(Shared {
            ledger: ledger.into(),
            tokens,
            users,
            sessions: Sessions::new(SessionLimits::default()),
            throttle: Throttle::new(ThrottleLimits::default()),
            throttle_limits: Mutex::new(ThrottleLimits::default()),
            hashing: tokio::sync::Semaphore::new(accounts::HASHINGS_MAX),
            delegation,
            name: name.to_string(),
            refusals: Mutex::new(VecDeque::new()),
            oidc: std::sync::OnceLock::new(),
        })))
    }

    pub fn ledger(&self) -> &Ledger {
        &self.0.ledger
    }

    pub fn tokens(&self) -> &TokenStore {
        &self.0.tokens
    }

    pub fn users(&self) -> &UserStore {
        &self.0.users
    }

    pub fn sessions(&self) -> &Sessions {
        &self.0.sessions
    }

    pub fn throttle(&self) -> &Throttle {
        &self.0.throttle
    }

    pub fn throttle_limits(&self) -> ThrottleLimits {
        *lock(&self.0.throttle_limits)
    }

    /// Sets how long sessions live and how sign-ins are throttled (the defaults otherwise:
    /// 30 minutes idle, 12 hours in all, 5 failures in 15 minutes lock for 15 minutes).
    pub fn set_account_limits(&self, sessions: SessionLimits, throttle: ThrottleLimits) {
        self.0.sessions.set_limits(sessions);
        self.0.throttle.set_limits(throttle);
        *lock(&self.0.throttle_limits) = throttle;
    }

    pub(crate) fn hashing(&self) -> &tokio::sync::Semaphore {
        &self.0.hashing
    }

    /// The order given at start, if any; `None`: the ledger's own.
    pub fn delegation(&self) -> Option<&(Delegation, String)> {
        self.0.delegation.as_ref()
    }

    /// The ledger's name in exported files.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Turns on single sign-on with `config` (once; false when it was already on).
    pub fn set_oidc(&self, config: oidc::OidcConfig) -> bool {
        self.0.oidc.set(Arc::new(oidc::Oidc::new(config))).is_ok()
    }

    /// The single sign-on, when configured.
    pub fn oidc(&self) -> Option<&Arc<oidc::Oidc>> {
        self.0.oidc.get()
    }

    /// The most recent refusal log lines, oldest first.
    pub fn refusals(&self) -> Vec<String> {
        lock(&self.0.refusals).iter().cloned().collect()
    }

    fn note_refusal(&self, line: String) {
        eprintln!("{line}");
        let mut kept = lock(&self.0.refusals);
        if kept.len() == REFUSALS_KEPT {
            kept.pop_front();
        }
        kept.push_back(line);
    }

    /// Every record, read from the log: for the whole-ledger documents (control, export) only;
    /// every report reads the index through `crate::query`. Blocking.
    pub fn all_records(&self) -> Result<Vec<Recorded>, LedgerError> {
        self.ledger().records()
    }
}

/// Runs a whole-log check again when it found damage while the log moved under it. Checks that
/// compare what they read first with what they read last (the stored frame index against the log,
/// in `Ledger::check_index`) can see an append land in between; real damage stays when the head
/// stands still.
pub fn steady<T>(
    ledger: &Ledger,
    mut check: impl FnMut() -> Result<T, LedgerError>,
) -> Result<T, LedgerError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let before = ledger.store().head()?;
        match check() {
            Err(LedgerError::Corrupt { .. })
                if attempt < CHECK_ATTEMPTS && ledger.store().head()? != before => {}
            other => return other,
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs blocking ledger work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::from_join)?
}

/// The whole application: the API under `/api/`, the page at `/`.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(reports::health))
        .route("/info", get(reports::info))
        .route("/frames", get(reports::frames))
        .route("/bridge", get(reports::bridge))
        .route("/bridge.svg", get(reports::bridge_svg))
        .route("/budget", get(reports::budget))
        .route("/outcome", get(reports::outcome))
        .route("/investments", get(reports::investments))
        .route("/goals", get(reports::goals))
        .route("/indicators", get(reports::indicators))
        .route("/history", get(reports::history))
        .route("/diff", get(reports::diff))
        .route("/control", get(reports::control))
        .route("/verify", get(reports::verify).post(forms::verify_digest))
        .route("/digest", get(forms::digest))
        .route("/forms", get(forms::forms))
        .route("/preview", axum::routing::post(forms::preview))
        .route("/pending", get(forms::pending))
        .route("/import.xlsx", axum::routing::post(sheet::import))
        .route("/export.xlsx", get(reports::export))
        .route("/events", get(events::log).post(events::append))
        .route("/access", get(access::log))
        .route(
            "/session",
            get(accounts::current)
                .post(accounts::sign_in)
                .delete(accounts::sign_out),
        )
        .route("/oidc", get(oidc::status))
        .route("/oidc/start", get(oidc::start))
        .route("/oidc/callback", get(oidc::callback))
        .route("/users", get(accounts::users).post(accounts::add_user))
        .route(
            "/users/{name}",
            patch(accounts::change_user).delete(accounts::disable_user),
        )
        .route("/tokens", get(accounts::tokens).post(accounts::add_token))
        .route(
            "/tokens/{name}",
            axum::routing::delete(accounts::revoke_token),
        );
    Router::new()
        .nest("/api", api)
        .merge(web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("sidan eller adressen finns inte (API:t beskrivs i docs/api.md)")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "den metoden är inte tillåten här",
    )
}

/// Where the token check leaves the holder's name, so a refusal after it names them in the log.
#[derive(Clone, Default)]
pub(crate) struct WhoSlot(Arc<Mutex<Option<String>>>);

impl WhoSlot {
    pub(crate) fn set(&self, name: &str) {
        *lock(&self.0) = Some(name.to_string());
    }
}

/// Logs every refused request (any 4xx) and sets the headers every response carries.
async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let who = WhoSlot::default();
    request.extensions_mut().insert(who.clone());
    let mut response = next.run(request).await;
    let status = response.status();
    if status.is_client_error() {
        let refusal = response.extensions().get::<Refusal>().cloned();
        let (reason, token) =
            refusal.map_or(("vägrades".to_string(), None), |r| (r.reason, r.token));
        let token = token.or_else(|| lock(&who.0).clone());
        state.note_refusal(format!(
            "rambok serve: vägrade {method} {path:?}: {} {reason} (token: {})",
            status.as_u16(),
            token.as_deref().unwrap_or("ingen"),
        ));
    }
    let h = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if path.starts_with("/api/") || method != Method::GET {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A server running on its own threads; dropping it stops it.
pub struct Running {
    pub addr: SocketAddr,
    scheme: &'static str,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// `http://ADDR` (or `https://ADDR`), without a trailing slash.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.shut()
    }

    fn shut(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(std::io::Error::other("servertråden kraschade")),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shut();
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("rambok-serve")
        .build()
}

/// The URL scheme a server with (or without) TLS answers on.
pub fn scheme(tls: Option<&Tls>) -> &'static str {
    if tls.is_some() {
        "https"
    } else {
        "http"
    }
}

/// Serves `state` on `listener` until `shutdown` completes: plain HTTP, or HTTPS when `tls` is
/// given (then every response also carries `Strict-Transport-Security`), within `limits` fitted to
/// the process's open-file limit (`listen`).
async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    tls: Option<Tls>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let fitted = limits.fitted(listen::open_files());
    if fitted.connections_max < limits.connections_max {
        eprintln!(
            "rambok serve: högst {} anslutningar åt gången och {} per adress (gränsen för öppna filer tillåter inte fler)",
            fitted.connections_max, fitted.per_address_max
        );
    }
    match tls {
        None => listen::serve(listener, app(state), None, fitted, shutdown).await,
        Some(tls) => {
            let acceptor = tls.acceptor();
            listen::serve(
                listener,
                tls::with_hsts(app(state)),
                Some(acceptor),
                fitted,
                shutdown,
            )
            .await
        }
    }
}

/// Binds `addr` (port 0 picks a free one) and serves `state` over plain HTTP on threads of its own.
pub fn spawn(state: AppState, addr: SocketAddr) -> std::io::Result<Running> {
    spawn_limited(state, addr, None, Limits::default())
}

/// Binds `addr` (port 0 picks a free one) and serves `state` on threads of its own, over HTTPS
/// when `tls` is given.
pub fn spawn_with(state: AppState, addr: SocketAddr, tls: Option<Tls>) -> std::io::Result<Running> {
    spawn_limited(state, addr, tls, Limits::default())
}

/// Like [`spawn_with`], within `limits`.
pub fn spawn_limited(
    state: AppState,
    addr: SocketAddr,
    tls: Option<Tls>,
    limits: Limits,
) -> std::io::Result<Running> {
    let rt = runtime()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind(addr))?;
    let addr = listener.local_addr()?;
    let scheme = scheme(tls.as_ref());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("rambok-serve".into())
        .spawn(move || {
            rt.block_on(serve(listener, state, tls, limits, async move {
                let _ = rx.await;
            }))
        })?;
    Ok(Running {
        addr,
        scheme,
        stop: Some(tx),
        thread: Some(thread),
    })
}

/// Binds `addr`, calls `ready` with the address bound, and serves (over HTTPS when `tls` is
/// given, within `limits`) until Ctrl-C or SIGTERM.
pub fn run(
    state: AppState,
    addr: SocketAddr,
    tls: Option<Tls>,
    limits: Limits,
    ready: impl FnOnce(SocketAddr) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let rt = runtime()?;
    // The state is dropped last, outside the runtime: a PostgreSQL connection's drop blocks on a
    // runtime of its own, which panics (and, in a destructor, aborts) inside another.
    let kept = state.clone();
    let served = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        ready(listener.local_addr()?)?;
        serve(listener, state, tls, limits, stop_signal()).await
    });
    drop(rt);
    drop(kept);
    served
}

async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
