//! Unit tests of the system relations.
