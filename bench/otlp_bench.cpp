// OTLP traces in (src/otlp): spans per second decoded and mapped to
// validated usage records, for each encoding beside the raw decode of the
// same payload measured in the same run:
//   BM_Json_RawParse        - nlohmann::json::parse of the body (baseline)
//   BM_Json_RawParseSimdjson - simdjson::dom::parser::parse of the body, the
//                             parser reused as the decoder does (baseline)
//   BM_Json_DecodeMap       - lce::ParseOtlpTraces, JSON: decode + map every span
//   BM_Proto_RawParse       - ExportTraceServiceRequest::ParseFromString (baseline)
//   BM_Proto_RawParseArena  - the same into an arena, as the decoder parses
//   BM_Proto_DecodeMap      - lce::ParseOtlpTraces, protobuf: decode + map every span
//   BM_Proto_GzipDecodeMap  - gunzip (zlib) + the same
//   BM_Gzip_Inflate         - gunzip alone (baseline of the one above)
// The body is one ExportTraceServiceRequest of 512 spans (the JS SDK's
// default batch), shaped like the OpenTelemetry JS exporter sends them: 4
// services (one resourceSpans each), 9 in 10 spans GenAI chat calls with 12
// attributes, 1 in 10 plain HTTP client spans. Every span id is unique.
// Each reports items_per_second = spans per second on one core.
#include <zlib.h>

#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>  // linked through lce_otlp

#include <cstdio>
#include <string>

#include "llm_cost_exporter/otlp.h"
#include "otlp_trace.pb.h"

namespace {

namespace wire = lce::otlp::wire;

constexpr int kSpans = 512;
constexpr int kServices = 4;
constexpr std::int64_t kReceiveTime = 1'780'000'000'000'000'000;
constexpr std::uint64_t kStart = 1'772'366'400'000'000'000;
const char* const kModels[] = {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5-20250929", "gemini-2.5-flash"};
const char* const kVendors[] = {"openai", "openai", "anthropic", "gcp.gemini"};

struct Attr {
  std::string key;
  enum { kString, kInt, kDouble } kind;
  std::string s;
  std::int64_t i = 0;
  double d = 0;
};

struct SpanSpec {
  std::string trace_id;  // 32 hex
  std::string span_id;   // 16 hex
  std::string name;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::vector<Attr> attributes;
};

std::string HexId(std::uint64_t a, std::uint64_t b, int digits) {
  char buf[40];
  if (digits == 32) {
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(b));
  } else {
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(b));
  }
  return buf;
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<std::vector<SpanSpec>> Workload() {
  std::vector<std::vector<SpanSpec>> services(kServices);
  for (int n = 0; n < kSpans; ++n) {
    SpanSpec s;
    const std::uint64_t u = static_cast<unsigned>(n);
    s.trace_id = HexId(std::uint64_t{0x4bf92f3577b34da6}, std::uint64_t{0xa3ce929d0e0e0000} + u / 4, 32);
    s.span_id = HexId(0, std::uint64_t{0x00f067aa0ba90000} + u + 1, 16);
    s.start = kStart + static_cast<std::uint64_t>(n) * 1'000'000;
    s.end = s.start + 842'000'000 + static_cast<std::uint64_t>(n % 97) * 1'000'000;
    if (n % 10 == 9) {
      s.name = "GET /v1/leads";
      s.attributes = {{"http.request.method", Attr::kString, "GET"},
                      {"http.response.status_code", Attr::kInt, "", 200},
                      {"url.full", Attr::kString, "https://crm.example.internal/v1/leads?page=3"},
                      {"server.address", Attr::kString, "crm.example.internal"}};
    } else {
      const int m = n % 4;
      s.name = std::string("chat ") + kModels[m];
      s.attributes = {{"gen_ai.operation.name", Attr::kString, "chat"},
                      {"gen_ai.provider.name", Attr::kString, kVendors[m]},
                      {"gen_ai.request.model", Attr::kString, kModels[m]},
                      {"gen_ai.response.model", Attr::kString, kModels[m]},
                      {"gen_ai.usage.input_tokens", Attr::kInt, "", 1200 + n},
                      {"gen_ai.usage.output_tokens", Attr::kInt, "", 300 + n % 50},
                      {"gen_ai.usage.cache_read_input_tokens", Attr::kInt, "", 1000},
                      {"gen_ai.request.temperature", Attr::kDouble, "", 0, 0.7},
                      {"gen_ai.request.max_tokens", Attr::kInt, "", 1024},
                      {"gen_ai.response.id", Attr::kString, "chatcmpl-" + s.span_id},
                      {"http.response.status_code", Attr::kInt, "", 200},
                      {"campaign_id", Attr::kString, "cmp_2026_04_springpromo_" + std::to_string(n % 40)}};
    }
    services[static_cast<std::size_t>(n % kServices)].push_back(std::move(s));
  }
  return services;
}

std::vector<Attr> ResourceAttrs(int service) {
  return {{"service.name", Attr::kString, "agent_service_" + std::to_string(service)},
          {"service.version", Attr::kString, "1.4.2"},
          {"telemetry.sdk.language", Attr::kString, "nodejs"},
          {"telemetry.sdk.name", Attr::kString, "opentelemetry"},
          {"telemetry.sdk.version", Attr::kString, "2.12.1"}};
}

nlohmann::json JsonAttrs(const std::vector<Attr>& attrs) {
  nlohmann::json out = nlohmann::json::array();
  for (const Attr& a : attrs) {
    nlohmann::json value;
    if (a.kind == Attr::kString) value["stringValue"] = a.s;
    if (a.kind == Attr::kInt) value["intValue"] = std::to_string(a.i);  // as the JS exporter sends int64
    if (a.kind == Attr::kDouble) value["doubleValue"] = a.d;
    out.push_back({{"key", a.key}, {"value", value}});
  }
  return out;
}

void ProtoAttrs(const std::vector<Attr>& attrs, google::protobuf::RepeatedPtrField<wire::KeyValue>* out) {
  for (const Attr& a : attrs) {
    wire::KeyValue* kv = out->Add();
    kv->set_key(a.key);
    if (a.kind == Attr::kString) kv->mutable_value()->set_string_value(a.s);
    if (a.kind == Attr::kInt) kv->mutable_value()->set_int_value(a.i);
    if (a.kind == Attr::kDouble) kv->mutable_value()->set_double_value(a.d);
  }
}

const std::string& JsonBody() {
  static const std::string body = [] {
    nlohmann::json resource_spans = nlohmann::json::array();
    const auto services = Workload();
    for (int r = 0; r < kServices; ++r) {
      nlohmann::json spans = nlohmann::json::array();
      for (const SpanSpec& s : services[static_cast<std::size_t>(r)]) {
        spans.push_back({{"traceId", s.trace_id},
                         {"spanId", s.span_id},
                         {"parentSpanId", ""},
                         {"name", s.name},
                         {"kind", 3},
                         {"startTimeUnixNano", std::to_string(s.start)},
                         {"endTimeUnixNano", std::to_string(s.end)},
                         {"attributes", JsonAttrs(s.attributes)},
                         {"droppedAttributesCount", 0},
                         {"events", nlohmann::json::array()},
                         {"droppedEventsCount", 0},
                         {"status", {{"code", 0}}},
                         {"links", nlohmann::json::array()},
                         {"droppedLinksCount", 0}});
      }
      resource_spans.push_back(
          {{"resource", {{"attributes", JsonAttrs(ResourceAttrs(r))}, {"droppedAttributesCount", 0}}},
           {"scopeSpans", {{{"scope", {{"name", "agent"}, {"version", "1.0.0"}}}, {"spans", spans}}}}});
    }
    return nlohmann::json{{"resourceSpans", resource_spans}}.dump();
  }();
  return body;
}

const std::string& ProtoBody() {
  static const std::string body = [] {
    wire::ExportTraceServiceRequest request;
    const auto services = Workload();
    for (int r = 0; r < kServices; ++r) {
      wire::ResourceSpans* rs = request.add_resource_spans();
      ProtoAttrs(ResourceAttrs(r), rs->mutable_resource()->mutable_attributes());
      wire::ScopeSpans* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name("agent");
      ss->mutable_scope()->set_version("1.0.0");
      for (const SpanSpec& s : services[static_cast<std::size_t>(r)]) {
        wire::Span* span = ss->add_spans();
        span->set_trace_id(Unhex(s.trace_id));
        span->set_span_id(Unhex(s.span_id));
        span->set_name(s.name);
        span->set_start_time_unix_nano(s.start);
        span->set_end_time_unix_nano(s.end);
        ProtoAttrs(s.attributes, span->mutable_attributes());
        span->mutable_status();
      }
    }
    return request.SerializeAsString();
  }();
  return body;
}

std::string Gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

const std::string& ProtoGzipBody() {
  static const std::string body = Gzip(ProtoBody());
  return body;
}

void Label(benchmark::State& state, const std::string& body) {
  state.SetItemsProcessed(state.iterations() * kSpans);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
  state.SetLabel(std::to_string(body.size()) + " bytes");
}

void DecodeMap(benchmark::State& state, const std::string& body, lce::OtlpEncoding encoding) {
  const lce::OtlpOptions otlp;
  const lce::IngestOptions ingest;
  for (auto _ : state) {
    auto batch = lce::ParseOtlpTraces(body, encoding, otlp, ingest, kReceiveTime);
    if (!batch.ok() || batch->records.size() != static_cast<std::size_t>(kSpans)) {
      state.SkipWithError(batch.ok() ? (batch->errors.empty() ? "records missing" : batch->errors[0].message.c_str())
                                     : batch.status().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(batch);
  }
  Label(state, body);
}

void BM_Json_RawParse(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::parse(JsonBody()));
  Label(state, JsonBody());
}
BENCHMARK(BM_Json_RawParse)->Unit(benchmark::kMicrosecond);

void BM_Json_RawParseSimdjson(benchmark::State& state) {
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element root;
    if (parser.parse(JsonBody()).get(root) != simdjson::SUCCESS) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(root);
  }
  Label(state, JsonBody());
}
BENCHMARK(BM_Json_RawParseSimdjson)->Unit(benchmark::kMicrosecond);

void BM_Json_DecodeMap(benchmark::State& state) { DecodeMap(state, JsonBody(), lce::OtlpEncoding::kJson); }
BENCHMARK(BM_Json_DecodeMap)->Unit(benchmark::kMicrosecond);

void BM_Proto_RawParse(benchmark::State& state) {
  for (auto _ : state) {
    wire::ExportTraceServiceRequest request;
    if (!request.ParseFromString(ProtoBody())) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(request);
  }
  Label(state, ProtoBody());
}
BENCHMARK(BM_Proto_RawParse)->Unit(benchmark::kMicrosecond);

void BM_Proto_RawParseArena(benchmark::State& state) {
  for (auto _ : state) {
    google::protobuf::ArenaOptions options;
    options.start_block_size = 4096;
    options.max_block_size = 1 << 20;
    google::protobuf::Arena arena(options);
    auto* request = google::protobuf::Arena::CreateMessage<wire::ExportTraceServiceRequest>(&arena);
    if (!request->ParseFromString(ProtoBody())) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(request);
  }
  Label(state, ProtoBody());
}
BENCHMARK(BM_Proto_RawParseArena)->Unit(benchmark::kMicrosecond);

void BM_Proto_DecodeMap(benchmark::State& state) { DecodeMap(state, ProtoBody(), lce::OtlpEncoding::kProtobuf); }
BENCHMARK(BM_Proto_DecodeMap)->Unit(benchmark::kMicrosecond);

void BM_Gzip_Inflate(benchmark::State& state) {
  for (auto _ : state) {
    const lce::Result<std::string> out = lce::InflateOtlpGzip(ProtoGzipBody(), 8 << 20);
    if (!out.ok() || *out != ProtoBody()) state.SkipWithError("inflate failed");
  }
  Label(state, ProtoGzipBody());
}
BENCHMARK(BM_Gzip_Inflate)->Unit(benchmark::kMicrosecond);

void BM_Proto_GzipDecodeMap(benchmark::State& state) {
  const lce::OtlpOptions otlp;
  const lce::IngestOptions ingest;
  for (auto _ : state) {
    const lce::Result<std::string> out = lce::InflateOtlpGzip(ProtoGzipBody(), 8 << 20);
    if (!out.ok()) {
      state.SkipWithError("inflate failed");
      break;
    }
    auto batch = lce::ParseOtlpTraces(*out, lce::OtlpEncoding::kProtobuf, otlp, ingest, kReceiveTime);
    if (!batch.ok() || batch->records.size() != static_cast<std::size_t>(kSpans)) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(batch);
  }
  Label(state, ProtoGzipBody());
}
BENCHMARK(BM_Proto_GzipDecodeMap)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
