// Reading budget decision bodies: what each field becomes, the message for
// each fault, and a batch's items read one by one.
#include <catch2/catch.hpp>

#include <string>

#include "decision_request.h"

namespace lce {
namespace {

constexpr std::size_t kMaxLabel = 128;

DecisionRequest Check(const std::string& body) {
  Result<DecisionRequest> request = ParseDecisionBody(body, DecisionAction::kCheck, kMaxLabel);
  INFO(body);
  REQUIRE(request.ok());
  return std::move(request).value();
}

std::string CheckError(const std::string& body) {
  Result<DecisionRequest> request = ParseDecisionBody(body, DecisionAction::kCheck, kMaxLabel);
  INFO(body);
  REQUIRE_FALSE(request.ok());
  CHECK(request.status().code() == Status::Code::kInvalidArgument);
  return request.status().message();
}

std::string EstimateError(const std::string& body) {
  const DecisionRequest request = Check(body);
  REQUIRE_FALSE(request.estimate.ok());
  return request.estimate.status().message();
}

TEST_CASE("a model estimate is read field by field", "[server][decisions]") {
  const DecisionRequest r =
      Check(R"({"campaign_id":"cmp_a","vendor":"openai","model":"gpt-4o","service_tier":"flex","input_tokens":1200,)"
            R"("max_output_tokens":400,"units":{"emails":3},"comment":"ignored"})");
  CHECK(r.action == DecisionAction::kCheck);
  CHECK(r.campaign_id == "cmp_a");
  REQUIRE(r.estimate.ok());
  CHECK_FALSE(r.estimate->usd.has_value());
  CHECK(r.estimate->vendor == "openai");
  CHECK(r.estimate->model == "gpt-4o");
  CHECK(r.estimate->service_tier == "flex");
  CHECK(r.estimate->input_tokens == 1200);
  CHECK(r.estimate->max_output_tokens == 400);
  REQUIRE(r.estimate->units.size() == 1);
  CHECK(r.estimate->units[0] == std::pair<std::string, std::uint64_t>{"emails", 3});
}

TEST_CASE("a direct estimate, escapes decoded, the last of a repeated key", "[server][decisions]") {
  const DecisionRequest r = Check(R"({"campaign_id":"cmp_\u0061","estimate_usd":"9","estimate_usd":"0.0375"})");
  CHECK(r.campaign_id == "cmp_a");
  REQUIRE(r.estimate.ok());
  CHECK(r.estimate->usd == *Money::ParseDollars("0.0375"));
  CHECK(Check(R"({"campaign_id":"c","input_tokens":18446744073709551615,"model":"m"})").estimate->input_tokens ==
        18446744073709551615ULL);
  // Optional labels left out are empty, not refused as empty.
  CHECK(Check(R"({"campaign_id":"c","model":"m"})").estimate->service_tier.empty());
}

TEST_CASE("faults of the body and the campaign refuse the request", "[server][decisions]") {
  CHECK(CheckError("").rfind("the body is not valid JSON (", 0) == 0);
  CHECK(CheckError("{\"campaign_id\":").rfind("the body is not valid JSON (", 0) == 0);
  CHECK(CheckError("[1]") == "the body must be a JSON object");
  CHECK(CheckError("\"text\"") == "the body must be a JSON object");
  CHECK(CheckError(R"({"estimate_usd":"1"})") == "field \"campaign_id\" is required");
  CHECK(CheckError(R"({"campaign_id":7})") == "field \"campaign_id\" must be a string");
  CHECK_THAT(CheckError(R"({"campaign_id":""})"), Catch::StartsWith("field \"campaign_id\": "));
  CHECK_THAT(CheckError(R"({"campaign_id":")" + std::string(kMaxLabel + 1, 'x') + "\"}"),
             Catch::StartsWith("field \"campaign_id\": "));
}

TEST_CASE("faults of the estimate are kept apart from the campaign", "[server][decisions]") {
  CHECK(EstimateError(R"({"campaign_id":"c","estimate_usd":1})") == "field \"estimate_usd\" must be a decimal string");
  CHECK(EstimateError(R"({"campaign_id":"c","estimate_usd":"-1"})") ==
        "field \"estimate_usd\" must be a non-negative decimal");
  CHECK(EstimateError(R"({"campaign_id":"c","estimate_usd":"1e3"})") ==
        "field \"estimate_usd\" must be a non-negative decimal");
  CHECK(EstimateError(R"({"campaign_id":"c","units":{"emails":1}})") == "field \"vendor\" is required");
  CHECK(EstimateError(R"({"campaign_id":"c","model":"m","input_tokens":-1})") ==
        "field \"input_tokens\" must be a non-negative integer");
  CHECK(EstimateError(R"({"campaign_id":"c","model":"m","max_output_tokens":1.5})") ==
        "field \"max_output_tokens\" must be a non-negative integer");
  CHECK(EstimateError(R"({"campaign_id":"c","model":"m","input_tokens":"5"})") ==
        "field \"input_tokens\" must be a non-negative integer");
  CHECK(EstimateError(R"({"campaign_id":"c","model":"m","service_tier":""})").rfind("field \"service_tier\": ", 0) ==
        0);
  CHECK(EstimateError(R"({"campaign_id":"c","vendor":"v","units":[1]})") == "field \"units\" must be an object");
  CHECK(EstimateError(R"({"campaign_id":"c","vendor":"v","units":{"emails":-2}})") ==
        "units.emails must be a non-negative integer");
  // Several faults: always the same one first (vendor, model, tier, counts, units).
  CHECK(EstimateError(R"({"campaign_id":"c","vendor":"v","model":7,"input_tokens":-1})") ==
        "field \"model\" must be a string");
}

TEST_CASE("a release names its reservation", "[server][decisions]") {
  Result<DecisionRequest> release =
      ParseDecisionBody(R"({"reservation_id":"rsv_1"})", DecisionAction::kRelease, kMaxLabel);
  REQUIRE(release.ok());
  CHECK(release->action == DecisionAction::kRelease);
  CHECK(release->reservation_id == "rsv_1");
  CHECK(ParseDecisionBody(R"({"reservation_id":1})", DecisionAction::kRelease, kMaxLabel).status().message() ==
        "field \"reservation_id\" must be a string");
  CHECK_FALSE(ParseDecisionBody("{}", DecisionAction::kRelease, kMaxLabel).ok());
}

TEST_CASE("a batch reads each item on its own, naming its index", "[server][decisions]") {
  auto batch = ParseDecisionBatch(R"({"requests":[{"action":"check","campaign_id":"a","estimate_usd":"1"},)"
                                  R"({"action":"reserve","campaign_id":"b","model":"m","input_tokens":2},)"
                                  R"({"action":"release","reservation_id":"rsv_x"},)"
                                  R"({"campaign_id":"a"},{"action":"spend","campaign_id":"a"},7,{"action":"check"},)"
                                  R"({"action":"check","campaign_id":"a","estimate_usd":5}]})",
                                  kMaxLabel, 10);
  REQUIRE(batch.ok());
  REQUIRE(batch->size() == 8);
  const auto& items = *batch;
  REQUIRE(items[0].ok());
  CHECK(items[0]->action == DecisionAction::kCheck);
  CHECK(items[0]->estimate->usd == *Money::ParseDollars("1"));
  REQUIRE(items[1].ok());
  CHECK(items[1]->action == DecisionAction::kReserve);
  CHECK(items[1]->estimate->input_tokens == 2);
  REQUIRE(items[2].ok());
  CHECK(items[2]->reservation_id == "rsv_x");
  CHECK(items[3].status().message() == "requests[3]: field \"action\" is required");
  CHECK(items[4].status().message() == "requests[4]: field \"action\" must be \"check\", \"reserve\" or \"release\"");
  CHECK(items[5].status().message() == "requests[5] must be an object");
  CHECK(items[6].status().message() == "requests[6]: field \"campaign_id\" is required");
  REQUIRE(items[7].ok());  // the campaign is fine; the estimate is the item's fault
  CHECK(items[7]->estimate.status().message() == "requests[7]: field \"estimate_usd\" must be a decimal string");
}

TEST_CASE("a batch body that is not a list of decisions is refused whole", "[server][decisions]") {
  CHECK(ParseDecisionBatch("[]", kMaxLabel, 10).status().message() == "the body must be a JSON object");
  for (const char* body : {R"({})", R"({"requests":{}})", R"({"request":[]})"}) {
    INFO(body);
    CHECK(ParseDecisionBatch(body, kMaxLabel, 10).status().message() ==
          "the body must be {\"requests\": [...]}, an array of decisions");
  }
  auto empty = ParseDecisionBatch(R"({"requests":[]})", kMaxLabel, 10);
  REQUIRE(empty.ok());
  CHECK(empty->empty());
  std::string eleven = R"({"requests":[)";
  for (int i = 0; i < 11; ++i) eleven += std::string(i ? "," : "") + "{}";
  const auto too_many = ParseDecisionBatch(eleven + "]}", kMaxLabel, 10);
  CHECK(too_many.status().code() == Status::Code::kResourceExhausted);
  CHECK(too_many.status().message() == "a batch holds at most 10 decisions");
}

}  // namespace
}  // namespace lce
