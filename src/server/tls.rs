//! HTTPS for `rambok serve --tls-cert FILE --tls-key FILE`: the certificate and key read from PEM
//! into a rustls configuration (with errors that name the file), a listener that hands axum only
//! connections whose TLS handshake has finished, and the `Strict-Transport-Security` header every
//! response over TLS carries.
//!
//! Each handshake runs in its connection's own task (`super::listen`), under a deadline, so a client
//! that opens a socket and says nothing holds up neither the accept loop nor anyone else; it counts
//! against the same connection limits as any other.

use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::Router;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client has to finish the TLS handshake after connecting.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the accept loop rests after an error that is not one connection's (out of file
/// descriptors, say), so it does not spin.
const ACCEPT_PAUSE: Duration = Duration::from_secs(1);
/// The largest certificate or key file read, in bytes (a chain of a few certificates is ~10 KiB).
const PEM_BYTES_MAX: u64 = 1024 * 1024;
/// One year, as the header's `max-age`: browsers then refuse plain HTTP to this host.
pub const HSTS: &str = "max-age=31536000";

/// What is wrong with the certificate or key given to `serve`.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{}: kan inte läsas: {}", file.display(), crate::lang::io_error(source))]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: större än {PEM_BYTES_MAX} byte; är det en PEM-fil?", file.display())]
    TooLarge { file: PathBuf },
    #[error("{}: inte PEM: {detail}", file.display())]
    NotPem { file: PathBuf, detail: String },
    #[error("{}: inget certifikat i den (väntade ett PEM-block '-----BEGIN CERTIFICATE-----')", file.display())]
    NoCertificate { file: PathBuf },
    #[error("{}: ingen privat nyckel i den (väntade ett PEM-block '-----BEGIN PRIVATE KEY-----', eller en privat RSA- eller EC-nyckel)", file.display())]
    NoKey { file: PathBuf },
    #[error("certifikatet i {} och nyckeln i {} kan inte servera HTTPS tillsammans: {detail}", cert.display(), key.display())]
    Unusable {
        cert: PathBuf,
        key: PathBuf,
        detail: String,
    },
}

/// A certificate chain and its key, ready to serve.
#[derive(Clone)]
pub struct Tls(Arc<ServerConfig>);

impl Tls {
    /// Reads the certificate chain (leaf first) from `cert` and the private key from `key`, both
    /// PEM, and checks that they belong together.
    pub fn load(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        let chain = certificates(cert, &read_pem(cert)?)?;
        let private = private_key(key, &read_pem(key)?)?;
        let unusable = |e: rustls::Error| TlsError::Unusable {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            detail: e.to_string(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(unusable)?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(unusable)?;
        // The server speaks HTTP/1.1 only (axum's `http1` feature).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls(Arc::new(config)))
    }
}

fn read_pem(file: &Path) -> Result<Vec<u8>, TlsError> {
    let read = |source| TlsError::Read {
        file: file.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(file).map_err(read)?.len();
    if len > PEM_BYTES_MAX {
        return Err(TlsError::TooLarge {
            file: file.to_path_buf(),
        });
    }
    std::fs::read(file).map_err(read)
}

fn not_pem(file: &Path, e: rustls::pki_types::pem::Error) -> TlsError {
    TlsError::NotPem {
        file: file.to_path_buf(),
        detail: e.to_string(),
    }
}

fn certificates(file: &Path, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(file, e))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            file: file.to_path_buf(),
        });
    }
    Ok(chain)
}

fn private_key(file: &Path, pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoKey {
            file: file.to_path_buf(),
        },
        other => not_pem(file, other),
    })
}

/// `app` with `Strict-Transport-Security` on every response.
pub fn with_hsts(app: Router) -> Router {
    app.layer(axum::middleware::map_response(
        |mut response: Response| async move {
            response.headers_mut().insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
            response
        },
    ))
}

impl Tls {
    /// What accepts connections with this certificate.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.0.clone())
    }
}

/// The TLS handshake with a connected client, under [`HANDSHAKE_TIMEOUT`]; failures are logged.
pub(crate) async fn handshake(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<TlsStream<TcpStream>> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(e)) => {
            eprintln!("rambok serve: TLS-handskakningen med {peer} misslyckades: {e}");
            None
        }
        Err(_) => {
            eprintln!(
                "rambok serve: TLS-handskakningen med {peer} blev inte klar inom {} s; stängd",
                HANDSHAKE_TIMEOUT.as_secs()
            );
            None
        }
    }
}

/// An error from `accept` that concerns one connection (it went away before we took it) is
/// nothing to wait for; anything else (out of file descriptors) gets a pause before the next try.
pub(crate) async fn pause_after(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if !matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        eprintln!(
            "rambok serve: kan inte ta emot en anslutning: {}",
            crate::lang::io_error(&e)
        );
        tokio::time::sleep(ACCEPT_PAUSE).await;
    }
}
