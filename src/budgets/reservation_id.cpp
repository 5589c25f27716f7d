#include "reservation_id.h"

#include <random>

namespace lce::budgets_detail {
namespace {

constexpr std::string_view kPrefix = "rsv_";
constexpr std::string_view kDigits = "0123456789abcdef";

std::mt19937_64& ThreadGenerator() {
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return generator;
}

void AppendHex(std::string& out, std::uint64_t value) {
  for (int shift = 60; shift >= 0; shift -= 4) out += kDigits[(value >> shift) & 0xF];
}

std::optional<std::uint64_t> ParseHex(std::string_view digits) {
  std::uint64_t value = 0;
  for (const char c : digits) {
    const std::size_t digit = kDigits.find(c);
    if (digit == std::string_view::npos) return std::nullopt;
    value = (value << 4) | digit;
  }
  return value;
}

}  // namespace

ReservationKey NewReservationKey() {
  std::mt19937_64& generator = ThreadGenerator();
  const std::uint64_t hi = generator();
  return {hi, generator()};
}

std::string FormatReservationId(const ReservationKey& key) {
  std::string out;
  out.reserve(kPrefix.size() + 32);
  out += kPrefix;
  AppendHex(out, key.hi);
  AppendHex(out, key.lo);
  return out;
}

std::optional<ReservationKey> ParseReservationId(std::string_view id) {
  if (id.size() != kPrefix.size() + 32 || id.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const auto hi = ParseHex(id.substr(kPrefix.size(), 16));
  const auto lo = ParseHex(id.substr(kPrefix.size() + 16, 16));
  if (!hi || !lo) return std::nullopt;
  return ReservationKey{*hi, *lo};
}

}  // namespace lce::budgets_detail
