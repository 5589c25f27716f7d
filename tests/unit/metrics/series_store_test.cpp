// SeriesStore's lock-free lookups under concurrent creation: every key has
// one series whatever the interleaving, references stay valid while the
// index grows, and a scrape running alongside sees whole series only.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "series_store.h"

namespace lce::metrics {
namespace {

struct Counter {
  std::atomic<std::uint64_t> hits{0};
};
constexpr std::array<std::string_view, 2> kNames = {"service", "campaign_id"};

std::array<std::string, 2> KeyOf(int i) { return {"svc_" + std::to_string(i % 7), "cmp_" + std::to_string(i)}; }

TEST_CASE("SeriesStore: one series per key under concurrent Get, Find and scrapes", "[metrics][series_store]") {
  SeriesStore<Counter> store(kNames);
  constexpr int kThreads = 4;
  constexpr int kKeys = 3000;  // the index grows from 16 slots many times while threads probe it
  constexpr int kRounds = 3;
  std::atomic<bool> writers_done{false};
  std::atomic<std::size_t> scraped_max{0};
  std::thread scraper([&] {
    while (!writers_done.load()) {
      std::size_t seen = 0;
      store.ForEachInOrder([&](std::string_view labels, const Counter&) {
        CHECK_FALSE(labels.empty());
        ++seen;
      });
      scraped_max = std::max(scraped_max.load(), seen);
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&store, t] {
      constexpr std::array<int, kThreads> kStrides = {1, 7, 11, 13};  // coprime with kKeys: each a permutation
      for (int round = 0; round < kRounds; ++round) {
        for (int n = 0; n < kKeys; ++n) {
          const int i = (n * kStrides[static_cast<std::size_t>(t)] + round) % kKeys;  // each thread its own order
          const std::array<std::string, 2> key = KeyOf(i);
          const std::array<std::string_view, 2> values = {key[0], key[1]};
          Counter& counter = store.Get(values);
          counter.hits.fetch_add(1);
          Counter* found = store.Find(values);
          if (found != &counter) FAIL("Find gave another series than Get");
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  writers_done = true;
  scraper.join();

  CHECK(store.size() == kKeys);
  CHECK(scraped_max.load() <= kKeys);
  std::uint64_t total = 0;
  std::size_t series = 0;
  store.ForEachInOrderWithValues(
      [&](const std::vector<std::string_view>& values, std::string_view labels, const Counter& counter) {
        ++series;
        total += counter.hits.load();
        CHECK(counter.hits.load() == kThreads * kRounds);  // every Get of the key found this one series
        CHECK(labels == "service=\"" + std::string(values[0]) + "\",campaign_id=\"" + std::string(values[1]) + "\"");
      });
  CHECK(series == kKeys);
  CHECK(total == std::uint64_t{kThreads} * kRounds * kKeys);
  const std::array<std::string_view, 2> absent = {"svc_0", "cmp_none"};
  CHECK(store.Find(absent) == nullptr);
}

TEST_CASE("SeriesStore: references survive the index growing", "[metrics][series_store]") {
  SeriesStore<Counter> store;  // a cache: no labels, no order
  std::vector<Counter*> first;
  for (int i = 0; i < 10000; ++i) {
    const std::array<std::string, 2> key = KeyOf(i);
    const std::array<std::string_view, 2> values = {key[0], key[1]};
    Counter& counter = store.Get(values);
    counter.hits = static_cast<std::uint64_t>(i);
    first.push_back(&counter);
  }
  for (int i = 0; i < 10000; ++i) {
    const std::array<std::string, 2> key = KeyOf(i);
    const std::array<std::string_view, 2> values = {key[0], key[1]};
    REQUIRE(store.Find(values) == first[static_cast<std::size_t>(i)]);
    CHECK(first[static_cast<std::size_t>(i)]->hits.load() == static_cast<std::uint64_t>(i));
  }
  CHECK(store.size() == 10000);
}

}  // namespace
}  // namespace lce::metrics
