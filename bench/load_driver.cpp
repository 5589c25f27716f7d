// HTTP load driver: posts NDJSON batches to /v1/usage over keep-alive
// connections (one thread each) and reports records per second, beside a
// baseline measured in the same run: raw simdjson parse of the same bodies on
// one core in this process.
//
//   load_driver --target=127.0.0.1:9477 --connections=4 --batch=1000 --rounds=100 --seconds=10
//
// Only loopback targets are accepted. Every loop is bounded by --seconds.
#include <unistd.h>  // close

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>

#include "http_client.h"
#include "workload.h"

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 9477;
  int connections = 4;
  std::size_t batch = 1000;
  double seconds = 10;
  int rounds = 100;  // distinct bodies per connection, generated before timing
};

// The value of `arg` if it is `--name=value` for the given prefix, else nullptr.
const char* FlagValue(const std::string& arg, const char* prefix) {
  const std::size_t n = std::strlen(prefix);
  return arg.compare(0, n, prefix) == 0 ? arg.c_str() + n : nullptr;
}

bool ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (const char* target = FlagValue(arg, "--target=")) {
      const std::string text = target;
      const std::size_t colon = text.rfind(':');
      if (colon == std::string::npos) return false;
      o.host = text.substr(0, colon);
      o.port = std::stoi(text.substr(colon + 1));
    } else if (const char* connections = FlagValue(arg, "--connections=")) {
      o.connections = std::stoi(connections);
    } else if (const char* batch = FlagValue(arg, "--batch=")) {
      o.batch = std::stoul(batch);
    } else if (const char* rounds = FlagValue(arg, "--rounds=")) {
      o.rounds = std::stoi(rounds);
    } else if (const char* seconds = FlagValue(arg, "--seconds=")) {
      o.seconds = std::stod(seconds);
    } else {
      return false;
    }
  }
  return o.host.rfind("127.", 0) == 0;  // loopback only
}

std::string Request(const Options& o, const std::string& body) {
  return "POST /v1/usage HTTP/1.1\r\nHost: " + o.host +
         "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Baseline: records per second of a raw simdjson parse of the same body.
double RawParseRate(const std::string& body, std::size_t records) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  const auto start = std::chrono::steady_clock::now();
  std::size_t parsed = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(2)) {
    simdjson::ondemand::document_stream stream;
    if (parser.iterate_many(padded).get(stream) != simdjson::SUCCESS) return 0;
    for (auto doc : stream) {
      for (auto field : doc.get_object()) {
        simdjson::ondemand::value v = field.value();
        if (v.type() == simdjson::ondemand::json_type::object) {
          for (auto inner : v.get_object()) (void)inner.value().get_uint64();
        } else {
          (void)v.raw_json_token();
        }
      }
    }
    parsed += records;
  }
  return static_cast<double>(parsed) / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, o)) {
    std::fprintf(stderr, "usage: load_driver --target=127.0.0.1:PORT [--connections=N] [--batch=N] [--seconds=S]\n");
    return 2;
  }
  const double baseline = RawParseRate(lce::bench::MakeNdjson(o.batch, "evt_base_"), o.batch);

  // Every request is built before the clock starts, with ids unique per
  // connection and round, so nothing is a duplicate and the driver spends its
  // CPU on sending rather than formatting.
  std::vector<std::vector<std::string>> requests(static_cast<std::size_t>(o.connections));
  for (int c = 0; c < o.connections; ++c) {
    for (int r = 0; r < o.rounds; ++r) {
      const std::string prefix = "evt_c" + std::to_string(c) + "_r" + std::to_string(r) + "_";
      requests[static_cast<std::size_t>(c)].push_back(Request(o, lce::bench::MakeNdjson(o.batch, prefix)));
    }
  }

  std::atomic<std::uint64_t> records{0};
  std::atomic<std::uint64_t> failures{0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.seconds);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      const int fd = lce::bench::Connect(o.host, o.port);
      if (fd < 0) {
        ++failures;
        return;
      }
      std::string response;
      for (const std::string& request : requests[static_cast<std::size_t>(c)]) {
        if (std::chrono::steady_clock::now() >= deadline) break;
        if (!lce::bench::SendAll(fd, request) || lce::bench::ReadResponse(fd, response) != 200) {
          ++failures;
          break;
        }
        records += o.batch;
      }
      close(fd);
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = static_cast<double>(records.load()) / elapsed;
  std::printf("connections=%d batch=%zu seconds=%.1f records=%llu failures=%llu\n", o.connections, o.batch, elapsed,
              static_cast<unsigned long long>(records.load()), static_cast<unsigned long long>(failures.load()));
  std::printf("http_ingest_records_per_second=%.0f\n", rate);
  std::printf("baseline_raw_simdjson_parse_records_per_second_one_core=%.0f\n", baseline);
  std::printf("ratio_http_to_raw_parse=%.3f\n", rate / baseline);
  return failures.load() == 0 ? 0 : 1;
}
