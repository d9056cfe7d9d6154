#!/usr/bin/env bash
# Single-row INSERT and point SELECT over the wire, Vellum beside PostgreSQL 15, with pgbench.
#
# Starts a fresh `vellum serve` (release build) and a fresh PostgreSQL 15 (default configuration,
# throw-away data directory, run as an unprivileged user when invoked as root), loads the same
# tables into both, then runs each workload on both, alternating, for several rounds:
#
#   insert  INSERT INTO bench_history VALUES (:aid, :delta, CURRENT_TIMESTAMP)   autocommit, durable
#   select  SELECT abalance FROM bench_accounts WHERE aid = :aid                 primary-key lookup
#
# each with 1 and 8 clients, `-M prepared` (the extended protocol with named statements). Durable
# on both sides: Vellum fsyncs every COMMIT (group commit), PostgreSQL runs with its default
# synchronous_commit = on. The medians go to stdout and to bench/RESULTS.md between the
# `pgbench-compare` markers.
#
# Usage: bench/pgbench-compare.sh [--duration SECONDS] [--rounds N] [--rows N] [--no-write]
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=10
ROUNDS=3
ROWS=100000
WRITE=1
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) DURATION=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --rows) ROWS=$2; shift 2 ;;
        --no-write) WRITE=0; shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

PGBIN=/usr/lib/postgresql/15/bin
PGBENCH=$PGBIN/pgbench
VELLUM_PORT=${VELLUM_PORT:-55433}
PG_PORT=${PG_PORT:-55432}
for tool in "$PGBENCH" "$(command -v psql || true)"; do
    if [ -z "$tool" ] || [ ! -x "$tool" ]; then
        echo "pgbench and psql (PostgreSQL 15) are required" >&2
        exit 1
    fi
done

WORK=$(mktemp -d /tmp/vellum-pgbench.XXXXXX)
chmod 755 "$WORK"
VELLUM_PID=
cleanup() {
    if [ -n "$VELLUM_PID" ]; then kill "$VELLUM_PID" 2>/dev/null || true; wait "$VELLUM_PID" 2>/dev/null || true; fi
    if [ -f "$WORK/pg/data/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast stop >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: run its binaries as `postgres` (or `nobody`) then.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        local user=postgres
        id postgres >/dev/null 2>&1 || user=nobody
        su "$user" -s /bin/sh -c "$(printf '%q ' "$@")"
    else
        "$@"
    fi
}

echo "building vellum (release)..." >&2
cargo build --release --quiet --bin vellum
VELLUM_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/vellum

"$VELLUM_BIN" serve --data "$WORK/vellum-data" --listen "127.0.0.1:$VELLUM_PORT" 2>"$WORK/vellum.log" &
VELLUM_PID=$!

mkdir -p "$WORK/pg"
if [ "$(id -u)" = 0 ]; then chown "$(id -u postgres 2>/dev/null || id -u nobody)" "$WORK/pg"; fi
as_pg "$PGBIN/initdb" -D "$WORK/pg/data" -A trust -U postgres >/dev/null
if ! as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1" \
    -l "$WORK/pg/log" -w start >/dev/null; then
    cat "$WORK/pg/log" >&2
    exit 1
fi

vellum_psql() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$VELLUM_PORT" -U vellum -d vellum "$@"; }
pg_psql() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"; }

for _ in $(seq 50); do
    vellum_psql -c "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.2
done

SETUP="CREATE TABLE bench_accounts (aid bigint PRIMARY KEY, abalance bigint NOT NULL, filler varchar(84));
CREATE TABLE bench_history (aid bigint NOT NULL, delta bigint NOT NULL, mtime timestamp NOT NULL);"
echo "loading $ROWS rows into both..." >&2
for run in vellum_psql pg_psql; do
    $run -c "$SETUP"
    seq 1 "$ROWS" | awk '{ printf "%d\t%d\t%s\n", $1, 0, "account filler text padding the row to about one hundred bytes" }' |
        $run -c "COPY bench_accounts FROM STDIN"
done

cat >"$WORK/insert.sql" <<EOF
\set aid random(1, $ROWS)
\set delta random(-5000, 5000)
INSERT INTO bench_history VALUES (:aid, :delta, CURRENT_TIMESTAMP);
EOF
cat >"$WORK/select.sql" <<EOF
\set aid random(1, $ROWS)
SELECT abalance FROM bench_accounts WHERE aid = :aid;
EOF

# Runs pgbench once; prints "tps latency_ms".
run_pgbench() {
    local port=$1 user=$2 db=$3 workload=$4 clients=$5
    local threads=$((clients < 2 ? clients : 2))
    local out
    out=$("$PGBENCH" -n -h 127.0.0.1 -p "$port" -U "$user" -M prepared -c "$clients" -j "$threads" \
        -T "$DURATION" -f "$WORK/$workload.sql" "$db" 2>&1) || { echo "$out" >&2; return 1; }
    if echo "$out" | grep -q "number of failed transactions: [1-9]"; then
        echo "$out" >&2
        return 1
    fi
    local tps lat
    tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
    echo "$tps $lat"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f–%.0f", lo, hi }'; }

declare -A RESULTS
for round in $(seq "$ROUNDS"); do
    for workload in insert select; do
        for clients in 1 8; do
            for side in vellum postgres; do
                if [ "$side" = vellum ]; then
                    r=$(run_pgbench "$VELLUM_PORT" vellum vellum "$workload" "$clients")
                else
                    r=$(run_pgbench "$PG_PORT" postgres postgres "$workload" "$clients")
                fi
                echo "round $round: $workload, $clients clients, $side: $r (tps, ms)" >&2
                RESULTS[$side.$workload.$clients]+="$r"$'\n'
            done
        done
    done
done

TABLE="| Workload | Clients | Vellum tps (median) | PostgreSQL tps (median) | Ratio Vellum/PostgreSQL | Vellum tps min–max | PostgreSQL tps min–max | Vellum latency avg | PostgreSQL latency avg |
|---|---|---|---|---|---|---|---|---|"
for workload in insert select; do
    for clients in 1 8; do
        v=${RESULTS[vellum.$workload.$clients]}
        p=${RESULTS[postgres.$workload.$clients]}
        vt=$(echo -n "$v" | awk '{ print $1 }' | median)
        pt=$(echo -n "$p" | awk '{ print $1 }' | median)
        vl=$(echo -n "$v" | awk '{ print $2 }' | median)
        pl=$(echo -n "$p" | awk '{ print $2 }' | median)
        ratio=$(awk -v a="$vt" -v b="$pt" 'BEGIN { printf "%.2f", a / b }')
        TABLE+=$'\n'"| single-row $workload | $clients | $(printf '%.0f' "$vt") | $(printf '%.0f' "$pt") | $ratio | $(echo -n "$v" | awk '{ print $1 }' | range) | $(echo -n "$p" | awk '{ print $1 }' | range) | $vl ms | $pl ms |"
    done
done

CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
SECTION="## Over the wire: pgbench against Vellum and PostgreSQL 15

Measured $(date -u +%Y-%m-%d) on ${CPU:-an unknown CPU}, $(nproc) cores, load average at start $(cut -d' ' -f1 /proc/loadavg),
with \`bench/pgbench-compare.sh --duration $DURATION --rounds $ROUNDS --rows $ROWS\`: pgbench 15, \`-M prepared\`,
$ROUNDS rounds of $DURATION s per cell, alternating Vellum and PostgreSQL; $ROWS-row \`bench_accounts\`. Both
durable (Vellum fsyncs each COMMIT with group commit; PostgreSQL default \`synchronous_commit = on\`).

$TABLE"

echo
echo "$SECTION"
if [ "$WRITE" = 1 ]; then
    RESULTS_FILE=$ROOT/bench/RESULTS.md
    python3 - "$RESULTS_FILE" "$SECTION" <<'PY'
import sys
path, section = sys.argv[1], sys.argv[2]
begin, end = "<!-- pgbench-compare:begin -->", "<!-- pgbench-compare:end -->"
text = open(path).read()
block = f"{begin}\n{section}\n{end}"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    text = head + block + rest.split(end, 1)[1]
else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
open(path, "w").write(text)
PY
    echo "written to bench/RESULTS.md" >&2
fi
