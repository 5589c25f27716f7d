// llm_cost_exporter: prices LLM usage records exactly and exposes them to
// Prometheus. Signals: SIGHUP reloads config and pricing; SIGTERM / SIGINT
// drain in-flight requests and exit.
#include <csignal>
#include <iostream>
#include <pthread.h>
#include <string_view>

#include "flags.h"
#include "llm_cost_exporter/allocator.h"
#include "llm_cost_exporter/catalogue.h"
#include "llm_cost_exporter/exporter.h"
#include "llm_cost_exporter/log.h"
#include "version.h"

namespace {

lce::BuildInfo Build() { return {LCE_VERSION, LCE_REVISION, LCE_COMPILER}; }

// Blocks the handled signals in this thread (and so in every thread started
// later); they are then taken synchronously with sigwait.
sigset_t BlockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int Serve(const lce::Flags& flags, const sigset_t& signals) {
  lce::ExporterSettings settings;
  settings.config_file = flags.config_file;
  settings.pricing_dir = flags.pricing_dir;
  settings.storage_path = flags.storage_path;
  settings.listen_address = flags.listen_address;
  settings.web_config_file = flags.web_config_file;
  settings.build = Build();
  auto exporter = lce::Exporter::Create(settings);
  if (!exporter.ok()) {
    lce::log::Error("cannot load configuration", {{"err", exporter.status().message()}});
    return 1;
  }
  lce::log::Info("starting llm_cost_exporter", {{"version", LCE_VERSION},
                                                {"revision", LCE_REVISION},
                                                {"config", flags.config_file},
                                                {"pricing", flags.pricing_dir},
                                                {"storage", (*exporter)->StorageDescription()}});
  if (const lce::Status started = (*exporter)->Start(); !started.ok()) {
    lce::log::Error("cannot start HTTP server", {{"err", started.message()}});
    return 1;
  }
  for (;;) {
    int signal = 0;
    sigwait(&signals, &signal);
    if (signal == SIGHUP) {
      (void)(*exporter)->Reload();  // logs and sets the reload gauge itself
      continue;
    }
    lce::log::Info("received signal, stopping", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    (*exporter)->Shutdown();
    return 0;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "pricing") {
    return lce::catalogue::RunPricingCommand(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  }
  lce::ConfigureAllocatorForBatches();
  const sigset_t signals = BlockSignals();
  auto flags = lce::ParseFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!flags.ok()) {
    std::cerr << "llm_cost_exporter: " << flags.status().message() << "\n";
    return 2;
  }
  if (flags->help) {
    std::cout << lce::FlagsUsage();
    return 0;
  }
  if (flags->version) {
    std::cout << "llm_cost_exporter, version " << LCE_VERSION << " (revision: " << LCE_REVISION << ")\n"
              << "  build with: " << LCE_COMPILER << "\n";
    return 0;
  }
  if (flags->check_config) {
    return lce::CheckConfig(flags->config_file, flags->pricing_dir, flags->web_config_file, std::cout).ok() ? 0 : 1;
  }
  if (flags->migrate_only) {
    const lce::Status migrated = lce::MigrateStorage(flags->config_file, flags->storage_path, std::cout);
    if (!migrated.ok()) std::cerr << "llm_cost_exporter: " << migrated.message() << "\n";
    return migrated.ok() ? 0 : 1;
  }
  auto level = lce::log::ParseLevel(flags->log_level);
  auto format = lce::log::ParseFormat(flags->log_format);
  if (!level.ok() || !format.ok()) {
    std::cerr << "llm_cost_exporter: " << (level.ok() ? format.status() : level.status()).message() << "\n";
    return 2;
  }
  lce::log::Init(*level, *format);
  return Serve(*flags, signals);
}
