//! The server's connection loop, so that idle or slow clients cannot starve others:
//!
//! - **a cap on connections at once** ([`Limits::connections_max`]), lowered at start to fit the
//!   process's limit on open files (`RLIMIT_NOFILE`, read from `/proc/self/limits`) less the files
//!   already open and [`FILES_RESERVED`] for the store and the server's own work; past it, new
//!   connections wait in the kernel's backlog until one closes;
//! - **a cap per client address** ([`Limits::per_address_max`]; an IPv6 address counts by its /64),
//!   never more than half the cap on connections, so one address cannot take every place; a
//!   connection past it is answered `503` (plain HTTP) or closed (HTTPS) at once;
//! - **a header-read timeout** ([`Limits::header_timeout`]): a connection must send a complete
//!   request head within it of opening, and again within it of its previous response, or it is
//!   closed; so an idle keep-alive connection lasts that long (hyper's `header_read_timeout`, which
//!   `axum::serve` leaves unset);
//! - **a request timeout** ([`Limits::request_timeout`]): a request not answered within it (a body
//!   sent too slowly, or work taking too long) gets `503` and its connection is closed;
//! - the TLS handshake in the connection's own task, under its deadline (`super::tls`).
//!
//! On shutdown the loop stops accepting, idle connections close, and requests in flight finish.

use super::accounts::OverTls;
use super::error::ApiError;
use super::throttle::Key;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower_service::Service;

/// Open files kept free for the store (sled's files), the listener, the runtime and the work of
/// requests (reading the random source, writing a workbook's temporary file).
pub const FILES_RESERVED: u64 = 32;

/// How many connections, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub connections_max: usize,
    pub per_address_max: usize,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections_max: 1024,
            per_address_max: 64,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(300),
        }
    }
}

/// The process's soft limit on open files, and how many it has open now (Linux's `/proc`).
pub fn open_files() -> Option<(u64, u64)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))?
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let open = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    Some((soft, open))
}

impl Limits {
    /// These limits made to fit `files` (the soft limit on open files and how many are open): the
    /// cap on connections at most what the limit leaves free, and the cap per address at most half
    /// of that (each at least 1).
    pub fn fitted(self, files: Option<(u64, u64)>) -> Limits {
        let free = files.map_or(u64::MAX, |(soft, open)| {
            soft.saturating_sub(open).saturating_sub(FILES_RESERVED)
        });
        let connections_max = (self.connections_max as u64).min(free).max(1) as usize;
        let per_address_max = self.per_address_max.min(connections_max / 2).max(1);
        Limits {
            connections_max,
            per_address_max,
            ..self
        }
    }
}

/// Connections open per client address.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<Key, usize>>);

/// One connection's place under its address; given back on drop.
struct Place {
    table: Arc<PerAddress>,
    key: Key,
}

impl PerAddress {
    fn claim(table: &Arc<PerAddress>, key: Key, max: usize) -> Option<Place> {
        let mut open = super::lock(&table.0);
        let n = open.entry(key.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Place {
            table: table.clone(),
            key,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = super::lock(&self.table.0);
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// The router for one connection: each request gets the client's address and, over TLS, the
/// [`OverTls`] mark, and must be answered within the request timeout.
#[derive(Clone)]
struct PerConnection {
    app: Router,
    peer: SocketAddr,
    tls: bool,
    request_timeout: Duration,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl tower_service::Service<Request<Incoming>> for PerConnection {
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<Request<Incoming>>::poll_ready(&mut self.app, cx)
    }

    fn call(&mut self, mut req: Request<Incoming>) -> Answer {
        req.extensions_mut().insert(ConnectInfo(self.peer));
        if self.tls {
            req.extensions_mut().insert(OverTls);
        }
        let answer = self.app.call(req);
        let limit = self.request_timeout;
        Box::pin(async move {
            match tokio::time::timeout(limit, answer).await {
                Ok(r) => r,
                Err(_) => {
                    let mut r = ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!(
                            "anropet blev inte klart inom {} s och avbröts",
                            limit.as_secs()
                        ),
                    )
                    .into_response();
                    r.headers_mut().insert(
                        axum::http::header::CONNECTION,
                        axum::http::HeaderValue::from_static("close"),
                    );
                    Ok(r)
                }
            }
        })
    }
}

/// Writes a refusal on stderr at most once a second, with how many there were since the last.
struct Refusals {
    last_second: AtomicU64,
    since: AtomicU64,
}

impl Refusals {
    fn note(&self, peer: SocketAddr, max: usize) {
        let n = self.since.fetch_add(1, Ordering::Relaxed) + 1;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if self.last_second.swap(now, Ordering::Relaxed) != now {
            self.since.store(0, Ordering::Relaxed);
            eprintln!(
                "rambok serve: vägrade en anslutning från {}: den har redan {max} öppna ({})",
                peer.ip(),
                crate::lang::counted(n, "vägrad", "vägrade")
            );
        }
    }
}

const BUSY: &[u8] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 10\r\nConnection: close\r\nContent-Length: 61\r\n\r\n{\"error\":\"för många öppna anslutningar från din adress\"}\n"
    .as_bytes();

/// Serves `app` on `listener` (over TLS when `tls` is given) within `limits`, until `shutdown`
/// completes; then waits for the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let places = Arc::new(Semaphore::new(limits.connections_max));
    let per_address = Arc::new(PerAddress::default());
    let refusals = Refusals {
        last_second: AtomicU64::new(0),
        since: AtomicU64::new(0),
    };
    let (close, closing) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let place = tokio::select! {
            p = places.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    super::tls::pause_after(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        let Some(own) = PerAddress::claim(
            &per_address,
            Key::address(Some(peer.ip())),
            limits.per_address_max,
        ) else {
            refusals.note(peer, limits.per_address_max);
            if tls.is_none() {
                let _ = stream.try_write(BUSY);
            }
            continue;
        };
        let conn = Connection {
            app: app.clone(),
            tls: tls.clone(),
            limits,
            closing: closing.clone(),
            _places: (place, own),
        };
        connections.spawn(conn.run(stream, peer));
    }
    let _ = close.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

struct Connection {
    app: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    closing: watch::Receiver<bool>,
    /// Held while the connection is open.
    _places: (OwnedSemaphorePermit, Place),
}

impl Connection {
    async fn run(mut self, stream: TcpStream, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let Some(acceptor) = self.tls.clone() else {
            return self.http(TokioIo::new(stream), peer, false).await;
        };
        let shaken = tokio::select! {
            s = super::tls::handshake(acceptor, stream, peer) => s,
            _ = self.closing.changed() => return,
        };
        if let Some(s) = shaken {
            self.http(TokioIo::new(s), peer, true).await;
        }
    }

    async fn http<I>(mut self, io: I, peer: SocketAddr, tls: bool)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let service = TowerToHyperService::new(PerConnection {
            app: self.app.clone(),
            peer,
            tls,
            request_timeout: self.limits.request_timeout,
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout)
            .keep_alive(true);
        let conn = builder.serve_connection(io, service);
        tokio::pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = self.closing.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_fit_the_open_files() {
        let l = Limits::default();
        assert_eq!(l.fitted(None), l);
        let small = l.fitted(Some((128, 20)));
        assert_eq!(small.connections_max, 128 - 20 - 32);
        assert_eq!(small.per_address_max, 38);
        let roomy = l.fitted(Some((1 << 20, 20)));
        assert_eq!((roomy.connections_max, roomy.per_address_max), (1024, 64));
        let starved = l.fitted(Some((40, 30)));
        assert_eq!((starved.connections_max, starved.per_address_max), (1, 1));
    }

    #[test]
    fn a_busy_answer_says_its_length() {
        let text = std::str::from_utf8(BUSY).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(text.contains(&format!("Content-Length: {}\r\n", body.len())));
        assert!(serde_json::from_str::<serde_json::Value>(body).is_ok());
    }
}
