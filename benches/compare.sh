#!/usr/bin/env bash
# Side by side, in one run: rambok, PostgreSQL, hledger and ledger on the same synthetic
# municipality (`rambok gen`: 40 offices, 20 budget years, frame sets, changes, savings
# requirements, transfers, budgets, outcomes, goals, status updates).
#
#   bash benches/compare.sh            # 1 000 000 events (4–5 minutes here; hledger takes ~3 GB)
#   bash benches/compare.sh --small    # 20 000 events, short runs, for CI (well under 2 minutes
#                                      # once built); hledger and ledger only if installed
#   bash benches/compare.sh --events N # any size, full-length runs
#   add --no-hledger to leave out hledger and ledger (their calls take minutes at 10^6)
#
# Installs Debian's postgresql (and, unless --small, hledger and ledger) if missing, builds with
# cargo, runs everything in a temporary folder and removes it, and stops its private PostgreSQL
# cluster, whatever happens. Prints a markdown table (docs/benchmarks.md has the figures) and keeps
# the raw key=value results in target/compare-N.kv.
#
# What each side runs:
# - rambok in process: benches/throughput.rs (bulk import from parsed events, durable appends with
#   1 and 32 writers, as-of queries timed one by one, full rebuild with verification, disk).
# - rambok end to end: `rambok import` and `rambok report frames --year 2015 --as-of 2015-07-01`
#   as processes; wall time and peak resident memory (/usr/bin/time -f %M).
# - PostgreSQL (default durability: fsync on, synchronous_commit on): one events table with typed
#   columns plus the event as jsonb, primary key on seq, unique event id, and the indexes the
#   queries need, (year, office, decision_date) and (year, from_office, decision_date) for
#   transfers; COPY for the import; pgbench with one-row INSERT commits for appends; a window-
#   function as-of query (last frame_set, then the changes after it) through pgbench -M prepared
#   (latency per query from its log), and the same query as a `psql -c` process.
# - hledger and ledger: every frame-moving event as a dated transaction posting to
#   ram:OFFICE:YEAR in kronor; `balance -e DAY-AFTER` for one office account and for all 40.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export LC_ALL=C.UTF-8 LANG=C.UTF-8

small=0
n=1000000
no_hl=0
while [ $# -gt 0 ]; do
  case "$1" in
    --small) small=1; n=20000 ;;
    --events) n=$2; shift ;;
    --no-hledger) no_hl=1 ;;
    *) echo "usage: bash benches/compare.sh [--small] [--events N] [--no-hledger]" >&2; exit 2 ;;
  esac
  shift
done
if [ "$small" = 1 ]; then
  append_secs=1 fsync_secs=0.5 one_q=20000 all_q=2000 rebuilds=2 cli_runs=5 pg_secs=1 hl_runs=1
  engine_q=200
else
  append_secs=5 fsync_secs=2 one_q=200000 all_q=20000 rebuilds=3 cli_runs=20 pg_secs=5 hl_runs=3
  engine_q=2000
fi
# hledger at 10^6 takes about a minute and several GB per call: fewer runs for it.
[ "$n" -ge 500000 ] && hl_runs=1

t0=$EPOCHREALTIME
say() { awk -v s="$t0" -v e="$EPOCHREALTIME" -v m="$*" 'BEGIN { printf "[%6.1f s] %s\n", e - s, m }' >&2; }

# --- packages ---------------------------------------------------------------------------------
apt_ready=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    say "missing $*: install it (apt-get install $*) or run this script as root"
    return 1
  fi
  if [ "$apt_ready" = 0 ]; then
    apt-get update -qq >&2
    apt_ready=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
bash scripts/install-postgres.sh >&2
pgbin=$(pg_bin)
have_hl=$((1 - no_hl))
for tool in hledger ledger; do
  [ "$no_hl" = 1 ] && break
  if ! command -v "$tool" >/dev/null; then
    if [ "$small" = 1 ]; then
      say "$tool is not installed: skipped (--small installs nothing but PostgreSQL)"
      have_hl=0
    else
      apt_install "$tool"
    fi
  fi
done
command -v python3 >/dev/null || apt_install python3
[ -x /usr/bin/time ] || apt_install time

# --- build ------------------------------------------------------------------------------------
say "building (release)..."
cargo build --release --quiet --bin rambok
cargo bench --quiet --bench throughput --no-run
cargo bench --quiet --bench engines --no-run
bin=$root/target/release/rambok

# --- scratch space, PostgreSQL cleanup --------------------------------------------------------
work=$(mktemp -d /tmp/rambok-compare.XXXXXX)
chmod 755 "$work"
pgdata=$work/pg/data
pg_running=0
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi
cleanup() {
  if [ "$pg_running" = 1 ]; then
    as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
kv=$work/results.kv
: > "$kv"
put() { echo "$1=$2" >> "$kv"; }
now() { echo "$EPOCHREALTIME"; }

# --- tools (Python): conversion, percentiles, checks, the final table -------------------------
cat > "$work/tools.py" <<'PY'
import csv, json, sys, uuid
from decimal import Decimal

UNIT = {"kr": 1, "tkr": 1000, "mkr": 1000000}
FRAME_TYPES = ("frame_set", "frame_changed", "savings_required", "transfer")
NS = uuid.UUID("6a1f3c2e-9b4d-4e7a-8f10-2d5c7b9e0a41")


def kr(ev, field="amount"):
    v = ev.get(field)
    return None if v is None else Decimal(v) * UNIT[ev.get("unit", "kr")]


def ascii_name(s):
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in s)


def convert(src, csv_path, journal_path):
    """JSONL → CSV for COPY (every event) and a journal (every frame-moving event)."""
    n_tx = 0
    with open(src, encoding="utf-8") as f, open(csv_path, "w", newline="", encoding="utf-8") as c, \
            open(journal_path, "w", encoding="utf-8") as j:
        w = csv.writer(c)
        for line in f:
            line = line.strip()
            if not line:
                continue
            ev = json.loads(line)
            t = ev["type"]
            office = ev.get("office") or ev.get("to")
            frm = ev.get("from") if t == "transfer" else None
            amount = kr(ev)
            if t == "budget_line":
                amount = (kr(ev, "cost") or 0) - (kr(ev, "revenue") or 0)
            dec = ev.get("decision")
            date = dec["date"] if dec else ev.get("date")
            w.writerow([uuid.uuid5(NS, line), t, office or "", frm or "", ev.get("year", ""),
                        "" if amount is None else amount, date or "", "bench", line])
            if t in FRAME_TYPES:
                n_tx += 1
                y = ev["year"]
                sign = -1 if t == "savings_required" else 1
                j.write(f"{date} {t} {dec.get('case') or ''}\n")
                j.write(f"    ram:{office}:{y}    {sign * amount} kr\n")
                if t == "transfer":
                    j.write(f"    ram:{frm}:{y}    {-amount} kr\n\n")
                else:
                    j.write(f"    beslut:{ascii_name(dec['body'])}\n\n")
    print(n_tx)


def pct(path, column=None, scale=1.0):
    """p50 and p99 (nearest rank) of the numbers in a file (one per line, or a column of it)."""
    vals = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts:
                vals.append(float(parts[column] if column is not None else parts[0]) * scale)
    vals.sort()
    rank = lambda q: vals[max(1, min(len(vals), -int(-q * len(vals) // 1))) - 1]
    print(f"{rank(0.5):.3f} {rank(0.99):.3f} {len(vals)}")


def check(rambok_json, other, label):
    """rambok's frames (JSON report) against another tool's office→kr lines: must be equal."""
    want = {r["office"]: Decimal(r["frame"]) for r in json.load(open(rambok_json))["frames"]}
    got = {}
    for line in open(other):
        parts = line.replace("|", " ").split()
        if len(parts) >= 2:
            got[parts[0]] = Decimal(parts[1])
    bad = [o for o in want if got.get(o) != want[o]]
    if bad or len(got) != len(want):
        sys.exit(f"{label} disagrees with rambok for {bad[:5]} ({len(got)} vs {len(want)} offices)")
    print(f"{label}: all {len(want)} frames equal rambok's")


def table(kv_path):
    r = dict(l.strip().split("=", 1) for l in open(kv_path) if "=" in l)
    n = int(r["events"])
    g = lambda k: r.get(k)

    def num(v, d=0):
        if v is None:
            return "—"
        x = float(v)
        s = f"{x:,.{d}f}".replace(",", " ")
        return s

    def ms(k, d=1):
        return "—" if g(k) is None else num(float(g(k)), d)

    def pair(a, b, unit, d=1):
        return "—" if g(a) is None else f"{num(g(a), d)} / {num(g(b), d)} {unit}"

    def verdict(v, target, higher_better):
        if v is None:
            return "—"
        v = float(v)
        ok = v >= target if higher_better else v <= target
        if ok:
            return "yes"
        return f"no ({v / target:.2f}× the target)" if not higher_better else f"no ({v / target:.0%} of it)"

    scale = n / 1e6
    rows = [
        ("raw fdatasync/s on this disk, 4 KiB rewritten / appended", f"{num(g('fdatasync_rewrite_per_s'))} / {num(g('fdatasync_log_per_s'))}", "—", "—", "—", "context", ""),
        ("bulk import, in process, durable (ev/s)", num(g("import_ev_per_s")),
         f"{num(g('pg_copy_best_ev_per_s'))} (COPY + index build; {num(g('pg_copy_indexed_ev_per_s'))} into the indexed table)",
         "—", "—", "≥ 500 000", verdict(g("import_ev_per_s"), 500000, True)),
        ("bulk import, CLI end to end, durable (ev/s)", num(g("cli_import_ev_per_s")), "(as above: psql COPY)", "—", "—",
         "≥ 500 000", verdict(g("cli_import_ev_per_s"), 500000, True)),
        ("durable appends, 1 writer (/s)", num(g("append1_per_s")), num(g("pg_insert1_tps")), "—", "—",
         "≥ PostgreSQL", verdict(g("append1_per_s"), float(g("pg_insert1_tps") or 1), True)),
        ("durable appends, 32 writers (/s); appends per sync", f"{num(g('append32_per_s'))}; {g('append32_per_sync') or '—'}", num(g("pg_insert32_tps")), "—", "—",
         "≥ 2× PostgreSQL", verdict(g("append32_per_s"), 2 * float(g("pg_insert32_tps") or 1), True)),
        ("POST /api/events, 1 event per request, 32 clients (/s); appends per sync", f"{num(g('serve_append_per_s'))}; {g('serve_append_per_sync') or '—'}", f"{num(g('pg_insert32_tps'))} (INSERT, 32 clients)", "—", "—",
         "≥ PostgreSQL", verdict(g("serve_append_per_s"), float(g("pg_insert32_tps") or 1), True)),
        ("store growth per single append (B), 1 / 32 writers", f"{num(g('append1_disk_b_per_append'))} / {num(g('append32_disk_b_per_append'))}", "—", "—", "—",
         "≤ 1 000", verdict(g("append1_disk_b_per_append"), 1000, False)),
        ("append latency p50 / p99, 1 writer", pair("append1_p50_us", "append1_p99_us", "µs", 0),
         pair("pg_insert1_p50_us", "pg_insert1_p99_us", "µs", 0), "—", "—", "", ""),
        ("append latency p50 / p99, 32 writers", pair("append32_p50_us", "append32_p99_us", "µs", 0),
         pair("pg_insert32_p50_us", "pg_insert32_p99_us", "µs", 0), "—", "—", "", ""),
        ("as-of frame, one office, p50 / p99", pair("one_p50_us", "one_p99_us", "µs", 2),
         pair("pg_one_p50_us", "pg_one_p99_us", "µs", 0), "—", "—", "p99 ≤ 50 µs", verdict(g("one_p99_us"), 50, False)),
        ("as-of frames, all 40 offices, p50 / p99", pair("all_p50_us", "all_p99_us", "µs", 1),
         pair("pg_all_p50_us", "pg_all_p99_us", "µs", 0), "—", "—", "p99 ≤ 1 000 µs", verdict(g("all_p99_us"), 1000, False)),
        ("CLI query, all 40 offices, p50 / p99", pair("cli_query_p50_ms", "cli_query_p99_ms", "ms", 1),
         pair("pg_cli_p50_ms", "pg_cli_p99_ms", "ms", 1), pair("hledger_all_p50_ms", "hledger_all_p99_ms", "ms", 0),
         pair("ledger_all_p50_ms", "ledger_all_p99_ms", "ms", 0), "≤ 20 ms", verdict(g("cli_query_p99_ms"), 20, False)),
        ("CLI query, one office account, p50", "(same process as above)", "—", pair("hledger_one_p50_ms", "hledger_one_p99_ms", "ms", 0),
         pair("ledger_one_p50_ms", "ledger_one_p99_ms", "ms", 0), "", ""),
        ("full rebuild with hash verification (s)", f"{float(g('rebuild_secs_median')):.3f}", "—", "—", "—",
         f"≤ {scale:g} s", verdict(g("rebuild_secs_median"), scale, False)),
        ("server: first answer after open (ms)", num(g("serve_first_answer_ms")), "—", "—", "—", "≤ 2 000", verdict(g("serve_first_answer_ms"), 2000, False)),
        ("server: reports, 32 clients, p50 / p99", pair("serve_read_p50_ms", "serve_read_p99_ms", "ms", 2), "—", "—", "—",
         "p99 ≤ 5 ms", verdict(g("serve_read_p99_ms"), 5, False)),
        ("server: peak memory under read and append load (MiB)", num(g("serve_peak_mib")), "—", "—", "—", "≤ 256", verdict(g("serve_peak_mib"), 256, False)),
        ("peak memory, CLI import (MiB)", num(g("cli_import_peak_mib")), "—", "—", "—", "≤ 256", verdict(g("cli_import_peak_mib"), 256, False)),
        ("peak memory, CLI query (MiB)", num(g("cli_query_peak_mib")), "—", num(g("hledger_peak_mib")), num(g("ledger_peak_mib")),
         "≤ 256", verdict(g("cli_query_peak_mib"), 256, False)),
        ("disk per event (B)", num(g("cli_disk_b_per_event")), num(g("pg_b_per_event")),
         f"{num(g('journal_b_per_event'))} (journal text)", "(same journal)", "≤ 300", verdict(g("cli_disk_b_per_event"), 300, False)),
    ]
    print(f"\n{n:,} events".replace(",", " ") + f"; hledger/ledger journal: {num(g('journal_transactions'))} transactions\n")
    print("| figure | rambok | PostgreSQL | hledger | ledger | target | met? |")
    print("|---|---:|---:|---:|---:|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


    print("\nEvery report through the query layer (the persisted index), in process, p50 / p99 (target p99 ≤ 1 ms; history ≤ 5 ms):\n")
    print("| report | p50 / p99 | met? |")
    print("|---|---:|---|")
    for q in ["frames", "bridge", "budget", "outcome", "investments", "goals", "history", "diff"]:
        target = 5000 if q == "history" else 1000
        print(f"| {q} | {pair('q_' + q + '_p50_us', 'q_' + q + '_p99_us', 'µs', 0)} | {verdict(g('q_' + q + '_p99_us'), target, False)} |")

    if g("eng_pg_append1_per_s") is not None:
        def ratio(a, b):
            return "—" if g(a) is None or g(b) is None else f"{float(g(a)) / max(float(g(b)), 1e-9):.2f}×"
        print("\nrambok on PostgreSQL beside plain PostgreSQL INSERTs (pgbench, above) and rambok on sled, same run and cluster (benches/engines.rs):\n")
        print("| figure | rambok on PostgreSQL | plain INSERT | rambok on sled | target | met? |")
        print("|---|---:|---:|---:|---|---|")
        for w in ("1", "32"):
            plain = g(f"pg_insert{w}_tps")
            mine = g(f"eng_pg_append{w}_per_s")
            cost = None if plain is None or mine is None else float(plain) / max(float(mine), 1e-9)
            print(f"| durable appends, {w} writer{'s' if w != '1' else ''} (/s); appends per commit | {num(mine)}; {g(f'eng_pg_append{w}_per_sync') or '—'} | {num(plain)} | {num(g(f'eng_sled_append{w}_per_s'))} | "
                  f"≤ 1.5× the cost of an INSERT | {'—' if cost is None else ('yes' if cost <= 1.5 else f'no ({cost:.2f}×)')} |")
            print(f"| append latency p50 / p99, {w} writer{'s' if w != '1' else ''} | {pair(f'eng_pg_append{w}_p50_us', f'eng_pg_append{w}_p99_us', 'µs', 0)} | {pair(f'pg_insert{w}_p50_us', f'pg_insert{w}_p99_us', 'µs', 0)} | {pair(f'eng_sled_append{w}_p50_us', f'eng_sled_append{w}_p99_us', 'µs', 0)} | | |")
        print(f"| bulk import, in process (ev/s) | {num(g('eng_pg_import_ev_per_s'))} | — | {num(g('eng_sled_import_ev_per_s'))} | | |")
        for q in ["frames", "bridge", "budget", "outcome", "investments", "goals", "history", "diff"]:
            pg50, sl50 = g(f"eng_pg_q_{q}_p50_us"), g(f"eng_sled_q_{q}_p50_us")
            ok = "—" if pg50 is None or sl50 is None else ("yes" if float(pg50) <= 2 * max(float(sl50), 1) else f"no ({ratio(f'eng_pg_q_{q}_p50_us', f'eng_sled_q_{q}_p50_us')} sled's)")
            reads = g(f"eng_pg_q_{q}_reads")
            print(f"| report {q}, p50 / p99; reads sent per report | {pair(f'eng_pg_q_{q}_p50_us', f'eng_pg_q_{q}_p99_us', 'µs', 0)}; {reads or '—'} | — | {pair(f'eng_sled_q_{q}_p50_us', f'eng_sled_q_{q}_p99_us', 'µs', 0)} | p50 ≤ 2× sled's | {ok} |")


if __name__ == "__main__":
    cmd, *a = sys.argv[1:]
    if cmd == "convert":
        convert(*a)
    elif cmd == "pct":
        pct(a[0], int(a[1]) if len(a) > 1 else None, float(a[2]) if len(a) > 2 else 1.0)
    elif cmd == "check":
        check(*a)
    elif cmd == "table":
        table(*a)
PY
tools() { python3 "$work/tools.py" "$@"; }

# Runs a command `runs` times; writes each wall time (ms) to $out. Output goes to /dev/null.
time_runs() {
  local runs=$1 out=$2 s e; shift 2
  : > "$out"
  for _ in $(seq "$runs"); do
    s=$(now); "$@" > /dev/null; e=$(now)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) * 1000 }' >> "$out"
  done
}
# Stores p50/p99 of a file of timings under key prefix $1.
put_pct() {
  local key=$1 file=$2; shift 2
  read -r p50 p99 _ < <(tools pct "$file" "$@")
  put "${key}_p50_${unit}" "$p50"
  put "${key}_p99_${unit}" "$p99"
}
# Peak resident memory (MiB) of one run of a command.
peak_mib() {
  /usr/bin/time -f %M -o "$work/peak" "$@" > /dev/null
  awk '{ printf "%.0f\n", $1 / 1024 }' "$work/peak"
}

say "generating $n events..."
"$bin" gen --events "$n" > "$work/m.jsonl"

# --- rambok, in process -----------------------------------------------------------------------
say "rambok in process (benches/throughput.rs)..."
cargo bench --quiet --bench throughput -- --events "$n" --append-secs "$append_secs" \
  --fsync-secs "$fsync_secs" --one-queries "$one_q" --all-queries "$all_q" --rebuilds "$rebuilds" \
  --dir "$work/inproc" 2> "$work/throughput.err" | grep -E '^[a-z0-9_]+=' >> "$kv" \
  || { cat "$work/throughput.err" >&2; exit 1; }
rm -rf "$work/inproc"

# --- rambok, end to end -----------------------------------------------------------------------
say "rambok CLI: import, query..."
"$bin" --db "$work/db" init > /dev/null
s=$(now)
/usr/bin/time -f %M -o "$work/peak" "$bin" --db "$work/db" import "$work/m.jsonl" --user bench > /dev/null
e=$(now)
put cli_import_secs "$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')"
put cli_import_ev_per_s "$(awk -v s="$s" -v e="$e" -v n="$n" 'BEGIN { printf "%.0f", n / (e - s) }')"
put cli_import_peak_mib "$(awk '{ printf "%.0f", $1 / 1024 }' "$work/peak")"
put cli_disk_b_per_event "$(du -sb "$work/db" | awk -v n="$n" '{ printf "%.0f", $1 / n }')"
query=("$bin" --db "$work/db" report frames --year 2015 --as-of 2015-07-01)
"${query[@]}" > /dev/null # warm the page cache like the runs after it
time_runs "$cli_runs" "$work/cli.ms" "${query[@]}"
unit=ms put_pct cli_query "$work/cli.ms"
put cli_query_peak_mib "$(peak_mib "${query[@]}")"
"${query[@]}" --format json > "$work/rambok-frames.json"
say "rambok serve under load (benches/serve_load.rs)..."
cargo bench --quiet --bench serve_load -- --db "$work/db" --clients 32 --secs "$append_secs" \
  2> "$work/serve.err" | grep -E '^[a-z0-9_]+=' >> "$kv" || { cat "$work/serve.err" >&2; exit 1; }

# --- PostgreSQL -------------------------------------------------------------------------------
say "PostgreSQL: cluster, conversion, COPY..."
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$work/pg"
journal_tx=$(tools convert "$work/m.jsonl" "$work/events.csv" "$work/m.journal")
chmod 644 "$work/events.csv" "$work/m.journal"
put journal_transactions "$journal_tx"
put journal_b_per_event "$(stat -c %s "$work/m.journal" | awk -v n="$n" '{ printf "%.0f", $1 / n }')"
as_pg "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 > "$work/pg/initdb.log"
as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$work/pg/server.log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories='$work/pg' -c port=54329" start > /dev/null
pg_running=1
psql_() { as_pg "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$work/pg" -p 54329 -U postgres -d postgres "$@"; }
pgbench_() { as_pg "$pgbin/pgbench" -h "$work/pg" -p 54329 -U postgres "$@" postgres; }
psql_ -At -c "SHOW fsync" -c "SHOW synchronous_commit" -c "SHOW wal_sync_method" -c "SHOW shared_buffers" \
  | paste -sd' ' | awk '{ print "pg settings: fsync=" $1 " synchronous_commit=" $2 " wal_sync_method=" $3 " shared_buffers=" $4 }' >&2
columns="id, type, office, from_office, year, amount, decision_date, recorded_by, body"
create_table() { # $1: table name
  cat <<SQL
CREATE TABLE $1 (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id uuid NOT NULL,
  type text NOT NULL,
  office text,
  from_office text,
  year int,
  amount numeric(16,2),
  decision_date date,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  recorded_by text NOT NULL,
  body jsonb NOT NULL
);
SQL
}
create_indexes() { # $1: table name
  cat <<SQL
ALTER TABLE $1 ADD PRIMARY KEY (seq);
ALTER TABLE $1 ADD UNIQUE (id);
CREATE INDEX ${1}_year_office_date ON $1 (year, office, decision_date);
CREATE INDEX ${1}_year_from_date ON $1 (year, from_office, decision_date) WHERE from_office IS NOT NULL;
SQL
}
copy="COPY %s ($columns) FROM '$work/events.csv' WITH (FORMAT csv, NULL '')"
# (a) into a table that already has its keys and indexes
{ create_table events_a; create_indexes events_a; } | psql_
s=$(now)
psql_ -c "$(printf "$copy" events_a)"
e=$(now)
put pg_copy_indexed_ev_per_s "$(awk -v s="$s" -v e="$e" -v n="$n" 'BEGIN { printf "%.0f", n / (e - s) }')"
put pg_indexed_b_per_event "$(psql_ -At -c "SELECT round(pg_total_relation_size('events_a') / count(*)::numeric) FROM events_a")"
psql_ -c "DROP TABLE events_a"
# (b) PostgreSQL's own advice for bulk loads: COPY into a bare table, then build the indexes,
# in one transaction
create_table events | psql_
s=$(now)
{ echo "BEGIN;"; printf "$copy;\n" events; create_indexes events; echo "COMMIT;"; } | psql_
e=$(now)
put pg_copy_best_ev_per_s "$(awk -v s="$s" -v e="$e" -v n="$n" 'BEGIN { printf "%.0f", n / (e - s) }')"
psql_ -c "VACUUM ANALYZE events"
put pg_b_per_event "$(psql_ -At -c "SELECT round(pg_total_relation_size('events') / count(*)::numeric) FROM events")"

# The as-of frame: the last frame_set on or before the date, plus every change after it in
# (date, seq) order; a transfer adds to `office` (to) and takes from `from_office`.
frames_sql() { # $1: office condition ("" for all), $2: the as-of date expression
  cat <<SQL
WITH m AS (
  SELECT office AS o, decision_date AS d, seq, type = 'frame_set' AS is_set,
         CASE WHEN type = 'savings_required' THEN -amount ELSE amount END AS amt
  FROM events
  WHERE year = 2015 AND office IS NOT NULL $1 AND decision_date <= $2
    AND type IN ('frame_set', 'frame_changed', 'savings_required', 'transfer')
  UNION ALL
  SELECT from_office, decision_date, seq, false, -amount
  FROM events
  WHERE year = 2015 AND from_office IS NOT NULL ${1//office/from_office} AND decision_date <= $2
    AND type = 'transfer'
), g AS (
  SELECT o, amt, count(*) FILTER (WHERE is_set) OVER (PARTITION BY o ORDER BY d, seq) AS grp FROM m
), h AS (
  SELECT o, amt, grp, max(grp) OVER (PARTITION BY o) AS last FROM g
)
SELECT o, sum(amt) FROM h WHERE grp = last GROUP BY o ORDER BY o;
SQL
}
psql_ -At -F ' ' -c "$(frames_sql "" "date '2015-07-01'")" > "$work/pg-frames.txt"
tools check "$work/rambok-frames.json" "$work/pg-frames.txt" PostgreSQL >&2
# The plans, for the record (target/compare-N-plans.txt).
{ for cond in "AND office = 'F07'" ""; do
    psql_ -c "EXPLAIN (ANALYZE, BUFFERS) $(frames_sql "$cond" "date '2015-07-01'")"
  done; } > "$work/plans.txt" 2>&1

say "PostgreSQL: queries, appends (pgbench)..."
{ echo '\set o random(1, 40)'; echo '\set d random(0, 364)'
  frames_sql "AND office = 'F' || lpad(:o::text, 2, '0')" "date '2015-01-01' + :d::int"; } > "$work/pg/script-one.sql"
{ echo '\set d random(0, 364)'; frames_sql "" "date '2015-01-01' + :d::int"; } > "$work/pg/script-all.sql"
cat > "$work/pg/script-insert.sql" <<'SQL'
\set o random(1, 40)
INSERT INTO events (id, type, office, year, amount, decision_date, recorded_by, body)
VALUES (gen_random_uuid(), 'frame_changed', 'F' || lpad(:o::text, 2, '0'), 2024, -125000, '2024-03-14', 'bench',
  '{"type": "frame_changed", "office": "F07", "year": 2024, "amount": "-125", "unit": "tkr", "category": "ramjustering", "reason": "Skrivtest", "decision": {"body": "KF", "date": "2024-03-14", "case": "KS 2024/000001", "paragraph": "§ 42"}}');
SQL
[ "$(id -u)" = 0 ] && chown postgres: "$work"/pg/*.sql
# pgbench runs: $1 key, $2 clients, $3 script; latency per transaction from its log (µs).
bench_pg() {
  local key=$1 clients=$2 script=$3 threads=1
  [ "$clients" -gt 1 ] && threads=2
  rm -f "$work/pg/$key".*
  (cd "$work/pg" && pgbench_ -n -M prepared -c "$clients" -j "$threads" -T "$pg_secs" \
    -l --log-prefix="$work/pg/$key" -f "$script") > "$work/pg/$key.out" 2>&1 \
    || { cat "$work/pg/$key.out" >&2; exit 1; }
  cat "$work/pg/$key".[0-9]* > "$work/pg/$key.log"
  put "pg_${key}_tps" "$(awk '/^tps/ { printf "%.0f", $3 }' "$work/pg/$key.out")"
  unit=us put_pct "pg_$key" "$work/pg/$key.log" 2
}
bench_pg one 1 "$work/pg/script-one.sql"
bench_pg all 1 "$work/pg/script-all.sql"
bench_pg insert1 1 "$work/pg/script-insert.sql"
bench_pg insert32 32 "$work/pg/script-insert.sql"
time_runs "$cli_runs" "$work/pgcli.ms" psql_ -At -c "$(frames_sql "" "date '2015-07-01'")"
unit=ms put_pct pg_cli "$work/pgcli.ms"
say "rambok on sled and on PostgreSQL, same run (benches/engines.rs)..."
cargo bench --quiet --bench engines -- \
  --db "postgres://postgres@/postgres?host=$work/pg&port=54329&ledger=bench" \
  --sled "$work/engines-sled" --events "$n" --append-secs "$append_secs" --queries "$engine_q" \
  2> "$work/engines.err" | grep -E '^[a-z0-9_]+=' | sed 's/^/eng_/' >> "$kv" \
  || { cat "$work/engines.err" >&2; exit 1; }
rm -rf "$work/engines-sled"
as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop > /dev/null
pg_running=0

# --- hledger and ledger -----------------------------------------------------------------------
if [ "$have_hl" = 1 ]; then
  for tool in hledger ledger; do
    say "$tool: balance, $hl_runs run(s) each..."
    one=("$tool" -f "$work/m.journal" balance -e 2015-07-02 '^ram:F07:2015$')
    all=("$tool" -f "$work/m.journal" balance -e 2015-07-02 '^ram:F[0-9]+:2015$')
    [ "$tool" = hledger ] && all+=(--flat) || all+=(--flat --no-total)
    "${all[@]}" | awk '/ram:F/ { sub(/^ram:/, "", $NF); sub(/:2015$/, "", $NF); print $NF, $1 }' \
      > "$work/$tool-frames.txt"
    tools check "$work/rambok-frames.json" "$work/$tool-frames.txt" "$tool" >&2
    put "${tool}_peak_mib" "$(peak_mib "${all[@]}")"
    time_runs "$hl_runs" "$work/$tool-all.ms" "${all[@]}"
    unit=ms put_pct "${tool}_all" "$work/$tool-all.ms"
    time_runs "$hl_runs" "$work/$tool-one.ms" "${one[@]}"
    unit=ms put_pct "${tool}_one" "$work/$tool-one.ms"
  done
fi

mkdir -p "$root/target"
cp "$kv" "$root/target/compare-$n.kv"
cp "$work/plans.txt" "$root/target/compare-$n-plans.txt"
say "done"
tools table "$kv"
