//! Executor tests: hand-built plans run against a real store.
