"""End to end: re-pricing the ledger's history after a price table was fixed.

Records are priced with a wrong table; the operator fixes the version in
place, reloads, and re-prices the range: /v1/spend, the budget state (also
after a restart) and the audit follow exactly, and no Prometheus counter goes
backwards (the correction shows in llm_cost_exporter_repriced_cost_usd_total).
"""
import json
import os
import shutil
import tempfile
import unittest
from decimal import Decimal

import harness

CONFIG = os.path.join(harness.FIXTURES, "config", "budgets.yml")

TABLE = """provider: acme-ai
currency: USD
versions:
  - effective_from: 2026-01-01
    models:
      acme-small:
        per_million_tokens: {{input: {small_input}, output: 0.15}}
      acme-large:
        per_million_tokens: {{input: 3.00, output: 15.00}}
        tiers:
          - above_input_tokens: 200000
            per_million_tokens: {{input: {large_tier_input}, output: 22.50}}
"""
WRONG = TABLE.format(small_input="0.0375", large_tier_input="6.00")
FIXED = TABLE.format(small_input="0.05", large_tier_input="5.00")

RECORDS = [
    {"event": "llm.call", "event_id": "rp_1", "timestamp": "2026-03-02T10:01:00Z", "campaign_id": "cmp_soft",
     "vendor": "acme-ai", "model": "acme-small", "token_usage": {"input": 1_000_000, "output": 0}},
    {"event": "llm.call", "event_id": "rp_2", "timestamp": "2026-03-02T10:02:00Z", "campaign_id": "cmp_soft",
     "vendor": "acme-ai", "model": "acme-small", "token_usage": {"input": 1_000_000, "output": 0}, "attempt": 2},
    # 300,000 input tokens: the long-context tier; the two small records sum
    # past its threshold too, which must not move them into it.
    {"event": "llm.call", "event_id": "rp_3", "timestamp": "2026-03-02T10:03:00Z", "campaign_id": "cmp_soft",
     "vendor": "acme-ai", "model": "acme-large", "token_usage": {"input": 300_000, "output": 1_000}},
]
WRONG_TOTAL = Decimal("0.0375") * 2 + Decimal("1.8225")  # 0.3 * 6 + 0.001 * 22.5
FIXED_TOTAL = Decimal("0.05") * 2 + Decimal("1.5225")  # 0.3 * 5 + 0.001 * 22.5


def post(exporter, path, body):
    status, _, payload = harness.http("POST", exporter.url + path, json.dumps(body),
                                      {"Content-Type": "application/json"})
    return status, json.loads(payload)


def counters(text):
    """Every counter sample (name{labels} -> value) of an exposition."""
    values = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name = line.split("{")[0].split(" ")[0]
        if name.endswith("_total"):
            series, value = line.rsplit(" ", 1)
            values[series] = Decimal(value)
    return values


def spent(exporter):
    status, check = post(exporter, "/v1/budget/check", {"campaign_id": "cmp_soft", "estimate_usd": "0"})
    assert status == 200, check
    return Decimal(check["spent_usd"])


class Repricing(unittest.TestCase):
    def setUp(self):
        self.pricing = tempfile.mkdtemp(prefix="lce-reprice-pricing-")
        self.storage = tempfile.mkdtemp(prefix="lce-reprice-ledger-")
        self.write_table(WRONG)
        self.exporter = harness.Exporter(config=CONFIG, pricing=self.pricing, storage=self.storage)

    def tearDown(self):
        self.exporter.stop()
        shutil.rmtree(self.pricing, ignore_errors=True)
        shutil.rmtree(self.storage, ignore_errors=True)

    def write_table(self, text):
        with open(os.path.join(self.pricing, "acme.yaml"), "w") as f:
            f.write(text)

    def reprice(self, **extra):
        return post(self.exporter, "/v1/admin/reprice", {"from": "2026-03-01", "to": "2026-04-01", **extra})

    def total(self):
        status, report = self.exporter.spend(**{"from": "2026-03-01", "to": "2026-04-01"})
        self.assertEqual(status, 200)
        return Decimal(report["total"]["cost_usd"]), Decimal(report["total"]["retry_cost_usd"])

    def test_a_fixed_table_reprices_spend_budgets_and_metrics_exactly(self):
        status, answer = self.exporter.post_usage(RECORDS)
        self.assertEqual((status, answer["accepted"]), (200, 3), answer)
        self.assertEqual(self.total(), (WRONG_TOTAL, Decimal("0.0375")))
        spent_before = spent(self.exporter)
        before = counters(self.exporter.metrics_text())

        # The operator fixes the version in place and reloads.
        self.write_table(FIXED)
        status, _, body = harness.http("POST", self.exporter.url + "/-/reload")
        self.assertEqual(status, 200, body)

        status, dry = self.reprice(dry_run=True)
        self.assertEqual(status, 200, dry)
        self.assertEqual((dry["dry_run"], dry["id"]), (True, 0))
        self.assertEqual((Decimal(dry["old_total_usd"]), Decimal(dry["new_total_usd"])), (WRONG_TOTAL, FIXED_TOTAL))
        self.assertEqual(self.total()[0], WRONG_TOTAL)  # nothing written

        status, done = self.reprice()
        self.assertEqual(status, 200, done)
        self.assertEqual(done["id"], 1)
        self.assertEqual((Decimal(done["old_total_usd"]), Decimal(done["new_total_usd"])), (WRONG_TOTAL, FIXED_TOTAL))
        self.assertEqual((done["buckets"], done["buckets_changed"], done["buckets_refused"]), (3, 3, 0))
        self.assertEqual(done["tables"], ["acme.yaml@2026-01-01"])
        self.assertEqual(self.total(), (FIXED_TOTAL, Decimal("0.05")))
        self.assertEqual(spent(self.exporter), spent_before + FIXED_TOTAL - WRONG_TOTAL)

        after = counters(self.exporter.metrics_text())
        for series, value in before.items():
            self.assertGreaterEqual(after.get(series, Decimal(0)), value, series)
        labels = 'service="",campaign_id="cmp_soft",vendor="acme-ai"'
        inc = 'llm_cost_exporter_repriced_cost_usd_total{' + labels + ',model="acme-small",direction="increase"}'
        dec = 'llm_cost_exporter_repriced_cost_usd_total{' + labels + ',model="acme-large",direction="decrease"}'
        self.assertEqual(after[inc], Decimal("0.025"))
        self.assertEqual(after[dec], Decimal("0.3"))
        self.assertEqual(after["llm_cost_exporter_repricings_total"], 1)

        # Re-pricing again with the same tables changes nothing, and is audited.
        status, again = self.reprice()
        self.assertEqual(status, 200, again)
        self.assertEqual((again["id"], again["buckets_changed"]), (2, 0))
        self.assertEqual(Decimal(again["old_total_usd"]), Decimal(again["new_total_usd"]))
        status, _, body = harness.http("GET", self.exporter.url + "/v1/admin/repricings")
        self.assertEqual(status, 200)
        audits = json.loads(body)["repricings"]
        self.assertEqual([a["id"] for a in audits], [1, 2])
        self.assertEqual(audits[0]["who"], "anonymous")
        self.assertEqual(Decimal(audits[0]["new_total_usd"]), FIXED_TOTAL)

        # After a restart the ledger holds the corrected amounts.
        expected_spent = spent(self.exporter)
        self.exporter.stop()
        self.exporter = harness.Exporter(config=CONFIG, pricing=self.pricing, storage=self.storage)
        self.assertEqual(self.total(), (FIXED_TOTAL, Decimal("0.05")))
        self.assertEqual(spent(self.exporter), expected_spent)

    def test_bad_requests_are_refused(self):
        status, answer = post(self.exporter, "/v1/admin/reprice", {"from": "2026-03-01"})
        self.assertEqual(status, 400, answer)
        status, answer = post(self.exporter, "/v1/admin/reprice", {"from": "2026-04-01", "to": "2026-03-01"})
        self.assertEqual(status, 400, answer)


if __name__ == "__main__":
    unittest.main()
