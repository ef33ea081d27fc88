#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests, benchmarks and the demo.
#
#   source tests/scripts/pg-test-cluster.sh start [DIR]   # exports PG* and LEDGERTAP_TEST_DB
#   pg_test_cluster_stop                                  # stops it and removes DIR
#
# The cluster lives in DIR (default: a new temporary directory), listens on a free loopback port and
# on its own unix socket inside DIR, trusts local connections, and is stopped by
# pg_test_cluster_stop (callers install it as an EXIT trap). As root, the server runs as the
# `postgres` user through runuser, since PostgreSQL refuses to run as root.

pg_test_cluster__bin() {
    local v
    for v in 15 16 17; do
        if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then
            echo "/usr/lib/postgresql/$v/bin"
            return 0
        fi
    done
    command -v pg_ctl >/dev/null 2>&1 && dirname "$(command -v pg_ctl)" && return 0
    echo "pg-test-cluster: no PostgreSQL server binaries found (run scripts/install-deps)" >&2
    return 1
}

pg_test_cluster__as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_test_cluster__port_free() {
    # Something answering on the port means it is taken.
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg_test_cluster_start() {
    local dir="${1:-}"
    local bin
    bin="$(pg_test_cluster__bin)" || return 1
    if [ -z "$dir" ]; then
        dir="$(mktemp -d /tmp/ledgertap-pg.XXXXXX)"
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$dir"
    fi
    PG_TEST_CLUSTER_DIR="$dir"
    local data="$dir/data"
    if [ ! -f "$data/PG_VERSION" ]; then
        pg_test_cluster__as_owner "$bin/initdb" -D "$data" -A trust -E UTF8 --locale=C -N -U postgres \
            >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    fi
    local attempt port
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port=$(( 20000 + (RANDOM % 30000) ))
        pg_test_cluster__port_free "$port" || continue
        if pg_test_cluster__as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
            -o "-F -k $dir -p $port -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" \
            start >/dev/null; then
            export PGHOST="$dir" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
            export LEDGERTAP_TEST_DB="host=$dir port=$port user=postgres dbname=postgres"
            export LEDGERTAP_TEST_PG_BIN="$bin" LEDGERTAP_TEST_PG_DATA="$data"
            echo "pg-test-cluster: PostgreSQL ready on 127.0.0.1:$port and $dir (data $data)"
            return 0
        fi
    done
    echo "pg-test-cluster: could not start PostgreSQL; see $dir/server.log" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    return 1
}

pg_test_cluster_stop() {
    [ -n "${PG_TEST_CLUSTER_DIR:-}" ] || return 0
    local bin
    bin="$(pg_test_cluster__bin)" || return 0
    pg_test_cluster__as_owner "$bin/pg_ctl" -D "$PG_TEST_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    if [ "${LEDGERTAP_KEEP_PG:-0}" != "1" ]; then
        rm -rf "$PG_TEST_CLUSTER_DIR"
    fi
    PG_TEST_CLUSTER_DIR=""
}

if [ "${1:-}" = "start" ]; then
    pg_test_cluster_start "${2:-}"
fi
