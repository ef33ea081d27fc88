# Helpers of scripts/bench (sourced; expects root, build, work, sim, ingest, limit_tool,
# createdb_args set and a
# PostgreSQL cluster started by tests/scripts/pg-test-cluster.sh).
# BENCH_INGEST_LOG=debug raises ledgertap-ingest's log level (build/bench/work/ingest.log).

sim_pid="" ingest_pid="" proxy_pid="" ingest_db=""
stop_children() {
    [ -n "$ingest_pid" ] && kill -TERM "$ingest_pid" 2>/dev/null && wait "$ingest_pid" 2>/dev/null || true
    [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
    ingest_pid="" sim_pid=""
}

db_conninfo() { echo "host=$PGHOST port=$PGPORT user=postgres dbname=$1"; }
q() { psql -qAtX -d bench -c "$1"; }

# fresh_db NAME: an empty database with every migration applied.
fresh_db() {
    dropdb --if-exists "$1" && createdb ${createdb_args[@]+"${createdb_args[@]}"} "$1"
    LEDGERTAP_DB="$(db_conninfo "$1")" "$ingest" migrate >/dev/null
}

# start_pipeline TOML SIM_ARGS...: fresh database `bench`, the simulator with SIM_ARGS, and
# ledgertap-ingest with the config TOML, in which @NANO_WS@ @NANO_RPC@ @SOLANA_WS@ @SOLANA_RPC@
# become the simulator's URLs. Ingest reaches the database through the delay proxy while one runs
# (start_proxy); migrations and the queries of scripts/bench go direct.
start_pipeline() {
    local toml="$1"
    shift
    fresh_db bench
    rm -f "$work/ports.json"
    "$sim" --log-level warn --ports-file "$work/ports.json" "$@" >"$work/sim.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 1 300); do [ -s "$work/ports.json" ] && break; sleep 0.1; done
    [ -s "$work/ports.json" ] || { cat "$work/sim.log" >&2; return 1; }
    port() { sed -E "s/.*\"$1\":([0-9]+).*/\\1/" "$work/ports.json"; }
    printf '%s\n' "$toml" | sed -e "s|@NANO_WS@|ws://127.0.0.1:$(port nano_ws)|" \
        -e "s|@NANO_RPC@|http://127.0.0.1:$(port nano_rpc)|" \
        -e "s|@SOLANA_WS@|ws://127.0.0.1:$(port solana_ws)|" \
        -e "s|@SOLANA_RPC@|http://127.0.0.1:$(port solana_rpc)|" >"$work/ingest.toml"
    LEDGERTAP_DB="${ingest_db:-$(db_conninfo bench)}" \
        "$ingest" --config "$work/ingest.toml" --log-level ${BENCH_INGEST_LOG:-warn} >"$work/ingest.log" 2>&1 &
    ingest_pid=$!
}

# wait_rows SQL TARGET TIMEOUT_S: polls until SQL (a count) reaches TARGET; fails on timeout or
# when ingest dies.
wait_rows() {
    local deadline=$((SECONDS + $3))
    while [ "$(q "$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "bench: timed out waiting for $2 rows: $1" >&2; return 1; }
        kill -0 "$ingest_pid" 2>/dev/null || { cat "$work/ingest.log" >&2; return 1; }
        sleep 0.3
    done
}

# wait_written PORT TABLE TARGET TIMEOUT_S: polls ingest's metrics endpoint on 127.0.0.1:PORT until
# ledgertap_rows_written_total{table="TABLE"} reaches TARGET (rows committed, counted by ingest);
# fails on timeout or when ingest dies. Unlike wait_rows it costs the database nothing: a count(*)
# of a million-row table every 0.3 s would slow the very load being measured.
wait_written() {
    local deadline=$((SECONDS + $4)) n
    while :; do
        n=$({ curl -sf "http://127.0.0.1:$1/metrics" || true; } |
            awk -v t="ledgertap_rows_written_total{table=\"$2\"}" '$1 == t {printf "%.0f", $2}')
        [ "${n:-0}" -lt "$3" ] || return 0
        [ "$SECONDS" -lt "$deadline" ] || { echo "bench: timed out waiting for $3 rows written to $2 (${n:-0})" >&2; return 1; }
        kill -0 "$ingest_pid" 2>/dev/null || { cat "$work/ingest.log" >&2; return 1; }
        sleep 0.3
    done
}

# with_metrics TOML PORT: TOML with ingest's metrics endpoint on 127.0.0.1:PORT.
with_metrics() { printf '%s\n[metrics]\naddr = "127.0.0.1:%s"\n' "$1" "$2"; }

# wait_stable SQL TIMEOUT_S: polls until SQL (a count) is above 0 and has not grown for 3 s.
wait_stable() {
    local deadline=$((SECONDS + $2)) last=-1 same=0 now
    while [ "$SECONDS" -lt "$deadline" ]; do
        now=$(q "$1" 2>/dev/null || echo 0)
        if [ "$now" -gt 0 ] && [ "$now" = "$last" ]; then
            same=$((same + 1))
            [ "$same" -ge 10 ] && return 0
        else
            same=0
        fi
        last=$now
        sleep 0.3
    done
}

# cpu_seconds PID: user + system CPU time a running process has used, seconds.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }

# vm_hwm_mib PID: peak resident set size of a process, MiB.
vm_hwm_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# rate_of TABLE WHERE: rows / (last commit - first receipt) over TABLE's rows matching WHERE.
rate_of() {
    q "SELECT round(count(*) / nullif(extract(epoch FROM max(pg_xact_commit_timestamp(xmin)) - min(received_at)), 0))
       FROM $1 WHERE $2"
}

# limit_pair COUNT_TABLE: loads database bench's rows into fresh databases with
# ledgertap-bench-limit, straight COPY and staging + merge; prints "copy_rate merge_rate".
limit_pair() {
    local out_copy out_merge
    fresh_db limit_copy
    out_copy=$("$limit_tool" --from "$(db_conninfo bench)" --to "$(db_conninfo limit_copy)" --mode copy --count "$1" "${@:2}")
    fresh_db limit_merge
    out_merge=$("$limit_tool" --from "$(db_conninfo bench)" --to "$(db_conninfo limit_merge)" --mode merge --count "$1" "${@:2}")
    echo "bench:   limit: $out_copy | $out_merge" >&2
    echo "$(sed -E 's/.*count_per_s=([0-9]+).*/\1/' <<<"$out_copy") $(sed -E 's/.*count_per_s=([0-9]+).*/\1/' <<<"$out_merge")"
}

# stats VALUES...: "min / median / max" of numbers.
stats() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR == 0) {print "n/a"; exit}
        printf "%s / %s / %s", v[1], v[int((NR+1)/2)], v[NR]}'
}
# ratio A B: A / B to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }

# start_proxy DELAY_MS: ledgertap-bench-delay-proxy in front of the cluster's TCP port; until
# stop_proxy, ingest connects through it (ingest_db).
start_proxy() {
    "$delay_proxy" --listen 127.0.0.1:0 --to "127.0.0.1:$PGPORT" --delay-ms "$1" >"$work/proxy.out" 2>"$work/proxy.err" &
    proxy_pid=$!
    local port=""
    for _ in $(seq 1 100); do
        port=$(sed -nE 's/.*listening 127\.0\.0\.1:([0-9]+).*/\1/p' "$work/proxy.out")
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || { cat "$work/proxy.err" >&2; echo "bench: the delay proxy did not start" >&2; return 1; }
    proxy_port=$port
    ingest_db="host=127.0.0.1 port=$port user=postgres dbname=bench"
}
stop_proxy() {
    [ -n "$proxy_pid" ] && kill -TERM "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null || true
    proxy_pid="" ingest_db=""
}
# proxy_select1_ms: median of 5 `SELECT 1` round trips (psql \timing) through the running proxy.
proxy_select1_ms() {
    psql -qAtX -h 127.0.0.1 -p "$proxy_port" -d postgres -c '\timing on' -c 'SELECT 1' -c 'SELECT 1' \
        -c 'SELECT 1' -c 'SELECT 1' -c 'SELECT 1' | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' |
        sort -g | awk '{v[NR]=$1} END {print (NR ? v[int((NR+1)/2)] : "n/a")}'
}

# free_port: a TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# messages_total PORT: ingest's ledgertap_messages_total summed over sources and topics, read from
# its metrics endpoint on 127.0.0.1:PORT (0 until it answers).
messages_total() {
    { curl -sf "http://127.0.0.1:$1/metrics" || true; } | awk '/^ledgertap_messages_total[{ ]/ {s += $NF} END {printf "%.0f", s}'
}
