#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "llm_cost_exporter/idempotency.h"

TEST_CASE("a key is claimed exactly once", "[idempotency]") {
  auto store = lce::NewInMemoryIdempotencyStore();
  CHECK(store->Claim("evt_1"));
  CHECK_FALSE(store->Claim("evt_1"));
  CHECK(store->Claim("evt_2"));
  CHECK(store->size() == 2);
}

TEST_CASE("concurrent claims of the same keys succeed once per key", "[idempotency]") {
  auto store = lce::NewInMemoryIdempotencyStore();
  constexpr int kThreads = 4;
  constexpr int kKeys = 20000;
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int k = 0; k < kKeys; ++k) {
        if (store->Claim("evt_" + std::to_string(k))) ++wins;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wins == kKeys);
  CHECK(store->size() == kKeys);
}
