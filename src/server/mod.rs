//! `vellum serve`: the PostgreSQL wire protocol (v3) in front of `Session`.
//!
//! pgwire enters Vellum only here, and only as the codec of backend messages; reading client
//! messages, the connection state machine, COPY and cancellation are Vellum's, so they follow the
//! engine's rules and a hostile client can only end its own connection. This module never parses
//! SQL semantics or touches storage: statements go to `Session`, values come back as
//! `types::Value` and are encoded here (text via `types::text`, binary in `binary.rs`).
//!
//! Usage: `server::run(db, listener, shutdown)` serves until `shutdown` completes, then rolls back
//! open transactions and syncs the database. Authentication is `AuthMethod::Trust` for now, which
//! `check_listen_address` confines to loopback; password methods extend `AuthMethod` and the
//! startup exchange in `connection.rs`.

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
/// Backend message encoding.
mod wire;

pub use connection::DATABASE_NAME;
pub use listener::{check_listen_address, run, run_with, AuthMethod, ServerConfig};
