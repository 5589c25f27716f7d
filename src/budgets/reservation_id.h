// Reservation ids: "rsv_" + 32 lowercase hex digits (128 random bits), held
// internally as two 64-bit halves so the hold tables hash integers, not text.
// Thread safety: NewReservationKey uses a per-thread generator seeded from
// std::random_device; the rest are pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lce::budgets_detail {

struct ReservationKey {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  friend bool operator==(const ReservationKey&, const ReservationKey&) = default;
  friend auto operator<=>(const ReservationKey&, const ReservationKey&) = default;
};

struct ReservationKeyHash {
  std::size_t operator()(const ReservationKey& key) const { return static_cast<std::size_t>(key.lo ^ (key.hi >> 7)); }
};

ReservationKey NewReservationKey();
std::string FormatReservationId(const ReservationKey& key);
// nullopt unless `id` is exactly "rsv_" + 32 lowercase hex digits.
std::optional<ReservationKey> ParseReservationId(std::string_view id);

}  // namespace lce::budgets_detail
