#include "ingest/sink.hpp"

namespace ledgertap::ingest {

write_result sink::write_isolated(
    std::span<const row_group> batch, std::vector<std::string>& refused) noexcept {
    refused.assign(batch.size(), std::string{});
    for (std::size_t i = 0; i < batch.size(); ++i) {
        auto result = write(batch.subspan(i, 1));
        if (result.status == write_status::retry) {
            return result;
        }
        if (result.status == write_status::reject) {
            refused[i] = result.detail.empty() ? std::string{"refused by the database"} : std::move(result.detail);
        }
    }
    return {};
}

} // namespace ledgertap::ingest
