// SeriesStore<Series>: the series of one family group, keyed by their
// (already admitted) label values.
//
// The key is the label values length-prefixed and concatenated (built once,
// for a new series); a lookup hashes the values where they lie (HashPieces)
// and compares them with a node's key in place (SeriesKey::Matches), so a
// lookup of a known series copies and allocates nothing and takes no lock:
// it probes an open-addressing index of node pointers that only ever gains
// entries (see Index). Only a new series takes the store's
// mutex (and allocates its node). Nodes never move and are never erased, so a
// returned reference stays valid for the store's lifetime and updates to it
// need no store lock (series use atomics or their own small lock). Lock-free
// lookups matter twice: the hot path makes one or more per record, and
// concurrent ingest threads no longer bounce a reader lock's cache line.
//
// For the scrape, a new series also renders its label set once, as
// exposition text (`service="a",campaign_id="b"`), and joins a list of series
// not yet ordered. ForEachInOrder sorts only those and merges them into the
// order kept from earlier scrapes: a scrape of known series sorts nothing
// and renders no label.
//
// Memory stays bounded because callers pass only values admitted by the
// LabelGuard: at most the product of the labels' limits per store.
#pragma once

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text_format.h"
#include "llm_cost_exporter/small_bytes.h"
#include "llm_cost_exporter/string_hash.h"

namespace lce::metrics {

// Length-prefixed encoding of label values: unambiguous whatever they contain.
class SeriesKey {
 public:
  static void Encode(std::span<const std::string_view> values, std::string& out);
  // Whether `key` is the encoding of `values` (no encoding built). Inline:
  // every lookup of a known series ends here.
  static bool Matches(std::string_view key, std::span<const std::string_view> values) {
    const char* p = key.data();
    std::size_t left = key.size();
    for (const std::string_view value : values) {
      std::uint32_t size = 0;
      if (left < sizeof size) return false;
      std::memcpy(&size, p, sizeof size);
      p += sizeof size;
      left -= sizeof size;
      if (size != value.size() || left < size || !EqualSmall(p, value.data(), size)) return false;
      p += size;
      left -= size;
    }
    return left == 0;
  }
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
  struct Node;

 public:
  // A store that is only looked up (a cache): no rendered labels, no order.
  SeriesStore() : index_(NewIndex(kInitialSlots)) {}
  // A store the scrape walks (ForEachInOrder): `label_names` names the key's
  // values, in order (static storage: the store keeps views); a value whose
  // name is empty is left out of the rendered labels.
  explicit SeriesStore(std::span<const std::string_view> label_names)
      : label_names_(label_names.begin(), label_names.end()), index_(NewIndex(kInitialSlots)) {}

  SeriesStore(const SeriesStore&) = delete;
  SeriesStore& operator=(const SeriesStore&) = delete;

  // Returns the series for `values`, creating it from `args` on first use.
  template <typename... Args>
  Series& Get(std::span<const std::string_view> values, Args&&... args) {
    const std::uint64_t hash = HashPieces(values);
    if (Node* node = Lookup(values, hash)) return node->series;
    return Create(values, hash, std::forward<Args>(args)...).series;
  }

  // The series for `values`, or nullptr when there is none yet (creates nothing).
  Series* Find(std::span<const std::string_view> values) {
    Node* node = Lookup(values, HashPieces(values));
    return node == nullptr ? nullptr : &node->series;
  }

  // Calls f(rendered labels, series) for every series, in exposition order
  // (label values ascending, value by value). No lock is held while f runs:
  // series created meanwhile wait for the next call. Calls are serialized
  // (the order is shared state). Requires a store built with label names.
  template <typename F>
  void ForEachInOrder(F&& f) const {
    VisitInOrder([&](const Node& node) { f(std::string_view(node.labels), std::as_const(node.series)); });
  }

  // The same, calling f(label values, rendered labels, series): the values
  // are views into the store's keys.
  template <typename F>
  void ForEachInOrderWithValues(F&& f) const {
    std::vector<std::string_view> values;
    VisitInOrder([&](const Node& node) {
      SeriesKey::Decode(node.key, values);
      f(std::as_const(values), std::string_view(node.labels), std::as_const(node.series));
    });
  }

  std::size_t size() const {
    std::lock_guard lock(write_mutex_);
    return nodes_.size();
  }

 private:
  // A series and its key. Never moved, never freed before the store: a
  // reference to its series stays valid for the store's lifetime.
  struct Node {
    template <typename... Args>
    Node(std::string k, std::uint64_t h, Args&&... args)
        : hash(h), key(std::move(k)), series(std::forward<Args>(args)...) {}
    const std::uint64_t hash;
    const std::string key;
    Series series;
    std::string labels;  // rendered once, at creation (before the node is published)
  };

  // Open addressing over node pointers, linear probing, at most half full.
  // Lookups read it without a lock: a slot goes from null to a node once
  // (a release store after the node is built), and a grown index is a new
  // array published the same way; old arrays are kept until the store goes,
  // since a reader may still be probing one (they add up to less than the
  // newest).
  struct Index {
    explicit Index(std::size_t n) : mask(n - 1), slots(new std::atomic<Node*>[n]) {
      for (std::size_t i = 0; i < n; ++i) slots[i].store(nullptr, std::memory_order_relaxed);
    }
    const std::size_t mask;
    const std::unique_ptr<std::atomic<Node*>[]> slots;
  };
  static constexpr std::size_t kInitialSlots = 16;

  Index* NewIndex(std::size_t n) { return indexes_.emplace_back(std::make_unique<Index>(n)).get(); }

  // The node of `values` (whose HashPieces is `hash`), or nullptr. Lock-free.
  Node* Lookup(std::span<const std::string_view> values, std::uint64_t hash) const {
    const Index& index = *index_.load(std::memory_order_acquire);
    for (std::size_t i = hash & index.mask;; i = (i + 1) & index.mask) {
      Node* node = index.slots[i].load(std::memory_order_acquire);
      if (node == nullptr) return nullptr;
      if (node->hash == hash && SeriesKey::Matches(node->key, values)) return node;
    }
  }

  template <typename... Args>
  Node& Create(std::span<const std::string_view> values, std::uint64_t hash, Args&&... args) {
    std::lock_guard lock(write_mutex_);
    if (Node* node = Lookup(values, hash)) return *node;  // created since the lock-free look
    std::string key;
    SeriesKey::Encode(values, key);
    Node& node = *nodes_.emplace_back(std::make_unique<Node>(std::move(key), hash, std::forward<Args>(args)...));
    if (scraped()) {
      bool first = true;
      for (std::size_t i = 0; i < values.size() && i < label_names_.size(); ++i) {
        if (label_names_[i].empty()) continue;  // a value the scrape writes otherwise (a family name)
        AppendLabel(node.labels, first, label_names_[i], values[i]);
        first = false;
      }
      unordered_.push_back(&node);
    }
    Index* index = index_.load(std::memory_order_relaxed);
    if (2 * nodes_.size() > index->mask + 1) {
      index = NewIndex(2 * (index->mask + 1));
      for (const std::unique_ptr<Node>& each : nodes_) Place(*index, each.get());  // before it is published
      index_.store(index, std::memory_order_release);
    } else {
      Place(*index, &node);
    }
    return node;
  }

  // Puts `node` in its first empty slot. Requires write_mutex_.
  static void Place(Index& index, Node* node) {
    std::size_t i = node->hash & index.mask;
    while (index.slots[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & index.mask;
    index.slots[i].store(node, std::memory_order_release);
  }

  // Built with label names: the scrape walks the store.
  bool scraped() const { return !label_names_.empty(); }

  // Calls g(node) for every node in exposition order (see ForEachInOrder).
  template <typename G>
  void VisitInOrder(G&& g) const {
    assert(scraped());
    std::lock_guard order_lock(order_mutex_);
    TakeUnordered();
    for (const Node* node : ordered_) g(*node);
  }

  // Merges the series created since the last call into ordered_. Requires order_mutex_.
  void TakeUnordered() const {
    std::vector<const Node*> fresh;
    {
      std::lock_guard lock(write_mutex_);
      fresh.swap(unordered_);
    }
    if (fresh.empty()) return;
    const auto less = [](const Node* a, const Node* b) { return SeriesKey::Less(a->key, b->key); };
    std::sort(fresh.begin(), fresh.end(), less);
    const auto middle = static_cast<std::ptrdiff_t>(ordered_.size());
    ordered_.insert(ordered_.end(), fresh.begin(), fresh.end());
    std::inplace_merge(ordered_.begin(), ordered_.begin() + middle, ordered_.end(), less);
  }

  std::vector<std::string_view> label_names_;
  mutable std::mutex write_mutex_;               // nodes_, unordered_, growing the index
  std::vector<std::unique_ptr<Node>> nodes_;     // every series, in creation order
  std::vector<std::unique_ptr<Index>> indexes_;  // every index made (the newest is index_)
  std::atomic<Index*> index_;                    // what lookups probe
  mutable std::vector<const Node*> unordered_;   // created, not yet in ordered_
  mutable std::mutex order_mutex_;               // ordered_
  mutable std::vector<const Node*> ordered_;
};

}  // namespace lce::metrics
