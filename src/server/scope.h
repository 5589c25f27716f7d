// The campaign scope of API keys, shared by the data handlers: a key may
// only write, check or read its own campaigns. Refusals are counted in
// llm_cost_exporter_auth_failures_total{reason="forbidden_campaign"} and
// audited. Private to the server module; thread-safe (SelfMetrics is).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "handler.h"
#include "llm_cost_exporter/ingest.h"
#include "llm_cost_exporter/self_metrics.h"

namespace lce {

// Counts and audits the refusal of a campaign outside the caller's key under
// `handler`; returns the message that says so (a batch item's 403 error).
std::string RefuseCampaign(const Caller& caller, std::string_view handler, std::string_view campaign_id,
                           SelfMetrics& self);
// 403 for a campaign outside the caller's key (RefuseCampaign's message).
Response Forbid(const Caller& caller, std::string_view handler, std::string_view campaign_id, SelfMetrics& self);

// Rejects the records of campaigns the caller's key may not write (reason
// forbidden_campaign; the others are kept), counts and audits them. True
// when any record was rejected.
bool RejectOutOfScope(const Caller& caller, std::string_view handler, Batch* batch, SelfMetrics& self);
// The same in two steps, for a body ingested in parts: the rejection per
// part (returns how many records it rejected), then the count and audit once.
std::size_t RejectOutOfScopeRecords(const Caller& caller, Batch* batch);
void CountOutOfScope(const Caller& caller, std::string_view handler, std::size_t forbidden, SelfMetrics& self);

// Whether every error is forbidden_campaign (a batch refused only for scope
// answers 403 rather than 400).
bool OnlyForbidden(const std::vector<RecordError>& errors);

}  // namespace lce
