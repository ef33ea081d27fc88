#pragma once

// Small deterministic randomness for the simulated Solana chain: a keyed mixer, a splitmix64
// sequence, and an invertible 64-bit permutation (signatures encode where their transaction lives).
// Not cryptographic; stable across platforms and compilers, so a seed always gives the same chain.

#include <cstddef>
#include <cstdint>
#include <span>

namespace ledgertap::sim {

/// The splitmix64 finalizer: a bijection on 64-bit values with good avalanche.
[[nodiscard]] constexpr std::uint64_t permute(std::uint64_t x) noexcept {
    x ^= x >> 30U;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27U;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31U;
    return x;
}

namespace detail {

[[nodiscard]] constexpr std::uint64_t unxorshift(std::uint64_t y, unsigned shift) noexcept {
    std::uint64_t x = y;
    for (unsigned i = 0; i < 64 / shift + 1; ++i) {
        x = y ^ (x >> shift);
    }
    return x;
}

[[nodiscard]] constexpr std::uint64_t inverse_odd(std::uint64_t m) noexcept {
    std::uint64_t inv = m; // correct to 3 bits for odd m; each Newton step doubles that
    for (int i = 0; i < 6; ++i) {
        inv *= 2 - m * inv;
    }
    return inv;
}

} // namespace detail

/// Inverse of permute().
[[nodiscard]] constexpr std::uint64_t unpermute(std::uint64_t x) noexcept {
    x = detail::unxorshift(x, 31U);
    x *= detail::inverse_odd(0x94D049BB133111EBULL);
    x = detail::unxorshift(x, 27U);
    x *= detail::inverse_odd(0xBF58476D1CE4E5B9ULL);
    x = detail::unxorshift(x, 30U);
    return x;
}

/// Combines two values into a well-mixed key (order matters).
[[nodiscard]] constexpr std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
    return permute(a ^ permute(b + 0x9E3779B97F4A7C15ULL));
}

/// A splitmix64 sequence. Cheap to create: one per slot, per transaction, per account.
class prng {
public:
    explicit constexpr prng(std::uint64_t key) noexcept
      : state_(key) {}

    constexpr std::uint64_t next() noexcept {
        state_ += 0x9E3779B97F4A7C15ULL;
        return permute(state_);
    }
    /// Uniform-enough value in [0, n); n > 0.
    constexpr std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
    /// Uniform double in [0, 1).
    constexpr double unit() noexcept {
        constexpr double scale = 1.0 / 9007199254740992.0; // 2^-53
        return static_cast<double>(next() >> 11U) * scale;
    }
    void fill(std::span<std::uint8_t> out) noexcept {
        std::size_t i = 0;
        while (i < out.size()) {
            std::uint64_t v = next();
            for (unsigned b = 0; b < 8 && i < out.size(); ++b, ++i) {
                out[i] = static_cast<std::uint8_t>(v >> (8U * b));
            }
        }
    }

private:
    std::uint64_t state_;
};

} // namespace ledgertap::sim
