// Budgets shared through PostgreSQL (docs/design/shared-budgets.md): several
// Budgets on one database stand for replicas. Decisions are exact across
// them, holds are settled by the ledger's Append whichever replica granted
// them, released or expired anywhere, and the gauges' read model follows
// the store. Runs on the test cluster of tests/postgres.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "budgets_test_util.h"
#include "llm_cost_exporter/budget_store.h"
#include "ledger_test_util.h"
#include "postgres_test_db.h"

namespace lce::budgets_test {
namespace {

using ledger_test::TestDatabase;

const std::int64_t kNoon = Utc(2025, 11, 20, 12);

// A replica: a ledger and budgets on the database.
struct Replica {
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<Budgets> budgets;

  Replica(const TestDatabase& db, const BudgetsConfig& config, std::size_t pool_size = 4) {
    PostgresOptions options = db.Options();
    options.pool_size = pool_size;
    Result<std::unique_ptr<Ledger>> opened = OpenPostgresLedger(options);
    INFO((opened.ok() ? "" : opened.status().message()));
    REQUIRE(opened.ok());
    ledger = std::move(opened).value();
    Result<std::unique_ptr<BudgetStore>> store = OpenPostgresBudgetStore(options);
    INFO((store.ok() ? "" : store.status().message()));
    REQUIRE(store.ok());
    budgets = std::make_unique<Budgets>(config, std::shared_ptr<BudgetStore>(std::move(store).value()));
    REQUIRE(budgets->Restore(*ledger, kNoon).ok());
  }

  // Commits a record's cost for `campaign` (settling `reservation_id`), as the pipeline does.
  void Spend(const std::string& key, std::string_view campaign, Money cost, std::string_view reservation_id = "",
             std::int64_t at = kNoon) {
    LedgerEntry entry = ledger_test::Entry(key, at, cost, campaign);
    entry.reservation_id = reservation_id;
    Result<std::vector<EntryOutcome>> done = ledger->Append(std::vector<LedgerEntry>{entry}, at);
    REQUIRE(done.ok());
  }
};

BudgetsConfig DenyAt(const std::string& limit) {
  BudgetRule rule = Rule("cmp_*", limit, BudgetPeriod::kMonthly);
  rule.action = BudgetAction::kDeny;
  BudgetsConfig config = OneRule(rule);
  config.reservation_ttl = std::chrono::seconds(300);
  return config;
}

TEST_CASE("Shared budgets: reservations through three replicas at once grant exactly what the limit allows",
          "[budgets][shared][postgres]") {
  TestDatabase db;
  const BudgetsConfig config = DenyAt("100");
  std::vector<std::unique_ptr<Replica>> replicas;
  for (int r = 0; r < 3; ++r) replicas.push_back(std::make_unique<Replica>(db, config, 2));
  replicas[0]->Spend("before", "cmp_a", Dollars("37"));  // $63 of room left: 63 holds of $1
  std::atomic<int> granted{0};
  std::atomic<int> denied{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      Budgets& budgets = *replicas[static_cast<std::size_t>(t % 3)]->budgets;
      for (int i = 0; i < 20; ++i) {
        const BudgetAnswer answer = budgets.Reserve("cmp_a", Dollars("1"), kNoon);
        if (answer.store_error) ++errors;
        if (answer.decision == BudgetDecision::kDeny) {
          ++denied;
        } else if (!answer.reservation_id.empty()) {
          ++granted;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(errors == 0);
  CHECK(granted == 63);
  CHECK(denied == 120 - 63);
  const BudgetAnswer after = replicas[1]->budgets->Check("cmp_a", Money(), kNoon);
  CHECK(after.spent == Dollars("37"));
  CHECK(after.reserved == Dollars("63"));
  CHECK(after.remaining == Money());
}

TEST_CASE("Shared budgets: a hold granted by one replica is settled, released or expired through the others",
          "[budgets][shared][postgres]") {
  TestDatabase db;
  const BudgetsConfig config = DenyAt("10");
  Replica a(db, config);
  Replica b(db, config);
  const BudgetAnswer first = a.budgets->Reserve("cmp_a", Dollars("4"), kNoon);
  const BudgetAnswer second = a.budgets->Reserve("cmp_a", Dollars("5"), kNoon);
  REQUIRE_FALSE(first.reservation_id.empty());
  REQUIRE_FALSE(second.reservation_id.empty());
  CHECK(b.budgets->Check("cmp_a", Money(), kNoon).reserved == Dollars("9"));
  CHECK(b.budgets->ReservationCampaign(first.reservation_id, kNoon) == std::optional<std::string>("cmp_a"));

  // The record of the first call reaches replica b: its hold becomes its cost, in one transaction.
  b.Spend("rec_1", "cmp_a", Dollars("3.5"), first.reservation_id);
  BudgetAnswer now = a.budgets->Check("cmp_a", Money(), kNoon);
  CHECK(now.spent == Dollars("3.5"));
  CHECK(now.reserved == Dollars("5"));
  CHECK_FALSE(a.budgets->ReservationCampaign(first.reservation_id, kNoon).has_value());

  // Released through b, once.
  CHECK(b.budgets->Release(second.reservation_id, kNoon));
  CHECK_FALSE(a.budgets->Release(second.reservation_id, kNoon));
  CHECK(a.budgets->Check("cmp_a", Money(), kNoon).reserved == Money());

  // A hold counts until it expires, wherever it is asked about, and a release after that finds nothing.
  const BudgetAnswer third = a.budgets->Reserve("cmp_a", Dollars("6"), kNoon);
  REQUIRE_FALSE(third.reservation_id.empty());
  CHECK(b.budgets->Check("cmp_a", Dollars("1"), kNoon + 299 * kSecond).decision == BudgetDecision::kDeny);
  CHECK(b.budgets->Check("cmp_a", Dollars("1"), kNoon + 300 * kSecond).decision == BudgetDecision::kAllow);
  CHECK_FALSE(b.budgets->Release(third.reservation_id, kNoon + 300 * kSecond));
  b.budgets->Sweep(kNoon + 301 * kSecond);
  CHECK(db.Connect()->Exec("SELECT count(*) FROM lce_budget_holds").value().Text(0, 0) == "0");
}

TEST_CASE("Shared budgets: the gauges of every replica follow the store", "[budgets][shared][postgres]") {
  TestDatabase db;
  const BudgetsConfig config = DenyAt("100");
  Replica a(db, config);
  Replica b(db, config);
  a.Spend("r1", "cmp_a", Dollars("12.5"));
  a.Spend("r2", "cmp_b", Dollars("1"));
  const BudgetAnswer held = a.budgets->Reserve("cmp_c", Dollars("2"), kNoon);  // holds only
  REQUIRE_FALSE(held.reservation_id.empty());
  for (const Replica* replica : {&a, &b}) {
    const std::vector<CampaignBudgetState> states = replica->budgets->Snapshot(kNoon);
    REQUIRE(states.size() == 3);
    CHECK(states[0].campaign_id == "cmp_a");
    CHECK(states[0].spent == Dollars("12.5"));
    CHECK(states[1].spent == Dollars("1"));
    CHECK(states[2].campaign_id == "cmp_c");
    CHECK(states[2].reserved == Dollars("2"));
    CHECK(states[2].spent == Money());
  }
  // More spend, read again (absolute values: nothing counted twice).
  b.Spend("r3", "cmp_a", Dollars("0.5"));
  for (int round = 0; round < 2; ++round) CHECK(a.budgets->Snapshot(kNoon)[0].spent == Dollars("13"));
  // A restarted replica starts from the store.
  Replica c(db, config);
  CHECK(c.budgets->Check("cmp_a", Money(), kNoon).spent == Dollars("13"));
  CHECK(c.budgets->Snapshot(kNoon)[0].spent == Dollars("13"));
}

TEST_CASE("Shared budgets: a version 1 database migrates to version 2 with its spend in the budgets' view",
          "[budgets][shared][postgres]") {
  TestDatabase db;
  {
    Replica before(db, DenyAt("100"));
    before.Spend("old_1", "cmp_a", Dollars("7.25"));
    before.Spend("old_2", "cmp_a", Dollars("0.75"), "", kNoon - 3600 * kSecond);
  }
  // What version 1 had: no campaign spend, no holds.
  REQUIRE(db.Connect()
              ->Run("DROP TABLE lce_campaign_spend, lce_budget_holds; UPDATE lce_schema_version SET version = 1")
              .ok());
  Result<int> migrated = MigratePostgresSchema(db.Options());
  REQUIRE(migrated.ok());
  CHECK(*migrated == 1);
  Replica after(db, DenyAt("100"));
  CHECK(after.budgets->Check("cmp_a", Money(), kNoon).spent == Dollars("8"));
}

TEST_CASE("Shared budgets: when the store cannot be reached, decisions follow on_store_error and say so",
          "[budgets][shared][postgres]") {
  TestDatabase db;
  BudgetsConfig config = DenyAt("100");
  Replica a(db, config);
  // The database goes away (its connections are closed): nothing can be read or held.
  REQUIRE(db.cluster().Connect()->Run("DROP DATABASE " + db.name() + " WITH (FORCE)").ok());
  const BudgetAnswer denied = a.budgets->Reserve("cmp_a", Dollars("1"), kNoon);
  CHECK(denied.store_error);
  CHECK(denied.decision == BudgetDecision::kDeny);
  CHECK(denied.reservation_id.empty());
  CHECK(denied.has_budget);
  CHECK(denied.limit == Dollars("100"));
  config.on_store_error = StoreErrorPolicy::kAllow;
  a.budgets->Reconfigure(config);
  const BudgetAnswer allowed = a.budgets->Check("cmp_a", Dollars("1"), kNoon);
  CHECK(allowed.store_error);
  CHECK(allowed.decision == BudgetDecision::kAllow);
  // A campaign without a budget needs no store.
  CHECK_FALSE(a.budgets->Check("other", Dollars("1"), kNoon).store_error);
  CHECK_FALSE(a.budgets->Release("rsv_00000000000000000000000000000000", kNoon));
}

}  // namespace
}  // namespace lce::budgets_test
