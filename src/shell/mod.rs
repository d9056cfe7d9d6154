//! The interactive shell (`vellum shell`): a psql-like REPL with line editing, history,
//! multi-line statements, tab completion, aligned result tables and meta-commands. It runs on an
//! embedded database (`Session`) or on a server reached over the PostgreSQL protocol, both behind
//! the `Backend` trait; it knows nothing of storage or plans.

/// What the shell needs from a database, and the text-only results it gets back.
pub mod backend;
/// `vellum keygen` and `vellum sign`: an external block signer.
pub mod block_signer;
/// Tab completion of keywords, relations and columns.
mod completion;
/// `vellum digest`: saving signed digests of every blockchain table.
pub mod digests;
/// The backend on a `Session` in this process.
mod embedded;
/// Backslash meta-commands and the listings they print.
mod meta;
/// The backend on a server reached over the PostgreSQL protocol.
mod remote;
/// The read–eval–print loop.
mod repl;
/// Splitting input into statements.
pub mod splitter;
/// psql's aligned table format.
pub mod table;

pub use backend::Backend;
pub use embedded::Embedded;
pub use remote::Remote;
pub use repl::{run, Options};
