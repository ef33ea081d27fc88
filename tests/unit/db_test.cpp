#include "ingest/db.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>

namespace ledgertap::ingest {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("redact_conninfo masks the password in a URL's userinfo", "[ingest][db]") {
    CHECK(
        redact_conninfo("postgresql://alice:s3cret@db.example:5432/ledgertap")
        == "postgresql://alice:***@db.example:5432/ledgertap");
    CHECK(
        redact_conninfo("postgres://alice:s3cret@db/ledgertap")
        == "postgres://alice:***@db/ledgertap");
    CHECK(redact_conninfo("postgresql://alice:p%40ss@h/db") == "postgresql://alice:***@h/db");
    CHECK(redact_conninfo("postgresql://u:pw@[::1]:5432/db") == "postgresql://u:***@[::1]:5432/db");
    SECTION("characters libpq would misparse are masked too") {
        CHECK(redact_conninfo("postgresql://alice:p@ss@h/db") == "postgresql://alice:***@h/db");
        CHECK(redact_conninfo("postgresql://alice:p?w@h/db") == "postgresql://alice:***@h/db");
        CHECK(redact_conninfo("postgresql://alice:a/b@h/db") == "postgresql://alice:***@h/db");
    }
    SECTION("URLs without a password are unchanged") {
        for (const char* url :
             {"postgresql://alice@h/db",
              "postgresql://h:5432/db",
              "postgresql:///db?host=/run/postgresql",
              "postgresql://"}) {
            CAPTURE(url);
            CHECK(redact_conninfo(url) == url);
        }
    }
}

TEST_CASE("redact_conninfo masks password query parameters of a URL", "[ingest][db]") {
    CHECK(
        redact_conninfo("postgresql://h/db?user=a&password=s3cret&sslmode=require")
        == "postgresql://h/db?user=a&password=***&sslmode=require");
    CHECK(
        redact_conninfo("postgresql://h/db?sslpassword=k") == "postgresql://h/db?sslpassword=***");
    CHECK(
        redact_conninfo("postgresql://u:x@h/db?password=y")
        == "postgresql://u:***@h/db?password=***");
    CHECK(
        redact_conninfo("postgresql://h/db?application_name=a")
        == "postgresql://h/db?application_name=a");
}

TEST_CASE("redact_conninfo masks password keywords of a key=value conninfo", "[ingest][db]") {
    CHECK(redact_conninfo("host=h password=s3cret dbname=d") == "host=h password=*** dbname=d");
    CHECK(redact_conninfo("password=s3cret") == "password=***");
    CHECK(
        redact_conninfo("host=h password = 's3 cr\\'et' dbname=d")
        == "host=h password = *** dbname=d");
    CHECK(redact_conninfo("sslpassword=k host=h") == "sslpassword=*** host=h");
    CHECK(redact_conninfo("host=h dbname=d user=password") == "host=h dbname=d user=password");
    CHECK(redact_conninfo("").empty());
}

TEST_CASE("redact_conninfo drops everything after a password it cannot parse", "[ingest][db]") {
    const std::string unquoted = redact_conninfo("host=h password s3cret");
    CHECK(unquoted == "host=h password***");
    const std::string garbage = redact_conninfo("garbage password=s3cret");
    CHECK_THAT(garbage, !Contains("s3cret"));
    CHECK(redact_conninfo("host=h dbname") == "host=h dbname");
}

TEST_CASE("safe_message removes the conninfo's passwords and makes one line", "[ingest][db]") {
    SECTION("URL password, raw and percent-decoded") {
        CHECK(
            safe_message(
                "FATAL:  password authentication failed\nhunter22 was wrong\n",
                "postgresql://u:hunter22@h/db")
            == "FATAL: password authentication failed *** was wrong");
        CHECK(safe_message("bad p@ss", "postgresql://u:p%40ss@h/db") == "bad ***");
    }
    SECTION("key=value password, quoted with a space") {
        CHECK(safe_message("x a b y", "host=h password='a b'") == "x *** y");
    }
    SECTION("a conninfo quoted in the text") {
        CHECK(
            safe_message("invalid: host=h password=zzz port=1", "")
            == "invalid: host=h password=*** port=1");
        CHECK(
            safe_message("(host=h password=***): refused", "") == "(host=h password=***): refused");
    }
    SECTION("text without secrets keeps its words") {
        CHECK(safe_message("  connection\trefused \n", "host=h") == "connection refused");
    }
}

TEST_CASE("resolve_conninfo prefers --db, then LEDGERTAP_DB, then libpq defaults", "[ingest][db]") {
    const auto flag = resolve_conninfo(std::string{"host=a"}, std::string{"host=b"});
    CHECK(flag.conninfo == "host=a");
    CHECK(flag.origin == conninfo_origin::flag);

    const auto env = resolve_conninfo(std::nullopt, std::string{"host=b"});
    CHECK(env.conninfo == "host=b");
    CHECK(env.origin == conninfo_origin::environment);

    const auto empty_flag = resolve_conninfo(std::string{}, std::string{"host=b"});
    CHECK(empty_flag.origin == conninfo_origin::environment);

    const auto none = resolve_conninfo(std::nullopt, std::string{});
    CHECK(none.conninfo.empty());
    CHECK(none.origin == conninfo_origin::libpq_defaults);
}

TEST_CASE(
    "describe_conninfo redacts, and names libpq defaults for an empty conninfo", "[ingest][db]") {
    CHECK_THAT(describe_conninfo(""), Contains("libpq defaults"));
    CHECK(describe_conninfo("postgresql://u:pw@h/db") == "postgresql://u:***@h/db");
}

TEST_CASE("collation_warning: byte-order collations pass, locales and ICU are named") {
    CHECK_FALSE(collation_warning("C", "c"));
    CHECK_FALSE(collation_warning("POSIX", "c"));
    CHECK_FALSE(collation_warning("C", ""));          // before PostgreSQL 15: no provider column
    CHECK_FALSE(collation_warning("C.UTF-8", "b"));   // PostgreSQL 17's builtin provider
    const auto libc = collation_warning("en_US.utf8", "c");
    REQUIRE(libc);
    CHECK(libc->find("by the locale 'en_US.utf8'") != std::string::npos);
    CHECK(libc->find("LC_COLLATE 'C'") != std::string::npos);
    REQUIRE(collation_warning("C.utf8", "c"));        // a locale to PostgreSQL, whatever its order
    const auto icu = collation_warning("C", "i");     // ICU: datcollate does not say how text sorts
    REQUIRE(icu);
    CHECK(icu->find("by an ICU collation") != std::string::npos);
}

} // namespace
} // namespace ledgertap::ingest
