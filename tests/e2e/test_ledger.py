"""End to end: the durable ledger.

CrashRecovery sends 100,000 records in batches, kills the exporter with
SIGKILL mid-stream, restarts it on the same storage, re-sends every batch
whose answer it did not get, and checks through GET /v1/spend that spend is
exactly the expected total: no record lost, none counted twice. SpendReport
checks the report's grouping and formats and that it reconciles with the
Prometheus counters.
"""
import csv
import io
import json
import os
import shutil
import signal
import tempfile
import threading
import unittest
from decimal import Decimal

import harness
from test_ingest_prometheus import BATCH_1, BATCH_2, EXPECTED_LLM_COST, EXPECTED_RETRY_COST, EXPECTED_VENDOR_COST

M = Decimal(1_000_000)
SMALL_INPUT, SMALL_OUTPUT = Decimal("0.0375"), Decimal("0.15")  # fixtures/pricing/acme.yaml, acme-small
RECORDS = 100_000
BATCH = 1_000


def record(i):
    return {"event": "llm.call", "event_id": f"crash_{i}", "timestamp": "2026-03-01T12:00:00Z",
            "service": "email_orchestrator", "campaign_id": f"cmp_{i % 3}", "vendor": "acme-ai",
            "model": "acme-small", "token_usage": {"input": 1000 + i % 997, "output": i % 89}}


def expected_cost(i):
    return ((1000 + i % 997) * SMALL_INPUT + (i % 89) * SMALL_OUTPUT) / M


def ndjson(records):
    return "\n".join(json.dumps(r) for r in records) + "\n"


def send_all(url, batches, answered):
    """POSTs every NDJSON batch in turn; answered[n] gets batch n's 200 answer. A batch
    whose connection fails (the exporter was killed) keeps no answer."""
    for n, body in enumerate(batches):
        try:
            status, _, payload = harness.http("POST", url + "/v1/usage", body,
                                              {"Content-Type": "application/x-ndjson"}, timeout=10)
        except OSError:
            continue  # killed: no answer for this batch
        if status == 200:
            answered[n] = json.loads(payload)


class CrashRecovery(unittest.TestCase):
    def test_sigkill_mid_stream_loses_nothing_and_counts_nothing_twice(self):
        storage = tempfile.mkdtemp(prefix="lce-crash-")
        batches = [ndjson(record(i) for i in range(b, b + BATCH)) for b in range(0, RECORDS, BATCH)]
        answered = [None] * len(batches)  # the 200 answer of each batch, when one came back
        exporter = harness.Exporter(storage=storage)
        try:
            sender = threading.Thread(target=send_all, args=(exporter.url, batches, answered))
            sender.start()
            harness.wait_until(lambda: sum(a is not None for a in answered) >= 30, 60, "30 answered batches")
            exporter.signal(signal.SIGKILL)
            sender.join(timeout=120)
            self.assertFalse(sender.is_alive())
            exporter.stop()
            lost = [n for n, a in enumerate(answered) if a is None]
            self.assertTrue(0 < len(lost) < len(batches), f"the kill must land mid-stream ({len(lost)} lost)")
            print(f"killed after {len(batches) - len(lost)} answered batches; re-sending {len(lost)}", flush=True)

            exporter = harness.Exporter(storage=storage)
            for n in lost:
                status, _, payload = harness.http("POST", exporter.url + "/v1/usage", batches[n],
                                                  {"Content-Type": "application/x-ndjson"}, timeout=30)
                self.assertEqual(status, 200, payload)
                answered[n] = json.loads(payload)

            status, report = exporter.spend(group_by="campaign_id")
            self.assertEqual(status, 200)
            self.assertEqual(report["total"]["records"], RECORDS)
            self.assertEqual(Decimal(report["total"]["cost_usd"]), sum(expected_cost(i) for i in range(RECORDS)))
            # Every record was accepted exactly once over both lives of the exporter,
            # except those of a batch committed just before the kill (its answer was
            # lost): the re-send reports them as duplicates.
            accepted = sum(a["accepted"] for a in answered)
            duplicates = sum(a["duplicate"] for a in answered)
            self.assertEqual(accepted + duplicates, RECORDS)
            self.assertLessEqual(duplicates, BATCH)  # one batch in flight at a time
            print(f"accepted {accepted}, duplicates on re-send {duplicates}", flush=True)

            # The restarted exporter remembers every key: sending everything again counts nothing.
            status, _, payload = harness.http("POST", exporter.url + "/v1/usage", batches[0],
                                              {"Content-Type": "application/x-ndjson"})
            self.assertEqual((status, json.loads(payload)["duplicate"]), (200, BATCH))
            self.assertEqual(exporter.spend()[1]["total"]["records"], RECORDS)
        finally:
            exporter.stop()
            shutil.rmtree(storage, ignore_errors=True)


class SpendReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.exporter = harness.Exporter()
        assert cls.exporter.post_usage(BATCH_1)[0] == 200
        assert cls.exporter.post_usage(BATCH_2, ndjson=True)[0] == 200

    @classmethod
    def tearDownClass(cls):
        cls.exporter.stop()

    def test_total_reconciles_with_the_prometheus_counters(self):
        status, report = self.exporter.spend()
        self.assertEqual(status, 200)
        self.assertEqual(Decimal(report["total"]["cost_usd"]), EXPECTED_LLM_COST + EXPECTED_VENDOR_COST)
        self.assertEqual(Decimal(report["total"]["retry_cost_usd"]), EXPECTED_RETRY_COST)
        self.assertEqual(report["total"]["records"], 8)
        self.assertEqual(report["total"]["unpriced_records"], 1)
        text = self.exporter.metrics_text()
        counters = sum(Decimal(line.split()[-1]) for line in text.splitlines()
                       if line.startswith(("llm_cost_usd_total{", "vendor_cost_usd_total{")))
        self.assertEqual(counters, Decimal(report["total"]["cost_usd"]))

    def test_groups_by_day_and_model_with_decimal_strings(self):
        status, report = self.exporter.spend(group_by="day,model", **{"from": "2026-03-01", "to": "2026-03-02"})
        self.assertEqual(status, 200)
        self.assertEqual(report["group_by"], ["day", "model"])
        rows = {(r["day"], r["model"]): r for r in report["rows"]}
        self.assertEqual(set(d for d, _ in rows), {"2026-03-01"})  # the 2026-07-01 retry is out of range
        self.assertIn(("2026-03-01", "acme-small"), rows)
        self.assertIsInstance(rows[("2026-03-01", "acme-small")]["cost_usd"], str)
        self.assertEqual(Decimal(rows[("2026-03-01", "acme-small")]["cost_usd"]),
                         Decimal("0.0375") + Decimal("0.000225"))

    def test_csv_has_a_header_and_the_same_total(self):
        status, text = self.exporter.spend(format="csv", group_by="campaign_id,vendor")
        self.assertEqual(status, 200)
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual(list(rows[0].keys()), ["campaign_id", "vendor", "cost_usd", "retry_cost_usd", "records",
                                                "unpriced_records"])
        self.assertEqual(sum(Decimal(r["cost_usd"]) for r in rows), Decimal(self.exporter.spend()[1]["total"]["cost_usd"]))

    def test_bad_parameters_are_400(self):
        for params in ({"group_by": "planet"}, {"from": "yesterday"}, {"group_by": "day,hour"},
                       {"from": "2026-03-02", "to": "2026-03-01"}, {"format": "xml"}):
            status, answer = self.exporter.spend(**params)
            self.assertEqual(status, 400, params)
            self.assertIn("error", answer)


if __name__ == "__main__":
    unittest.main(verbosity=2)
