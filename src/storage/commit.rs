//! Group commit (see mod.rs).
