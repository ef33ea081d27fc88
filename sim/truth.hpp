#pragma once

// The ground-truth file (`--truth FILE`): JSON Lines, one record per line, each an object with a
// "kind" ("nano_block", "nano_connection", Solana kinds, ...). Records are buffered and flushed at
// least every flush_interval and at close(); close() appends {"kind":"truth_end","records":N} so a
// reader can tell a complete file from one cut short.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace ledgertap::sim {

/// Builds one flat JSON object (a truth record) without a JSON library in the caller.
class truth_record {
public:
    explicit truth_record(std::string_view kind);

    truth_record& add(std::string_view key, std::string_view value);
    truth_record& add(std::string_view key, const char* value) {
        return add(key, std::string_view(value));
    }
    truth_record& add(std::string_view key, std::uint64_t value);
    truth_record& add(std::string_view key, std::int64_t value);
    truth_record& add(std::string_view key, bool value);
    /// `json` must be a complete JSON value (object, array, number ...); inserted verbatim.
    truth_record& add_raw(std::string_view key, std::string_view json);

    /// The finished object (no trailing newline).
    [[nodiscard]] std::string str() const { return text_ + "}"; }

private:
    void key(std::string_view name);
    std::string text_;
};

/// Appends JSON-quoted, escaped `value` to `out`.
void append_json_string(std::string& out, std::string_view value);

/// Thread-safe JSON Lines writer. A default-constructed writer (or an empty path) is disabled:
/// write() is a no-op. Lifecycle: open (constructor), write() from any thread, close() once
/// (idempotent; also run by the destructor).
class truth_writer {
public:
    truth_writer() = default;
    /// Throws std::runtime_error when the file cannot be created.
    explicit truth_writer(const std::string& path);
    truth_writer(const truth_writer&) = delete;
    truth_writer& operator=(const truth_writer&) = delete;
    truth_writer(truth_writer&&) = delete;
    truth_writer& operator=(truth_writer&&) = delete;
    ~truth_writer();

    [[nodiscard]] bool enabled() const { return file_ != nullptr || closed_; }
    /// One record: a JSON object without a trailing newline.
    void write(std::string_view json_object);
    void write(const truth_record& record) { write(record.str()); }
    void flush();
    void close();
    [[nodiscard]] std::uint64_t records() const;

    static constexpr std::chrono::milliseconds flush_interval{200};

private:
    void flush_locked();

    mutable std::mutex mutex_;
    std::FILE* file_ = nullptr;
    bool closed_ = false;
    std::string buffer_;
    std::uint64_t records_ = 0;
    std::chrono::steady_clock::time_point last_flush_{};
};

} // namespace ledgertap::sim
