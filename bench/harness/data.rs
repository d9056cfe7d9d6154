//! The benchmark's rows and schemas, identical on both engines: ~100-byte ledger entries
//! `(id, account, amount, currency, ts, meta)` derived from their id, so any run can regenerate them.

use bytes::Bytes;

/// Rows per COPY data message.
const COPY_CHUNK_ROWS: i64 = 5_000;

/// Accounts referenced by the rows (and rows of the `accounts` table of the join).
pub const ACCOUNTS: i64 = 1_000;

const CURRENCIES: [&str; 3] = ["EUR", "USD", "GBP"];

/// The column list of every table holding benchmark rows.
pub const COLUMNS: &str =
    "id bigint PRIMARY KEY, account bigint NOT NULL, amount numeric(18,2) NOT NULL, currency varchar(3) NOT NULL, \
     ts timestamp NOT NULL, meta jsonb NOT NULL";

/// The fields of row `id`, as SQL literal text (unquoted).
struct Fields {
    account: i64,
    amount: String,
    currency: &'static str,
    ts: String,
    meta: String,
}

fn fields(id: i64) -> Fields {
    let epoch = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    let ts = epoch + chrono::TimeDelta::seconds(id);
    Fields {
        account: id.rem_euclid(ACCOUNTS) + 1,
        amount: format!(
            "{}.{:02}",
            (id.wrapping_mul(7919)).rem_euclid(100_000),
            id.rem_euclid(100)
        ),
        currency: CURRENCIES[id.rem_euclid(3) as usize],
        ts: ts.format("%Y-%m-%d %H:%M:%S").to_string(),
        meta: format!(r#"{{"ref": "INV-{id:08}", "channel": "web"}}"#),
    }
}

/// Row `id` as a line of COPY text format.
pub fn copy_line(id: i64) -> String {
    let f = fields(id);
    format!(
        "{id}\t{}\t{}\t{}\t{}\t{}\n",
        f.account, f.amount, f.currency, f.ts, f.meta
    )
}

/// Row `id` as a VALUES tuple.
pub fn values_tuple(id: i64) -> String {
    let f = fields(id);
    format!(
        "({id}, {}, {}, '{}', '{}', '{}')",
        f.account, f.amount, f.currency, f.ts, f.meta
    )
}

/// One multi-row INSERT of rows `first..first + count` into `table`.
pub fn insert_statement(table: &str, first: i64, count: i64) -> String {
    let tuples: Vec<String> = (first..first + count).map(values_tuple).collect();
    format!("INSERT INTO {table} VALUES {}", tuples.join(", "))
}

/// Rows `1..=rows` as COPY data messages, generated once so that formatting is not timed.
pub struct CopyData {
    pub chunks: Vec<Bytes>,
    pub rows: i64,
    /// Total size of the rows as COPY text: the data volume MB/s figures refer to.
    pub bytes: usize,
}

impl CopyData {
    pub fn generate(rows: i64) -> CopyData {
        let mut chunks = Vec::new();
        let mut bytes = 0;
        let mut first = 1;
        while first <= rows {
            let last = (first + COPY_CHUNK_ROWS - 1).min(rows);
            let text: String = (first..=last).map(copy_line).collect();
            bytes += text.len();
            chunks.push(Bytes::from(text));
            first = last + 1;
        }
        CopyData { chunks, rows, bytes }
    }
}

/// The smaller tables of the 3-table join: `accounts (id, name)` and `currencies (code, name)`.
pub fn join_tables_sql() -> String {
    let accounts: Vec<String> = (1..=ACCOUNTS).map(|a| format!("({a}, 'account {a}')")).collect();
    format!(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);\n\
         INSERT INTO accounts VALUES {};\n\
         CREATE TABLE currencies (code varchar(3) PRIMARY KEY, name text NOT NULL);\n\
         INSERT INTO currencies VALUES ('EUR', 'Euro'), ('USD', 'US dollar'), ('GBP', 'Pound sterling');",
        accounts.join(", ")
    )
}

/// PostgreSQL's hash-chaining trigger, what a user would build instead of a blockchain table: each
/// row stores `sha256(previous row_hash || row text)`. The previous row is the one with the highest
/// id, rows arriving in id order as in an append-only ledger.
pub const PG_CHAIN_FUNCTION: &str = r"CREATE FUNCTION bench_chain_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    prev bytea;
BEGIN
    SELECT row_hash INTO prev FROM ledger_chain ORDER BY id DESC LIMIT 1;
    NEW.row_hash := sha256(coalesce(prev, '\x'::bytea)
        || convert_to(ROW(NEW.id, NEW.account, NEW.amount, NEW.currency, NEW.ts, NEW.meta)::text, 'UTF8'));
    RETURN NEW;
END
$$";

/// Creates PostgreSQL's hash-chained table `ledger_chain` (after `PG_CHAIN_FUNCTION`).
pub fn pg_chain_table_sql() -> String {
    format!(
        "DROP TABLE IF EXISTS ledger_chain;\n\
         CREATE TABLE ledger_chain ({COLUMNS}, row_hash bytea NOT NULL);\n\
         CREATE TRIGGER ledger_chain_hash BEFORE INSERT ON ledger_chain FOR EACH ROW EXECUTE FUNCTION bench_chain_row();"
    )
}

/// Recomputes every link of `ledger_chain` from the rows and counts the rows whose stored hash
/// differs (0 for an intact chain): PostgreSQL's equivalent of `verify_blockchain`.
pub const PG_CHAIN_VERIFY: &str = r"SELECT count(*) FROM (
    SELECT row_hash, sha256(coalesce(lag(row_hash) OVER (ORDER BY id), '\x'::bytea)
        || convert_to(ROW(id, account, amount, currency, ts, meta)::text, 'UTF8')) AS recomputed
    FROM ledger_chain) links
WHERE row_hash <> recomputed";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_about_100_bytes() {
        assert_eq!(
            copy_line(42),
            "42\t43\t32598.42\tEUR\t2024-01-01 00:00:42\t{\"ref\": \"INV-00000042\", \"channel\": \"web\"}\n"
        );
        assert_eq!(
            values_tuple(1),
            "(1, 2, 7919.01, 'USD', '2024-01-01 00:00:01', '{\"ref\": \"INV-00000001\", \"channel\": \"web\"}')"
        );
        let data = CopyData::generate(12_001);
        assert_eq!(data.chunks.len(), 3);
        assert_eq!(data.chunks.iter().map(|c| c.len()).sum::<usize>(), data.bytes);
        assert!((80..=110).contains(&(data.bytes / 12_001)));
    }
}
