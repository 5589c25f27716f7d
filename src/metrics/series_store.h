// SeriesStore<Series>: the series of one family group, keyed by their
// (already admitted) label values.
//
// The key is the label values length-prefixed and concatenated, built in a
// thread_local buffer, so a lookup of a known series allocates nothing: C++20
// heterogeneous lookup finds it by std::string_view under a shared lock. Only
// a new series takes the lock exclusively (and allocates its key). Series live
// in unordered_map nodes, whose addresses never change and which are never
// erased, so a returned reference stays valid for the store's lifetime and
// updates to it need no store lock (series use atomics or their own small lock).
//
// For the scrape, a new series also renders its label set once, as
// exposition text (`service="a",campaign_id="b"`), and joins a list of series
// not yet ordered. ForEachInOrder sorts only those and merges them into the
// order kept from earlier scrapes: a scrape of known series sorts nothing,
// renders no label and takes the store's lock only to see whether there is
// anything new.
//
// Memory stays bounded because callers pass only values admitted by the
// LabelGuard: at most the product of the labels' limits per store.
#pragma once

#include <algorithm>
#include <cassert>
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

#include "text_format.h"
#include "llm_cost_exporter/string_hash.h"

namespace lce::metrics {

// Length-prefixed encoding of label values: unambiguous whatever they contain.
class SeriesKey {
 public:
  static void Encode(std::span<const std::string_view> values, std::string& out);
  static std::vector<std::string> Decode(std::string_view key);
  // The same as views into `key`, into `values` (cleared first): no allocation
  // once `values` has room.
  static void Decode(std::string_view key, std::vector<std::string_view>& values);
  // Whether the values of `a` come before those of `b`: value by value, as
  // std::string compares them (a prefix first).
  static bool Less(std::string_view a, std::string_view b);
};

template <typename Series>
class SeriesStore {
  struct Slot;

 public:
  // A store that is only looked up (a cache): no rendered labels, no order.
  SeriesStore() = default;
  // A store the scrape walks (ForEachInOrder): `label_names` names the key's
  // values, in order (static storage: the store keeps views); a value whose
  // name is empty is left out of the rendered labels.
  explicit SeriesStore(std::span<const std::string_view> label_names)
      : label_names_(label_names.begin(), label_names.end()) {}

  // Returns the series for `values`, creating it from `args` on first use.
  template <typename... Args>
  Series& Get(std::span<const std::string_view> values, Args&&... args) {
    thread_local std::string key;
    SeriesKey::Encode(values, key);
    {
      std::shared_lock lock(mutex_);
      if (const auto it = map_.find(std::string_view(key)); it != map_.end()) return it->second.series;
    }
    std::unique_lock lock(mutex_);
    const auto [it, created] = map_.try_emplace(key, std::forward<Args>(args)...);
    if (created && scraped()) {
      bool first = true;
      for (std::size_t i = 0; i < values.size() && i < label_names_.size(); ++i) {
        if (label_names_[i].empty()) continue;  // a value the scrape writes otherwise (a family name)
        AppendLabel(it->second.labels, first, label_names_[i], values[i]);
        first = false;
      }
      unordered_.push_back(&*it);
    }
    return it->second.series;
  }

  // The series for `values`, or nullptr when there is none yet (creates nothing).
  Series* Find(std::span<const std::string_view> values) {
    thread_local std::string key;
    SeriesKey::Encode(values, key);
    std::shared_lock lock(mutex_);
    const auto it = map_.find(std::string_view(key));
    return it == map_.end() ? nullptr : &it->second.series;
  }

  // Calls f(rendered labels, series) for every series, in exposition order
  // (label values ascending, value by value). The store's lock is not held
  // while f runs: series created meanwhile wait for the next call. Calls are
  // serialized (the order is shared state).
  // Requires a store built with label names.
  template <typename F>
  void ForEachInOrder(F&& f) const {
    VisitInOrder(
        [&](const Entry& entry) { f(std::string_view(entry.second.labels), std::as_const(entry.second.series)); });
  }

  // The same, calling f(label values, rendered labels, series): the values
  // are views into the store's keys.
  template <typename F>
  void ForEachInOrderWithValues(F&& f) const {
    std::vector<std::string_view> values;
    VisitInOrder([&](const Entry& entry) {
      SeriesKey::Decode(entry.first, values);
      f(std::as_const(values), std::string_view(entry.second.labels), std::as_const(entry.second.series));
    });
  }

  std::size_t size() const {
    std::shared_lock lock(mutex_);
    return map_.size();
  }

 private:
  struct Slot {
    template <typename... Args>
    explicit Slot(Args&&... args) : series(std::forward<Args>(args)...) {}
    Series series;
    std::string labels;  // rendered once, at creation
  };
  using Map = std::unordered_map<std::string, Slot, TransparentStringHash, std::equal_to<>>;
  using Entry = typename Map::value_type;

  // Built with label names: the scrape walks the store.
  bool scraped() const { return !label_names_.empty(); }

  // Calls g(entry) for every entry in exposition order (see ForEachInOrder).
  template <typename G>
  void VisitInOrder(G&& g) const {
    assert(scraped());
    std::lock_guard order_lock(order_mutex_);
    TakeUnordered();
    for (const Entry* entry : ordered_) g(*entry);
  }

  // Merges the series created since the last call into ordered_. Requires order_mutex_.
  void TakeUnordered() const {
    std::vector<const Entry*> fresh;
    {
      std::shared_lock lock(mutex_);
      if (unordered_.empty()) return;
    }
    {
      std::unique_lock lock(mutex_);
      fresh.swap(unordered_);
    }
    const auto less = [](const Entry* a, const Entry* b) { return SeriesKey::Less(a->first, b->first); };
    std::sort(fresh.begin(), fresh.end(), less);
    const auto middle = static_cast<std::ptrdiff_t>(ordered_.size());
    ordered_.insert(ordered_.end(), fresh.begin(), fresh.end());
    std::inplace_merge(ordered_.begin(), ordered_.begin() + middle, ordered_.end(), less);
  }

  std::vector<std::string_view> label_names_;
  mutable std::shared_mutex mutex_;  // map_ and unordered_
  Map map_;
  mutable std::vector<const Entry*> unordered_;  // created, not yet in ordered_
  mutable std::mutex order_mutex_;               // ordered_
  mutable std::vector<const Entry*> ordered_;
};

}  // namespace lce::metrics
