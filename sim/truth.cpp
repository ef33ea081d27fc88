#include "sim/truth.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ledgertap::sim {

namespace {
constexpr std::size_t flush_bytes = std::size_t{256} * 1024;
} // namespace

void append_json_string(std::string& out, std::string_view value) {
    static constexpr std::array<char, 16> hex{
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    out.push_back('"');
    // Fast path: most values (hex, decimal, addresses) need no escaping.
    const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && c != '"' && c != '\\';
    });
    if (plain) {
        out.append(value);
        out.push_back('"');
        return;
    }
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
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
        default:
            if (u < 0x20) {
                out.append("\\u00");
                out.push_back(hex[u >> 4]);
                out.push_back(hex[u & 0xf]);
            } else {
                out.push_back(c);
            }
        }
    }
    out.push_back('"');
}

truth_record::truth_record(std::string_view kind) {
    text_ = "{\"kind\":";
    append_json_string(text_, kind);
}

void truth_record::key(std::string_view name) {
    text_.push_back(',');
    append_json_string(text_, name);
    text_.push_back(':');
}

truth_record& truth_record::add(std::string_view name, std::string_view value) {
    key(name);
    append_json_string(text_, value);
    return *this;
}

truth_record& truth_record::add(std::string_view name, std::uint64_t value) {
    key(name);
    text_.append(std::to_string(value));
    return *this;
}

truth_record& truth_record::add(std::string_view name, std::int64_t value) {
    key(name);
    text_.append(std::to_string(value));
    return *this;
}

truth_record& truth_record::add(std::string_view name, bool value) {
    key(name);
    text_.append(value ? "true" : "false");
    return *this;
}

truth_record& truth_record::add_raw(std::string_view name, std::string_view json) {
    key(name);
    text_.append(json);
    return *this;
}

truth_writer::truth_writer(const std::string& path) {
    if (path.empty()) {
        return;
    }
    file_ = std::fopen(path.c_str(), "w"); // NOLINT(cppcoreguidelines-owning-memory)
    if (file_ == nullptr) {
        throw std::runtime_error(
            "cannot create truth file " + path + ": "
            + std::strerror(errno)); // NOLINT(concurrency-mt-unsafe)
    }
    last_flush_ = std::chrono::steady_clock::now();
}

truth_writer::~truth_writer() {
    close();
}

void truth_writer::write(std::string_view json_object) {
    const std::lock_guard lock(mutex_);
    if (file_ == nullptr) {
        return;
    }
    buffer_.append(json_object);
    buffer_.push_back('\n');
    ++records_;
    if (buffer_.size() >= flush_bytes
        || std::chrono::steady_clock::now() - last_flush_ >= flush_interval) {
        flush_locked();
    }
}

void truth_writer::flush() {
    const std::lock_guard lock(mutex_);
    flush_locked();
}

void truth_writer::flush_locked() {
    if (file_ == nullptr) {
        return;
    }
    if (!buffer_.empty()) {
        (void)std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
        buffer_.clear();
    }
    (void)std::fflush(file_);
    last_flush_ = std::chrono::steady_clock::now();
}

void truth_writer::close() {
    const std::lock_guard lock(mutex_);
    if (file_ == nullptr) {
        return;
    }
    truth_record end("truth_end");
    end.add("records", records_);
    buffer_.append(end.str());
    buffer_.push_back('\n');
    flush_locked();
    (void)std::fclose(file_); // NOLINT(cppcoreguidelines-owning-memory)
    file_ = nullptr;
    closed_ = true;
}

std::uint64_t truth_writer::records() const {
    const std::lock_guard lock(mutex_);
    return records_;
}

} // namespace ledgertap::sim
