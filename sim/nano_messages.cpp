#include "sim/nano_messages.hpp"

#include <array>
#include <unordered_map>

namespace ledgertap::sim::nano {

namespace {

constexpr std::size_t address_cache_limit = 1U << 16;

void common_fields(pretty_writer& w, std::string_view topic, std::uint64_t now_ms) {
    w.begin_object();
    w.plain("topic", topic);
    w.value("time", now_ms);
}

bool is_state_send(const block& b) {
    return b.type == block_type::state && b.subtype == block_subtype::send;
}

} // namespace

const std::string& address_of(const bytes32& key) {
    thread_local std::unordered_map<bytes32, std::string, bytes32_hash> cache;
    const auto it = cache.find(key);
    if (it != cache.end()) {
        return it->second;
    }
    if (cache.size() >= address_cache_limit) {
        cache.clear();
    }
    return cache.emplace(key, schema::nano::encode_account(key)).first->second;
}

std::string hex(std::span<const std::uint8_t> bytes) {
    static constexpr std::array<char, 16> digits{
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    std::string out(2 * bytes.size(), '0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = digits[bytes[i] >> 4U];
        out[2 * i + 1] = digits[bytes[i] & 0x0fU];
    }
    return out;
}

void write_block(
    pretty_writer& w,
    std::string_view key,
    const ledger& chain,
    const block& b,
    block_json_mode mode,
    bool include_linked_account) {
    if (key.empty()) {
        w.begin_object();
    } else {
        w.begin_object(key);
    }
    const bytes64 signature = chain.signature(b);
    const std::string work = schema::format_hex_u64(b.work);
    w.plain("type", to_string(b.type));
    switch (b.type) {
    case block_type::state:
        w.plain("account", chain.accounts()[b.account].address);
        w.hex("previous", b.previous);
        w.plain("representative", address_of(b.representative));
        w.plain("balance", decimal(b.balance));
        w.hex("link", b.link);
        // Only a send's link is an account key worth caching; other links are hashes or epochs.
        if (b.subtype == block_subtype::send || b.subtype == block_subtype::change) {
            w.plain("link_as_account", address_of(b.link));
        } else {
            w.plain("link_as_account", schema::nano::encode_account(b.link));
        }
        w.hex("signature", signature);
        w.plain("work", work);
        break;
    case block_type::send:
        w.hex("previous", b.previous);
        w.plain("destination", address_of(b.link));
        w.plain("balance", schema::format_hex_u128(b.balance));
        w.plain("work", work);
        w.hex("signature", signature);
        break;
    case block_type::receive:
        w.hex("previous", b.previous);
        w.hex("source", b.link);
        w.plain("work", work);
        w.hex("signature", signature);
        break;
    case block_type::open:
        w.hex("source", b.link);
        w.plain("representative", address_of(b.representative));
        w.plain("account", chain.accounts()[b.account].address);
        w.plain("work", work);
        w.hex("signature", signature);
        break;
    case block_type::change:
        w.hex("previous", b.previous);
        w.plain("representative", address_of(b.representative));
        w.plain("work", work);
        w.hex("signature", signature);
        break;
    }
    if (include_linked_account) {
        const auto linked = chain.linked_account(b);
        w.plain("linked_account", linked ? address_of(*linked) : std::string("0"));
    }
    if (mode == block_json_mode::confirmation && b.type == block_type::state) {
        w.plain("subtype", to_string(b.subtype));
    } else if (mode == block_json_mode::unconfirmed) {
        w.plain("subtype", b.type == block_type::state ? to_string(b.subtype) : "change");
    }
    w.end();
}

std::string block_document(const ledger& chain, const block& b) {
    std::string out;
    pretty_writer w(out);
    write_block(w, {}, chain, b, block_json_mode::plain, false);
    w.finish();
    return out;
}

void append_confirmation(
    std::string& out,
    const ledger& chain,
    const block& b,
    confirmation_kind kind,
    const election_summary& election,
    std::span<const vote_entry> votes,
    confirmation_view view,
    std::uint64_t now_ms) {
    pretty_writer w(out);
    common_fields(w, "confirmation", now_ms);
    w.begin_object("message");
    w.plain("account", chain.accounts()[b.account].address);
    w.plain("amount", decimal(b.amount));
    w.hex("hash", b.hash);
    w.plain("confirmation_type", to_string(kind));
    if (view.election_info || view.with_votes) {
        const bool real = kind == confirmation_kind::active_quorum;
        w.begin_object("election_info");
        w.value("duration", real ? election.duration_ms : 0);
        w.value("time", real ? election.time_ms : now_ms);
        w.plain("tally", real ? decimal(election.tally) : "0");
        w.plain("final", real ? decimal(election.final_tally) : "0");
        w.plain("blocks", real ? "1" : "0");
        w.value("voters", real ? std::uint64_t{election.voters} : 0);
        w.value("request_count", real ? std::uint64_t{election.request_count} : 0);
        if (view.with_votes) {
            w.begin_array("votes");
            if (real) {
                for (const vote_entry& v : votes) {
                    w.begin_object();
                    w.plain("representative", address_of(v.representative));
                    w.value("timestamp", v.timestamp);
                    w.plain("hash", hex(b.hash));
                    w.plain("weight", decimal(v.weight));
                    w.end();
                }
            }
            w.end();
        }
        w.end();
    }
    if (view.include_block) {
        write_block(w, "block", chain, b, block_json_mode::confirmation, view.linked_account);
    }
    if (view.sideband) {
        w.begin_object("sideband");
        w.value("height", b.height);
        w.value("local_timestamp", b.local_timestamp);
        w.end();
    }
    w.end();
    w.end();
    w.finish();
    (void)is_state_send;
}

void append_new_unconfirmed_block(
    std::string& out, const ledger& chain, const block& b, std::uint64_t now_ms) {
    pretty_writer w(out);
    common_fields(w, "new_unconfirmed_block", now_ms);
    w.plain("hash", hex(b.hash));
    write_block(w, "message", chain, b, block_json_mode::unconfirmed, false);
    w.end();
    w.finish();
}

void append_election_event(
    std::string& out, std::string_view topic, const bytes32& hash, std::uint64_t now_ms) {
    pretty_writer w(out);
    common_fields(w, topic, now_ms);
    w.begin_object("message");
    w.plain("hash", hex(hash));
    w.end();
    w.end();
    w.finish();
}

void append_vote(
    std::string& out,
    const bytes32& representative,
    const bytes64& signature,
    std::uint64_t timestamp,
    std::uint8_t duration,
    std::span<const bytes32> hashes,
    std::string_view type,
    std::uint64_t now_ms) {
    pretty_writer w(out);
    common_fields(w, "vote", now_ms);
    w.begin_object("message");
    w.plain("account", address_of(representative));
    w.plain("signature", schema::nano::format_decimal_u512(signature));
    w.value("sequence", timestamp);
    w.value("timestamp", timestamp);
    w.value("duration", std::uint64_t{duration});
    w.begin_array("blocks");
    for (const bytes32& h : hashes) {
        w.element(hex(h));
    }
    w.end();
    w.plain("type", type);
    w.end();
    w.end();
    w.finish();
}

void append_telemetry(std::string& out, const telemetry_view& t, std::uint64_t now_ms) {
    pretty_writer w(out);
    common_fields(w, "telemetry", now_ms);
    w.begin_object("message");
    w.value("block_count", t.block_count);
    w.value("cemented_count", t.cemented_count);
    w.plain("unchecked_count", "0");
    w.value("account_count", t.account_count);
    w.plain("bandwidth_cap", "10485760");
    w.value("peer_count", std::uint64_t{t.peer_count});
    w.plain("protocol_version", "21");
    w.value("uptime", t.uptime_s);
    w.plain("genesis_block", hex(t.genesis));
    w.plain("major_version", "28");
    w.value("minor_version", std::uint64_t{t.minor_version});
    w.plain("patch_version", "0");
    w.plain("pre_release_version", "0");
    w.plain("maker", "0");
    w.value("timestamp", now_ms);
    w.plain("active_difficulty", "fffffff800000000");
    w.plain("node_id", schema::nano::encode_account(t.node_id, "node_"));
    w.plain("signature", schema::hex_upper(t.signature));
    w.value("address", t.address);
    w.value("port", std::uint64_t{t.port});
    w.end();
    w.end();
    w.finish();
}

void append_work(std::string& out, const work_view& work, std::uint64_t now_ms) {
    pretty_writer w(out);
    common_fields(w, "work", now_ms);
    w.begin_object("message");
    w.plain("success", work.success ? "true" : "false");
    w.value("reason", work.reason);
    w.value("duration", work.duration_ms);
    w.begin_object("request");
    w.plain("version", "work_1");
    w.plain("hash", hex(work.root));
    w.plain("difficulty", schema::format_hex_u64(work.difficulty));
    w.plain("multiplier", work.multiplier);
    w.end();
    if (work.success) {
        w.begin_object("result");
        w.value("source", work.source);
        w.plain("work", schema::format_hex_u64(work.work));
        w.plain("difficulty", schema::format_hex_u64(work.result_difficulty));
        w.plain("multiplier", work.result_multiplier);
        w.end();
    }
    w.begin_array("bad_peers");
    for (const std::string& peer : work.bad_peers) {
        w.element(peer);
    }
    w.end();
    w.end();
    w.end();
    w.finish();
}

void append_ack(
    std::string& out, std::string_view action, std::string_view id, std::uint64_t now_ms) {
    pretty_writer w(out);
    w.begin_object();
    w.value("ack", action);
    w.value("time", now_ms);
    if (!id.empty()) {
        w.value("id", id);
    }
    w.end();
    w.finish();
}

} // namespace ledgertap::sim::nano
