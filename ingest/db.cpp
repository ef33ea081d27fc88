#include "ingest/db.hpp"

#include "schema/codec.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::ingest {

namespace {

constexpr std::string_view mask = "***";
constexpr std::string_view password_word = "password";

[[nodiscard]] bool is_space(char c) noexcept {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

/// libpq keywords whose values are secrets: password, sslpassword.
[[nodiscard]] bool is_secret_key(std::string_view key) noexcept {
    return key.ends_with(password_word);
}

[[nodiscard]] bool is_url(std::string_view s) noexcept {
    return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

[[nodiscard]] std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            const int hi = schema::hex_digit_value(s[i + 1]);
            const int lo = schema::hex_digit_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

/// The redacted text and the secret values found, for scrubbing messages.
struct redaction {
    std::string text;
    std::vector<std::string> secrets;

    void add_secret(std::string_view raw) {
        if (raw.empty()) {
            return;
        }
        secrets.emplace_back(raw);
        std::string decoded = percent_decode(raw);
        if (decoded != raw) {
            secrets.push_back(std::move(decoded));
        }
    }
};

/// Redacts the query part of a URL (`a=1&password=x`) into `r.text`.
void redact_query(std::string_view query, redaction& r) {
    std::size_t pos = 0;
    bool first = true;
    while (pos <= query.size()) {
        std::size_t amp = query.find('&', pos);
        if (amp == std::string_view::npos) {
            amp = query.size();
        }
        const std::string_view param = query.substr(pos, amp - pos);
        if (!first) {
            r.text += '&';
        }
        first = false;
        const std::size_t eq = param.find('=');
        const std::string key = percent_decode(param.substr(0, eq));
        if (eq != std::string_view::npos && is_secret_key(key)) {
            r.text += param.substr(0, eq + 1);
            r.text += mask;
            r.add_secret(param.substr(eq + 1));
        } else {
            r.text += param;
        }
        pos = amp + 1;
    }
}

/// postgresql://[user[:password]@][host][:port][/dbname][?param=value&...]
[[nodiscard]] redaction redact_url(std::string_view s) {
    redaction r;
    const std::size_t scheme_end = s.find("://") + 3;
    const std::string_view rest = s.substr(scheme_end);
    r.text = std::string(s.substr(0, scheme_end));

    // The userinfo ends at the last '@' of the authority. A password holding a raw '?' or '/'
    // is malformed for libpq, but is still masked: fall back to the last '@' anywhere.
    const std::size_t query_start = rest.find('?');
    std::size_t at = rest.substr(0, query_start).rfind('@');
    if (at == std::string_view::npos) {
        at = rest.rfind('@');
    }
    std::size_t pos = 0;
    if (at != std::string_view::npos) {
        const std::string_view userinfo = rest.substr(0, at);
        const std::size_t colon = userinfo.find(':');
        if (colon != std::string_view::npos) {
            r.text += userinfo.substr(0, colon + 1);
            r.text += mask;
            r.add_secret(userinfo.substr(colon + 1));
        } else {
            r.text += userinfo;
        }
        r.text += '@';
        pos = at + 1;
    }
    const std::string_view remainder = rest.substr(pos);
    const std::size_t q = remainder.find('?');
    if (q == std::string_view::npos) {
        r.text += remainder;
        return r;
    }
    r.text += remainder.substr(0, q + 1);
    redact_query(remainder.substr(q + 1), r);
    return r;
}

/// Unparseable key=value text from `from` on: keep it unless it mentions a password, in which
/// case everything after that mention is dropped (and remembered as secret).
void redact_unparsed(std::string_view s, std::size_t from, redaction& r) {
    const std::string_view rest = s.substr(from);
    const std::size_t p = rest.find(password_word);
    if (p == std::string_view::npos) {
        r.text += rest;
        return;
    }
    const std::size_t keep = p + password_word.size();
    r.text += rest.substr(0, keep);
    r.text += mask;
    std::string_view tail = rest.substr(keep);
    while (!tail.empty() && (is_space(tail.front()) || tail.front() == '=')) {
        tail.remove_prefix(1);
    }
    while (!tail.empty() && is_space(tail.back())) {
        tail.remove_suffix(1);
    }
    r.add_secret(tail);
    // Each word of the tail too, in case a message quotes only one of them.
    std::size_t i = 0;
    while (i < tail.size()) {
        while (i < tail.size() && is_space(tail[i])) {
            ++i;
        }
        const std::size_t b = i;
        while (i < tail.size() && !is_space(tail[i])) {
            ++i;
        }
        if (i > b && i - b < tail.size()) {
            r.add_secret(tail.substr(b, i - b));
        }
    }
}

/// key = value pairs separated by whitespace; values may be 'single quoted' with backslash
/// escapes (libpq's conninfo syntax).
[[nodiscard]] redaction redact_keywords(std::string_view s) {
    redaction r;
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        while (i < n && is_space(s[i])) {
            r.text += s[i++];
        }
        if (i >= n) {
            break;
        }
        const std::size_t key_begin = i;
        while (i < n && s[i] != '=' && !is_space(s[i])) {
            ++i;
        }
        const std::string_view key = s.substr(key_begin, i - key_begin);
        while (i < n && is_space(s[i])) {
            ++i;
        }
        if (i >= n || s[i] != '=') {
            redact_unparsed(s, key_begin, r);
            return r;
        }
        ++i;
        while (i < n && is_space(s[i])) {
            ++i;
        }
        const std::size_t value_begin = i;
        std::string value;
        if (i < n && s[i] == '\'') {
            ++i;
            while (i < n) {
                if (s[i] == '\\' && i + 1 < n) {
                    value += s[i + 1];
                    i += 2;
                    continue;
                }
                if (s[i] == '\'') {
                    ++i;
                    break;
                }
                value += s[i++];
            }
        } else {
            while (i < n && !is_space(s[i])) {
                if (s[i] == '\\' && i + 1 < n) {
                    value += s[i + 1];
                    i += 2;
                    continue;
                }
                value += s[i++];
            }
        }
        r.text += s.substr(key_begin, value_begin - key_begin);
        if (is_secret_key(key)) {
            r.text += mask;
            r.add_secret(value);
            r.add_secret(s.substr(value_begin, i - value_begin));
        } else {
            r.text += s.substr(value_begin, i - value_begin);
        }
    }
    return r;
}

[[nodiscard]] redaction redact(std::string_view conninfo) {
    if (is_url(conninfo)) {
        return redact_url(conninfo);
    }
    return redact_keywords(conninfo);
}

void replace_all(std::string& text, std::string_view what, std::string_view with) {
    if (what.empty()) {
        return;
    }
    std::size_t pos = 0;
    while ((pos = text.find(what, pos)) != std::string::npos) {
        text.replace(pos, what.size(), with);
        pos += with.size();
    }
}

/// Masks the value after every `password=` in free text (messages quoting a conninfo).
void mask_password_assignments(std::string& text) {
    std::size_t pos = 0;
    while ((pos = text.find(password_word, pos)) != std::string::npos) {
        std::size_t i = pos + password_word.size();
        while (i < text.size() && text[i] == ' ') {
            ++i;
        }
        if (i >= text.size() || text[i] != '=') {
            pos += password_word.size();
            continue;
        }
        ++i;
        while (i < text.size() && text[i] == ' ') {
            ++i;
        }
        if (text.compare(i, mask.size(), mask) == 0) {
            pos = i + mask.size(); // already masked
            continue;
        }
        std::size_t end = i;
        if (end < text.size() && (text[end] == '\'' || text[end] == '"')) {
            const char quote = text[end];
            end = text.find(quote, end + 1);
            end = end == std::string::npos ? text.size() : end + 1;
        } else {
            while (end < text.size() && !is_space(text[end]) && text[end] != '&' && text[end] != '"'
                   && text[end] != '\'') {
                ++end;
            }
        }
        text.replace(i, end - i, mask);
        pos = i + mask.size();
    }
}

[[nodiscard]] std::string collapse_whitespace(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool pending_space = false;
    for (const char c : text) {
        if (is_space(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) {
            out += ' ';
            pending_space = false;
        }
        out += c;
    }
    return out;
}

} // namespace

conninfo_choice resolve_conninfo(
    const std::optional<std::string>& flag, const std::optional<std::string>& env) {
    if (flag && !flag->empty()) {
        return {*flag, conninfo_origin::flag};
    }
    if (env && !env->empty()) {
        return {*env, conninfo_origin::environment};
    }
    return {std::string{}, conninfo_origin::libpq_defaults};
}

conninfo_choice resolve_conninfo(const std::optional<std::string>& flag) {
    const char* env = std::getenv(db_env_var); // NOLINT(concurrency-mt-unsafe)
    return resolve_conninfo(flag, env != nullptr ? std::optional<std::string>{env} : std::nullopt);
}

std::string redact_conninfo(std::string_view conninfo) {
    return redact(conninfo).text;
}

std::string describe_conninfo(std::string_view conninfo) {
    if (conninfo.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return "libpq defaults (PG* environment variables, service file)";
    }
    return redact_conninfo(conninfo);
}

std::string safe_message(std::string_view text, std::string_view conninfo) {
    std::string out(text);
    redaction r = redact(conninfo);
    std::sort(r.secrets.begin(), r.secrets.end(), [](const std::string& a, const std::string& b) {
        return a.size() > b.size();
    });
    for (const auto& secret : r.secrets) {
        replace_all(out, secret, mask);
    }
    mask_password_assignments(out);
    return collapse_whitespace(out);
}

std::optional<std::string> collation_warning(std::string_view datcollate, std::string_view provider) {
    if (provider == "b" || (provider != "i" && (datcollate == "C" || datcollate == "POSIX"))) {
        return std::nullopt;
    }
    const std::string how = provider == "i" ? "by an ICU collation" : "by the locale '" + std::string{datcollate} + "'";
    return "the database sorts text " + how + ", so every hash, account and signature in ledgertap's keys "
           "is compared through it, which slows each write and index lookup (docs/operations.md, "
           "\"Database collation\"); a database created with LC_COLLATE 'C' compares them as bytes";
}

} // namespace ledgertap::ingest
