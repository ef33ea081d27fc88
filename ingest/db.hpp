#pragma once

// Where ledgertap finds its database, and how it talks about it without leaking passwords.
//
// A conninfo is anything libpq accepts: a URL (postgresql://user:pw@host:5432/db?sslmode=require)
// or a key=value string (host=/run/postgresql dbname=ledgertap password='s3 cret'). An empty
// conninfo means libpq's own defaults: the PG* environment variables, service files and .pgpass.

#include <optional>
#include <string>
#include <string_view>

namespace ledgertap::ingest {

/// Environment variable holding the conninfo when `--db` is not given.
inline constexpr const char* db_env_var = "LEDGERTAP_DB";

/// Which setting the conninfo came from.
enum class conninfo_origin {
    flag,          ///< --db
    environment,   ///< LEDGERTAP_DB
    libpq_defaults ///< neither: empty conninfo, libpq reads PG* variables and service files
};

struct conninfo_choice {
    std::string conninfo;
    conninfo_origin origin = conninfo_origin::libpq_defaults;
};

/// `--db` when given and non-empty, else `env` (the value of LEDGERTAP_DB) when non-empty, else an
/// empty conninfo for libpq's defaults.
[[nodiscard]] conninfo_choice resolve_conninfo(
    const std::optional<std::string>& flag, const std::optional<std::string>& env);

/// resolve_conninfo(flag, getenv("LEDGERTAP_DB")).
[[nodiscard]] conninfo_choice resolve_conninfo(const std::optional<std::string>& flag);

/// The conninfo with every password masked as `***`: the password of a URL's userinfo, and the
/// value of any `password`/`sslpassword` keyword or URL query parameter. Text it cannot parse is
/// masked from the first mention of a password onwards. Never throws.
[[nodiscard]] std::string redact_conninfo(std::string_view conninfo);

/// redact_conninfo() for logs, with an empty conninfo shown as where libpq will look instead.
[[nodiscard]] std::string describe_conninfo(std::string_view conninfo);

/// A message (typically a libpq or libpqxx error) made safe to print on one line: every password
/// contained in `conninfo` (raw and percent-decoded) and any `password=` value in the text is
/// replaced by `***`, and runs of whitespace, including newlines, become single spaces.
[[nodiscard]] std::string safe_message(std::string_view text, std::string_view conninfo);

/// The current database's collation: LC_COLLATE and the provider ('c' libc, 'i' ICU, 'b' builtin;
/// NULL before PostgreSQL 15). to_jsonb keeps it one query on every version.
inline constexpr const char* collation_query
    = "SELECT datcollate, to_jsonb(d)->>'datlocprovider' FROM pg_database d WHERE datname = current_database()";

/// A warning for the log when the database compares text through a locale — every hash, account
/// and signature key then sorts by strcoll or ICU instead of by bytes, which slows each merge and
/// index lookup — or nullopt for byte order (libc "C"/"POSIX", or the builtin provider).
[[nodiscard]] std::optional<std::string> collation_warning(std::string_view datcollate, std::string_view provider);

} // namespace ledgertap::ingest
