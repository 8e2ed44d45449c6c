#!/usr/bin/env bash
# Installs Debian's PostgreSQL server programs (initdb, pg_ctl, postgres, psql, pgbench) for the
# PostgreSQL engine's tests (tests/it/pg/) and benches/compare.sh, which start private clusters of
# their own in temporary folders. Idempotent: does nothing when initdb and pgbench are there.
# Makes sure a `postgres` user exists (initdb refuses to run as root; the tests run it as that
# user when they are root). Waits and retries while another apt or dpkg holds the lock.
set -euo pipefail

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ] || [ ! -x "$(pg_bin)/pgbench" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt() { $sudo apt-get -o DPkg::Lock::Timeout=300 "$@"; }
  for attempt in 1 2 3 4 5; do
    if apt update -qq && apt install -y -qq postgresql postgresql-contrib; then
      break
    fi
    if [ "$attempt" -eq 5 ]; then
      echo "install-postgres: could not install postgresql" >&2
      exit 1
    fi
    echo "install-postgres: apt failed (attempt $attempt), retrying in 20 s" >&2
    sleep 20
  done
fi
if ! id postgres >/dev/null 2>&1; then
  $sudo useradd --system --home-dir /var/lib/postgresql postgres
fi
echo "install-postgres: $("$(pg_bin)/postgres" --version)"
