#include "scope.h"

#include <algorithm>
#include <optional>
#include <string>

#include "llm_cost_exporter/log.h"

namespace lce {

std::string RefuseCampaign(const Caller& caller, std::string_view handler, std::string_view campaign_id,
                           SelfMetrics& self) {
  self.CountAuthFailure(handler, "forbidden_campaign");
  log::Audit(caller.Actor(), handler, campaign_id, "forbidden_campaign");
  return "API key " + std::string(caller.Actor()) + " may not use campaign \"" + std::string(campaign_id) + "\"";
}

Response Forbid(const Caller& caller, std::string_view handler, std::string_view campaign_id, SelfMetrics& self) {
  return Response::Error(403, RefuseCampaign(caller, handler, campaign_id, self));
}

bool RejectOutOfScope(const Caller& caller, std::string_view handler, Batch* batch, SelfMetrics& self) {
  const std::size_t forbidden = RejectOutOfScopeRecords(caller, batch);
  CountOutOfScope(caller, handler, forbidden, self);
  return forbidden > 0;
}

std::size_t RejectOutOfScopeRecords(const Caller& caller, Batch* batch) {
  const Principal* key = caller.key;
  if (key == nullptr) return 0;
  const std::size_t before = batch->errors.size();
  RejectRecords(batch, RejectReason::kForbiddenCampaign, "campaign_id",
                [key](const UsageRecord& record) -> std::optional<std::string> {
                  if (key->MayUseCampaign(record.campaign_id)) return std::nullopt;
                  return "API key " + key->key_id + " may not write " +
                         (record.campaign_id.empty() ? std::string("records without a campaign")
                                                     : "campaign \"" + std::string(record.campaign_id) + "\"");
                });
  return batch->errors.size() - before;
}

void CountOutOfScope(const Caller& caller, std::string_view handler, std::size_t forbidden, SelfMetrics& self) {
  if (forbidden == 0 || caller.key == nullptr) return;
  self.CountAuthFailure(handler, "forbidden_campaign");
  log::Audit(caller.key->key_id, handler, std::to_string(forbidden) + " records", "forbidden_campaign");
}

bool OnlyForbidden(const std::vector<RecordError>& errors) {
  return std::all_of(errors.begin(), errors.end(),
                     [](const RecordError& e) { return e.reason == RejectReason::kForbiddenCampaign; });
}

}  // namespace lce
