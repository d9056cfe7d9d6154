//! The first packets of a connection: SSLRequest and GSSENCRequest (answered 'S' with a TLS
//! handshake when a certificate is configured, else 'N'), cancel requests, and the startup
//! packet, after which `connection.rs` takes over with authentication.
//!
//! Everything here reads straight off the socket, unbuffered: bytes a client sends after its
//! SSLRequest must go to the TLS handshake, never be read as plain-text protocol (PostgreSQL's
//! CVE-2021-23214). A second SSL or GSS request is a protocol violation.

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::{sqlstate, Error};

use super::frontend::{self, Initial, ReadError};
use super::listener::Shared;
use super::wire::{Out, Severity};

/// A socket after SSL negotiation.
pub(super) enum Transport {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

/// A startup packet: protocol version and parameters.
pub(super) type Startup = (u32, Vec<(String, String)>);

/// Reads packets until the startup packet; `None` when the connection ends before it (a cancel
/// request, a failed handshake, a broken packet: the client was told why where it can be).
pub(super) async fn negotiate(mut tcp: TcpStream, shared: &Shared) -> Option<(Transport, Startup)> {
    let (mut ssl_done, mut gss_done) = (false, false);
    loop {
        match read_initial(&mut tcp).await? {
            Initial::Ssl if !ssl_done => {
                ssl_done = true;
                let Some(tls) = &shared.config.tls else {
                    // 'N' tells the client to go on in plain text (or give up, per its sslmode).
                    tcp.write_all(b"N").await.ok()?;
                    continue;
                };
                tcp.write_all(b"S").await.ok()?;
                let mut stream = match tls.accept(tcp).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::info!("TLS handshake failed: {e}");
                        return None;
                    }
                };
                return match read_initial(&mut stream).await? {
                    Initial::Startup { version, params } => Some((Transport::Tls(Box::new(stream)), (version, params))),
                    Initial::Cancel { pid, secret } => {
                        shared.cancel(pid, secret);
                        None
                    }
                    Initial::Ssl | Initial::Gss => {
                        fatal_to(&mut stream, &repeated_negotiation()).await;
                        None
                    }
                };
            }
            Initial::Gss if !gss_done => {
                // No GSSAPI encryption: 'N', and the client may still ask for SSL.
                gss_done = true;
                tcp.write_all(b"N").await.ok()?;
            }
            Initial::Startup { version, params } => return Some((Transport::Plain(tcp), (version, params))),
            Initial::Cancel { pid, secret } => {
                shared.cancel(pid, secret);
                return None;
            }
            Initial::Ssl | Initial::Gss => {
                fatal_to(&mut tcp, &repeated_negotiation()).await;
                return None;
            }
        }
    }
}

/// A second SSL or GSS request: PostgreSQL reads it as a startup packet of an unknown version.
fn repeated_negotiation() -> Error {
    Error::sql(sqlstate::PROTOCOL_VIOLATION, "SSL or GSS negotiation requested twice")
}

/// An initial packet; a broken one is answered with FATAL 08P01 and ends the connection.
async fn read_initial<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> Option<Initial> {
    match frontend::read_initial(stream).await {
        Ok(initial) => Some(initial),
        Err(ReadError::Closed) => None,
        Err(ReadError::Io(e)) => {
            tracing::debug!("connection read failed: {e}");
            None
        }
        Err(ReadError::Protocol(msg)) => {
            tracing::info!("closing connection after protocol violation: {msg}");
            fatal_to(stream, &Error::sql(sqlstate::PROTOCOL_VIOLATION, msg)).await;
            None
        }
    }
}

/// Sends a FATAL error on a socket that has no `Connection` yet, and closes it.
async fn fatal_to<S: AsyncWrite + Unpin>(stream: &mut S, e: &Error) {
    let mut out = Out::default();
    out.error(e, Severity::Fatal);
    let _ = stream.write_all(&out.take()).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}
