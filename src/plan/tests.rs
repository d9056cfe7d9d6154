//! Binder and optimizer tests against a hand-built catalog.
