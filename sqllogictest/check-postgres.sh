#!/usr/bin/env bash
# Runs our suites against a real PostgreSQL 15, the source of every expected result in them.
#
#   sqllogictest/check-postgres.sh [FILES...]       (default: sqllogictest/*.slt but vellum-only files)
#
# Needs `sqllogictest` (cargo install sqllogictest-bin --locked) and a server reachable with
# PGHOST/PGPORT/PGUSER/PGDATABASE (defaults 127.0.0.1:5432, postgres/postgres) whose database uses
# the C collation (text sorts by code point, as in Vellum: `initdb --locale=C.UTF-8`). Each file runs on a
# fresh `public` schema, labelled `postgresql` as Vellum's runner is. Add --override to rewrite
# expected results from PostgreSQL's output (then review the diff: --override also rewrites
# `statement error (SQLSTATE)` lines into message regexes, which must be restored by hand).
set -euo pipefail

host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
user=${PGUSER:-postgres}
db=${PGDATABASE:-postgres}
here=$(cd "$(dirname "$0")" && pwd)

args=()
files=()
for a in "$@"; do
    case "$a" in
        --*) args+=("$a") ;;
        *) files+=("$a") ;;
    esac
done
if [ ${#files[@]} -eq 0 ]; then
    # Files whose first line says vellum-only test Vellum's own dialect (blockchain tables).
    for f in "$here"/*.slt; do
        head -n 1 "$f" | grep -q 'vellum-only' || files+=("$f")
    done
fi

status=0
for f in "${files[@]}"; do
    psql -X -q -h "$host" -p "$port" -U "$user" -d "$db" \
        -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
    if ! RUST_BACKTRACE=0 sqllogictest -e postgres --label postgresql --color never \
        --host "$host" --port "$port" --user "$user" --db "$db" "${args[@]}" "$f"; then
        status=1
    fi
done
exit $status
