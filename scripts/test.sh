#!/usr/bin/env bash
# The test command of the README (`make test`), also what CI runs.
#
# It makes sure what the tests need is there: PostgreSQL 15 on 127.0.0.1:5432
# (started with Debian's pg_ctlcluster when it is stopped) and its test
# database; then checks formatting, vet and staticcheck, and runs every test
# with the race detector on SQLite and PostgreSQL. A PostgreSQL suite that
# would be skipped fails instead (MEIBO_REQUIRE_POSTGRES=1). The tests connect
# as the superuser only to make each test's schema; their stores connect as an
# ordinary role that owns it (store/storetest.AppRole).
#
# The browser tests (cmd/meibo/browser_test.go) need Chromium: Debian's
# chromium is installed when it is missing (with a Japanese font, so that the
# screenshots they leave in screenshots/ are legible), and browser tests that
# would be skipped fail instead (MEIBO_REQUIRE_BROWSER=1).
set -euo pipefail
cd "$(dirname "$0")/.."

export MEIBO_TEST_POSTGRES="${MEIBO_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
export MEIBO_REQUIRE_POSTGRES=1
export MEIBO_REQUIRE_BROWSER=1

# say starts a step, with the seconds since the script started.
say() { printf '\n== %s (at %ds)\n' "$*" "$SECONDS"; }

say "PostgreSQL"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters --no-header | while read -r ver name port status _; do
      if [ "$port" = 5432 ] && [ "$status" != online ]; then
        echo "starting cluster $ver/$name"
        pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start
      fi
    done
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not running on 127.0.0.1:5432 and could not be started" >&2; exit 1; }
if ! psql "$MEIBO_TEST_POSTGRES" -qtAc 'select 1' >/dev/null 2>&1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test' || true
fi
psql "$MEIBO_TEST_POSTGRES" -qc 'CREATE EXTENSION IF NOT EXISTS pg_trgm' >/dev/null

say "Chromium"
if ! command -v chromium >/dev/null && [ -z "${MEIBO_CHROMIUM:-}" ]; then
  export DEBIAN_FRONTEND=noninteractive
  sudo=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo="sudo -E"; fi
  $sudo apt-get update
  $sudo apt-get install -y chromium fonts-ipafont-gothic
fi
if [ -n "${MEIBO_CHROMIUM:-}" ]; then "$MEIBO_CHROMIUM" --version; else chromium --version 2>/dev/null | tail -1; fi

say "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "not gofmt'ed:"; echo "$unformatted"; exit 1; fi

say "go vet"
go vet ./...

say "staticcheck"
go tool staticcheck ./...

say "go test (race, SQLite and PostgreSQL)"
# The race detector instruments every package but the SQLite engine itself:
# modernc.org/sqlite/lib is SQLite's C code translated to Go, run on the C
# library and allocator of modernc.org/libc and modernc.org/memory. With its
# every memory access instrumented (and every unsafe pointer conversion
# checked, -d=checkptr, which -race turns on) a SQLite statement ran some
# seven times slower, and SQLite was most of the suite's time. meibo's code,
# the driver (modernc.org/sqlite) and everything else keep both checks.
nocheck='-race=false -d=checkptr=0'
sqlite_flags=(-gcflags="modernc.org/sqlite/lib=$nocheck" -gcflags="modernc.org/libc/...=$nocheck" -gcflags="modernc.org/memory=$nocheck")
#
# Three packages' tests run at a time (-p 3; Go's default is one a core):
# the longest packages (the browser tests, the engines' contract and the
# service's tests) wait on Chromium and PostgreSQL for much of their time,
# and on two cores the whole run took 386 s instead of 428.
mkdir -p screenshots
started=$(mktemp)
go test -race "${sqlite_flags[@]}" -p 3 -count=1 -timeout 20m ./... 2>&1 | tee /tmp/meibo-test.log
status=${PIPESTATUS[0]}
if grep -q 'SKIPPED (set it to a postgres' /tmp/meibo-test.log; then
  echo "PostgreSQL tests were skipped: CI must run them" >&2
  exit 1
fi
# The browser tests leave their screenshots: none newer than the start of a
# passing run means they did not run.
fresh=$(find screenshots -name '*.png' -newer "$started" | wc -l)
rm -f "$started"
if grep -q 'browser tests SKIPPED' /tmp/meibo-test.log || { [ "$status" = 0 ] && [ "$fresh" = 0 ]; }; then
  echo "browser tests were skipped: CI must run them" >&2
  exit 1
fi
echo "screenshots: $fresh in $(pwd)/screenshots"
echo "done in ${SECONDS}s"
exit "$status"
