//! See exec/mod.rs.
