#include "ingest/app.hpp"

#include "ingest/db.hpp"
#include "ingest/feed_client.hpp"
#include "ingest/gap_tables.hpp"
#include "ingest/http_server.hpp"
#include "ingest/nano_backfill.hpp"
#include "ingest/solana_backfill.hpp"
#include "ingest/nano_source.hpp"
#include "ingest/nano_tables.hpp"
#include "ingest/pg_sink.hpp"
#include "ingest/pipeline_tables.hpp"
#include "ingest/queue.hpp"
#include "ingest/solana_source.hpp"
#include "ingest/solana_tables.hpp"
#include "ingest/writer.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <memory>
#include <pthread.h>
#include <thread>

namespace ledgertap::ingest {

namespace {

/// Blocks SIGTERM/SIGINT/SIGPIPE in this and every thread started after it, so only the waiter
/// thread sees them (and a dropped database socket cannot kill the process with SIGPIPE).
sigset_t block_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

} // namespace

int run_ingest(const config& cfg) {
    sigset_t signals = block_signals();

    table_set tables;
    const auto pipeline = register_pipeline_tables(tables);
    const auto nano_t = register_nano_tables(tables);
    const auto solana_t = register_solana_tables(tables);
    const auto gap_t = register_gap_tables(tables);
    add_nano_gap_detection(tables, nano_t, cfg.backfill.nano_unknown_account_policy == "backfill");

    queue_limits ql;
    ql.high_water_bytes = cfg.writer.queue_high_water_bytes;
    ql.low_water_bytes = cfg.writer.queue_low_water_bytes;
    // One source may fill half the queue; past that only its own feeds pause (see bounded_queue).
    ql.source_high_water_bytes = ql.high_water_bytes / 2;
    ql.source_low_water_bytes = ql.low_water_bytes / 2;
    bounded_queue queue{ql};

    pg_sink_options so;
    so.synchronous_commit = cfg.writer.synchronous_commit;
    so.work_mem_kb = work_mem_for_batch(cfg.writer.batch_max_bytes);
    const std::string conninfo =
        resolve_conninfo(cfg.database.empty() ? std::nullopt : std::optional<std::string>{cfg.database}).conninfo;
    pg_sink sink{conninfo, tables, so};

    writer_options wo;
    wo.limits.max_groups = cfg.writer.batch_max_messages;
    wo.limits.max_bytes = cfg.writer.batch_max_bytes;
    wo.limits.max_age = cfg.writer.batch_max_age;
    wo.retry.initial = cfg.writer.retry_initial;
    wo.retry.max = cfg.writer.retry_max;
    wo.shutdown_timeout = cfg.writer.shutdown_timeout;
    auto dead_letter = [&pipeline, &cfg](const row_group& bad, const std::string& reason) {
        std::string payload;
        for (const auto& r : bad.rows) {
            payload += r.line;
        }
        const auto slash = bad.origin.find('/');
        const std::string source = bad.origin.substr(0, slash);
        // The chain column only takes 'nano', 'solana' or NULL: name it from the source.
        const std::string_view chain = source == cfg.nano.name ? "nano" : source == cfg.solana.name ? "solana" : "";
        row_group g;
        g.origin = "dead-letter";
        g.rows.push_back(row_for_rejected(
            pipeline, source, chain, now_ms(), "database_rejected", reason, payload, payload.size()));
        return g;
    };
    writer w{queue, sink, dead_letter, wo};

    feed_client feeds;
    queue.set_pressure_callback([&feeds](bool paused) { feeds.set_paused(paused); });
    queue.set_source_pressure_callback([&feeds](const std::string& source, bool paused) {
        global_metrics()
            .get_gauge("ledgertap_source_paused", {{"source", source}},
                "1 while the source's share of the writer queue is full and its feeds are paused")
            .set(paused ? 1 : 0);
        feeds.set_source_paused(source, paused);
    });

    std::unique_ptr<nano_source> nano;
    std::vector<std::unique_ptr<solana_source>> solana;
    std::unique_ptr<nano_backfill> nano_fill;
    std::unique_ptr<solana_backfill> solana_fill;
    try {
        if (!cfg.nano.ws_url.empty()) {
            nano = std::make_unique<nano_source>(cfg.nano, nano_t, pipeline, queue);
            feeds.add(nano->endpoint(), *nano);
            if (cfg.backfill.enabled) {
                nano_fill = std::make_unique<nano_backfill>(cfg.nano, cfg.backfill, conninfo, nano_t, gap_t, queue);
                nano->set_on_reconnect([f = nano_fill.get()] { f->request_reconcile(); });
            }
            spdlog::info("source {}: Nano node at {} (rpc {})", cfg.nano.name, cfg.nano.ws_url,
                cfg.nano.rpc_url.empty() ? "off" : cfg.nano.rpc_url);
        }
        if (!cfg.solana.ws_url.empty()) {
            auto shards = plan_solana_subscriptions(cfg.solana);
            for (std::size_t i = 0; i < shards.size(); ++i) {
                solana.push_back(std::make_unique<solana_source>(cfg.solana, i, std::move(shards[i]), solana_t, pipeline, queue));
                feeds.add(solana.back()->endpoint(), *solana.back());
            }
            if (cfg.backfill.enabled) {
                solana_fill = std::make_unique<solana_backfill>(cfg.solana, cfg.backfill, conninfo, solana_t, gap_t, queue);
                for (auto& src : solana) {
                    src->set_on_reconnect([f = solana_fill.get()] { f->request_round(); });
                }
            }
            spdlog::info("source {}: Solana node at {} (rpc {}), {} connection(s)", cfg.solana.name, cfg.solana.ws_url,
                cfg.solana.rpc_url.empty() ? "off" : cfg.solana.rpc_url, solana.size());
        }
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 2;
    }
    spdlog::info("writer: database {}", describe_conninfo(conninfo));

    std::unique_ptr<http_server> metrics_server;
    if (!cfg.metrics_addr.empty()) {
        auto& m = global_metrics();
        metrics_server = std::make_unique<http_server>(cfg.metrics_addr, [&](const std::string& path) -> http_reply {
            if (path == "/metrics") {
                m.get_gauge("ledgertap_queue_messages", {}, "Messages waiting in the writer queue")
                    .set(static_cast<double>(queue.size()));
                m.get_gauge("ledgertap_queue_bytes", {}, "Bytes waiting in the writer queue")
                    .set(static_cast<double>(queue.bytes()));
                return {200, "text/plain; version=0.0.4; charset=utf-8", m.render()};
            }
            if (path == "/healthz") {
                return {200, "text/plain; charset=utf-8", "ok\n"};
            }
            if (path == "/readyz") {
                bool connected = false;
                if (nano) {
                    connected = connected || m.value_of("ledgertap_source_connected", {{"source", cfg.nano.name}}) > 0;
                }
                if (!solana.empty()) {
                    connected = connected || m.value_of("ledgertap_source_connected", {{"source", cfg.solana.name}}) > 0;
                }
                if (!w.healthy()) {
                    return {503, "text/plain; charset=utf-8", "not ready: database writes are failing (retrying)\n"};
                }
                if (!connected) {
                    return {503, "text/plain; charset=utf-8", "not ready: no source is connected\n"};
                }
                return {200, "text/plain; charset=utf-8", "ready\n"};
            }
            return {404, "text/plain; charset=utf-8", "not found; try /metrics, /healthz or /readyz\n"};
        });
        try {
            metrics_server->start();
        } catch (const std::exception& e) {
            spdlog::error("{}", e.what());
            return 2;
        }
        spdlog::info("metrics: /metrics, /healthz and /readyz on port {}", metrics_server->port());
    }

    std::thread writer_thread{[&] { w.run(); }};
    std::thread feed_thread{[&] { feeds.run(); }};
    std::thread nano_fill_thread;
    std::thread solana_fill_thread;
    if (nano_fill) {
        nano_fill_thread = std::thread{[&] { nano_fill->run(); }};
    }
    if (solana_fill) {
        solana_fill_thread = std::thread{[&] { solana_fill->run(); }};
    }

    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("received {}; stopping intake and flushing", sig == SIGTERM ? "SIGTERM" : "SIGINT");

    feeds.stop();
    feed_thread.join();
    if (nano_fill) {
        nano_fill->stop();
        nano_fill_thread.join();
    }
    if (solana_fill) {
        solana_fill->stop();
        solana_fill_thread.join();
    }
    w.stop();
    writer_thread.join();
    if (metrics_server) {
        metrics_server->stop();
    }
    if (w.lost_groups() > 0) {
        spdlog::error("shutdown: {} messages could not be written (database unavailable)", w.lost_groups());
        return 1;
    }
    spdlog::info("shutdown: flushed; {} messages committed in {} transactions", w.committed_groups(), w.batches());
    return 0;
}

} // namespace ledgertap::ingest
