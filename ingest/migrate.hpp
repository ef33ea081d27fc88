#pragma once

// Schema migrations: numbered SQL files `NNNN_name.sql`, applied in numeric order, each in one
// transaction together with its ledgertap.schema_migrations row (version, name, SHA-256 checksum).
//
// Rules, checked before anything is applied (so a refused run applies nothing):
//   * an applied migration whose file is missing, renamed, or whose bytes changed is an error
//     naming the file — an applied migration is never edited and never re-run;
//   * a new file numbered below the newest applied migration is an error (renumber it);
//   * file names that are not NNNN_name.sql, and two files with one version, are errors.
//
// Concurrency: a run holds the session advisory lock `migrate_lock_key` from before it reads the
// applied set until it is done, so a second process waits, then finds nothing to do. Should the
// lock be lost with the connection, the primary key of schema_migrations still stops a file from
// being recorded twice: its transaction fails and rolls back.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::ingest {

/// pg_advisory_lock key held by a migration run ("ledgtap" in ASCII).
inline constexpr std::int64_t migrate_lock_key = 0x6c656467746170;

/// Environment variable overriding the migrations directory.
inline constexpr const char* migrations_env_var = "LEDGERTAP_MIGRATIONS";

/// Every failure of load_migrations() or apply_migrations(). what() is one line, names the file
/// concerned, and never contains a password.
class migrate_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One migration file as found on disk.
struct migration_file {
    std::int32_t version = 0;
    std::string name; ///< "pipeline" for 0001_pipeline.sql
    std::filesystem::path path;
    std::string checksum; ///< SHA-256 of the file bytes, 64 lowercase hex
    std::string sql;

    [[nodiscard]] std::string file_name() const { return path.filename().string(); }
};

/// A migration this run applied.
struct applied_migration {
    std::int32_t version = 0;
    std::string name;
    std::string file_name;
};

struct migrate_report {
    std::vector<applied_migration> applied; ///< By this run, in order.
    std::size_t already_applied = 0;        ///< Applied before this run began.
    bool waited_for_lock = false;           ///< Another run held the lock when this one started.
    /// collation_warning() for this database, when it compares text through a locale.
    std::optional<std::string> collation_warning;

    [[nodiscard]] bool up_to_date() const noexcept { return applied.empty(); }
};

/// SHA-256 of `bytes` as 64 lowercase hex digits.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

/// Reads every `*.sql` file of `dir`, sorted by version. Other files are ignored. Throws
/// migrate_error for a missing directory, an unreadable file, a `.sql` name that is not
/// NNNN_name.sql (name: letters, digits, '_'), a duplicate version, or no migrations at all.
[[nodiscard]] std::vector<migration_file> load_migrations(const std::filesystem::path& dir);

/// Connects with `conninfo` (empty: libpq defaults), takes the advisory lock, checks the applied
/// set against `dir` and applies what is missing. Throws migrate_error on any failure: nothing of
/// a failed file stays applied, and files before it stay applied.
[[nodiscard]] migrate_report apply_migrations(
    const std::string& conninfo, const std::filesystem::path& dir);

/// The installed migrations next to the running binary (`<exe>/../share/ledgertap/migrations`)
/// when that directory exists, else the source tree's (LEDGERTAP_MIGRATIONS_DIR).
[[nodiscard]] std::filesystem::path default_migrations_dir();

/// `flag` (--migrations) when given, else $LEDGERTAP_MIGRATIONS when set and non-empty, else
/// default_migrations_dir().
[[nodiscard]] std::filesystem::path resolve_migrations_dir(
    const std::optional<std::filesystem::path>& flag);

} // namespace ledgertap::ingest
