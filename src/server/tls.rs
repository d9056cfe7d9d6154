//! TLS for `vellum serve`: the certificate and key the server presents, and the upgrade of a
//! connection after the client's SSLRequest.
//!
//! rustls (through tokio-rustls, with the `ring` provider) enters Vellum only here. The server
//! offers the ALPN protocol `postgresql` (PostgreSQL 17's direct-SSL clients send it); a client
//! that sends no ALPN is accepted as libpq up to version 16 does, and one that asks only for other
//! protocols is refused by the handshake. Client certificates are not requested.
//!
//! Usage: `Tls::from_pem_files(cert, key)` at start (it refuses unreadable files, a missing key
//! or a key that does not belong to the certificate), then put it in `ServerConfig::tls`.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// ALPN protocol name PostgreSQL registered for its protocol.
pub const ALPN_POSTGRESQL: &[u8] = b"postgresql";

/// The server's TLS identity and settings; cheap to clone.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key must never reach a log line.
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

impl Tls {
    /// Loads a PEM certificate chain (leaf first) and its PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Tls, String> {
        let cert_pem = std::fs::read(cert)
            .map_err(|e| format!("could not load server certificate file \"{}\": {e}", cert.display()))?;
        let key_pem =
            std::fs::read(key).map_err(|e| format!("could not load private key file \"{}\": {e}", key.display()))?;
        Tls::from_pem(&cert_pem, &key_pem).map_err(|e| {
            format!(
                "cannot use TLS certificate \"{}\" with key \"{}\": {e}",
                cert.display(),
                key.display()
            )
        })
    }

    /// As `from_pem_files`, from the files' contents.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Tls, String> {
        let certs = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the certificate file is not valid PEM: {e}"))?;
        if certs.is_empty() {
            return Err("the certificate file holds no certificate (expected \"-----BEGIN CERTIFICATE-----\")".into());
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "the key file holds no private key (expected \"-----BEGIN PRIVATE KEY-----\" or an RSA/EC key)"
                    .to_string()
            }
            e => format!("the key file is not valid PEM: {e}"),
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?
            .with_no_client_auth()
            // rustls checks here that the key is the certificate's (InconsistentKeys otherwise).
            .with_single_cert(certs, key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(_) => "the private key does not match the certificate".to_string(),
                e => format!("the certificate or key cannot be used: {e}"),
            })?;
        config.alpn_protocols = vec![ALPN_POSTGRESQL.to_vec()];
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// Runs the server side of the handshake on a socket whose SSLRequest was answered 'S'.
    pub(super) async fn accept(&self, stream: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        self.acceptor.accept(stream).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed() -> (String, String) {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        (cert.cert.pem(), cert.signing_key.serialize_pem())
    }

    #[test]
    fn matching_certificate_and_key_load() {
        let (cert, key) = self_signed();
        assert!(Tls::from_pem(cert.as_bytes(), key.as_bytes()).is_ok());
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let (cert, _) = self_signed();
        let (_, other_key) = self_signed();
        let err = Tls::from_pem(cert.as_bytes(), other_key.as_bytes()).unwrap_err();
        assert!(err.contains("does not match"), "{err}");
    }

    #[test]
    fn missing_or_garbage_pem_is_refused() {
        let (cert, key) = self_signed();
        assert!(Tls::from_pem(b"", key.as_bytes())
            .unwrap_err()
            .contains("no certificate"));
        assert!(Tls::from_pem(cert.as_bytes(), b"not a key")
            .unwrap_err()
            .contains("no private key"));
        // The certificate given where the key belongs.
        assert!(Tls::from_pem(cert.as_bytes(), cert.as_bytes()).is_err());
        let err =
            Tls::from_pem_files(Path::new("/nonexistent/cert.pem"), Path::new("/nonexistent/key.pem")).unwrap_err();
        assert!(err.contains("could not load server certificate file"), "{err}");
    }
}
