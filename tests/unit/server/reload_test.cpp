#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "llm_cost_exporter/exporter.h"

namespace fs = std::filesystem;

namespace {

// A private copy of the e2e fixtures that a test may break and mend.
struct TempSetup {
  fs::path dir = fs::temp_directory_path() / ("lce-reload-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(reinterpret_cast<std::uintptr_t>(this)));
  TempSetup() {
    fs::create_directories(dir / "pricing");
    fs::copy(LCE_SOURCE_DIR "/tests/e2e/fixtures/pricing", dir / "pricing");
    fs::copy(LCE_SOURCE_DIR "/tests/e2e/fixtures/config/exporter.yml", dir / "exporter.yml");
  }
  ~TempSetup() { fs::remove_all(dir); }
  void Write(const fs::path& name, const std::string& text) { std::ofstream(dir / name) << text; }

  lce::ExporterSettings Settings() const {
    lce::ExporterSettings settings;
    settings.config_file = (dir / "exporter.yml").string();
    settings.pricing_dir = (dir / "pricing").string();
    settings.storage_path = (dir / "ledger").string();  // a ledger per test, never the shared default
    settings.build = {"test", "test", "test"};
    return settings;
  }
};

}  // namespace

TEST_CASE("reload swaps in valid config and pricing", "[reload]") {
  TempSetup setup;
  auto exporter = lce::Exporter::Create(setup.Settings());
  REQUIRE(exporter.ok());
  setup.Write(
      "pricing/extra.yaml",
      "provider: extra\ncurrency: USD\nversions:\n  - effective_from: 2026-01-01\n    per_unit: {calls: 0.01}\n");
  REQUIRE((*exporter)->Reload().ok());
  const std::string text = (*exporter)->MetricsText();
  CHECK_THAT(text, Catch::Contains("llm_cost_exporter_config_last_reload_successful 1"));
  CHECK_THAT(text, Catch::Contains("provider=\"extra\""));
}

TEST_CASE("an invalid price table keeps the old pair in force", "[reload]") {
  TempSetup setup;
  auto exporter = lce::Exporter::Create(setup.Settings());
  REQUIRE(exporter.ok());
  setup.Write("pricing/broken.yaml", "provider: broken\ncurrency: EUR\nversions: []\n");
  const lce::Status status = (*exporter)->Reload();
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains("broken.yaml"));
  const std::string text = (*exporter)->MetricsText();
  CHECK_THAT(text, Catch::Contains("llm_cost_exporter_config_last_reload_successful 0"));
  CHECK_THAT(text, Catch::Contains("provider=\"acme-ai\""));
  CHECK_THAT(text, !Catch::Contains("provider=\"broken\""));
}

TEST_CASE("an invalid config file keeps the old pair in force", "[reload]") {
  TempSetup setup;
  auto exporter = lce::Exporter::Create(setup.Settings());
  REQUIRE(exporter.ok());
  setup.Write("exporter.yml", "metrics: {cardinality: {default_limit: -1}}\n");
  REQUIRE_FALSE((*exporter)->Reload().ok());
  CHECK_THAT((*exporter)->MetricsText(), Catch::Contains("llm_cost_exporter_config_last_reload_successful 0"));
  setup.Write("exporter.yml", "{}\n");
  CHECK((*exporter)->Reload().ok());
  CHECK_THAT((*exporter)->MetricsText(), Catch::Contains("llm_cost_exporter_config_last_reload_successful 1"));
}

TEST_CASE("start-up fails on an invalid config, naming the file", "[reload]") {
  TempSetup setup;
  setup.Write("exporter.yml", "nonsense_key: 1\n");
  auto exporter = lce::Exporter::Create(setup.Settings());
  REQUIRE_FALSE(exporter.ok());
  CHECK_THAT(exporter.status().message(), Catch::Contains("exporter.yml") && Catch::Contains("nonsense_key"));
}
