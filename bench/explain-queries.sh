# shellcheck shell=bash
# Sourced by scripts/explain once the database is filled (PG* point at it). Takes every statement
# ledgertap-query runs straight out of query/*.cpp (so the report cannot drift from the code), runs
# it once with realistic parameters under auto_explain (log_analyze, log_buffers,
# log_nested_statements: the plan of every statement inside a function is shown too) and writes
# the plans to the report. A point lookup or a --since window whose plan reads a big table with a
# Seq Scan is a failure.

# The big tables: at least N/10 rows (nano.blocks, solana.transactions, solana.slots, solana.blocks,
# solana.votes), as relation names the way a text plan prints them. Set by explain_report.
explain_big_tables=''

# explain_sql FILE NAME: the text of `constexpr const char* NAME = R"(...)";` in FILE.
explain_sql() {
    local file="$1" name="$2" text
    text="$(sed -n "/constexpr const char\* ${name} = R\"(/,/)\";/p" "$file")"
    [ -n "$text" ] || { echo "explain: no statement $name in $file" >&2; return 1; }
    text="${text#*R\"(}"
    printf '%s\n' "${text%)\";*}"
}

# explain_one LABEL KIND FILE NAME PARAM... : KIND is lookup, window (both must not Seq Scan a big
# table) or other. Appends to $explain_out; counts failures in explain_failures.
explain_one() {
    local label="$1" kind="$2" file="$3" name="$4" sql log params="" p ms bad
    shift 4
    for p in "$@"; do params+="${params:+, }'${p//\'/\'\'}'"; done
    sql="$(explain_sql "$file" "$name")" || { explain_failures=$((explain_failures + 1)); return 0; }
    log="$(psql -qAtX -v ON_ERROR_STOP=1 2>&1 >/dev/null <<EOF
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_timing = on;
SET auto_explain.log_nested_statements = on;
PREPARE s AS $sql;
SET client_min_messages = log;
EXECUTE s${params:+($params)};
EOF
)" || { printf 'explain: %s failed:\n%s\n' "$label" "$log" >&2; explain_failures=$((explain_failures + 1)); return 0; }
    # psql prints: LOG:  duration: 1.234 ms  plan:\nQuery Text: ...\n<plan>. Keep the plans.
    ms="$(grep -o 'duration: [0-9.]* ms' <<<"$log" | tail -n 1 | grep -o '[0-9.]*')"
    bad=""
    if [ "$kind" != other ] && grep -Eq "Seq Scan on ($explain_big_tables)( |$)" <<<"$log"; then
        bad="$(grep -Eo "Seq Scan on ($explain_big_tables)( [a-z_]+)?" <<<"$log" | sort -u | paste -sd, -)"
        explain_failures=$((explain_failures + 1))
        printf 'explain: FAIL %s: %s\n' "$label" "$bad" >&2
    fi
    # An index scan that throws away most of a big table (a min()/max() walking a primary key
    # with a time filter) is a full scan in disguise: flagged, and a failure with
    # LEDGERTAP_EXPLAIN_STRICT=1.
    local wasted
    wasted="$(awk -v big="^($explain_big_tables)$" -v limit="$explain_waste_limit" '
        / on [a-z_]+/ { n = split($0, w, " on "); split(w[2], t, " "); table = t[1] }
        /Rows Removed by Filter: / { x = $NF + 0
            if (table ~ big && x >= limit) { printf "%s%s filtered %d rows", sep, table, x; sep = ", " } }' <<<"$log")"
    if [ -n "$wasted" ] && [ "$kind" != other ]; then
        printf 'explain: WARNING %s: %s\n' "$label" "$wasted" >&2
        explain_warnings=$((explain_warnings + 1))
        [ "${LEDGERTAP_EXPLAIN_STRICT:-0}" = 1 ] && explain_failures=$((explain_failures + 1))
    else
        wasted=""
    fi
    explain_summary+="| \`$label\` | $kind | ${params:-none} | ${ms} | ${bad:-no} | ${wasted:-no} |"$'\n'
    {
        printf '### %s\n\n' "$label"
        printf '`%s` in %s, %s, parameters: %s. Total %s ms%s.\n\n' "$name" "${explain_file_label:-${file#"$root/"}}" "$kind" \
            "${params:-none}" "$ms" "${bad:+ — **SEQ SCAN: $bad**}${wasted:+ — **index scan filtering most of a big table: $wasted**}"
        printf '```\n'
        # Drop the repeated query text, keep each plan (its first 100 lines).
        awk '/^LOG:  duration:/ { n = 0; print; skip = 1; next }
             skip && /^Query Text:/ { next }
             skip && /^\t?[ ]*(->|[A-Z][A-Za-z ]+ (Scan|Join|Aggregate|Loop|Sort|Result|Limit|Append|Hash|Unique|Materialize|Gather|WindowAgg|Subquery|Function))|^[A-Z][a-zA-Z ]*  \(cost/ { skip = 0 }
             skip { next }
             { if (++n <= 100) print; else if (n == 101) print "  ... (trimmed)" }' <<<"$log"
        printf '```\n\n'
    } >>"$explain_out"
}

explain_report() {
    local rows="$1" load_seconds="$2" report="$3" since
    local cmd="$root/query/commands.cpp" rep="$root/query/report.cpp" hpp="$root/query/sql.hpp"
    explain_out="$(mktemp)"
    explain_summary=""
    explain_failures=0
    explain_warnings=0
    explain_waste_limit=$((rows / 100 > 1000 ? rows / 100 : 1000))
    explain_big_tables="$(psql -qAtX -c "SELECT string_agg(DISTINCT c.relname, '|')
                                          FROM pg_class AS c
                                          WHERE c.relnamespace::regnamespace::text IN ('nano', 'solana')
                                            AND c.relkind = 'r' AND c.reltuples >= $rows / 10")"

    # Realistic parameters: a block confirmed a little while ago and its account, a slot with its
    # block and transactions from the last hour.
    local hash account slot
    hash="$(psql -qAtX -c "SELECT hash FROM nano.blocks ORDER BY confirmed_at DESC OFFSET 1000 LIMIT 1")"
    account="$(psql -qAtX -c "SELECT account FROM nano.blocks WHERE hash = '$hash'")"
    slot="$(psql -qAtX -c "SELECT max(slot) - 1000 FROM solana.slots")"

    for since in '1 hour' '24 hours'; do
        explain_one "status: nano per minute --since $since" window "$cmd" nano_per_minute_sql "$since" 60
        explain_one "status: solana summary --since $since" window "$cmd" solana_summary_sql "$since"
        explain_one "status: solana per minute --since $since" window "$cmd" solana_per_minute_sql "$since" 60
        explain_one "slots summary --since $since" window "$cmd" slots_summary_sql "$since"
        explain_one "slots --since $since" window "$cmd" slots_sql "$since" 50
        explain_one "votes: nano --since $since" window "$cmd" nano_votes_sql "$since"
        explain_one "votes: nano representatives --since $since" window "$cmd" nano_representatives_sql "$since" 20
        explain_one "votes: solana --since $since" window "$cmd" solana_votes_sql "$since"
        explain_one "votes: solana validators --since $since" window "$cmd" solana_validators_sql "$since" 20
        explain_one "telemetry peers --since $since" window "$cmd" telemetry_peers_sql "$since" 20
        explain_one "report: span --since $since" window "$rep" span_sql "$since"
        explain_one "report: nano stats --since $since" window "$rep" nano_stats_sql "$since" "1 minute"
        explain_one "report: solana summary --since $since" window "$rep" solana_summary_sql "$since"
        explain_one "report: slot steps --since $since" window "$rep" slot_steps_sql "$since"
        explain_one "report: slot stats --since $since" window "$rep" slot_stats_sql "$since" "1 minute"
        explain_one "report: block stats --since $since" window "$rep" block_stats_sql "$since" "1 minute"
    done
    explain_one "block HASH" lookup "$cmd" block_sql "$hash"
    explain_one "block HASH: elections" lookup "$cmd" block_elections_sql "$hash"
    explain_one "block HASH: votes" lookup "$cmd" block_votes_sql "$hash" 20
    explain_one "block HASH: election votes" lookup "$cmd" block_election_votes_sql "$hash" 20
    explain_one "account ADDRESS" lookup "$cmd" account_sql "$account"
    explain_one "account ADDRESS: blocks" lookup "$cmd" account_blocks_sql "$account" 20
    explain_one "slot N" lookup "$cmd" slot_sql "$slot"
    explain_one "slot N: block" lookup "$cmd" slot_block_sql "$slot"
    explain_one "slot N: transaction summary" lookup "$cmd" slot_transaction_summary_sql "$slot"
    explain_one "slot N: transactions" lookup "$cmd" slot_transactions_sql "$slot" 20
    explain_one "status/gaps: gap summary" other "$cmd" gap_summary_sql
    explain_one "sources" other "$cmd" sources_sql
    explain_one "watermarks" other "$cmd" watermarks_sql
    explain_one "tables" other "$cmd" table_rows_sql
    explain_one "connections" other "$cmd" connections_sql 20
    explain_one "report: sources" other "$rep" sources_sql
    explain_hpp "$hpp"
    explain_writer

    {
        printf '# EXPLAIN at scale (issue #7)\n\n'
        printf 'Generated by `scripts/explain --rows %s` on %s UTC. Every statement ledgertap-query runs\n' \
            "$rows" "$(date -u '+%Y-%m-%d %H:%M')"
        printf 'for its commands (taken from query/*.cpp at run time), executed once with realistic\n'
        printf 'parameters under auto_explain (ANALYZE, BUFFERS, nested statements). A point lookup or a\n'
        printf -- '--since window reading a big table with a Seq Scan fails the script. So does one in any\n'
        printf 'statement the writer runs per batch (EXPLAINed, not run: see Writer statements at the end).\n\n'
        printf '## Machine and data\n\n'
        printf -- '- %s, %s CPUs (shared with other jobs during the run), %s GiB RAM\n' \
            "$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)" "$(nproc)" \
            "$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)"
        printf -- '- %s; shared_buffers %s, work_mem %s, fsync off\n' \
            "$(psql -qAtX -c 'SELECT version()' | cut -d, -f1)" \
            "$(psql -qAtX -c 'SHOW shared_buffers')" "$(psql -qAtX -c 'SHOW work_mem')"
        printf -- '- Load (generate_series inside PostgreSQL, four sessions, then ANALYZE): %s s\n' \
            "${load_seconds:-?}"
        printf -- '- Big tables (>= N/10 rows; a Seq Scan on one fails a lookup or a window): %s\n' \
            "${explain_big_tables//|/, }"
        printf -- '- Parameters: hash `%s`, account `%s`, slot %s\n\n' "$hash" "$account" "$slot"
        printf '| table | rows (pg_class.reltuples after ANALYZE) | size |\n|---|---:|---:|\n'
        psql -qAtX -F ' | ' -c "SELECT '| ' || c.oid::regclass, to_char(c.reltuples, 'FM999,999,999,999'),
                                       pg_size_pretty(pg_total_relation_size(c.oid)) || ' |'
                                FROM pg_class AS c
                                WHERE c.relnamespace::regnamespace::text IN ('nano', 'solana', 'ledgertap')
                                  AND c.relkind = 'r' AND c.reltuples > 0
                                ORDER BY c.reltuples DESC"
        printf '\n## Summary\n\n| statement | kind | parameters | ms | big-table Seq Scan | index scan filtering >= N/100 rows of a big table |\n|---|---|---|---:|---|---|\n'
        printf '%s' "$explain_summary"
        printf '\n## Plans\n\n'
        cat "$explain_out"
    } >"$report"
    rm -f "$explain_out"
    echo "explain: report in ${report#"$root/"}, $explain_failures failure(s), $explain_warnings warning(s)"
    [ "$explain_failures" -eq 0 ]
}

# The writer's statements (issue #9): every merge and post-merge statement ledgertap-ingest runs
# per batch, EXPLAINed (not run) over empty staging tables the way its session creates them
# (`ledgertap-bench-limit --print-statements`, from the writer's own table_set). A Seq Scan of a
# big table there is paid by every batch, growing with the table: a failure. (Comparing a text
# staging column to a char(64) key, for one, cannot use the key's index.)
explain_writer() {
    local limit_tool="" b out
    for b in "${LEDGERTAP_EXPLAIN_BUILD:-}" "$root/build/release" "$root/build/test"; do
        if [ -n "$b" ] && [ -x "$b/bench/ledgertap-bench-limit" ]; then
            limit_tool="$b/bench/ledgertap-bench-limit"
            break
        fi
    done
    if [ -z "$limit_tool" ]; then
        printf 'explain: no ledgertap-bench-limit to print the writer statements\n' >&2
        explain_failures=$((explain_failures + 1))
        return 0
    fi
    out="$("$limit_tool" --print-statements | psql -qAtX -v ON_ERROR_STOP=1 2>&1)" || {
        printf 'explain: the writer statements failed:\n%s\n' "$out" >&2
        explain_failures=$((explain_failures + 1))
        return 0
    }
    printf '## Writer statements\n\nEvery merge and post-merge statement of ledgertap-ingest'"'"'s writer (`ledgertap-bench-limit\n' >>"$explain_out"
    printf -- '--print-statements`), EXPLAINed over empty staging tables: a Seq Scan of a big table fails.\n\n' >>"$explain_out"
    local line section="" plan=""
    while IFS= read -r line; do
        if [[ "$line" == "#### "* ]]; then
            explain_writer_section "$section" "$plan"
            section="${line#"#### "}" plan=""
        else
            plan+="$line"$'\n'
        fi
    done <<<"$out"
    explain_writer_section "$section" "$plan"
}

# explain_writer_section NAME PLAN: checks and reports one writer statement's plan.
explain_writer_section() {
    local section="$1" plan="$2" bad=""
    [ -n "$section" ] || return 0
    if grep -Eq "Seq Scan on ($explain_big_tables)( |$)" <<<"$plan"; then
        bad="$(grep -Eo "Seq Scan on ($explain_big_tables)( [a-z_]+)?" <<<"$plan" | sort -u | paste -sd, -)"
        explain_failures=$((explain_failures + 1))
        printf 'explain: FAIL writer %s: %s\n' "$section" "$bad" >&2
    fi
    explain_summary+="| writer: \`$section\` | per batch | none | | ${bad:-no} | |"$'\n'
    printf '### writer: %s%s\n\n```\n%s```\n\n' "$section" "${bad:+ — **SEQ SCAN: $bad**}" "$plan" >>"$explain_out"
}

# The statements in query/sql.hpp (inline constexpr, shared by status and report).
explain_hpp() {
    local hpp="$1" name
    local tmp
    tmp="$(mktemp)"
    explain_file_label=query/sql.hpp
    sed 's/inline constexpr const char\* \([a-z_]*\) = R"(/constexpr const char* \1_sql = R"(/' "$hpp" >"$tmp"
    for since in '1 hour' '24 hours'; do
        explain_one "status: nano summary --since $since" window "$tmp" nano_summary_sql "$since"
        explain_one "telemetry summary --since $since" window "$tmp" telemetry_summary_sql "$since"
        explain_one "telemetry versions --since $since" window "$tmp" telemetry_versions_sql "$since"
    done
    explain_one "status: gaps" other "$tmp" gaps_sql "24 hours" 50
    explain_file_label=""
    rm -f "$tmp"
}
