#include "ingest/migrate.hpp"

#include "ingest/db.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sodium.h>
#include <sstream>
#include <system_error>

namespace ledgertap::ingest {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_version_digits = 9; // fits std::int32_t

[[nodiscard]] std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw migrate_error(fmt::format("cannot read migration file {}", path.string()));
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
        throw migrate_error(fmt::format("cannot read migration file {}", path.string()));
    }
    return std::move(buffer).str();
}

[[nodiscard]] bool is_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/// NNNN_name.sql -> (version, name); false when the name does not have that shape.
[[nodiscard]] bool parse_file_name(
    std::string_view file, std::int32_t& version, std::string& name) {
    constexpr std::string_view suffix = ".sql";
    if (!file.ends_with(suffix)) {
        return false;
    }
    const std::string_view stem = file.substr(0, file.size() - suffix.size());
    const std::size_t underscore = stem.find('_');
    if (underscore == std::string_view::npos || underscore == 0
        || underscore > max_version_digits) {
        return false;
    }
    const std::string_view digits = stem.substr(0, underscore);
    const std::string_view rest = stem.substr(underscore + 1);
    if (rest.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) {
            return c >= '0' && c <= '9';
        })) {
        return false;
    }
    if (!std::all_of(rest.begin(), rest.end(), is_name_char)) {
        return false;
    }
    std::int32_t v = 0;
    for (const char c : digits) {
        v = v * 10 + (c - '0');
    }
    if (v <= 0) {
        return false;
    }
    version = v;
    name = std::string(rest);
    return true;
}

[[nodiscard]] std::string display_name(std::int32_t version, std::string_view name) {
    return fmt::format("{:04}_{}.sql", version, name);
}

struct recorded_migration {
    std::int32_t version = 0;
    std::string name;
    std::string checksum;
};

/// Checks the applied set against the files; returns the files still to apply, in order.
[[nodiscard]] std::vector<const migration_file*> plan(
    const std::vector<migration_file>& files,
    const std::vector<recorded_migration>& recorded,
    const fs::path& dir) {
    std::map<std::int32_t, const migration_file*> by_version;
    for (const auto& f : files) {
        by_version.emplace(f.version, &f);
    }
    std::int32_t newest_applied = 0;
    for (const auto& r : recorded) {
        newest_applied = std::max(newest_applied, r.version);
        const auto it = by_version.find(r.version);
        if (it == by_version.end()) {
            throw migrate_error(fmt::format(
                "applied migration {} is missing from {}; applied migrations must stay",
                display_name(r.version, r.name),
                dir.string()));
        }
        const migration_file& f = *it->second;
        if (f.name != r.name) {
            throw migrate_error(fmt::format(
                "migration {} has the version of applied migration {}; applied migrations must "
                "not be renamed",
                f.file_name(),
                display_name(r.version, r.name)));
        }
        if (f.checksum != r.checksum) {
            throw migrate_error(fmt::format(
                "migration {} was edited after it was applied (checksum {} recorded, file has {}); "
                "restore it and add a new migration instead",
                f.file_name(),
                r.checksum.substr(0, 12),
                f.checksum.substr(0, 12)));
        }
    }
    std::vector<const migration_file*> pending;
    for (const auto& f : files) {
        const bool applied = std::any_of(recorded.begin(), recorded.end(), [&](const auto& r) {
            return r.version == f.version;
        });
        if (applied) {
            continue;
        }
        if (f.version < newest_applied) {
            throw migrate_error(fmt::format(
                "migration {} is numbered below the newest applied migration (version {}); "
                "renumber it above",
                f.file_name(),
                newest_applied));
        }
        pending.push_back(&f);
    }
    return pending;
}

[[nodiscard]] std::vector<recorded_migration> read_recorded(pqxx::connection& conn) {
    pqxx::nontransaction tx{conn};
    const bool exists
        = tx.exec("SELECT to_regclass('ledgertap.schema_migrations') IS NOT NULL")[0][0].as<bool>();
    std::vector<recorded_migration> out;
    if (!exists) {
        return out;
    }
    const pqxx::result rows = tx.exec(
        "SELECT version, name, checksum FROM ledgertap.schema_migrations ORDER BY version");
    out.reserve(rows.size());
    for (const auto& row : rows) {
        out.push_back(
            {row[0].as<std::int32_t>(), row[1].as<std::string>(), row[2].as<std::string>()});
    }
    return out;
}

/// Takes the session advisory lock, waiting when another run holds it. Returns true if it waited.
[[nodiscard]] bool lock(pqxx::connection& conn) {
    pqxx::nontransaction tx{conn};
    // NOTICEs (e.g. "schema already exists, skipping") would go to stderr through libpqxx.
    tx.exec("SET client_min_messages TO warning");
    const std::string key = std::to_string(migrate_lock_key);
    if (tx.exec("SELECT pg_try_advisory_lock(" + key + ")")[0][0].as<bool>()) {
        return false;
    }
    spdlog::info("another migration run holds the migration lock; waiting for it to finish");
    tx.exec("SELECT pg_advisory_lock(" + key + ")");
    return true;
}

void unlock(pqxx::connection& conn) noexcept {
    try {
        pqxx::nontransaction tx{conn};
        tx.exec("SELECT pg_advisory_unlock(" + std::to_string(migrate_lock_key) + ")");
    } catch (const std::exception& e) {
        // Closing the connection releases it anyway.
        spdlog::debug("releasing the migration lock failed: {}", e.what());
    }
}

void apply_one(pqxx::connection& conn, const migration_file& file) {
    pqxx::work tx{conn, "migrate"};
    tx.exec(file.sql);
    tx.exec_params(
        "INSERT INTO ledgertap.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
        file.version,
        file.name,
        file.checksum);
    tx.commit();
}

[[nodiscard]] migrate_report run(
    pqxx::connection& conn,
    const std::vector<migration_file>& files,
    const fs::path& dir,
    const std::string& conninfo) {
    migrate_report report;
    report.waited_for_lock = lock(conn);
    struct unlocker {
        pqxx::connection& conn;
        explicit unlocker(pqxx::connection& c)
          : conn(c) {}
        unlocker(const unlocker&) = delete;
        unlocker& operator=(const unlocker&) = delete;
        unlocker(unlocker&&) = delete;
        unlocker& operator=(unlocker&&) = delete;
        ~unlocker() { unlock(conn); }
    } const release{conn};

    const std::vector<recorded_migration> recorded = read_recorded(conn);
    report.already_applied = recorded.size();
    const std::vector<const migration_file*> pending = plan(files, recorded, dir);
    for (const migration_file* file : pending) {
        spdlog::debug("applying migration {}", file->file_name());
        try {
            apply_one(conn, *file);
        } catch (const std::exception& e) {
            throw migrate_error(fmt::format(
                "migration {} failed and was rolled back: {}",
                file->file_name(),
                safe_message(e.what(), conninfo)));
        }
        report.applied.push_back({file->version, file->name, file->file_name()});
    }
    {
        pqxx::nontransaction tx{conn};
        const pqxx::row r = tx.exec1(collation_query);
        report.collation_warning = collation_warning(r[0].c_str(), r[1].is_null() ? "" : r[1].c_str());
    }
    return report;
}

} // namespace

std::string sha256_hex(std::string_view bytes) {
    // crypto_hash_sha256 keeps no state, but libsodium asks for sodium_init() before any call.
    [[maybe_unused]] static const int sodium_ready = sodium_init();
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(
        digest.data(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    std::string out;
    out.reserve(digest.size() * 2);
    for (const unsigned char b : digest) {
        out += fmt::format("{:02x}", b);
    }
    return out;
}

std::vector<migration_file> load_migrations(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        throw migrate_error(fmt::format(
            "migrations directory {} does not exist (or is not a directory)", dir.string()));
    }
    std::vector<migration_file> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& path = it->path();
        if (path.extension() != ".sql" || !fs::is_regular_file(path, ec)) {
            continue;
        }
        migration_file f;
        const std::string file = path.filename().string();
        if (!parse_file_name(file, f.version, f.name)) {
            throw migrate_error(fmt::format(
                "migration file name {} in {} is not NNNN_name.sql", file, dir.string()));
        }
        f.path = path;
        f.sql = read_file(path);
        if (f.sql.find_first_not_of(" \t\r\n") == std::string::npos) {
            throw migrate_error(fmt::format("migration file {} is empty", file));
        }
        f.checksum = sha256_hex(f.sql);
        files.push_back(std::move(f));
    }
    if (ec) {
        throw migrate_error(
            fmt::format("cannot list migrations directory {}: {}", dir.string(), ec.message()));
    }
    std::sort(files.begin(), files.end(), [](const migration_file& a, const migration_file& b) {
        return a.version < b.version;
    });
    for (std::size_t i = 1; i < files.size(); ++i) {
        if (files[i].version == files[i - 1].version) {
            throw migrate_error(fmt::format(
                "migrations {} and {} have the same version",
                files[i - 1].file_name(),
                files[i].file_name()));
        }
    }
    if (files.empty()) {
        throw migrate_error(fmt::format("no migrations (NNNN_name.sql) in {}", dir.string()));
    }
    return files;
}

migrate_report apply_migrations(const std::string& conninfo, const std::filesystem::path& dir) {
    const std::vector<migration_file> files = load_migrations(dir);
    std::unique_ptr<pqxx::connection> conn;
    try {
        conn = std::make_unique<pqxx::connection>(conninfo);
    } catch (const std::exception& e) {
        throw migrate_error(fmt::format(
            "cannot connect to the database ({}): {}",
            describe_conninfo(conninfo),
            safe_message(e.what(), conninfo)));
    }
    try {
        return run(*conn, files, dir, conninfo);
    } catch (const migrate_error&) {
        throw;
    } catch (const std::exception& e) {
        throw migrate_error(fmt::format(
            "migrating the database ({}) failed: {}",
            describe_conninfo(conninfo),
            safe_message(e.what(), conninfo)));
    }
}

std::filesystem::path default_migrations_dir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed
            = (exe.parent_path() / ".." / "share" / "ledgertap" / "migrations").lexically_normal();
        if (fs::is_directory(installed, ec)) {
            return installed;
        }
    }
    return fs::path{LEDGERTAP_MIGRATIONS_DIR};
}

std::filesystem::path resolve_migrations_dir(const std::optional<std::filesystem::path>& flag) {
    if (flag && !flag->empty()) {
        return *flag;
    }
    const char* env = std::getenv(migrations_env_var); // NOLINT(concurrency-mt-unsafe)
    if (env != nullptr && *env != '\0') {
        return fs::path{env};
    }
    return default_migrations_dir();
}

} // namespace ledgertap::ingest
