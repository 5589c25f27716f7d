// SeriesStore<Series>: the series of one family group, keyed by their
// (already admitted) label values.
//
// The key is the label values length-prefixed and concatenated, built in a
// thread_local buffer, so a lookup of a known series allocates nothing: C++20
// heterogeneous lookup finds it by std::string_view under a shared lock. Only
// a new series takes the lock exclusively (and allocates its key). Series live
// in unordered_map nodes, whose addresses never change, so a returned
// reference stays valid for the store's lifetime and updates to it need no
// store lock (series use atomics or their own small lock).
//
// Memory stays bounded because callers pass only values admitted by the
// LabelGuard: at most the product of the labels' limits per store.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "transparent_hash.h"

namespace lce::metrics {

// Length-prefixed encoding of label values: unambiguous whatever they contain.
class SeriesKey {
 public:
  static void Encode(std::span<const std::string_view> values, std::string& out);
  static std::vector<std::string> Decode(std::string_view key);
  // The same as views into `key`, into `values` (cleared first): no allocation
  // once `values` has room.
  static void Decode(std::string_view key, std::vector<std::string_view>& values);
};

template <typename Series>
class SeriesStore {
 public:
  // Returns the series for `values`, creating it from `args` on first use.
  template <typename... Args>
  Series& Get(std::span<const std::string_view> values, Args&&... args) {
    thread_local std::string key;
    SeriesKey::Encode(values, key);
    {
      std::shared_lock lock(mutex_);
      if (const auto it = map_.find(std::string_view(key)); it != map_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    return map_.try_emplace(key, std::forward<Args>(args)...).first->second;
  }

  // The series for `values`, or nullptr when there is none yet (creates nothing).
  Series* Find(std::span<const std::string_view> values) {
    thread_local std::string key;
    SeriesKey::Encode(values, key);
    std::shared_lock lock(mutex_);
    const auto it = map_.find(std::string_view(key));
    return it == map_.end() ? nullptr : &it->second;
  }

  // Calls f(label values, series) for every series, under a shared lock:
  // concurrent hits proceed, new series wait until it returns. The values
  // are views into the store's keys, valid during the call.
  template <typename F>
  void ForEach(F&& f) const {
    std::shared_lock lock(mutex_);
    std::vector<std::string_view> values;
    for (const auto& [key, series] : map_) {
      SeriesKey::Decode(key, values);
      f(std::as_const(values), series);
    }
  }

  std::size_t size() const {
    std::shared_lock lock(mutex_);
    return map_.size();
  }

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Series, TransparentStringHash, std::equal_to<>> map_;
};

}  // namespace lce::metrics
