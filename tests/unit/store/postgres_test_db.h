// A fresh database per test on the PostgreSQL cluster that ctest starts
// for the tests (tests/postgres/cluster.sh, fixture "postgres"), dropped
// when the test ends. The cluster's state file is named by the environment
// variable LCE_TEST_POSTGRES_STATE; without it the test fails (it never
// skips): run the tests through ctest.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "llm_cost_exporter/postgres_ledger.h"
#include "pg_client.h"

namespace lce::ledger_test {

// The cluster's connection settings, read from its state file
// (LCE_PG_DSN='...' and LCE_PG_PASSWORD_FILE=... lines).
struct TestCluster {
  std::string dsn;
  std::string password;

  static TestCluster FromEnvironment() {
    const char* state_file = std::getenv("LCE_TEST_POSTGRES_STATE");
    INFO(
        "LCE_TEST_POSTGRES_STATE is not set: run the PostgreSQL tests through ctest, whose fixture starts the "
        "cluster (tests/postgres/cluster.sh)");
    REQUIRE(state_file != nullptr);
    std::ifstream state(state_file);
    INFO(std::string("cannot read the cluster state file ") + state_file);
    REQUIRE(state.good());
    TestCluster cluster;
    std::string password_file;
    for (std::string line; std::getline(state, line);) {
      if (line.starts_with("LCE_PG_DSN=")) {
        cluster.dsn = line.substr(11);
        if (cluster.dsn.size() >= 2 && cluster.dsn.front() == '\'')
          cluster.dsn = cluster.dsn.substr(1, cluster.dsn.size() - 2);
      } else if (line.starts_with("LCE_PG_PASSWORD_FILE=")) {
        password_file = line.substr(21);
      }
    }
    std::ifstream password(password_file);
    std::getline(password, cluster.password);
    REQUIRE_FALSE(cluster.dsn.empty());
    REQUIRE_FALSE(cluster.password.empty());
    return cluster;
  }

  std::unique_ptr<store_detail::PgConnection> Connect(const std::string& database = "postgres") const {
    store_detail::PgConnectOptions options;
    options.dsn = dsn + " dbname=" + database;
    options.password = password;
    Result<std::unique_ptr<store_detail::PgConnection>> conn = store_detail::PgConnection::Connect(options);
    INFO((conn.ok() ? "" : conn.status().message()));
    REQUIRE(conn.ok());
    return std::move(conn).value();
  }
};

class TestDatabase {
 public:
  TestDatabase() : cluster_(TestCluster::FromEnvironment()) {
    static std::atomic<int> counter{0};
    std::random_device random;
    name_ = "lce_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
            std::to_string(random() % 100000);
    Status created = cluster_.Connect()->Run("CREATE DATABASE " + name_);
    INFO(created.message());
    REQUIRE(created.ok());
  }
  ~TestDatabase() {
    // Best effort: the cluster is deleted with its directory at the end anyway.
    store_detail::PgConnectOptions options;
    options.dsn = cluster_.dsn + " dbname=postgres";
    options.password = cluster_.password;
    if (auto conn = store_detail::PgConnection::Connect(options); conn.ok()) {
      (void)(*conn)->Run("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  const TestCluster& cluster() const { return cluster_; }

  PostgresOptions Options() const {
    PostgresOptions options;
    options.dsn = cluster_.dsn + " dbname=" + name_;
    options.password = cluster_.password;
    options.pool_size = 4;
    return options;
  }
  std::unique_ptr<store_detail::PgConnection> Connect() const { return cluster_.Connect(name_); }

 private:
  TestCluster cluster_;
  std::string name_;
};

}  // namespace lce::ledger_test
