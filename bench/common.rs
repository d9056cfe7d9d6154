//! What the criterion benches share: running SQL that must succeed, and the ~100-byte
//! invoice-like rows the blockchain benches load.

#![allow(dead_code)]

use vellum::Session;

/// Runs `sql`, panicking with it on error (a bench whose setup fails measures nothing).
pub fn exec(s: &mut Session, sql: &str) {
    if let Err(e) = s.execute(sql) {
        panic!("{sql}: {e}");
    }
}

/// `n` rows `(id, account, note)` of about 100 bytes each, ids from `start`, as a VALUES list.
pub fn invoices(start: i64, n: i64) -> String {
    (start..start + n)
        .map(|i| {
            format!(
                "({i}, {}, 'customer {:08} paid invoice {:010} for services rendered')",
                i % 1000,
                i,
                i * 7
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}
