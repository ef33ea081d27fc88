#include "ingest/ws_codec.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace ledgertap::ingest::ws {

namespace {

constexpr std::string_view handshake_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

void random_bytes(unsigned char* out, std::size_t size) {
    if (RAND_bytes(out, static_cast<int>(size)) != 1) {
        throw std::runtime_error("OpenSSL's RAND_bytes failed");
    }
}

char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
        return lower(x) == lower(y);
    });
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

/// Whether the comma-separated header value `list` has the token `token` (any case).
bool has_token(std::string_view list, std::string_view token) noexcept {
    while (!list.empty()) {
        const auto comma = list.find(',');
        if (iequals(trim(list.substr(0, comma)), token)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return false;
}

upgrade_reply refuse(std::string why) {
    upgrade_reply r;
    r.state = upgrade_reply::status::refused;
    r.error = std::move(why);
    return r;
}

/// Printable and short enough for a log line: a hostile server chooses these bytes.
std::string quoted(std::string_view s) {
    std::string out;
    for (const char c : s.substr(0, 120)) {
        out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
    }
    if (s.size() > 120) {
        out += "...";
    }
    return out;
}

} // namespace

std::string accept_for(std::string_view key) {
    std::string in{key};
    in += handshake_guid;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(in.data(), in.size(), md, &md_len, EVP_sha1(), nullptr) != 1) {
        throw std::runtime_error("OpenSSL's SHA-1 failed");
    }
    return base64(md, md_len);
}

std::string new_key() {
    std::array<unsigned char, 16> nonce{};
    random_bytes(nonce.data(), nonce.size());
    return base64(nonce.data(), nonce.size());
}

std::string upgrade_request(std::string_view host, std::string_view path, std::string_view key) {
    std::string r;
    r.reserve(160 + host.size() + path.size());
    r += "GET ";
    r += path.empty() ? std::string_view{"/"} : path;
    r += " HTTP/1.1\r\nHost: ";
    r += host;
    r += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
    r += key;
    r += "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: ledgertap\r\n\r\n";
    return r;
}

upgrade_reply read_upgrade_reply(std::string_view received, std::string_view key) {
    const auto end = received.find("\r\n\r\n");
    if (end == std::string_view::npos || end + 4 > max_reply_head) {
        if (received.size() >= max_reply_head) {
            return refuse("the reply to the WebSocket upgrade passed " + std::to_string(max_reply_head / 1024)
                + " KiB without ending its headers");
        }
        return {};
    }
    std::string_view head = received.substr(0, end + 2); // every line ends in \r\n
    auto next_line = [&head]() {
        const auto eol = head.find("\r\n");
        const auto line = head.substr(0, eol);
        head.remove_prefix(eol + 2);
        return line;
    };
    const auto status_line = next_line();
    if (!status_line.starts_with("HTTP/1.1 ") || status_line.size() < 12) {
        return refuse("the reply to the WebSocket upgrade is not HTTP/1.1: '" + quoted(status_line) + "'");
    }
    const auto code = status_line.substr(9, 3);
    if (code != "101") {
        return refuse("the node answered the WebSocket upgrade with HTTP " + quoted(status_line.substr(9)));
    }
    bool upgrade = false;
    bool connection = false;
    std::string_view accept;
    while (!head.empty()) {
        const auto line = next_line();
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            return refuse("a header line of the upgrade reply has no colon: '" + quoted(line) + "'");
        }
        const auto name = line.substr(0, colon);
        const auto value = trim(line.substr(colon + 1));
        if (iequals(name, "upgrade")) {
            upgrade = has_token(value, "websocket");
        } else if (iequals(name, "connection")) {
            connection = has_token(value, "upgrade");
        } else if (iequals(name, "sec-websocket-accept")) {
            accept = value;
        } else if (iequals(name, "sec-websocket-extensions") && !value.empty()) {
            return refuse("the node chose a WebSocket extension that was not offered: '" + quoted(value) + "'");
        } else if (iequals(name, "sec-websocket-protocol") && !value.empty()) {
            return refuse("the node chose a WebSocket subprotocol that was not offered: '" + quoted(value) + "'");
        }
    }
    if (!upgrade) {
        return refuse("the upgrade reply lacks 'Upgrade: websocket'");
    }
    if (!connection) {
        return refuse("the upgrade reply lacks 'Connection: upgrade'");
    }
    if (accept.empty()) {
        return refuse("the upgrade reply lacks Sec-WebSocket-Accept");
    }
    if (accept != accept_for(key)) {
        return refuse("the upgrade reply's Sec-WebSocket-Accept does not match the key sent");
    }
    upgrade_reply ok;
    ok.state = upgrade_reply::status::accepted;
    ok.head_bytes = end + 4;
    return ok;
}

std::string client_frame(opcode op, std::string_view payload, std::array<unsigned char, 4> mask) {
    std::string f;
    f.reserve(14 + payload.size());
    f.push_back(static_cast<char>(0x80U | static_cast<unsigned>(op)));
    const std::uint64_t n = payload.size();
    if (n < 126) {
        f.push_back(static_cast<char>(0x80U | n));
    } else if (n <= 0xFFFF) {
        f.push_back(static_cast<char>(0x80U | 126U));
        f.push_back(static_cast<char>(n >> 8U));
        f.push_back(static_cast<char>(n & 0xFFU));
    } else {
        f.push_back(static_cast<char>(0x80U | 127U));
        for (int shift = 56; shift >= 0; shift -= 8) {
            f.push_back(static_cast<char>((n >> static_cast<unsigned>(shift)) & 0xFFU));
        }
    }
    f.append(reinterpret_cast<const char*>(mask.data()), mask.size());
    const std::size_t start = f.size();
    f.append(payload);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        f[start + i] = static_cast<char>(static_cast<unsigned char>(f[start + i]) ^ mask[i % 4]);
    }
    return f;
}

std::string client_frame(opcode op, std::string_view payload) {
    std::array<unsigned char, 4> mask{};
    random_bytes(mask.data(), mask.size());
    return client_frame(op, payload, mask);
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
    std::string p;
    p.push_back(static_cast<char>(code >> 8U));
    p.push_back(static_cast<char>(code & 0xFFU));
    // Cut at 123 bytes, and back to a UTF-8 character boundary so the frame stays valid text.
    std::size_t n = std::min<std::size_t>(reason.size(), 123);
    if (n < reason.size()) {
        while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0U) == 0x80U) {
            --n;
        }
    }
    p.append(reason.substr(0, n));
    return p;
}

frame_reader::status frame_reader::fail(std::string why) {
    error_ = std::move(why);
    return status::failed;
}

frame_reader::status frame_reader::start_frame() {
    const unsigned b1 = header_[1];
    std::uint64_t length = b1 & 0x7FU;
    if (length == 126) {
        length = (std::uint64_t{header_[2]} << 8U) | header_[3];
    } else if (length == 127) {
        length = 0;
        for (std::size_t i = 2; i < 10; ++i) {
            length = (length << 8U) | header_[i];
        }
        if ((length >> 63U) != 0) {
            return fail("a frame length with its top bit set");
        }
    }
    const bool control = (static_cast<unsigned>(op_) & 0x8U) != 0;
    if (control) {
        if (length > 125) {
            return fail("a control frame longer than 125 bytes");
        }
        if (op_ == opcode::close && length == 1) {
            return fail("a close frame with a one-byte payload");
        }
        control_.clear();
    }
    remaining_ = length;
    in_payload_ = true;
    return status::ok;
}

frame_reader::status frame_reader::finish_frame(frame_sink& sink) {
    in_payload_ = false;
    header_have_ = 0;
    header_need_ = 2;
    bool go_on = true;
    if ((static_cast<unsigned>(op_) & 0x8U) != 0) {
        go_on = sink.on_control(op_, control_);
    } else {
        const bool first = first_piece_;
        first_piece_ = false;
        if (fin_) {
            in_message_ = false;
        }
        go_on = sink.on_payload({}, message_binary_, first, fin_);
    }
    return go_on ? status::ok : status::stopped;
}

frame_reader::status frame_reader::feed(std::string_view in, frame_sink& sink) {
    if (!error_.empty()) {
        return status::failed;
    }
    while (!in.empty()) {
        if (!in_payload_) {
            const std::size_t take = std::min(header_need_ - header_have_, in.size());
            std::memcpy(header_.data() + header_have_, in.data(), take);
            header_have_ += take;
            in.remove_prefix(take);
            if (header_have_ < header_need_) {
                return status::ok;
            }
            if (header_have_ == 2) {
                // The first two bytes say what the frame is and how long its header is.
                const unsigned b0 = header_[0];
                const unsigned b1 = header_[1];
                if ((b0 & 0x70U) != 0) {
                    return fail("reserved bits set without a negotiated extension");
                }
                if ((b1 & 0x80U) != 0) {
                    return fail("a masked frame from the server");
                }
                fin_ = (b0 & 0x80U) != 0;
                op_ = static_cast<opcode>(b0 & 0x0FU);
                switch (op_) {
                case opcode::continuation:
                    if (!in_message_) {
                        return fail("a continuation frame with no message to continue");
                    }
                    break;
                case opcode::text:
                case opcode::binary:
                    if (in_message_) {
                        return fail("a new message before the previous one ended");
                    }
                    in_message_ = true;
                    first_piece_ = true;
                    message_binary_ = op_ == opcode::binary;
                    break;
                case opcode::close:
                case opcode::ping:
                case opcode::pong:
                    if (!fin_) {
                        return fail("a fragmented control frame");
                    }
                    break;
                default:
                    return fail("unknown opcode " + std::to_string(b0 & 0x0FU));
                }
                const unsigned len7 = b1 & 0x7FU;
                header_need_ = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
                if (header_need_ > 2) {
                    continue; // gather the extended length
                }
            }
            if (start_frame() == status::failed) {
                return status::failed;
            }
            if (remaining_ == 0 && finish_frame(sink) == status::stopped) {
                return status::stopped;
            }
            continue;
        }
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
        const auto piece = in.substr(0, n);
        in.remove_prefix(n);
        remaining_ -= n;
        if ((static_cast<unsigned>(op_) & 0x8U) != 0) {
            control_.append(piece);
            if (remaining_ == 0 && finish_frame(sink) == status::stopped) {
                return status::stopped;
            }
            continue;
        }
        const bool first = first_piece_;
        first_piece_ = false;
        const bool last = fin_ && remaining_ == 0;
        if (remaining_ == 0) {
            in_payload_ = false;
            header_have_ = 0;
            header_need_ = 2;
            if (fin_) {
                in_message_ = false;
            }
        }
        if (!sink.on_payload(piece, message_binary_, first, last)) {
            return status::stopped;
        }
    }
    return status::ok;
}

} // namespace ledgertap::ingest::ws
