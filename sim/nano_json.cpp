#include "sim/nano_json.hpp"

#include <array>

namespace ledgertap::sim::nano {

void append_escaped(std::string& out, std::string_view text) {
    static constexpr std::array<char, 16> hex{
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u == 0x20 || u == 0x21 || (u >= 0x23 && u <= 0x2E) || (u >= 0x30 && u <= 0x5B)
            || u >= 0x5D) {
            out.push_back(c);
            continue;
        }
        switch (c) {
        case '\b':
            out.append("\\b");
            break;
        case '\f':
            out.append("\\f");
            break;
        case '\n':
            out.append("\\n");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\t':
            out.append("\\t");
            break;
        case '/':
            out.append("\\/");
            break;
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
            break;
        default:
            out.append("\\u00");
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 0xf]);
        }
    }
}

void pretty_writer::indent(std::size_t depth) {
    out_.append(4 * depth, ' ');
}

void pretty_writer::member_prefix(std::string_view key) {
    level& top = stack_.back();
    out_.append(top.has_members ? ",\n" : "\n");
    top.has_members = true;
    indent(stack_.size());
    out_.push_back('"');
    append_escaped(out_, key);
    out_.append("\": ");
}

void pretty_writer::element_prefix() {
    if (stack_.empty()) {
        return;
    }
    level& top = stack_.back();
    out_.append(top.has_members ? ",\n" : "\n");
    top.has_members = true;
    indent(stack_.size());
}

void pretty_writer::begin_object() {
    element_prefix();
    stack_.push_back(level{false, false, out_.size()});
    out_.push_back('{');
}

void pretty_writer::begin_object(std::string_view key) {
    member_prefix(key);
    stack_.push_back(level{false, false, out_.size()});
    out_.push_back('{');
}

void pretty_writer::begin_array(std::string_view key) {
    member_prefix(key);
    stack_.push_back(level{true, false, out_.size()});
    out_.push_back('[');
}

void pretty_writer::begin_array() {
    element_prefix();
    stack_.push_back(level{true, false, out_.size()});
    out_.push_back('[');
}

void pretty_writer::end() {
    if (stack_.empty()) {
        return;
    }
    const level top = stack_.back();
    stack_.pop_back();
    if (!top.has_members && !stack_.empty()) {
        // An empty ptree below the root is written as a value: "".
        out_.resize(top.open_pos);
        out_.append("\"\"");
        return;
    }
    out_.push_back('\n');
    indent(stack_.size());
    out_.push_back(top.is_array ? ']' : '}');
}

void pretty_writer::value(std::string_view key, std::string_view text) {
    member_prefix(key);
    out_.push_back('"');
    append_escaped(out_, text);
    out_.push_back('"');
}

void pretty_writer::value(std::string_view key, std::uint64_t number) {
    member_prefix(key);
    out_.push_back('"');
    out_.append(std::to_string(number));
    out_.push_back('"');
}

void pretty_writer::plain(std::string_view key, std::string_view text) {
    member_prefix(key);
    out_.push_back('"');
    out_.append(text);
    out_.push_back('"');
}

void pretty_writer::hex(std::string_view key, std::span<const std::uint8_t> bytes) {
    static constexpr std::array<char, 16> digits{
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    member_prefix(key);
    out_.push_back('"');
    const std::size_t at = out_.size();
    out_.resize(at + 2 * bytes.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out_[at + 2 * i] = digits[bytes[i] >> 4U];
        out_[at + 2 * i + 1] = digits[bytes[i] & 0x0fU];
    }
    out_.push_back('"');
}

void pretty_writer::element(std::string_view text) {
    element_prefix();
    out_.push_back('"');
    append_escaped(out_, text);
    out_.push_back('"');
}

void pretty_writer::finish() {
    out_.push_back('\n');
}

} // namespace ledgertap::sim::nano
