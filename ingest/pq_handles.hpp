#pragma once

// Owning handles for libpq's connection and result objects, for code that talks to libpq directly.

#include <libpq-fe.h>

#include <memory>

namespace ledgertap::ingest {

struct pq_conn_deleter {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct pq_result_deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};

/// A connection, PQfinish'ed when dropped.
using pq_conn = std::unique_ptr<PGconn, pq_conn_deleter>;
/// A result, PQclear'ed when dropped.
using pq_result = std::unique_ptr<PGresult, pq_result_deleter>;

} // namespace ledgertap::ingest
