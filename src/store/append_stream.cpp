// Ledger::OpenAppend's default: the parts are kept (views only) and handed
// to Append at Finish, as one span when there was one part.
#include <utility>

#include "ledger_common.h"
#include "llm_cost_exporter/ledger.h"

namespace lce {
namespace {

class BufferedAppendStream final : public AppendStream {
 public:
  BufferedAppendStream(Ledger& ledger, std::int64_t receive_unix_ns)
      : ledger_(ledger), receive_unix_ns_(receive_unix_ns) {}

  Status Add(std::span<const LedgerEntry> entries) override {
    if (Status valid = validation_.Check(entries); !valid.ok()) return valid;
    if (!entries.empty()) parts_.push_back(entries);
    return Status::Ok();
  }

  Result<std::vector<EntryOutcome>> Finish() override {
    if (!validation_.status().ok()) return validation_.status();
    if (parts_.empty()) return std::vector<EntryOutcome>();
    if (parts_.size() == 1) return ledger_.Append(parts_.front(), receive_unix_ns_);
    std::vector<LedgerEntry> all;
    all.reserve(validation_.added());
    for (const std::span<const LedgerEntry> part : parts_) all.insert(all.end(), part.begin(), part.end());
    return ledger_.Append(all, receive_unix_ns_);
  }

 private:
  Ledger& ledger_;
  const std::int64_t receive_unix_ns_;
  std::vector<std::span<const LedgerEntry>> parts_;
  store_detail::StreamValidation validation_;
};

}  // namespace

std::unique_ptr<AppendStream> Ledger::OpenAppend(std::int64_t receive_unix_ns) {
  return std::make_unique<BufferedAppendStream>(*this, receive_unix_ns);
}

}  // namespace lce
