#!/usr/bin/env bash
# Where the database's time goes at a fixed offered rate (bench/REPORT.md, Latency): a throwaway
# PostgreSQL with pg_stat_statements, `ledgertap-sim --chain nano --frame-rate RATE` ->
# ledgertap-ingest (the Release build scripts/bench makes), statements reset after a 4 s warm-up,
# then SECONDS of load; prints the top statements by total time, the latency of the rows received
# meanwhile, and ingest's batch-write histogram sum and count.
#
#   bench/profile-statements.sh [RATE=2000] [SECONDS=16]
#   bench/profile-statements.sh firehose [SECONDS]   # --firehose --history 0, as the throughput rows
#   bench/profile-statements.sh solana-firehose [SECONDS]   # the Solana firehose
#
# Environment: LEDGERTAP_BENCH_BUILD (default build/release; run scripts/bench --quick once to
# build it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rate="${1:-2000}"
seconds="${2:-16}"
build="${LEDGERTAP_BENCH_BUILD:-$root/build/release}"
work="$(mktemp -d /tmp/ledgertap-stmtprof-XXXXXX)"
chmod 755 "$work" # the cluster runs as postgres when we are root
# shellcheck source=../tests/scripts/pg-test-cluster.sh
source "$root/tests/scripts/pg-test-cluster.sh"
pids=()
cleanup() {
    [ "${#pids[@]}" -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    pg_test_cluster_stop
    rm -rf "$work"
}
trap cleanup EXIT
pg_test_cluster_start "$work/pg" >/dev/null
psql -qAtX -c "ALTER SYSTEM SET track_commit_timestamp = on" \
    -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
pg_test_cluster__as_owner "$(pg_test_cluster__bin)/pg_ctl" -D "$work/pg/data" -w -m fast restart >/dev/null
psql -qAtX -c "CREATE DATABASE prof" >/dev/null
conn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=prof"
"$build/ingest/ledgertap-ingest" --db "$conn" migrate >/dev/null
psql -d prof -qAtX -c "CREATE EXTENSION pg_stat_statements" >/dev/null

chain=nano sim_load=(--frame-rate "$rate" --history 64)
[ "$rate" = firehose ] && sim_load=(--firehose --history 0)
[ "$rate" = solana-firehose ] && chain=solana sim_load=(--firehose)
"$build/sim/ledgertap-sim" --chain "$chain" "${sim_load[@]}" --seed 1 \
    --ports-file "$work/ports.json" > "$work/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/ports.json" ] && break; sleep 0.1; done
ws_port=$(sed -n "s/.*\"${chain}_ws\": *\([0-9]*\).*/\1/p" "$work/ports.json")
"$build/ingest/ledgertap-ingest" --db "$conn" "--$chain-ws" "ws://127.0.0.1:$ws_port" \
    --metrics-addr 127.0.0.1:0 > "$work/ingest.log" 2>&1 &
pids+=($!)
sleep 4
psql -d prof -qAtX -c "SELECT pg_stat_statements_reset()" >/dev/null
sleep "$seconds"
psql -d prof -X -c "SELECT round(total_exec_time::numeric) AS total_ms, calls, round(mean_exec_time::numeric, 2) AS mean_ms, rows,
    left(regexp_replace(query, '\s+', ' ', 'g'), 120) AS statement
    FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15"
psql -d prof -qAtX -c "SELECT 'latency p50 / p99 ms: ' ||
    round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM pg_xact_commit_timestamp(xmin) - received_at) * 1000)::numeric, 1) || ' / ' ||
    round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM pg_xact_commit_timestamp(xmin) - received_at) * 1000)::numeric, 1)
    FROM $([ "$chain" = nano ] && echo nano.blocks || echo solana.transactions) WHERE received_at > now() - make_interval(secs => $seconds - 2)"
metrics_port=$(sed -n 's/.*readyz on port \([0-9]*\).*/\1/p' "$work/ingest.log" | head -1)
curl -s "http://127.0.0.1:$metrics_port/metrics" | grep -E '^ledgertap_batch_seconds_(sum|count)'
