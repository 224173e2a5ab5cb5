//! HTTPS for the receiver: PEM loading (rustls with the ring provider) and an axum listener that
//! runs TLS handshakes in their own tasks, so a slow client never holds up the accept loop.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;

/// A certificate chain and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain (leaf first).
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// What went wrong loading the certificate or key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsErrorKind {
    /// The certificate file could not be read or parsed.
    Certificate,
    /// The certificate file holds no certificate.
    NoCertificate,
    /// The key file could not be read or holds no key.
    PrivateKey,
    /// rustls refused the pair (key does not match, unsupported algorithm).
    Config,
}

/// A TLS setup error: the kind, the file, and the underlying cause.
#[derive(Debug, thiserror::Error)]
#[error("{what} {path}", what = match kind {
    TlsErrorKind::Certificate => "cannot read the TLS certificate",
    TlsErrorKind::NoCertificate => "no certificate found in",
    TlsErrorKind::PrivateKey => "cannot read the TLS private key",
    TlsErrorKind::Config => "the TLS certificate and key do not form a usable pair:",
}, path = path.display())]
pub struct TlsError {
    /// What failed.
    pub kind: TlsErrorKind,
    /// The file involved.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl TlsError {
    fn new(
        kind: TlsErrorKind,
        path: &Path,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> TlsError {
        TlsError {
            kind,
            path: path.to_owned(),
            source: source.into(),
        }
    }
}

/// Build a rustls server configuration (ring provider, HTTP/1.1) from PEM files.
pub fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| TlsError::new(TlsErrorKind::Certificate, &files.cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::new(TlsErrorKind::Certificate, &files.cert, e))?;
    if certs.is_empty() {
        return Err(TlsError::new(
            TlsErrorKind::NoCertificate,
            &files.cert,
            "expected a `-----BEGIN CERTIFICATE-----` block",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| TlsError::new(TlsErrorKind::PrivateKey, &files.key, e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::new(TlsErrorKind::Config, &files.cert, e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::new(TlsErrorKind::Config, &files.key, e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// How long a client gets to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

type Handshake = (io::Result<TlsStream<TcpStream>>, SocketAddr);

/// An axum listener that yields finished TLS streams.
pub(crate) struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Handshake>,
}

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> TlsListener {
        TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(config),
            handshakes: JoinSet::new(),
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                accepted = self.tcp.accept() => match accepted {
                    Ok((stream, addr)) => {
                        let _ = stream.set_nodelay(true);
                        let acceptor = self.acceptor.clone();
                        self.handshakes.spawn(async move {
                            let result = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                                .await
                                .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out")));
                            (result, addr)
                        });
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "webhook: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => match done {
                    Ok((Ok(stream), addr)) => return (stream, addr),
                    Ok((Err(e), addr)) => tracing::info!(%addr, error = %e, "webhook: TLS handshake failed"),
                    Err(e) => tracing::warn!(error = %e, "webhook: TLS handshake task failed"),
                },
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = TlsFiles {
            cert: dir.path().join("nope.pem"),
            key: dir.path().join("nope.key"),
        };
        let err = server_config(&missing).unwrap_err();
        assert_eq!(err.kind, TlsErrorKind::Certificate);
        assert!(err.to_string().contains("nope.pem"), "{err}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "hello\n").unwrap();
        let err = server_config(&TlsFiles {
            cert: empty.clone(),
            key: empty,
        })
        .unwrap_err();
        assert_eq!(err.kind, TlsErrorKind::NoCertificate);
    }
}
