// Budget decisions over HTTP: N keep-alive connections (one thread each)
// send POST /v1/budget/check (or /reserve + /release pairs) for 40 campaigns
// and report decisions per second and the latency distribution, beside a
// baseline measured in the same run: GET /-/healthy, the cheapest request the
// same server answers; and a second one, the POST floor: the same check
// bodies POSTed to /-/healthy, which answers 405 without reading them as
// JSON, so the difference from it is the handler's own cost (parse, decide,
// answer) and not HTTP's cost of reading a POST.
//
//   decision_driver --target=127.0.0.1:9477 --connections=4 --seconds=5 [--batch=100]
//
// With --batch=N it also sends POST /v1/budget/batch with N checks per
// request and reports decisions (not requests) per second. With --rounds=R
// the parts alternate R times (seconds / R each) and the ratios are also
// given per round (median, min, max): on a noisy machine a baseline measured
// seconds apart from what it is compared with drifts with the machine.
//
// Only loopback targets are accepted. Every loop is bounded by --seconds.
#include <unistd.h>  // close

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 9477;
  int connections = 4;
  double seconds = 5;
  int batch = 0;   // checks per /v1/budget/batch request; 0: no batch part
  int rounds = 1;  // the parts alternate this many times, seconds / rounds each
};

bool ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--target=", 0) == 0) {
      const std::size_t colon = arg.rfind(':');
      o.host = arg.substr(9, colon - 9);
      o.port = std::stoi(arg.substr(colon + 1));
    } else if (arg.rfind("--connections=", 0) == 0) {
      o.connections = std::stoi(arg.substr(14));
    } else if (arg.rfind("--seconds=", 0) == 0) {
      o.seconds = std::stod(arg.substr(10));
    } else if (arg.rfind("--batch=", 0) == 0) {
      o.batch = std::stoi(arg.substr(8));
    } else if (arg.rfind("--rounds=", 0) == 0) {
      o.rounds = std::max(1, std::stoi(arg.substr(9)));
    } else {
      return false;
    }
  }
  return o.host.rfind("127.", 0) == 0;  // loopback only
}

std::string Post(const Options& o, const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: " + o.host +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string CheckBody(int campaign) {
  return R"({"campaign_id":"cmp_2026_04_promo_)" + std::to_string(campaign) +
         R"(","vendor":"openai","model":"gpt-4o","input_tokens":1200,"max_output_tokens":400})";
}

std::string CheckRequest(const Options& o, int campaign) { return Post(o, "/v1/budget/check", CheckBody(campaign)); }

// `size` checks, for campaigns from `first` on (of 40).
std::string BatchRequest(const Options& o, int first, int size) {
  std::string body = R"({"requests":[)";
  for (int i = 0; i < size; ++i) {
    if (i > 0) body += ',';
    body += R"({"action":"check",)" + CheckBody((first + i) % 40).substr(1);
  }
  return Post(o, "/v1/budget/batch", body + "]}");
}

// Sends one batch and counts its items answered 200 (the timed runs check
// only each request's status).
std::size_t ItemsDecided(const Options& o, const std::string& batch) {
  const int fd = lce::bench::Connect(o.host, o.port);
  if (fd < 0) return 0;
  std::string response;
  std::size_t decided = 0;
  if (lce::bench::SendAll(fd, batch) && lce::bench::ReadResponse(fd, response) == 200) {
    for (std::size_t at = response.find(R"({"status":200,"decision")"); at != std::string::npos;
         at = response.find(R"({"status":200,"decision")", at + 1)) {
      ++decided;
    }
  }
  close(fd);
  return decided;
}

struct Run {
  std::vector<double> latencies_us;
  double elapsed_seconds = 0;
  std::size_t failures = 0;

  double PerSecond() const {
    return elapsed_seconds > 0 ? static_cast<double>(latencies_us.size()) / elapsed_seconds : 0;
  }
  void Add(Run other) {
    latencies_us.insert(latencies_us.end(), other.latencies_us.begin(), other.latencies_us.end());
    elapsed_seconds += other.elapsed_seconds;
    failures += other.failures;
  }
};

// Sends `request(connection, i)` in a loop on every connection until the
// deadline; every answer must have status `expected`.
template <typename MakeRequest>
Run Drive(const Options& o, double seconds, MakeRequest make_request, int expected = 200) {
  std::mutex mutex;
  std::vector<double> latencies_us;
  std::size_t failures = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> mine;
      std::size_t failed = 0;
      const int fd = lce::bench::Connect(o.host, o.port);
      std::string response;
      for (int i = 0; fd >= 0 && Clock::now() < deadline; ++i) {
        const auto sent = Clock::now();
        if (!lce::bench::SendAll(fd, make_request(c, i)) || lce::bench::ReadResponse(fd, response) != expected) {
          ++failed;
          break;
        }
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
      }
      if (fd < 0)
        ++failed;
      else
        close(fd);
      std::lock_guard lock(mutex);
      latencies_us.insert(latencies_us.end(), mine.begin(), mine.end());
      failures += failed;
    });
  }
  for (auto& t : threads) t.join();
  Run run;
  run.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.failures = failures;
  run.latencies_us = std::move(latencies_us);
  return run;
}

void Print(const char* name, Run run) {
  std::sort(run.latencies_us.begin(), run.latencies_us.end());
  const auto at = [&run](std::size_t per_hundred) {
    return run.latencies_us.empty() ? 0.0 : run.latencies_us[run.latencies_us.size() * per_hundred / 100];
  };
  std::printf("%s_per_second=%.0f p50_us=%.1f p99_us=%.1f failures=%zu\n", name, run.PerSecond(), at(50), at(99),
              run.failures);
}

// Median, min and max of per-round ratios.
void PrintRatios(const char* name, std::vector<double> ratios) {
  std::sort(ratios.begin(), ratios.end());
  std::printf("%s_median=%.3f min=%.3f max=%.3f rounds=%zu\n", name, ratios[ratios.size() / 2], ratios.front(),
              ratios.back(), ratios.size());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: decision_driver --target=127.0.0.1:PORT [--connections=N] [--seconds=S] [--batch=N] "
                 "[--rounds=R]\n");
    return 2;
  }
  const std::string healthy = "GET /-/healthy HTTP/1.1\r\nHost: " + o.host + "\r\n\r\n";
  std::vector<std::string> checks;
  std::vector<std::string> post_floor;  // the same bodies, to a handler that answers 405 unread
  for (int campaign = 0; campaign < 40; ++campaign) {
    checks.push_back(CheckRequest(o, campaign));
    post_floor.push_back(Post(o, "/-/healthy", CheckBody(campaign)));
  }

  std::vector<std::string> batches;
  for (int first = 0; o.batch > 0 && first < 40; ++first) batches.push_back(BatchRequest(o, first, o.batch));
  if (o.batch > 0 && ItemsDecided(o, batches[0]) != static_cast<std::size_t>(o.batch)) {
    std::fprintf(stderr, "a batch of %d checks was not decided item by item\n", o.batch);
    return 1;
  }
  const auto cycle = [](const std::vector<std::string>& requests) {
    return [&requests](int c, int i) -> const std::string& {
      return requests[static_cast<std::size_t>(c * 7 + i) % requests.size()];
    };
  };
  const double window = o.seconds / o.rounds;
  constexpr int kMethodNotAllowed = 405;
  Run baseline, floor, decisions, batched;
  std::vector<double> decision_ratios, floor_ratios, batch_ratios;
  for (int round = 0; round < o.rounds; ++round) {
    Run healthy_round = Drive(o, window, [&](int, int) -> const std::string& { return healthy; });
    Run floor_round = Drive(o, window, cycle(post_floor), kMethodNotAllowed);
    Run check_round = Drive(o, window, cycle(checks));
    decision_ratios.push_back(check_round.PerSecond() / healthy_round.PerSecond());
    floor_ratios.push_back(check_round.PerSecond() / floor_round.PerSecond());
    floor.Add(std::move(floor_round));
    if (o.batch > 0) {
      Run batch_round = Drive(o, window, cycle(batches));
      batch_ratios.push_back(batch_round.PerSecond() * o.batch / healthy_round.PerSecond());
      batched.Add(std::move(batch_round));
    }
    baseline.Add(std::move(healthy_round));
    decisions.Add(std::move(check_round));
  }
  std::printf("connections=%d seconds=%.1f rounds=%d\n", o.connections, o.seconds, o.rounds);
  Print("baseline_healthy_requests", baseline);
  Print("baseline_post_floor_requests", floor);
  Print("budget_check_decisions", decisions);
  std::printf("ratio_decisions_to_baseline=%.3f ratio_decisions_to_post_floor=%.3f\n",
              decisions.PerSecond() / baseline.PerSecond(), decisions.PerSecond() / floor.PerSecond());
  PrintRatios("ratio_decisions_to_baseline_per_round", decision_ratios);
  PrintRatios("ratio_decisions_to_post_floor_per_round", floor_ratios);
  const std::size_t failures = baseline.failures + floor.failures + decisions.failures;
  if (o.batch <= 0) return failures == 0 ? 0 : 1;
  Print("budget_batch_requests", batched);
  std::printf("batch=%d budget_batch_decisions_per_second=%.0f ratio_batch_decisions_to_baseline=%.3f\n", o.batch,
              batched.PerSecond() * o.batch, batched.PerSecond() * o.batch / baseline.PerSecond());
  PrintRatios("ratio_batch_decisions_to_baseline_per_round", batch_ratios);
  return failures + batched.failures == 0 ? 0 : 1;
}
