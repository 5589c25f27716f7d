"""End to end: the ledger on a real PostgreSQL shared by three exporter replicas.

Replicas: the schema is created by --storage.migrate-only; the same records
sent to every replica are counted once (in the ledger, in /v1/spend from any
replica, and in the sum over the replicas' Prometheus counters); the
password is read from a file and never shows in a log.
ReplicaKilled: SIGKILL of one replica in the middle of a stream of batches,
then the client re-sends every unanswered batch to another replica: the
spend is exactly the expected total, nothing lost or counted twice.
SharedBudgets: reservations through three replicas at once against one limit
get exactly the grants it allows; a hold granted by one replica is settled
by its record sent to another and is gone for the third; every replica
reports the same budget gauges.
DatabaseOutage: PostgreSQL stopped in the middle of a stream: the exporter
answers 503 with Retry-After and counts nothing, and budget decisions follow
budgets.on_store_error (deny, marked store_error, counted); once the database is back
it recovers by itself, and the client's retries give exact totals.
"""
import json
import math
import signal
import subprocess
import threading
import time
import unittest
from decimal import Decimal

import harness
import postgres
from test_ingest_prometheus import BATCH_1, BATCH_2, EXPECTED_LLM_COST, EXPECTED_RETRY_COST, EXPECTED_VENDOR_COST
from test_ledger import expected_cost, ndjson, record, send_all

REPLICAS = 3


def migrate(config):
    return subprocess.run([harness.EXPORTER, "--storage.migrate-only", f"--config.file={config}"],
                          capture_output=True, text=True, timeout=60, cwd=harness.REPO)


class Replicas(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = postgres.Database()
        cls.config = cls.db.config()
        cls.first_migration = migrate(cls.config)
        cls.second_migration = migrate(cls.config)
        cls.replicas = []
        cls.prometheus = None
        try:
            cls.replicas = [harness.Exporter(config=cls.config) for _ in range(REPLICAS)]
            cls.prometheus = harness.Prometheus([f"127.0.0.1:{r.port}" for r in cls.replicas])
            # Every batch goes to every replica, in turn.
            cls.answers = [[r.post_usage(BATCH_1), r.post_usage(BATCH_2, ndjson=True)] for r in cls.replicas]
            harness.wait_until(
                lambda: cls.prometheus.query("sum(llm_cost_exporter_records_accepted_total) == 8 and "
                                             "count(up == 1) == 3"),
                30, "a scrape of every replica after every post")
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.prometheus:
            cls.prometheus.stop()
        for replica in cls.replicas:
            replica.stop()
        cls.db.drop()

    def scalar(self, promql):
        result = self.prometheus.query(promql)
        self.assertEqual(len(result), 1, f"{promql} -> {result}")
        return float(result[0]["value"][1])

    def test_migrate_only_creates_the_schema_then_finds_it_current(self):
        self.assertEqual(self.first_migration.returncode, 0, self.first_migration.stderr)
        self.assertIn("schema version 2 (was 0)", self.first_migration.stdout)
        self.assertEqual(self.second_migration.returncode, 0, self.second_migration.stderr)
        self.assertIn("schema version 2 (was 2)", self.second_migration.stdout)
        self.assertEqual(self.db.query("SELECT version FROM lce_schema_version"), "2")

    def test_the_first_replica_accepts_and_the_others_find_duplicates(self):
        (first_1, first_2), *others = self.answers
        self.assertEqual((first_1[0], first_1[1]["accepted"], first_1[1]["duplicate"]), (200, 7, 1))
        self.assertEqual((first_2[0], first_2[1]["accepted"], first_2[1]["duplicate"]), (200, 1, 1))
        for answer_1, answer_2 in others:
            self.assertEqual((answer_1[0], answer_1[1]["accepted"], answer_1[1]["duplicate"]), (200, 0, 8))
            self.assertEqual((answer_2[0], answer_2[1]["accepted"], answer_2[1]["duplicate"]), (200, 0, 2))

    def test_every_replica_reports_the_same_exact_spend(self):
        for replica in self.replicas:
            status, report = replica.spend()
            self.assertEqual(status, 200)
            self.assertEqual(Decimal(report["total"]["cost_usd"]), EXPECTED_LLM_COST + EXPECTED_VENDOR_COST)
            self.assertEqual(Decimal(report["total"]["retry_cost_usd"]), EXPECTED_RETRY_COST)
            self.assertEqual(report["total"]["records"], 8)
        self.assertEqual(self.db.query("SELECT count(*) FROM lce_idempotency_keys"), "8")

    def test_counters_summed_over_replicas_equal_the_exact_total(self):
        got = self.scalar("sum(llm_cost_usd_total)")
        self.assertTrue(math.isclose(got, float(EXPECTED_LLM_COST), rel_tol=1e-12), got)
        self.assertEqual(self.scalar("sum(llm_cost_exporter_records_accepted_total)"), 8)
        self.assertEqual(self.scalar("sum(llm_cost_exporter_records_duplicate_total)"), 2 + 10 * (REPLICAS - 1))

    def test_the_password_is_read_from_its_file_and_never_logged(self):
        for replica in self.replicas:
            log = replica.output()
            self.assertIn("storage=\"postgres host=127.0.0.1", log)
            self.assertNotIn(self.db.password, log)


BUDGETS = """budgets:
  reservation_ttl: 1m
  campaigns:
    - {match: cmp_race, limit_usd: "1.00", period: monthly, soft_limit_ratio: 0.5, action: deny}
    - {match: "cmp_settle_*", limit_usd: "0.10", period: daily, action: deny}
"""


def post(replica, path, body):
    status, _, payload = harness.http("POST", replica.url + path, json.dumps(body),
                                      {"Content-Type": "application/json"})
    return status, json.loads(payload)


class SharedBudgets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = postgres.Database()
        config = cls.db.config(extra=BUDGETS)
        cls.replicas = []
        try:
            cls.replicas = [harness.Exporter(config=config) for _ in range(REPLICAS)]
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for replica in cls.replicas:
            replica.stop()
        cls.db.drop()

    def test_reservations_through_every_replica_at_once_grant_exactly_the_limit(self):
        # $1.00 limit, $0.03 holds: exactly 33 fit, whatever the replica and the interleaving.
        answers = []
        lock = threading.Lock()

        def client(n):
            for i in range(10):
                replica = self.replicas[(n + i) % REPLICAS]
                answer = post(replica, "/v1/budget/reserve", {"campaign_id": "cmp_race", "estimate_usd": "0.03"})
                with lock:
                    answers.append(answer)

        harness.run_clients(16, client)
        self.assertEqual(len(answers), 160)
        self.assertTrue(all(status == 200 for status, _ in answers))
        granted = [a for _, a in answers if "reservation_id" in a]
        self.assertEqual(len(granted), 33)
        self.assertFalse(any(a.get("store_error") for _, a in answers))
        self.assertTrue(all(a["decision"] == "deny" for _, a in answers if "reservation_id" not in a))
        self.assertEqual(self.db.query("SELECT count(*), sum(amount) FROM lce_budget_holds "
                                       "WHERE campaign_id = 'cmp_race'"), "33|0.990000000000000000")
        # Every replica reports the one shared budget.
        for replica in self.replicas:
            text = replica.metrics_text()
            self.assertIn('campaign_budget_reserved_usd{campaign_id="cmp_race",period="monthly"} 0.99', text)
            self.assertIn('llm_cost_exporter_budget_store_errors_total{decision="deny"} 0', text)

    def test_a_hold_is_settled_by_its_record_through_another_replica(self):
        first, second, third = self.replicas
        status, hold = post(first, "/v1/budget/reserve",
                            {"campaign_id": "cmp_settle_a", "vendor": "acme-ai", "model": "acme-small",
                             "input_tokens": 1_000_000, "max_output_tokens": 0})
        self.assertEqual((status, hold["decision"], hold["estimate_usd"]), (200, "allow", "0.0375"))
        # The call used twice the estimate ($0.075); its record reaches the second replica.
        status, answer = second.post_usage([{
            "event": "llm.call", "event_id": "shared_settle_1", "campaign_id": "cmp_settle_a", "vendor": "acme-ai",
            "model": "acme-small", "token_usage": {"input": 2_000_000, "output": 0},
            "reservation_id": hold["reservation_id"]}])
        self.assertEqual((status, answer["accepted"]), (200, 1))
        status, check = post(third, "/v1/budget/check", {"campaign_id": "cmp_settle_a", "estimate_usd": "0.03"})
        self.assertEqual((check["spent_usd"], check["reserved_usd"], check["decision"]), ("0.075", "0", "deny"))
        self.assertEqual(post(first, "/v1/budget/release", {"reservation_id": hold["reservation_id"]})[0], 404)

    def test_a_hold_granted_by_one_replica_is_released_through_another(self):
        status, hold = post(self.replicas[2], "/v1/budget/reserve", {"campaign_id": "cmp_settle_b", "estimate_usd": "0.08"})
        self.assertIn("reservation_id", hold)
        self.assertEqual(post(self.replicas[0], "/v1/budget/check",
                              {"campaign_id": "cmp_settle_b", "estimate_usd": "0.05"})[1]["decision"], "deny")
        status, released = post(self.replicas[1], "/v1/budget/release", {"reservation_id": hold["reservation_id"]})
        self.assertEqual((status, released["released"]), (200, True))
        self.assertEqual(post(self.replicas[0], "/v1/budget/release", {"reservation_id": hold["reservation_id"]})[0], 404)
        self.assertEqual(post(self.replicas[0], "/v1/budget/check",
                              {"campaign_id": "cmp_settle_b", "estimate_usd": "0.05"})[1]["decision"], "allow")


class ReplicaKilled(unittest.TestCase):
    RECORDS = 30_000
    BATCH = 500

    def test_sigkill_of_a_replica_then_resend_to_another_loses_and_doubles_nothing(self):
        db = postgres.Database()
        config = db.config()
        batches = [ndjson(record(i) for i in range(b, b + self.BATCH)) for b in range(0, self.RECORDS, self.BATCH)]
        answered = [None] * len(batches)
        victim = survivor = None
        try:
            victim = harness.Exporter(config=config)
            survivor = harness.Exporter(config=config)

            sender = threading.Thread(target=send_all, args=(victim.url, batches, answered))
            sender.start()
            harness.wait_until(lambda: sum(a is not None for a in answered) >= 10, 60, "10 answered batches")
            victim.signal(signal.SIGKILL)
            sender.join(timeout=120)
            self.assertFalse(sender.is_alive())
            lost = [n for n, a in enumerate(answered) if a is None]
            self.assertTrue(0 < len(lost) < len(batches), f"the kill must land mid-stream ({len(lost)} lost)")

            for n in lost:  # the client's retry goes to the surviving replica
                status, _, payload = harness.http("POST", survivor.url + "/v1/usage", batches[n],
                                                  {"Content-Type": "application/x-ndjson"}, timeout=30)
                self.assertEqual(status, 200, payload)
                answered[n] = json.loads(payload)

            status, report = survivor.spend()
            self.assertEqual(status, 200)
            self.assertEqual(report["total"]["records"], self.RECORDS)
            self.assertEqual(Decimal(report["total"]["cost_usd"]), sum(expected_cost(i) for i in range(self.RECORDS)))
            accepted = sum(a["accepted"] for a in answered)
            duplicates = sum(a["duplicate"] for a in answered)
            self.assertEqual(accepted + duplicates, self.RECORDS)
            self.assertLessEqual(duplicates, self.BATCH)  # at most the batch whose answer the kill lost
            print(f"killed after {len(batches) - len(lost)} answered batches; accepted {accepted}, "
                  f"duplicates on re-send {duplicates}", flush=True)
        finally:
            for exporter in (victim, survivor):
                if exporter:
                    exporter.stop()
            db.drop()


class DatabaseOutage(unittest.TestCase):
    RECORDS = 20_000
    BATCH = 500

    def test_outage_answers_503_then_recovers_with_exact_totals(self):
        own = postgres.OwnCluster()
        exporter = None
        try:
            db = postgres.Database(own.state)
            exporter = harness.Exporter(config=db.config(extra=BUDGETS))
            batches = [ndjson(record(i) for i in range(b, b + self.BATCH)) for b in range(0, self.RECORDS, self.BATCH)]
            unavailable = []  # (batch, Retry-After) of every 503

            def send(n):
                """Sends batch n until it is answered 200 (bounded: 200 tries)."""
                for _ in range(200):
                    status, headers, payload = harness.http("POST", exporter.url + "/v1/usage", batches[n],
                                                            {"Content-Type": "application/x-ndjson"}, timeout=30)
                    if status == 200:
                        return json.loads(payload)
                    self.assertEqual(status, 503, payload)
                    unavailable.append((n, headers.get("Retry-After")))
                    time.sleep(0.2)  # the client's backoff (shorter than Retry-After, to keep the test short)
                raise AssertionError(f"batch {n} never answered 200")

            half = len(batches) // 2
            answers = [send(n) for n in range(half)]
            own.pause()
            # While the database is down, a batch is refused whole.
            status, headers, payload = harness.http("POST", exporter.url + "/v1/usage", batches[half],
                                                    {"Content-Type": "application/x-ndjson"}, timeout=30)
            self.assertEqual(status, 503, payload)
            self.assertEqual(headers.get("Retry-After"), "1")
            # A budget decision meanwhile follows budgets.on_store_error (deny), and says so.
            status, answer = post(exporter, "/v1/budget/reserve", {"campaign_id": "cmp_race", "estimate_usd": "0.01"})
            self.assertEqual((status, answer["decision"], answer.get("store_error")), (200, "deny", True))
            self.assertNotIn("reservation_id", answer)
            self.assertIn('llm_cost_exporter_budget_store_errors_total{decision="deny"} 1', exporter.metrics_text())
            resumer = threading.Timer(2.0, own.resume)  # the database returns while the client retries
            resumer.start()
            answers += [send(n) for n in range(half, len(batches))]
            resumer.join()
            self.assertTrue(unavailable, "some retry must have met the outage")
            self.assertEqual(sum(a["accepted"] for a in answers), self.RECORDS)
            self.assertEqual(sum(a["duplicate"] for a in answers), 0)  # a 503 committed nothing
            status, report = exporter.spend()
            self.assertEqual(status, 200)
            self.assertEqual(report["total"]["records"], self.RECORDS)
            self.assertEqual(Decimal(report["total"]["cost_usd"]), sum(expected_cost(i) for i in range(self.RECORDS)))
            counted = sum(float(line.split()[-1]) for line in exporter.metrics_text().splitlines()
                          if line.startswith("llm_cost_exporter_records_accepted_total"))
            self.assertEqual(counted, self.RECORDS)
        finally:
            if exporter:
                exporter.stop()
            own.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
