#!/usr/bin/env bash
# Prints the bulk figures of the README's performance table from the real
# binary: a 1,000,000-row users file (ROWS=…) imported into a new SQLite
# database, imported again unchanged, and exported; each with rows/s and peak
# memory. DB=postgres://… runs on that (empty) PostgreSQL database instead.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
rows=${ROWS:-1000000}
go build -o "$dir/meibo" ./cmd/meibo
go run ./scripts/gencsv -rows "$rows" > "$dir/users.csv"
ls -l "$dir/users.csv" | awk '{printf "file: %d bytes\n", $5}'
db=${DB:-$dir/bench.db}
m() { "$dir/meibo" "$@" --db "$db"; }
m group create G1 >/dev/null
echo "== import (create $rows users, no passwords)"
m import --format users --group G1 --stats "$dir/users.csv"
echo "== import again (--update-existing: every row unchanged)"
m import --format users --group G1 --update-existing --stats "$dir/users.csv"
echo "== export"
m export --format users --group G1 --stats -o "$dir/out.csv"
