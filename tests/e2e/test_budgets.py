"""End to end: budget check / reserve / release / settle over HTTP.

Many concurrent HTTP clients reserve against one campaign and the test asserts
the exact number of grants; a usage record carrying a reservation_id settles
its hold; spend survives a restart (rebuilt from the ledger).
"""
import datetime
import json
import os
import shutil
import tempfile
import threading
import unittest
import zoneinfo
from decimal import Decimal

import harness

CONFIG = os.path.join(harness.FIXTURES, "config", "budgets.yml")


def post(exporter, path, body):
    status, _, payload = harness.http("POST", exporter.url + path, json.dumps(body),
                                      {"Content-Type": "application/json"})
    return status, json.loads(payload)


def gauge(text, name, campaign):
    for line in text.splitlines():
        if line.startswith(name + "{") and f'campaign_id="{campaign}"' in line:
            return Decimal(line.split()[-1])
    return None


class Budgets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.storage = tempfile.mkdtemp(prefix="lce-budgets-")
        cls.exporter = harness.Exporter(config=CONFIG, storage=cls.storage)

    @classmethod
    def tearDownClass(cls):
        cls.exporter.stop()
        shutil.rmtree(cls.storage, ignore_errors=True)

    def test_concurrent_reservations_never_exceed_the_limit(self):
        # $1.00 limit, $0.03 holds: exactly 33 fit, whatever the interleaving.
        answers = []
        lock = threading.Lock()

        def client(_):
            for _ in range(10):
                status, answer = post(self.exporter, "/v1/budget/reserve",
                                      {"campaign_id": "cmp_race", "estimate_usd": "0.03"})
                with lock:
                    answers.append((status, answer))

        harness.run_clients(16, client)
        self.assertEqual(len(answers), 160)
        self.assertTrue(all(status == 200 for status, _ in answers))
        granted = [a for _, a in answers if "reservation_id" in a]
        self.assertEqual(len(granted), 33)
        self.assertEqual({a["decision"] for a in granted}, {"allow", "warn"})  # soft limit at 50%
        self.assertTrue(all(a["decision"] == "deny" for _, a in answers if "reservation_id" not in a))
        text = self.exporter.metrics_text()
        self.assertEqual(gauge(text, "campaign_budget_reserved_usd", "cmp_race"), Decimal("0.99"))
        self.assertIn('budget_decisions_total{campaign_id="cmp_race",decision="deny"} 127', text)

    def test_long_prompts_are_reserved_at_their_tier_price(self):
        # acme-long: $1 / $2 per 1M, above 100k input tokens $2 / $4 (fixtures/pricing/acme.yaml).
        # 150,000 input + 10,000 output: $0.34 at the tier price ($0.17 at the base price, at
        # which all five would fit under the $1.00 limit); exactly two fit.
        answers = []
        lock = threading.Lock()

        def client():
            status, answer = post(self.exporter, "/v1/budget/reserve",
                                  {"campaign_id": "cmp_long_a", "vendor": "acme-ai", "model": "acme-long",
                                   "input_tokens": 150_000, "max_output_tokens": 10_000})
            with lock:
                answers.append((status, answer))

        threads = [threading.Thread(target=client) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual([s for s, _ in answers], [200] * 5)
        self.assertEqual({a["estimate_usd"] for _, a in answers}, {"0.34"})
        self.assertEqual(sum("reservation_id" in a for _, a in answers), 2)
        self.assertEqual(sum(a["decision"] == "deny" for _, a in answers), 3)

    def test_an_unpriced_estimate_is_denied_by_a_deny_budget(self):
        status, answer = post(self.exporter, "/v1/budget/reserve",
                              {"campaign_id": "cmp_long_b", "vendor": "acme-ai", "model": "acme-unknown",
                               "input_tokens": 10, "max_output_tokens": 10})
        self.assertEqual(status, 200)
        self.assertEqual(answer["decision"], "deny")
        self.assertNotIn("reservation_id", answer)
        self.assertEqual(answer["unpriced_estimate"], "cannot price the estimate: unknown_model")
        # alert_only budgets allow it ($0), and say so.
        status, answer = post(self.exporter, "/v1/budget/check",
                              {"campaign_id": "cmp_soft", "vendor": "acme-ai", "model": "acme-unknown",
                               "input_tokens": 10})
        self.assertNotEqual(answer["decision"], "deny")
        self.assertIn("unpriced_estimate", answer)

    def test_a_usage_record_settles_its_hold_even_when_larger(self):
        status, hold = post(self.exporter, "/v1/budget/reserve",
                            {"campaign_id": "cmp_settle_a", "vendor": "acme-ai", "model": "acme-small",
                             "input_tokens": 1_000_000, "max_output_tokens": 0})
        self.assertEqual((status, hold["decision"], hold["estimate_usd"]), (200, "allow", "0.0375"))
        self.assertEqual(hold["reserved_usd"], "0.0375")
        # The actual call used twice the estimate: $0.075.
        status, answer = self.exporter.post_usage([{
            "event": "llm.call", "event_id": "settle_1", "campaign_id": "cmp_settle_a", "vendor": "acme-ai",
            "model": "acme-small", "token_usage": {"input": 2_000_000, "output": 0},
            "reservation_id": hold["reservation_id"]}])
        self.assertEqual((status, answer["accepted"]), (200, 1))
        status, check = post(self.exporter, "/v1/budget/check", {"campaign_id": "cmp_settle_a", "estimate_usd": "0.03"})
        self.assertEqual((check["spent_usd"], check["reserved_usd"]), ("0.075", "0"))
        self.assertEqual(check["decision"], "deny")  # 0.075 + 0.03 > 0.10
        self.assertEqual(check["remaining_usd"], "0.025")
        # The hold is gone: releasing it now finds nothing.
        self.assertEqual(post(self.exporter, "/v1/budget/release", {"reservation_id": hold["reservation_id"]})[0], 404)

    def test_release_frees_a_hold_once(self):
        _, hold = post(self.exporter, "/v1/budget/reserve", {"campaign_id": "cmp_settle_b", "estimate_usd": "0.08"})
        self.assertIn("reservation_id", hold)
        _, denied = post(self.exporter, "/v1/budget/check", {"campaign_id": "cmp_settle_b", "estimate_usd": "0.05"})
        self.assertEqual(denied["decision"], "deny")
        status, released = post(self.exporter, "/v1/budget/release", {"reservation_id": hold["reservation_id"]})
        self.assertEqual((status, released["released"]), (200, True))
        self.assertEqual(post(self.exporter, "/v1/budget/release", {"reservation_id": hold["reservation_id"]})[0], 404)
        _, allowed = post(self.exporter, "/v1/budget/check", {"campaign_id": "cmp_settle_b", "estimate_usd": "0.05"})
        self.assertEqual(allowed["decision"], "allow")

    def test_alert_only_warns_instead_of_denying_and_unbudgeted_campaigns_are_allowed(self):
        _, over = post(self.exporter, "/v1/budget/check", {"campaign_id": "cmp_soft", "estimate_usd": "5"})
        self.assertEqual(over["decision"], "warn")
        _, free = post(self.exporter, "/v1/budget/check", {"campaign_id": "cmp_nobody", "estimate_usd": "5"})
        self.assertEqual((free["decision"], free["has_budget"]), ("allow", False))

    def test_period_end_and_soft_limit_gauges(self):
        # cmp_settle_p: daily in America/New_York; cmp_soft: total (no end).
        _, hold = post(self.exporter, "/v1/budget/reserve", {"campaign_id": "cmp_settle_p", "estimate_usd": "0.01"})
        _, total = post(self.exporter, "/v1/budget/reserve", {"campaign_id": "cmp_soft", "estimate_usd": "0.01"})
        self.assertIn("reservation_id", hold)
        self.assertIn("reservation_id", total)
        text = self.exporter.metrics_text()
        end = gauge(text, "campaign_budget_period_end_timestamp_seconds", "cmp_settle_p")
        want = datetime.datetime.fromisoformat(hold["period_end"].replace("Z", "+00:00"))
        self.assertEqual(end, Decimal(int(want.timestamp())))
        self.assertEqual(want.astimezone(zoneinfo.ZoneInfo("America/New_York")).time(), datetime.time(0, 0))
        self.assertIsNone(gauge(text, "campaign_budget_period_end_timestamp_seconds", "cmp_soft"))
        self.assertEqual(gauge(text, "campaign_budget_soft_limit_ratio", "cmp_settle_p"), Decimal("0.8"))  # default
        self.assertIsNotNone(gauge(text, "campaign_budget_limit_usd", "cmp_soft"))

    def test_bad_requests(self):
        self.assertEqual(post(self.exporter, "/v1/budget/check", {"estimate_usd": "1"})[0], 400)
        self.assertEqual(post(self.exporter, "/v1/budget/check", {"campaign_id": "a@b.com", "estimate_usd": "1"})[0], 400)
        # An estimate the tables cannot price is a decision, not an error: campaigns without
        # a deny budget are allowed at $0, and the answer says why it was not priced.
        status, answer = post(self.exporter, "/v1/budget/check",
                              {"campaign_id": "cmp_x", "vendor": "acme-ai", "model": "nope", "input_tokens": 1})
        self.assertEqual(status, 200)
        self.assertEqual(answer["unpriced_estimate"], "cannot price the estimate: unknown_model")

    def test_a_body_over_64_kib_is_413_and_counted(self):
        def limited():
            for line in self.exporter.metrics_text().splitlines():
                if line.startswith("llm_cost_exporter_http_requests_limited_total{") and \
                        'handler="budget_check"' in line and 'limit="body_size"' in line:
                    return Decimal(line.rsplit(" ", 1)[1])
            return Decimal(0)
        before = limited()
        status, answer = post(self.exporter, "/v1/budget/check",
                              {"campaign_id": "cmp_x", "estimate_usd": "1", "pad": "x" * 70000})
        self.assertEqual(status, 413)
        self.assertIn("64 KiB", answer["error"])
        self.assertEqual(limited(), before + 1)

    def test_batches_of_reservations_never_exceed_the_limit(self):
        # 8 clients x 5 batches x 10 holds of $0.03 against $1.00: exactly 33 fit.
        answers, statuses = [], []
        lock = threading.Lock()
        item = {"action": "reserve", "campaign_id": "cmp_batch_race", "estimate_usd": "0.03"}

        def client():
            for _ in range(5):
                status, answer = post(self.exporter, "/v1/budget/batch", {"requests": [item] * 10})
                with lock:
                    statuses.append(status)
                    answers.extend(answer["answers"])

        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(statuses, [200] * 40)
        self.assertEqual(len(answers), 400)
        self.assertTrue(all(a["status"] == 200 for a in answers))
        granted = [a["reservation_id"] for a in answers if "reservation_id" in a]
        self.assertEqual(len(granted), 33)
        self.assertEqual(len(set(granted)), 33)
        text = self.exporter.metrics_text()
        self.assertEqual(gauge(text, "campaign_budget_reserved_usd", "cmp_batch_race"), Decimal("0.99"))
        self.assertIn('budget_decisions_total{campaign_id="cmp_batch_race",decision="deny"} 367', text)
        self.assertIn('llm_cost_exporter_http_requests_total{handler="budget_batch",code="200"} 40', text)

        # One batch releases every hold and checks, in that order: the check sees them gone.
        releases = [{"action": "release", "reservation_id": r} for r in granted]
        check = {"action": "check", "campaign_id": "cmp_batch_race", "estimate_usd": "0.40"}
        status, answer = post(self.exporter, "/v1/budget/batch", {"requests": releases + [check, {"action": "x"}]})
        self.assertEqual(status, 200)
        self.assertEqual(answer["answers"][:33], [{"status": 200, "released": True}] * 33)
        self.assertEqual((answer["answers"][33]["decision"], answer["answers"][33]["reserved_usd"]), ("allow", "0"))
        self.assertEqual(answer["answers"][34]["status"], 400)
        self.assertIn("requests[34]", answer["answers"][34]["error"])

    def test_a_batch_over_1000_decisions_is_413(self):
        status, answer = post(self.exporter, "/v1/budget/batch",
                              {"requests": [{"action": "check", "campaign_id": "cmp_x", "estimate_usd": "1"}] * 1001})
        self.assertEqual((status, answer["error"]), (413, "a batch holds at most 1000 decisions"))


class BudgetRestart(unittest.TestCase):
    def test_spend_is_restored_from_the_ledger(self):
        storage = tempfile.mkdtemp(prefix="lce-budget-restart-")
        exporter = harness.Exporter(config=CONFIG, storage=storage)
        try:
            status, answer = exporter.post_usage([{
                "event": "llm.call", "event_id": "restart_1", "campaign_id": "cmp_settle_r", "vendor": "acme-ai",
                "model": "acme-small", "token_usage": {"input": 1_000_000, "output": 0}}])
            self.assertEqual((status, answer["accepted"]), (200, 1))
            exporter.stop()
            exporter = harness.Exporter(config=CONFIG, storage=storage)
            _, check = post(exporter, "/v1/budget/check", {"campaign_id": "cmp_settle_r", "estimate_usd": "0"})
            self.assertEqual(check["spent_usd"], "0.0375")
        finally:
            exporter.stop()
            shutil.rmtree(storage, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
