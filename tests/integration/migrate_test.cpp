// The migration runner and `ledgertap-ingest migrate` against a real PostgreSQL
// (LEDGERTAP_TEST_DB): fresh apply, idempotent re-run, refusal of
// edited/missing/renamed/out-of-order files, rollback of a failing file, the advisory lock (two
// threads, two processes, a held lock), and the CLI's exit codes and messages, including an
// unreachable database whose password must not be printed.

#include "ingest/migrate.hpp"
#include "tests/support/pg.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <netinet/in.h>
#include <optional>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ; // NOLINT(readability-redundant-declaration)

namespace ledgertap::ingest {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

// --- helpers -------------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed (recursively) on destruction.
class temp_dir {
public:
    temp_dir() {
        std::string pattern = (fs::temp_directory_path() / "ledgertap-migrate-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    temp_dir(temp_dir&&) = delete;
    temp_dir& operator=(temp_dir&&) = delete;

    [[nodiscard]] const fs::path& path() const noexcept { return path_; }

private:
    fs::path path_;
};

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
}

void append_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << text;
    REQUIRE(out.good());
}

[[nodiscard]] std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// A copy of the source tree's migrations in `parent`/migrations.
[[nodiscard]] fs::path copy_migrations(const temp_dir& parent) {
    const fs::path dir = parent.path() / "migrations";
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(test::source_migrations_dir())) {
        if (entry.path().extension() == ".sql") {
            fs::copy_file(entry.path(), dir / entry.path().filename());
        }
    }
    return dir;
}

/// A scratch database migrated as an older release left it: with the source tree's migrations
/// before version `first`. The rest wait in `held`; upgrade() applies them over whatever rows the
/// test stored meanwhile.
struct older_release {
    older_release(const test::scratch_database& database, std::string_view first)
        : db(database), dir(copy_migrations(tmp)), held(tmp.path() / "held") {
        fs::create_directories(held);
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (entry.path().filename().string() >= first) {
                fs::rename(entry.path(), held / entry.path().filename());
            }
        }
        db.migrate(dir);
    }

    /// Moves every held migration back into `dir` and applies them.
    migrate_report upgrade() {
        for (const auto& entry : fs::directory_iterator(held)) {
            fs::rename(entry.path(), dir / entry.path().filename());
        }
        return apply_migrations(db.conninfo(), dir);
    }

    const test::scratch_database& db;
    temp_dir tmp; // before dir and held, which live in it
    fs::path dir;
    fs::path held;
};

[[nodiscard]] std::string migration_count(const test::scratch_database& db) {
    return test::query_scalar(db.conninfo(), "SELECT count(*) FROM ledgertap.schema_migrations")
        .value_or("NULL");
}

[[nodiscard]] bool relation_exists(const test::scratch_database& db, const std::string& name) {
    return test::query_scalar(db.conninfo(), "SELECT to_regclass('" + name + "') IS NOT NULL")
           == std::optional<std::string>{"t"};
}

/// what() of the migrate_error `f` throws; FAILs if it throws nothing or something else.
[[nodiscard]] std::string migrate_error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const migrate_error& e) {
        return e.what();
    }
    FAIL("expected a migrate_error");
    return {};
}

/// Polls `condition` until it holds or `timeout` passes; returns its last value.
[[nodiscard]] bool eventually(
    const std::function<bool()>& condition,
    std::chrono::seconds timeout = std::chrono::seconds{30}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return condition();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return true;
}

[[nodiscard]] fs::path ingest_binary() {
    return fs::path{LEDGERTAP_BINARY_DIR} / "ingest" / "ledgertap-ingest";
}

struct process_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

/// A spawned process with stdout and stderr captured to files in a temp dir.
class child_process {
public:
    child_process(
        const std::vector<std::string>& args,
        const std::map<std::string, std::optional<std::string>>& env_changes = {}) {
        out_ = dir_.path() / "stdout";
        err_ = dir_.path() / "stderr";
        std::vector<std::string> argv_text{ingest_binary().string()};
        argv_text.insert(argv_text.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_text) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);

        std::vector<std::string> env_text;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string entry{*e};
            const std::string key = entry.substr(0, entry.find('='));
            if (env_changes.find(key) == env_changes.end()) {
                env_text.push_back(entry);
            }
        }
        for (const auto& [key, value] : env_changes) {
            if (value) {
                env_text.push_back(key + "=" + *value);
            }
        }
        std::vector<char*> envp;
        for (auto& e : env_text) {
            envp.push_back(e.data());
        }
        envp.push_back(nullptr);

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(
            &actions, STDOUT_FILENO, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(
            &actions, STDERR_FILENO, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE(rc == 0);
    }
    ~child_process() {
        if (pid_ > 0) {
            (void)wait();
        }
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    child_process(child_process&&) = delete;
    child_process& operator=(child_process&&) = delete;

    /// Waits for the exit and returns the exit code and captured output.
    process_result wait() {
        process_result r;
        int status = 0;
        if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) {
            r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        pid_ = -1;
        r.out = read_file(out_);
        r.err = read_file(err_);
        return r;
    }

private:
    temp_dir dir_;
    fs::path out_;
    fs::path err_;
    pid_t pid_ = -1;
};

[[nodiscard]] process_result run_ingest(
    const std::vector<std::string>& args,
    const std::map<std::string, std::optional<std::string>>& env_changes = {}) {
    child_process child{args, env_changes};
    return child.wait();
}

/// Lines of `text` that start with `prefix`.
[[nodiscard]] std::size_t count_lines(const std::string& text, const std::string& prefix) {
    std::size_t n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(prefix)) {
            ++n;
        }
    }
    return n;
}

/// A loopback TCP port with nothing listening on it (bound, never listen()ed, so connecting is
/// refused), held for the fixture's lifetime.
class refused_port {
public:
    refused_port()
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = 0;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
    }
    ~refused_port() { ::close(fd_); }
    refused_port(const refused_port&) = delete;
    refused_port& operator=(const refused_port&) = delete;
    refused_port(refused_port&&) = delete;
    refused_port& operator=(refused_port&&) = delete;

    [[nodiscard]] int port() const noexcept { return port_; }

private:
    int fd_;
    int port_ = 0;
};

// --- files ---------------------------------------------------------------------------------------

TEST_CASE("sha256_hex matches the FIPS 180-2 vectors", "[integration][migrate]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE(
    "load_migrations orders files by number and checks their names", "[integration][migrate]") {
    temp_dir dir;
    SECTION("numeric order, not text order; other files ignored") {
        write_file(dir.path() / "0010_ten.sql", "SELECT 10;");
        write_file(dir.path() / "9_nine.sql", "SELECT 9;");
        write_file(dir.path() / "0002_two.sql", "SELECT 2;");
        write_file(dir.path() / "README.md", "not a migration");
        const auto files = load_migrations(dir.path());
        REQUIRE(files.size() == 3);
        CHECK(files[0].version == 2);
        CHECK(files[0].name == "two");
        CHECK(files[1].version == 9);
        CHECK(files[2].version == 10);
        CHECK(files[2].file_name() == "0010_ten.sql");
        CHECK(files[0].checksum == sha256_hex("SELECT 2;"));
    }
    SECTION("a .sql file that is not NNNN_name.sql") {
        write_file(dir.path() / "0001_ok.sql", "SELECT 1;");
        for (const char* bad :
             {"pipeline.sql",
              "0002-dash.sql",
              "_x.sql",
              "0003_.sql",
              "0000_zero.sql",
              "00a4_x.sql"}) {
            CAPTURE(bad);
            write_file(dir.path() / bad, "SELECT 1;");
            CHECK_THAT(migrate_error_of([&] { (void)load_migrations(dir.path()); }), Contains(bad));
            fs::remove(dir.path() / bad);
        }
    }
    SECTION("two files with one version") {
        write_file(dir.path() / "0001_a.sql", "SELECT 1;");
        write_file(dir.path() / "01_b.sql", "SELECT 1;");
        const std::string message = migrate_error_of([&] { (void)load_migrations(dir.path()); });
        CHECK_THAT(message, Contains("0001_a.sql") && Contains("01_b.sql"));
    }
    SECTION("an empty file") {
        write_file(dir.path() / "0001_a.sql", " \n");
        CHECK_THAT(
            migrate_error_of([&] { (void)load_migrations(dir.path()); }),
            Contains("0001_a.sql") && Contains("empty"));
    }
    SECTION("no migrations, or no directory") {
        CHECK_THAT(
            migrate_error_of([&] { (void)load_migrations(dir.path()); }),
            Contains("no migrations"));
        CHECK_THAT(
            migrate_error_of([&] { (void)load_migrations(dir.path() / "absent"); }),
            Contains("does not exist"));
    }
}

TEST_CASE(
    "resolve_migrations_dir prefers --migrations, then LEDGERTAP_MIGRATIONS",
    "[integration][migrate]") {
    CHECK(resolve_migrations_dir(fs::path{"/x/flag"}) == fs::path{"/x/flag"});
    // The test binary is not installed, so the default is the source tree.
    if (std::getenv(migrations_env_var) == nullptr) { // NOLINT(concurrency-mt-unsafe)
        CHECK(resolve_migrations_dir(std::nullopt) == fs::path{LEDGERTAP_MIGRATIONS_DIR});
    }
    CHECK(fs::equivalent(default_migrations_dir(), test::source_migrations_dir()));
}

// --- data migrations -----------------------------------------------------------------------------

TEST_CASE(
    "0012 gives stored votes ids and rewrites their vote_blocks rows by id",
    "[integration][migrate]") {
    test::scratch_database db{"migrate_vote_ids"};
    // 0012 alone is applied below: a later migration may depend on it.
    older_release old{db, "0012"};
    // Two representatives' votes as 0002 stored them: one covering two blocks, one covering one;
    // and a vote_blocks row whose vote was never stored, which cannot be converted.
    const std::string rep_a = "'nano_1111111111111111111111111111111111111111111111111111hifc8npp'";
    const std::string rep_b = "'nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3'";
    const auto sig = [](char c) { return "'" + std::string(128, c) + "'"; };
    const auto hash = [](char c) { return "'" + std::string(64, c) + "'"; };
    test::exec_sql(db.conninfo(),
        "INSERT INTO nano.votes (representative, signature, timestamp, is_final, type, source, received_at) VALUES ("
            + rep_a + ", " + sig('A') + ", 1, false, 'vote', 's', now()), (" + rep_b + ", " + sig('B')
            + ", 18446744073709551615, true, 'vote', 's', now());"
            "INSERT INTO nano.vote_blocks (representative, signature, hash) VALUES ("
            + rep_a + ", " + sig('A') + ", " + hash('1') + "), (" + rep_a + ", " + sig('A') + ", " + hash('2')
            + "), (" + rep_b + ", " + sig('B') + ", " + hash('1') + "), (" + rep_b + ", " + sig('C') + ", "
            + hash('3') + ")");

    fs::rename(old.held / "0012_vote_ids.sql", old.dir / "0012_vote_ids.sql");
    const migrate_report report = apply_migrations(db.conninfo(), old.dir);
    REQUIRE(report.applied.size() == 1);
    CHECK(test::query_scalar(db.conninfo(), "SELECT count(DISTINCT id) FROM nano.votes WHERE id IS NOT NULL") == "2");
    // Each row now names its vote by id, and the same blocks as before.
    CHECK(test::query_scalar(db.conninfo(),
              "SELECT string_agg(left(v.signature, 1) || ':' || left(vb.hash, 1), ',' ORDER BY v.signature, vb.hash) "
              "FROM nano.vote_blocks AS vb JOIN nano.votes AS v ON v.id = vb.vote_id")
        == "A:1,A:2,B:1");
    CHECK(test::query_scalar(db.conninfo(), "SELECT count(*) FROM nano.vote_blocks") == "3");
    // A new vote gets the next id; the key refuses a second copy of a (hash, vote) pair.
    CHECK(test::query_scalar(db.conninfo(),
              "INSERT INTO nano.votes (representative, signature, timestamp, is_final, type, source, received_at) "
              "VALUES (" + rep_a + ", " + sig('D') + ", 2, false, 'vote', 's', now()) RETURNING id")
        == "3");
    CHECK_THROWS(test::exec_sql(db.conninfo(),
        "INSERT INTO nano.vote_blocks (vote_id, hash) SELECT vote_id, hash FROM nano.vote_blocks LIMIT 1"));
}

TEST_CASE(
    "0013 and 0014 apply over stored blocks: the char(n) checks validate them, the previous index "
    "goes, and one an operator re-creates stays",
    "[integration][migrate]") {
    test::scratch_database db{"migrate_char_checks"};
    older_release old{db, "0013"};
    const std::string block = "INSERT INTO nano.blocks (hash, account, previous, type, link, signature, work, "
                              "origin, source, received_at) VALUES ('"
        + std::string(64, 'A') + "', 'nano_1111111111111111111111111111111111111111111111111111hifc8npp', '"
        + std::string(64, '0') + "', 'open', '" + std::string(64, 'B') + "', '" + std::string(128, 'C')
        + "', '" + std::string(16, 'f') + "', 'websocket', 's', now())";
    test::exec_sql(db.conninfo(), block);
    REQUIRE(test::query_scalar(db.conninfo(), "SELECT to_regclass('nano.blocks_previous_idx') IS NOT NULL") == "t");
    const std::string checks
        = "SELECT count(*) FILTER (WHERE NOT convalidated) || '/' || count(*) FILTER (WHERE "
          "pg_get_constraintdef(oid) ~ 'is_(hash|hex)\\(\\(') FROM pg_constraint WHERE contype = 'c' "
          "AND connamespace = 'nano'::regnamespace";
    REQUIRE(test::query_scalar(db.conninfo(), checks) == "0/26"); // the 26 checks 0013 re-creates

    const migrate_report report = old.upgrade();
    REQUIRE(report.applied.size() >= 2);
    // Every constraint is validated, and none of nano's format checks casts its column any more.
    CHECK(test::query_scalar(db.conninfo(), checks) == "0/0");
    CHECK(test::query_scalar(db.conninfo(), "SELECT to_regclass('nano.blocks_previous_idx') IS NULL") == "t");
    // The checks still refuse what they refused: a short hash (padded with spaces) and lower-case
    // signature.
    const auto with = [](std::string sql, const std::string& from, const std::string& to) {
        return sql.replace(sql.find(from), from.size(), to);
    };
    const std::string other = with(block, std::string(64, 'A'), std::string(64, 'D'));
    test::exec_sql(db.conninfo(), other);
    CHECK_THROWS(test::exec_sql(db.conninfo(), with(block, std::string(64, 'A'), "ABC")));
    CHECK_THROWS(test::exec_sql(db.conninfo(),
        with(with(other, std::string(64, 'D'), std::string(64, 'E')), std::string(128, 'C'), std::string(128, 'c'))));

    // An operator who wants the index back keeps it: 0014 ran once.
    test::exec_sql(db.conninfo(), "CREATE INDEX blocks_previous_idx ON nano.blocks (previous)");
    CHECK(apply_migrations(db.conninfo(), old.dir).applied.empty());
    CHECK(test::query_scalar(db.conninfo(), "SELECT to_regclass('nano.blocks_previous_idx') IS NOT NULL") == "t");
}

TEST_CASE(
    "0015 makes the signature indexes hash indexes over stored rows, and lookups by signature use them",
    "[integration][migrate]") {
    test::scratch_database db{"migrate_signature_hash"};
    older_release old{db, "0015"};
    // Rows stored while the indexes were B-trees: 0015 must index them too.
    const auto sig = [](char c) { return std::string(87, '1') + c; };
    for (const char c : std::string{"ABC"}) {
        test::exec_sql(db.conninfo(),
            "INSERT INTO solana.transactions (slot, signature, origin, source, received_at) VALUES (7, '" + sig(c)
                + "', 'websocket', 's', now());"
                  "INSERT INTO solana.logs (slot, signature, logs, source, received_at) VALUES (7, '"
                + sig(c) + "', '{}', 's', now())");
    }
    const std::string methods
        = "SELECT string_agg(c.relname || ':' || am.amname, ',' ORDER BY c.relname) FROM pg_class AS c "
          "JOIN pg_am AS am ON am.oid = c.relam WHERE c.relnamespace = 'solana'::regnamespace "
          "AND c.relname IN ('transactions_signature_idx', 'logs_signature_idx')";
    REQUIRE(test::query_scalar(db.conninfo(), methods) == "logs_signature_idx:btree,transactions_signature_idx:btree");

    REQUIRE_FALSE(old.upgrade().applied.empty());
    CHECK(test::query_scalar(db.conninfo(), methods) == "logs_signature_idx:hash,transactions_signature_idx:hash");
    for (const std::string table : {"transactions", "logs"}) {
        INFO(table);
        // With sequential scans off, a lookup can only find the row through the index.
        const std::string lookup = "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; "
                                   "SELECT count(*) FROM solana." + table + " WHERE signature = '" + sig('B') + "'";
        CHECK(test::query_scalar(db.conninfo(), lookup) == "1");
        CHECK(test::query_scalar(db.conninfo(),
                  "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; "
                  "SELECT count(*) FROM solana." + table + " WHERE signature = '" + sig('D') + "'")
            == "0");
        const std::string plan = "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; "
                                 "EXPLAIN (COSTS OFF, FORMAT JSON) SELECT * FROM solana." + table + " WHERE signature = '" + sig('B') + "'";
        CHECK(test::query_scalar(db.conninfo(), plan)->find(table + "_signature_idx") != std::string::npos);
    }
}

// --- the runner ----------------------------------------------------------------------------------

TEST_CASE(
    "migrations apply to a fresh database once and a second run is a no-op",
    "[integration][migrate]") {
    test::scratch_database db{"migrate_fresh"};
    const auto files = load_migrations(test::source_migrations_dir());
    REQUIRE(files.size() >= 4);

    const migrate_report first = apply_migrations(db.conninfo(), test::source_migrations_dir());
    REQUIRE(first.applied.size() == files.size());
    CHECK(first.already_applied == 0);
    CHECK_FALSE(first.waited_for_lock);
    for (std::size_t i = 0; i < files.size(); ++i) {
        CHECK(first.applied[i].file_name == files[i].file_name());
        CHECK(
            test::query_scalar(
                db.conninfo(),
                "SELECT name || ' ' || checksum FROM ledgertap.schema_migrations "
                "WHERE version = "
                    + std::to_string(files[i].version))
            == files[i].name + " " + files[i].checksum);
    }
    CHECK(migration_count(db) == std::to_string(files.size()));
    const auto applied_at = test::query_scalar(
        db.conninfo(), "SELECT max(applied_at) FROM ledgertap.schema_migrations");

    const migrate_report second = apply_migrations(db.conninfo(), test::source_migrations_dir());
    CHECK(second.up_to_date());
    CHECK(second.already_applied == files.size());
    CHECK(migration_count(db) == std::to_string(files.size()));
    CHECK(
        test::query_scalar(db.conninfo(), "SELECT max(applied_at) FROM ledgertap.schema_migrations")
        == applied_at);
}

TEST_CASE(
    "an applied migration that was edited is refused, naming the file, and nothing is applied",
    "[integration][migrate]") {
    test::scratch_database db{"migrate_edited"};
    temp_dir tmp;
    const fs::path dir = copy_migrations(tmp);
    const std::size_t n = db.migrate(dir);
    REQUIRE(n >= 4);

    append_file(dir / "0002_nano.sql", "\n-- an innocent-looking edit\n");
    write_file(dir / "0999_probe.sql", "CREATE TABLE ledgertap.probe_after_edit (a int);\n");

    const std::string message
        = migrate_error_of([&] { (void)apply_migrations(db.conninfo(), dir); });
    CHECK_THAT(message, Contains("0002_nano.sql") && Contains("edited"));
    CHECK(migration_count(db) == std::to_string(n));
    CHECK_FALSE(relation_exists(db, "ledgertap.probe_after_edit"));
}

TEST_CASE(
    "an applied migration that is missing or renamed is refused, naming it",
    "[integration][migrate]") {
    test::scratch_database db{"migrate_missing"};
    temp_dir tmp;
    const fs::path dir = copy_migrations(tmp);
    const std::size_t n = db.migrate(dir);

    SECTION("missing") {
        fs::remove(dir / "0003_solana.sql");
        const std::string message
            = migrate_error_of([&] { (void)apply_migrations(db.conninfo(), dir); });
        CHECK_THAT(message, Contains("0003_solana.sql") && Contains("missing"));
    }
    SECTION("renamed") {
        fs::rename(dir / "0003_solana.sql", dir / "0003_sol.sql");
        const std::string message
            = migrate_error_of([&] { (void)apply_migrations(db.conninfo(), dir); });
        CHECK_THAT(message, Contains("0003_sol.sql") && Contains("0003_solana.sql"));
    }
    CHECK(migration_count(db) == std::to_string(n));
}

TEST_CASE(
    "a new migration numbered below the newest applied one is refused", "[integration][migrate]") {
    test::scratch_database db{"migrate_order"};
    temp_dir tmp;
    const fs::path dir = tmp.path() / "m";
    fs::create_directories(dir);
    fs::copy_file(test::source_migrations_dir() / "0001_pipeline.sql", dir / "0001_pipeline.sql");
    write_file(dir / "0020_later.sql", "CREATE TABLE ledgertap.probe_later (a int);\n");
    REQUIRE(db.migrate(dir) == 2);

    write_file(dir / "0010_between.sql", "CREATE TABLE ledgertap.probe_between (a int);\n");
    const std::string message
        = migrate_error_of([&] { (void)apply_migrations(db.conninfo(), dir); });
    CHECK_THAT(message, Contains("0010_between.sql") && Contains("below"));
    CHECK_FALSE(relation_exists(db, "ledgertap.probe_between"));
}

TEST_CASE(
    "a failing migration is rolled back together with its schema_migrations row",
    "[integration][migrate]") {
    test::scratch_database db{"migrate_fail"};
    temp_dir tmp;
    const fs::path dir = copy_migrations(tmp);
    const std::size_t n = load_migrations(dir).size();
    write_file(
        dir / "0999_broken.sql", "CREATE TABLE ledgertap.probe_broken (a int);\nSELECT 1 / 0;\n");

    const std::string message
        = migrate_error_of([&] { (void)apply_migrations(db.conninfo(), dir); });
    CHECK_THAT(message, Contains("0999_broken.sql") && Contains("division by zero"));
    CHECK(message.find('\n') == std::string::npos);
    // Files before it stay applied; nothing of the broken one does.
    CHECK(migration_count(db) == std::to_string(n));
    CHECK_FALSE(relation_exists(db, "ledgertap.probe_broken"));

    write_file(dir / "0999_broken.sql", "CREATE TABLE ledgertap.probe_broken (a int);\n");
    const migrate_report fixed = apply_migrations(db.conninfo(), dir);
    REQUIRE(fixed.applied.size() == 1);
    CHECK(fixed.applied[0].file_name == "0999_broken.sql");
    CHECK(relation_exists(db, "ledgertap.probe_broken"));
}

TEST_CASE(
    "two concurrent migrate runs both succeed and apply each file once", "[integration][migrate]") {
    test::scratch_database db{"migrate_threads"};
    const std::size_t n = load_migrations(test::source_migrations_dir()).size();
    std::array<std::optional<migrate_report>, 2> reports;
    std::array<std::exception_ptr, 2> errors;
    {
        std::vector<std::jthread> runners;
        for (std::size_t i = 0; i < 2; ++i) {
            runners.emplace_back([&, i] {
                try {
                    reports[i] = apply_migrations(db.conninfo(), test::source_migrations_dir());
                } catch (...) {
                    errors[i] = std::current_exception();
                }
            });
        }
    }
    for (std::size_t i = 0; i < 2; ++i) {
        if (errors[i]) {
            try {
                std::rethrow_exception(errors[i]);
            } catch (const std::exception& e) {
                FAIL("run " << i << " failed: " << e.what());
            }
        }
        REQUIRE(reports[i].has_value());
    }
    const std::size_t a = reports[0]->applied.size();
    const std::size_t b = reports[1]->applied.size();
    CHECK(a + b == n);
    CHECK(std::min(a, b) == 0); // the lock serialises whole runs, not files
    CHECK(migration_count(db) == std::to_string(n));
}

TEST_CASE(
    "a migrate run waits while another session holds the migration lock",
    "[integration][migrate]") {
    test::scratch_database db{"migrate_lock"};
    pqxx::connection holder{db.conninfo()};
    {
        pqxx::nontransaction tx{holder};
        tx.exec("SELECT pg_advisory_lock(" + std::to_string(migrate_lock_key) + ")");
    }
    std::optional<migrate_report> report;
    std::exception_ptr error;
    std::jthread runner([&] {
        try {
            report = apply_migrations(db.conninfo(), test::source_migrations_dir());
        } catch (...) {
            error = std::current_exception();
        }
    });
    const bool waiting = eventually([&] {
        return test::query_scalar(
                   db.conninfo(),
                   "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                   "NOT granted AND database = (SELECT oid FROM pg_database WHERE "
                   "datname = current_database())")
               == std::optional<std::string>{"1"};
    });
    CHECK(waiting);
    CHECK_FALSE(relation_exists(db, "ledgertap.schema_migrations"));
    {
        pqxx::nontransaction tx{holder};
        tx.exec("SELECT pg_advisory_unlock(" + std::to_string(migrate_lock_key) + ")");
    }
    runner.join();
    REQUIRE_FALSE(error);
    REQUIRE(report.has_value());
    CHECK(report->waited_for_lock);
    CHECK(report->applied.size() == load_migrations(test::source_migrations_dir()).size());
}

TEST_CASE(
    "apply_migrations reports an unreachable database without its password",
    "[integration][migrate]") {
    refused_port port;
    const std::string conninfo = "postgresql://ledgertap:s3cr3t-pw@127.0.0.1:"
                                 + std::to_string(port.port()) + "/ledgertap";
    const std::string message = migrate_error_of(
        [&] { (void)apply_migrations(conninfo, test::source_migrations_dir()); });
    CHECK_THAT(message, Contains("cannot connect") && Contains("127.0.0.1"));
    CHECK_THAT(message, !Contains("s3cr3t-pw"));
}

// --- the command line ----------------------------------------------------------------------------

TEST_CASE(
    "ledgertap-ingest migrate prints what it applied, then that the database is up to date",
    "[integration][migrate][cli]") {
    test::scratch_database db{"migrate_cli"};
    const auto files = load_migrations(test::source_migrations_dir());

    const process_result first = run_ingest({"migrate", "--db", db.conninfo()});
    CAPTURE(first.out, first.err);
    REQUIRE(first.exit_code == 0);
    for (const auto& f : files) {
        CHECK(count_lines(first.out, "applied " + f.file_name()) == 1);
    }
    CHECK(migration_count(db) == std::to_string(files.size()));

    SECTION("again, with the database from LEDGERTAP_DB and the directory from --migrations") {
        const process_result second = run_ingest(
            {"migrate", "--migrations", test::source_migrations_dir().string()},
            {{"LEDGERTAP_DB", db.conninfo()}});
        CAPTURE(second.out, second.err);
        CHECK(second.exit_code == 0);
        CHECK_THAT(second.out, Contains("up to date"));
        CHECK(count_lines(second.out, "applied ") == 0);
    }
    SECTION("--db before the subcommand works too") {
        const process_result second = run_ingest({"--db", db.conninfo(), "migrate"});
        CHECK(second.exit_code == 0);
        CHECK_THAT(second.out, Contains("up to date"));
    }
}

TEST_CASE(
    "two ledgertap-ingest migrate processes at once both succeed, each file applied once",
    "[integration][migrate][cli]") {
    test::scratch_database db{"migrate_procs"};
    const std::size_t n = load_migrations(test::source_migrations_dir()).size();
    child_process a{{"migrate", "--db", db.conninfo()}};
    child_process b{{"migrate", "--db", db.conninfo()}};
    const process_result ra = a.wait();
    const process_result rb = b.wait();
    CAPTURE(ra.out, ra.err, rb.out, rb.err);
    CHECK(ra.exit_code == 0);
    CHECK(rb.exit_code == 0);
    CHECK(count_lines(ra.out, "applied ") + count_lines(rb.out, "applied ") == n);
    CHECK(migration_count(db) == std::to_string(n));
}

TEST_CASE(
    "ledgertap-ingest migrate fails with one line, and no password, for an unreachable database",
    "[integration][migrate][cli]") {
    refused_port port;
    const std::string secret = "s3cr3t-pw";
    SECTION("URL") {
        const process_result r = run_ingest(
            {"migrate",
             "--db",
             "postgresql://ledgertap:" + secret + "@127.0.0.1:" + std::to_string(port.port())
                 + "/ledgertap"});
        CAPTURE(r.out, r.err);
        CHECK(r.exit_code == 1);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK_THAT(r.err, Contains("cannot connect") && Contains("postgresql://ledgertap:***@"));
        CHECK_THAT(r.err + r.out, !Contains(secret));
    }
    SECTION("key=value from LEDGERTAP_DB, password quoted with a space") {
        const process_result r = run_ingest(
            {"migrate"},
            {{"LEDGERTAP_DB",
              "host=127.0.0.1 port=" + std::to_string(port.port()) + " dbname=ledgertap password='"
                  + secret + " x'"}});
        CAPTURE(r.out, r.err);
        CHECK(r.exit_code == 1);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK_THAT(r.err, Contains("cannot connect") && Contains("password=***"));
        CHECK_THAT(r.err + r.out, !Contains(secret));
    }
}

TEST_CASE(
    "ledgertap-ingest answers --version and refuses unknown arguments without echoing secrets",
    "[integration][migrate][cli]") {
    const process_result version = run_ingest({"--version"});
    CHECK(version.exit_code == 0);
    CHECK_THAT(version.out, Contains("ledgertap-ingest"));

    const process_result unknown
        = run_ingest({"migrate", "postgresql://ledgertap:s3cr3t-pw@db.example/ledgertap"});
    CAPTURE(unknown.err);
    CHECK(unknown.exit_code == 2);
    CHECK_THAT(unknown.err, Contains("not expected"));
    CHECK_THAT(unknown.err, !Contains("s3cr3t-pw"));
}

TEST_CASE(
    "migrate: a database that compares text through a locale gets a warning, one in byte order none",
    "[integration][migrate]") {
    // The test server's own databases are initdb --locale=C (tests/scripts/pg-test-cluster.sh).
    test::scratch_database bytes{"collate_c"};
    CHECK_FALSE(apply_migrations(bytes.conninfo(), test::source_migrations_dir()).collation_warning);

    // C.utf8 is in every glibc since 2.35, and PostgreSQL treats it as a locale, not as C.
    test::scratch_database libc{"collate_libc", "TEMPLATE template0 LOCALE 'C.utf8'"};
    const auto libc_report = apply_migrations(libc.conninfo(), test::source_migrations_dir());
    REQUIRE(libc_report.collation_warning);
    CHECK(libc_report.collation_warning->find("sorts text by the locale 'C.utf8'") != std::string::npos);
    // Warned, not refused: every migration applied.
    CHECK(libc_report.applied.size() == load_migrations(test::source_migrations_dir()).size());

    test::scratch_database icu{"collate_icu", "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"};
    const auto icu_report = apply_migrations(icu.conninfo(), test::source_migrations_dir());
    REQUIRE(icu_report.collation_warning);
    CHECK(icu_report.collation_warning->find("sorts text by an ICU collation") != std::string::npos);
}

} // namespace
} // namespace ledgertap::ingest
