"""psycopg 3 against `vellum serve`: typed parameters in text and binary, NULLs, transactions
with autocommit off, an error inside a transaction, server-side prepared statements,
executemany and COPY. Every check compares with the value PostgreSQL 15 returns. Prints `ok N`
at the end.

Usage: psycopg_client.py CONNINFO
"""

import datetime
import decimal
import sys

import psycopg
from psycopg import errors

checks = 0


def check(got, want, what):
    global checks
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")
    checks += 1


conninfo = sys.argv[1]
conn = psycopg.connect(conninfo)  # autocommit off: psycopg sends BEGIN before the first statement
check(conn.autocommit, False, "autocommit default")
cur = conn.cursor()
cur.execute(
    "CREATE TABLE py_items (id int PRIMARY KEY, name text, amount numeric(10,2),"
    " at timestamp, data bytea, big bigint)"
)
check(conn.info.transaction_status, psycopg.pq.TransactionStatus.INTRANS, "status after DDL")
conn.commit()
check(conn.info.transaction_status, psycopg.pq.TransactionStatus.IDLE, "status after commit")

row1 = (1, "it's", decimal.Decimal("12.34"), datetime.datetime(2024, 2, 29, 23, 59, 58, 123456),
        b"\x00\x01\xff", 9_000_000_000)
# %s: psycopg chooses the format; %t text and %b binary parameters explicitly.
cur.execute("INSERT INTO py_items VALUES (%s, %s, %s, %s, %s, %s)", row1)
cur.execute("INSERT INTO py_items VALUES (%b, %b, %b, %b, %b, %b)",
            (2, "binary", decimal.Decimal("-0.5"), datetime.datetime(1999, 12, 31, 0, 0), b"", -1))
cur.execute("INSERT INTO py_items VALUES (%t, %t, %t, %t, %t, %t)", (3, None, None, None, None, None))
check(cur.rowcount, 1, "INSERT rowcount")
conn.commit()

cur.execute("SELECT id, name, amount, at, data, big FROM py_items ORDER BY id")
rows = cur.fetchall()
check(rows[0], row1, "text-format row")
check(rows[1], (2, "binary", decimal.Decimal("-0.50"), datetime.datetime(1999, 12, 31), b"", -1),
      "binary-parameter row (numeric(10,2) keeps two decimals)")
check(rows[2], (3, None, None, None, None, None), "NULL row")

# Binary results.
cur.execute("SELECT id, name, amount, at, data, big FROM py_items WHERE id = %s", (1,), binary=True)
check(cur.fetchone(), row1, "binary-format row")
cur.execute("SELECT %s::int + 1, %s || 'b', %s * 2, %s::text IS NULL", (41, "a", decimal.Decimal("1.25"), None))
check(cur.fetchone(), (42, "ab", decimal.Decimal("2.50"), True), "expressions over parameters")
conn.commit()

# Rollback discards the transaction's writes.
cur.execute("INSERT INTO py_items (id, name) VALUES (%s, %s)", (10, "rolled back"))
conn.rollback()
cur.execute("SELECT count(*) FROM py_items WHERE id = 10")
check(cur.fetchone(), (0,), "row after rollback")
conn.commit()

# An error aborts the transaction: the next statement fails with 25P02 until rollback.
cur.execute("INSERT INTO py_items (id, name) VALUES (%s, %s)", (11, "lost with the transaction"))
try:
    cur.execute("INSERT INTO py_items (id) VALUES (%s)", (1,))
    raise AssertionError("duplicate key accepted")
except errors.UniqueViolation as e:
    check(e.sqlstate, "23505", "duplicate key SQLSTATE")
check(conn.info.transaction_status, psycopg.pq.TransactionStatus.INERROR, "status after error")
try:
    cur.execute("SELECT 1")
    raise AssertionError("statement ran in an aborted transaction")
except errors.InFailedSqlTransaction as e:
    check(e.sqlstate, "25P02", "aborted transaction SQLSTATE")
conn.rollback()
cur.execute("SELECT count(*) FROM py_items WHERE id = 11")
check(cur.fetchone(), (0,), "row inserted before the error")
conn.commit()

# executemany, and a statement run often enough for psycopg to prepare it on the server
# (prepare_threshold, 5 by default; prepare=True forces it). psycopg deallocates its prepared
# statements after a rollback that may have dropped them.
cur.executemany("INSERT INTO py_items (id, name, amount) VALUES (%s, %s, %s)",
                [(100 + i, f"many {i}", decimal.Decimal(i) / 4) for i in range(20)])
conn.commit()
cur.execute("SELECT count(*), sum(amount), min(name), max(name) FROM py_items WHERE id >= 100")
check(cur.fetchone(), (20, decimal.Decimal("47.50"), "many 0", "many 9"), "executemany rows")
for i in range(8):
    cur.execute("SELECT name, amount FROM py_items WHERE id = %s", (100 + i,), prepare=True)
    check(cur.fetchone(), (f"many {i}", decimal.Decimal(i) / 4), f"prepared lookup {i}")
    cur.execute("SELECT name FROM py_items WHERE id = %s", (100 + i,), binary=True)
    check(cur.fetchone(), (f"many {i}",), f"auto-prepared binary lookup {i}")
conn.rollback()
cur.execute("SELECT name FROM py_items WHERE id = %s", (105,), prepare=True)
check(cur.fetchone(), ("many 5",), "prepared lookup after rollback")
conn.commit()

# COPY FROM STDIN and TO STDOUT through psycopg's copy API.
with cur.copy("COPY py_items (id, name, amount) FROM STDIN") as copy:
    for i in range(3):
        copy.write_row((200 + i, f"copied\t{i}", decimal.Decimal("0.25") if i else None))
conn.commit()
with cur.copy("COPY (SELECT id, name, amount FROM py_items WHERE id >= 200 ORDER BY id) TO STDOUT") as copy:
    copied = list(copy.rows())
check(copied, [("200", "copied\t0", None), ("201", "copied\t1", "0.25"), ("202", "copied\t2", "0.25")],
      "COPY round trip")
conn.commit()

# Autocommit on: every statement commits by itself.
conn.autocommit = True
conn.execute("UPDATE py_items SET name = %s WHERE id = %s", ("auto", 3))
with psycopg.connect(conninfo, autocommit=True) as other:
    check(other.execute("SELECT name FROM py_items WHERE id = 3").fetchone(), ("auto",), "autocommitted update")
conn.close()
print(f"ok {checks}")
