#include "ingest/config.hpp"

#include "ingest/db.hpp"
#include "ingest/feed_client.hpp"
#include "schema/codec.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace ledgertap::ingest {

namespace {

using setter = std::function<void(const toml::node&, const std::string& key)>;
using section = std::map<std::string, setter>;

[[noreturn]] void bad(const std::string& key, const std::string& what) {
    throw config_error(fmt::format("config key '{}': {}", key, what));
}

std::string accepted(const section& s) {
    std::string out;
    for (const auto& [k, _] : s) {
        if (!out.empty()) {
            out += ", ";
        }
        out += k;
    }
    return out;
}

std::int64_t get_int(const toml::node& n, const std::string& key, std::int64_t lo, std::int64_t hi) {
    const auto* v = n.as_integer();
    if (v == nullptr) {
        bad(key, fmt::format("expected an integer in {}..{}", lo, hi));
    }
    const std::int64_t x = v->get();
    if (x < lo || x > hi) {
        bad(key, fmt::format("{} is out of range; accepted: {}..{}", x, lo, hi));
    }
    return x;
}

setter size_key(std::size_t& out, std::int64_t lo, std::int64_t hi) {
    return [&out, lo, hi](const toml::node& n, const std::string& key) {
        out = static_cast<std::size_t>(get_int(n, key, lo, hi));
    };
}

setter ms_key(std::chrono::milliseconds& out, std::int64_t lo, std::int64_t hi) {
    return [&out, lo, hi](const toml::node& n, const std::string& key) {
        out = std::chrono::milliseconds{get_int(n, key, lo, hi)};
    };
}

setter s_key(std::chrono::seconds& out, std::int64_t lo, std::int64_t hi) {
    return [&out, lo, hi](const toml::node& n, const std::string& key) {
        out = std::chrono::seconds{get_int(n, key, lo, hi)};
    };
}

setter u32_key(std::uint32_t& out, std::int64_t lo, std::int64_t hi) {
    return [&out, lo, hi](const toml::node& n, const std::string& key) {
        out = static_cast<std::uint32_t>(get_int(n, key, lo, hi));
    };
}

setter bool_key(bool& out) {
    return [&out](const toml::node& n, const std::string& key) {
        const auto* v = n.as_boolean();
        if (v == nullptr) {
            bad(key, "expected true or false");
        }
        out = v->get();
    };
}

setter double_key(double& out, double lo, double hi) {
    return [&out, lo, hi](const toml::node& n, const std::string& key) {
        double x = 0;
        if (const auto* f = n.as_floating_point()) {
            x = f->get();
        } else if (const auto* i = n.as_integer()) {
            x = static_cast<double>(i->get());
        } else {
            bad(key, "expected a number");
        }
        if (x < lo || x > hi) {
            bad(key, fmt::format("{} is out of range; accepted: {}..{}", x, lo, hi));
        }
        out = x;
    };
}

setter string_key(std::string& out) {
    return [&out](const toml::node& n, const std::string& key) {
        const auto* v = n.as_string();
        if (v == nullptr) {
            bad(key, "expected a string");
        }
        out = v->get();
    };
}

setter enum_key(std::string& out, std::vector<std::string> allowed) {
    return [&out, allowed = std::move(allowed)](const toml::node& n, const std::string& key) {
        const auto* v = n.as_string();
        std::string list;
        for (const auto& a : allowed) {
            list += (list.empty() ? "" : ", ") + a;
        }
        if (v == nullptr) {
            bad(key, "expected one of: " + list);
        }
        for (const auto& a : allowed) {
            if (v->get() == a) {
                out = a;
                return;
            }
        }
        bad(key, fmt::format("'{}' is not accepted; accepted: {}", v->get(), list));
    };
}

setter string_list_key(std::vector<std::string>& out) {
    return [&out](const toml::node& n, const std::string& key) {
        const auto* arr = n.as_array();
        if (arr == nullptr) {
            bad(key, "expected an array of strings");
        }
        std::vector<std::string> values;
        for (const auto& e : *arr) {
            const auto* s = e.as_string();
            if (s == nullptr) {
                bad(key, "expected an array of strings");
            }
            values.push_back(s->get());
        }
        out = std::move(values);
    };
}

constexpr std::int64_t max_bytes = std::int64_t{1} << 40;
constexpr std::int64_t day_ms = 86400000;
constexpr std::int64_t day_s = 86400;

std::map<std::string, section> schema_for(config& c) {
    std::map<std::string, section> s;
    s["database"] = {
        {"url", string_key(c.database)},
        {"synchronous_commit", bool_key(c.writer.synchronous_commit)},
    };
    auto& n = c.nano;
    s["nano"] = {
        {"name", string_key(n.name)},
        {"ws_url", string_key(n.ws_url)},
        {"rpc_url", string_key(n.rpc_url)},
        {"max_message_bytes", size_key(n.max_message_bytes, 1024, max_bytes)},
        {"max_dead_letters_per_second", size_key(n.max_dead_letters_per_second, 1, 10000000)},
        {"ping_interval_s", s_key(n.ping_interval, 1, day_s)},
        {"ack_timeout_s", s_key(n.ack_timeout, 1, day_s)},
        {"stall_timeout_s", s_key(n.stall_timeout, 0, day_s)},
        {"reconnect_initial_ms", ms_key(n.reconnect_initial, 1, day_ms)},
        {"reconnect_max_ms", ms_key(n.reconnect_max, 1, day_ms)},
        {"election_votes", bool_key(n.election_votes)},
        {"votes", bool_key(n.votes)},
        {"max_response_bytes", size_key(n.max_response_bytes, 1024, max_bytes)},
        {"tls_ca_file", string_key(n.tls_ca_file)},
        {"tls_insecure", bool_key(n.tls_insecure)},
    };
    auto& so = c.solana;
    s["solana"] = {
        {"name", string_key(so.name)},
        {"ws_url", string_key(so.ws_url)},
        {"rpc_url", string_key(so.rpc_url)},
        {"max_message_bytes", size_key(so.max_message_bytes, 1024, max_bytes)},
        {"max_dead_letters_per_second", size_key(so.max_dead_letters_per_second, 1, 10000000)},
        {"commitment", enum_key(so.commitment, {"confirmed", "finalized"})},
        {"block_encoding", enum_key(so.block_encoding, {"json", "jsonParsed", "base64", "base58"})},
        {"transaction_details", enum_key(so.transaction_details, {"full", "accounts", "signatures", "none"})},
        {"logs_filter", enum_key(so.logs_filter, {"all", "allWithVotes"})},
        {"accounts", string_list_key(so.accounts)},
        {"programs", string_list_key(so.programs)},
        {"signatures", string_list_key(so.signatures)},
        {"max_subscriptions_per_connection", size_key(so.max_subscriptions_per_connection, 1, 100000)},
        {"keepalive_interval_s", s_key(so.keepalive_interval, 1, day_s)},
        {"stall_timeout_s", s_key(so.stall_timeout, 0, day_s)},
        {"reconnect_initial_ms", ms_key(so.reconnect_initial, 1, day_ms)},
        {"reconnect_max_ms", ms_key(so.reconnect_max, 1, day_ms)},
        {"max_response_bytes", size_key(so.max_response_bytes, 1024, max_bytes)},
        {"tls_ca_file", string_key(so.tls_ca_file)},
        {"tls_insecure", bool_key(so.tls_insecure)},
    };
    auto& w = c.writer;
    s["writer"] = {
        {"batch_max_messages", size_key(w.batch_max_messages, 1, 10000000)},
        {"batch_max_bytes", size_key(w.batch_max_bytes, 1024, max_bytes)},
        {"batch_max_age_ms", ms_key(w.batch_max_age, 1, 600000)},
        {"queue_high_water_bytes", size_key(w.queue_high_water_bytes, 1024, max_bytes)},
        {"queue_low_water_bytes", size_key(w.queue_low_water_bytes, 0, max_bytes)},
        {"retry_initial_ms", ms_key(w.retry_initial, 1, day_ms)},
        {"retry_max_ms", ms_key(w.retry_max, 1, day_ms)},
        {"shutdown_timeout_ms", ms_key(w.shutdown_timeout, 0, day_ms)},
    };
    auto& b = c.backfill;
    s["backfill"] = {
        {"enabled", bool_key(b.enabled)},
        {"rpc_timeout_ms", ms_key(b.rpc_timeout, 1, day_ms)},
        {"rpc_retries", u32_key(b.rpc_retries, 0, 1000)},
        {"rpc_rate_limit", double_key(b.rpc_rate_limit, 0, 1e6)},
        {"nano_batch", size_key(b.nano_batch, 1, 1000)},
        {"nano_unknown_account_policy", enum_key(b.nano_unknown_account_policy, {"record", "backfill"})},
        {"solana_concurrency", size_key(b.solana_concurrency, 1, 64)},
        {"solana_start", string_key(b.solana_start)},
        {"solana_max_slots_per_round", size_key(b.solana_max_slots_per_round, 1, 500000)},
        {"reconcile_interval_s", s_key(b.reconcile_interval, 1, day_s)},
    };
    s["metrics"] = {{"addr", string_key(c.metrics_addr)}};
    s["log"] = {
        {"level", enum_key(c.log_level, {"trace", "debug", "info", "warn", "error"})},
        {"format", enum_key(c.log_format, {"text", "json"})},
    };
    return s;
}

} // namespace

void apply_toml(config& base, const std::string& toml_text, const std::string& origin) {
    toml::table root;
    try {
        root = toml::parse(toml_text, origin);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw config_error(fmt::format(
            "{}:{}:{}: {}", origin, where.line, where.column, std::string(e.description())));
    }
    config next = base; // all or nothing
    auto sections = schema_for(next);
    for (auto&& [sec_key, sec_node] : root) {
        const std::string sec{sec_key.str()};
        const auto it = sections.find(sec);
        if (it == sections.end()) {
            std::string names;
            for (const auto& [k, _] : sections) {
                names += (names.empty() ? "" : ", ") + k;
            }
            throw config_error(fmt::format("{}: unknown section '{}'; accepted: {}", origin, sec, names));
        }
        const auto* tbl = sec_node.as_table();
        if (tbl == nullptr) {
            throw config_error(fmt::format("{}: '{}' must be a table ([{}])", origin, sec, sec));
        }
        for (auto&& [k, v] : *tbl) {
            const std::string key{k.str()};
            const std::string full = sec + "." + key;
            const auto setter_it = it->second.find(key);
            if (setter_it == it->second.end()) {
                throw config_error(fmt::format(
                    "{}: unknown config key '{}'; accepted in [{}]: {}", origin, full, sec, accepted(it->second)));
            }
            setter_it->second(v, full);
        }
    }
    base = std::move(next);
}

void apply_toml_file(config& base, const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        throw config_error(fmt::format("cannot read config file '{}'", path));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    apply_toml(base, ss.str(), path);
}

void validate(const config& c) {
    auto check_ws = [](const std::string& url, const std::string& key) {
        if (url.empty()) {
            return;
        }
        std::string error;
        if (!parse_ws_url(url, &error)) {
            bad(key, fmt::format("'{}' is not a WebSocket URL: {}", url, error));
        }
    };
    auto check_http = [](const std::string& url, const std::string& key) {
        if (!url.empty() && !url.starts_with("http://") && !url.starts_with("https://")) {
            bad(key, fmt::format("'{}' must start with http:// or https://", url));
        }
    };
    check_ws(c.nano.ws_url, "nano.ws_url");
    check_ws(c.solana.ws_url, "solana.ws_url");
    check_http(c.nano.rpc_url, "nano.rpc_url");
    check_http(c.solana.rpc_url, "solana.rpc_url");
    auto check_ca = [](const std::string& path, bool insecure, const std::string& section) {
        if (path.empty()) {
            return;
        }
        const std::string key = section + ".tls_ca_file";
        if (insecure) {
            bad(key, fmt::format("has no effect while {}.tls_insecure = true (nothing is verified); "
                                 "set one of them", section));
        }
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) {
            bad(key, fmt::format("'{}' does not exist or is not a regular file (a PEM file of CA certificates)", path));
        }
        if (!std::ifstream{path, std::ios::binary}) {
            bad(key, fmt::format("'{}' cannot be read", path));
        }
    };
    check_ca(c.nano.tls_ca_file, c.nano.tls_insecure, "nano");
    check_ca(c.solana.tls_ca_file, c.solana.tls_insecure, "solana");
    if (c.writer.queue_low_water_bytes >= c.writer.queue_high_water_bytes) {
        bad("writer.queue_low_water_bytes", "must be below writer.queue_high_water_bytes");
    }
    if (c.nano.reconnect_initial > c.nano.reconnect_max) {
        bad("nano.reconnect_initial_ms", "must not exceed nano.reconnect_max_ms");
    }
    if (c.solana.reconnect_initial > c.solana.reconnect_max) {
        bad("solana.reconnect_initial_ms", "must not exceed solana.reconnect_max_ms");
    }
    if (c.backfill.solana_start != "current" && c.backfill.solana_start != "first_available"
        && !schema::parse_u64(c.backfill.solana_start)) {
        bad("backfill.solana_start", fmt::format("'{}' is not accepted; accepted: current, first_available, or a slot number",
            c.backfill.solana_start));
    }
    if (!c.metrics_addr.empty() && c.metrics_addr.rfind(':') == std::string::npos) {
        bad("metrics.addr", fmt::format("'{}' must be HOST:PORT", c.metrics_addr));
    }
    if (c.nano.ws_url.empty() && c.solana.ws_url.empty()) {
        throw config_error("no source configured: set nano.ws_url and/or solana.ws_url "
                           "(or --nano-ws / --solana-ws)");
    }
}

std::string to_toml(const config& c) {
    auto q = [](const std::string& s) {
        std::string out = "\"";
        for (const char ch : s) {
            if (ch == '"' || ch == '\\') {
                out.push_back('\\');
            }
            out.push_back(ch);
        }
        return out + "\"";
    };
    auto list = [&](const std::vector<std::string>& v) {
        std::string out = "[";
        for (std::size_t i = 0; i < v.size(); ++i) {
            out += (i == 0 ? "" : ", ") + q(v[i]);
        }
        return out + "]";
    };
    auto b = [](bool x) { return x ? "true" : "false"; };
    std::string o;
    o += fmt::format("[database]\nurl = {}\nsynchronous_commit = {}\n\n", q(redact_conninfo(c.database)), b(c.writer.synchronous_commit));
    const auto& n = c.nano;
    o += fmt::format("[nano]\nname = {}\nws_url = {}\nrpc_url = {}\nmax_message_bytes = {}\n"
                     "max_dead_letters_per_second = {}\nping_interval_s = {}\n"
                     "ack_timeout_s = {}\nstall_timeout_s = {}\nreconnect_initial_ms = {}\nreconnect_max_ms = {}\n"
                     "election_votes = {}\nvotes = {}\nmax_response_bytes = {}\ntls_ca_file = {}\ntls_insecure = {}\n\n",
        q(n.name), q(n.ws_url), q(n.rpc_url), n.max_message_bytes, n.max_dead_letters_per_second, n.ping_interval.count(), n.ack_timeout.count(),
        n.stall_timeout.count(), n.reconnect_initial.count(), n.reconnect_max.count(), b(n.election_votes), b(n.votes),
        n.max_response_bytes, q(n.tls_ca_file), b(n.tls_insecure));
    const auto& s = c.solana;
    o += fmt::format("[solana]\nname = {}\nws_url = {}\nrpc_url = {}\nmax_message_bytes = {}\n"
                     "max_dead_letters_per_second = {}\ncommitment = {}\n"
                     "block_encoding = {}\ntransaction_details = {}\nlogs_filter = {}\naccounts = {}\nprograms = {}\n"
                     "signatures = {}\nmax_subscriptions_per_connection = {}\nkeepalive_interval_s = {}\n"
                     "stall_timeout_s = {}\nreconnect_initial_ms = {}\nreconnect_max_ms = {}\nmax_response_bytes = {}\n"
                     "tls_ca_file = {}\ntls_insecure = {}\n\n",
        q(s.name), q(s.ws_url), q(s.rpc_url), s.max_message_bytes, s.max_dead_letters_per_second, q(s.commitment), q(s.block_encoding),
        q(s.transaction_details), q(s.logs_filter), list(s.accounts), list(s.programs), list(s.signatures),
        s.max_subscriptions_per_connection, s.keepalive_interval.count(), s.stall_timeout.count(),
        s.reconnect_initial.count(), s.reconnect_max.count(), s.max_response_bytes, q(s.tls_ca_file),
        b(s.tls_insecure));
    const auto& w = c.writer;
    o += fmt::format("[writer]\nbatch_max_messages = {}\nbatch_max_bytes = {}\nbatch_max_age_ms = {}\n"
                     "queue_high_water_bytes = {}\nqueue_low_water_bytes = {}\nretry_initial_ms = {}\n"
                     "retry_max_ms = {}\nshutdown_timeout_ms = {}\n\n",
        w.batch_max_messages, w.batch_max_bytes, w.batch_max_age.count(), w.queue_high_water_bytes,
        w.queue_low_water_bytes, w.retry_initial.count(), w.retry_max.count(), w.shutdown_timeout.count());
    const auto& bf = c.backfill;
    o += fmt::format("[backfill]\nenabled = {}\nrpc_timeout_ms = {}\nrpc_retries = {}\nrpc_rate_limit = {}\n"
                     "nano_batch = {}\nnano_unknown_account_policy = {}\nsolana_concurrency = {}\n"
                     "solana_start = {}\nsolana_max_slots_per_round = {}\nreconcile_interval_s = {}\n\n",
        b(bf.enabled), bf.rpc_timeout.count(), bf.rpc_retries, bf.rpc_rate_limit, bf.nano_batch,
        q(bf.nano_unknown_account_policy), bf.solana_concurrency, q(bf.solana_start), bf.solana_max_slots_per_round,
        bf.reconcile_interval.count());
    o += fmt::format("[metrics]\naddr = {}\n\n[log]\nlevel = {}\nformat = {}\n", q(c.metrics_addr), q(c.log_level), q(c.log_format));
    return o;
}

} // namespace ledgertap::ingest
