#!/usr/bin/env bash
# End-to-end figures at given sizes: generate a synthetic municipality, import it with the CLI
# (durable at the end), query it with the CLI, and measure time, peak memory and disk.
#   bash benches/scale.sh 10000 100000 1000000
# Then the in-process figures: RAMBOK_BENCH_EVENTS=N cargo bench --bench queries
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/rambok
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '| events | import s | import ev/s | import peak MiB | query s | query peak MiB | disk B/event |\n|---:|---:|---:|---:|---:|---:|---:|\n'
for n in "${@:-10000}"; do
  "$bin" gen --events "$n" > "$work/m.jsonl"
  rm -rf "$work/db"
  "$bin" --db "$work/db" init > /dev/null
  /usr/bin/time -f "%e %M" -o "$work/imp" "$bin" --db "$work/db" import "$work/m.jsonl" --user bench > /dev/null
  /usr/bin/time -f "%e %M" -o "$work/q" "$bin" --db "$work/db" report frames --year 2015 --as-of 2015-07-01 > /dev/null
  read -r is im < "$work/imp"
  read -r qs qm < "$work/q"
  bytes=$(du -sb "$work/db" | cut -f1)
  awk -v n="$n" -v is="$is" -v im="$im" -v qs="$qs" -v qm="$qm" -v b="$bytes" \
    'BEGIN { printf "| %d | %.2f | %.0f | %.0f | %.2f | %.0f | %.0f |\n", n, is, n/is, im/1024, qs, qm/1024, b/n }'
done
