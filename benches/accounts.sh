#!/usr/bin/env bash
# Cost of checking who a request is, per engine: N sequential `GET /api/info` on one kept-alive
# connection, with an API token and with a session cookie, against `rambok serve` on sled and on
# PostgreSQL (a private cluster on a Unix socket, as benches/compare.sh starts one). Prints the
# median and 95th percentile per request, in milliseconds. Usage: benches/accounts.sh [N]
set -euo pipefail
n=${1:-500}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release/rambok
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/rambok-accounts.XXXXXX)
chmod 755 "$work"
if [ "$(id -u)" = 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$work/pg"
as_pg "$pgbin/initdb" -D "$work/pg/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories='$work/pg' -c port=54331" start >/dev/null
export RAMBOK_USER=bench
pw="ett långt lösenord för mätning"
for db in "$work/sled" "postgres://postgres@/postgres?host=$work/pg&port=54331&ledger=bench"; do
  "$bin" --db "$db" init >/dev/null
  token=$("$bin" --db "$db" token add --role revisor --name bench.token 2>/dev/null)
  printf '%s\n' "$pw" | "$bin" --db "$db" user add bench.user --role revisor --password-stdin >/dev/null
  "$bin" --db "$db" serve --port 0 > "$work/serve.out" 2>>"${RAMBOK_BENCH_LOG:-/dev/null}" &
  pids+=($!)
  for _ in $(seq 100); do grep -q http "$work/serve.out" && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -1)
  cookie=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench.user\",\"password\":\"$pw\"}" "$url/api/session" \
    | grep -io 'rambok_session=[0-9a-f]*')
  # curl's -o applies to one URL each: one per request, so no body reaches the pipe.
  urls=$(for _ in $(seq "$n"); do printf -- '-o /dev/null %s/api/info ' "$url"; done)
  engine=$([ "${db#postgres}" != "$db" ] && echo postgres || echo sled)
  for how in token session; do
    if [ "$how" = token ]; then h="Authorization: Bearer $token"; else h="Cookie: $cookie"; fi
    # shellcheck disable=SC2086
    curl -s -w '%{http_code} %{time_total}\n' -H "$h" $urls \
      | awk '$1 != 200 { bad++ } { print $2 * 1000 } END { if (bad) print "not 200: " bad > "/dev/stderr" }' \
      | sort -n | awk -v e="$engine" -v how="$how" '{ t[NR] = $1 }
          END { printf "%-8s %-7s n=%d  median %.2f ms  p95 %.2f ms\n", e, how, NR, t[int(NR / 2)], t[int(NR * 0.95)] }'
  done
  kill "${pids[-1]}"
done
