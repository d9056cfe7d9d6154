//! `vellum serve`: the PostgreSQL wire protocol (v3) in front of `Session`.
//!
//! pgwire enters Vellum only here, and only as the codec of backend messages; reading client
//! messages, the connection state machine, COPY and cancellation are Vellum's, so they follow the
//! engine's rules and a hostile client can only end its own connection. This module never parses
//! SQL semantics or touches storage: statements go to `Session`, values come back as
//! `types::Value` and are encoded here (text via `types::text`, binary in `binary.rs`).
//!
//! Usage: `server::run(db, listener, shutdown)` serves until `shutdown` completes, then rolls back
//! open transactions and syncs the database; `run_with` takes a `ServerConfig` (authentication
//! method, TLS, limits). Check a configuration first with `check_listen_address` (trust only on
//! loopback) and `check_config` (password authentication needs a role with a password).
//!
//! Startup follows PostgreSQL: SSLRequest/GSSENCRequest ('S' and a TLS handshake when a
//! certificate is configured, else 'N'), the startup packet, then authentication (`auth.rs`:
//! trust, or SCRAM-SHA-256 over SASL), then the session starts.

/// Who may connect: trust or the SCRAM-SHA-256 exchange.
mod auth;
/// Binary wire format of values.
mod binary;
/// One client connection: startup and the simple query protocol.
mod connection;
/// COPY text and CSV data formats.
mod copy;
/// The COPY sub-protocol flows.
mod copy_flow;
/// Parse/Bind/Describe/Execute/Close/Sync.
mod extended;
/// Client message framing and decoding.
mod frontend;
/// Accept loop, cancel registry, connection cap, shutdown.
mod listener;
/// SSL/GSS negotiation, cancel requests and the startup packet.
mod negotiation;
/// The server's certificate and the TLS upgrade.
mod tls;
/// Backend message encoding.
mod wire;

pub use connection::DATABASE_NAME;
pub use listener::{check_config, check_listen_address, run, run_with, AuthMethod, ServerConfig};
pub use tls::Tls;
