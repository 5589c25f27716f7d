"""End to end: the real exporter, scraped by a real Prometheus on loopback.

Posts a known batch (priced, retried, long-context tier, batch tier, unknown
model, per-unit vendor, duplicates, bad records), waits for Prometheus to
scrape, and checks the totals through Prometheus's HTTP API. The expected
figures are derived here with exact decimals from the fixture price tables
(tests/e2e/fixtures/pricing), independently of the exporter's arithmetic.
"""
import json
import math
import os
import shutil
import subprocess
import tempfile
import time
import unittest
from decimal import Decimal

import harness

M = Decimal(1_000_000)
# Mirrors fixtures/pricing/acme.yaml, USD per million tokens.
ACME_V1 = {"input": Decimal("3.00"), "output": Decimal("15.00"), "cached_input": Decimal("0.30"), "cache_write": Decimal("3.75")}
ACME_V1_TIER = {"input": Decimal("6.00"), "output": Decimal("22.50"), "cached_input": Decimal("0.60"), "cache_write": Decimal("7.50")}
ACME_V2 = {"input": Decimal("2.00"), "output": Decimal("10.00"), "cached_input": Decimal("0.20"), "cache_write": Decimal("2.50")}
ACME_SMALL = {"input": Decimal("0.0375"), "output": Decimal("0.15"), "cached_input": Decimal("0.0375"), "cache_write": Decimal("0.0375")}
EMAIL_PRICE = Decimal("0.0009")


def token_cost(prices, usage, multiplier=Decimal(1)):
    """OpenAI convention: cached_input/cache_write are parts of input, reasoning of output."""
    cached = usage.get("cached_input", 0)
    write = usage.get("cache_write", 0)
    uncached = usage.get("input", 0) - cached - write
    return (uncached * prices["input"] + cached * prices["cached_input"] + write * prices["cache_write"]
            + usage.get("output", 0) * prices["output"]) * multiplier / M


def llm(event_id, model, usage, ts="2026-03-01T12:00:00Z", **extra):
    record = {"event": "llm.call", "timestamp": ts, "service": "email_orchestrator",
              "operation": "llm.generate_subject_line", "campaign_id": "cmp_spring",
              "vendor": "acme-ai", "model": model, "token_usage": usage, "vendor_status": 200,
              "latency_ms": 842}
    if event_id:
        record["event_id"] = event_id
    record.update(extra)
    return record


USAGE_1 = {"input": 1000, "output": 500, "cached_input": 200, "cache_write": 100, "reasoning": 100}
USAGE_2 = {"input": 1000, "output": 100}
USAGE_3 = {"input": 250000, "output": 1000}
USAGE_4 = {"input": 2000, "output": 1000}
USAGE_5 = {"input": 1000000, "output": 0}
USAGE_6 = {"input": 10, "output": 5}
USAGE_7 = {"input": 2000, "output": 1000}

BATCH_1 = [
    llm("evt_1", "acme-large", USAGE_1),
    llm("evt_2", "acme-large-2026-01-01", USAGE_2, ts="2026-07-01T00:00:00Z", attempt=2),
    llm("evt_3", "acme-large", USAGE_3, prompt_version="subject-v2"),
    llm("evt_4", "acme-large", USAGE_4, service_tier="batch"),
    llm("evt_5", "acme-small", USAGE_5, vendor="acme"),
    llm("evt_6", "acme-mystery", USAGE_6),
    {"event": "email.sent", "event_id": "evt_7", "timestamp": "2026-03-01T12:00:00Z",
     "service": "email_orchestrator", "campaign_id": "cmp_spring", "audience_id": "aud_us_smb_01",
     "vendor": "mailer", "units": {"emails": 3}, "vendor_status": 202,
     "hash_email": "7c4a8d09ca3762af61e59520943dc26494f8941b"},
    llm("evt_1", "acme-large", USAGE_1),                                   # duplicate id
    llm("evt_8", "acme-large", USAGE_2, campaign_id="john@example.com"),   # PII
    llm("evt_9", "acme-large", {"input": 10, "output": 5, "cached_input": 11}),  # parts > whole
]
TRACED = llm(None, "acme-small", USAGE_7, trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
             span_id="00f067aa0ba902b7")
BATCH_2 = [TRACED, TRACED]  # the derived trace/span id makes the second a duplicate

EXPECTED_LLM_COST = (token_cost(ACME_V1, USAGE_1) + token_cost(ACME_V2, USAGE_2)
                     + token_cost(ACME_V1_TIER, USAGE_3) + token_cost(ACME_V1, USAGE_4, Decimal("0.5"))
                     + token_cost(ACME_SMALL, USAGE_5) + token_cost(ACME_SMALL, USAGE_7))
EXPECTED_RETRY_COST = token_cost(ACME_V2, USAGE_2)
EXPECTED_VENDOR_COST = 3 * EMAIL_PRICE
COUNTED_USAGES = [USAGE_1, USAGE_2, USAGE_3, USAGE_4, USAGE_5, USAGE_6, USAGE_7]


def expected_tokens(token_type):
    return sum(u.get(token_type, 0) for u in COUNTED_USAGES)


class IngestThroughPrometheus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.exporter = harness.Exporter()
        cls.prometheus = harness.Prometheus([f"127.0.0.1:{cls.exporter.port}"])
        cls.answer_1 = cls.exporter.post_usage(BATCH_1)
        cls.answer_2 = cls.exporter.post_usage(BATCH_2, ndjson=True)
        # Readiness of the data: Prometheus has scraped after both posts.
        harness.wait_until(
            lambda: cls.prometheus.query("llm_cost_exporter_records_accepted_total == 8"),
            30, "a scrape that sees all accepted records")

    @classmethod
    def tearDownClass(cls):
        cls.prometheus.stop()
        cls.exporter.stop()

    def scalar(self, promql):
        result = self.prometheus.query(promql)
        self.assertEqual(len(result), 1, f"{promql} -> {result}")
        return float(result[0]["value"][1])

    def assertMoney(self, promql, expected):
        self.assertTrue(math.isclose(self.scalar(promql), float(expected), rel_tol=1e-12),
                        f"{promql}: got {self.scalar(promql)}, want {expected}")

    def test_answers_count_accepted_duplicate_rejected(self):
        status, answer = self.answer_1
        self.assertEqual(status, 200)
        self.assertEqual((answer["accepted"], answer["duplicate"], answer["rejected"]), (7, 1, 2))
        self.assertEqual(answer["unpriced"], 1)
        errors = {(e["index"], e["field"], e["reason"]) for e in answer["errors"]}
        self.assertEqual(errors, {(8, "campaign_id", "looks_like_email"),
                                  (9, "token_usage.cached_input", "parts_exceed_whole")})
        self.assertNotIn("john@example.com", str(answer))
        status, answer = self.answer_2
        self.assertEqual((status, answer["accepted"], answer["duplicate"]), (200, 1, 1))

    def test_cost_equals_exact_expected_total(self):
        self.assertMoney("sum(llm_cost_usd_total)", EXPECTED_LLM_COST)
        self.assertMoney("sum(llm_retry_cost_usd_total)", EXPECTED_RETRY_COST)
        self.assertMoney('sum(vendor_cost_usd_total{vendor="mailer",unit="emails"})', EXPECTED_VENDOR_COST)
        self.assertEqual(self.scalar('sum(vendor_units_total{unit="emails"})'), 3)

    def test_tokens_by_type(self):
        result = self.prometheus.query("sum by (type) (llm_tokens_total)")
        got = {r["metric"]["type"]: float(r["value"][1]) for r in result}
        want = {t: expected_tokens(t) for t in ("input", "output", "cached_input", "cache_write", "reasoning")}
        self.assertEqual(got, {t: float(v) for t, v in want.items()})

    def test_self_metrics_show_duplicates_rejections_unpriced(self):
        self.assertEqual(self.scalar("llm_cost_exporter_records_duplicate_total"), 2)
        self.assertEqual(self.scalar('llm_cost_exporter_records_rejected_total{reason="looks_like_email"}'), 1)
        self.assertEqual(self.scalar('llm_cost_exporter_records_rejected_total{reason="parts_exceed_whole"}'), 1)
        self.assertEqual(self.scalar('sum(llm_unpriced_records_total{model="acme-mystery",reason="unknown_model"})'), 1)
        self.assertEqual(self.scalar("sum(messages_sent_total)"), 1)
        self.assertEqual(self.scalar('sum(llm_requests_total{status="2xx"})'), 7)
        self.assertEqual(self.scalar("sum(span_latency_seconds_count)"), 7)

    def test_promtool_check_metrics_passes(self):
        text = self.exporter.metrics_text()
        run = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                             capture_output=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout.decode() + run.stderr.decode())


class CardinalityFolding(unittest.TestCase):
    def test_campaigns_beyond_limit_fold_into_overflow(self):
        exporter = harness.Exporter()  # fixture config: campaign_id limit 3
        try:
            records = [llm(f"fold_{i}", "acme-small", {"input": 100, "output": 0}, campaign_id=f"cmp_{i}")
                       for i in range(5)]
            status, answer = exporter.post_usage(records)
            self.assertEqual((status, answer["accepted"]), (200, 5))
            text = exporter.metrics_text()
            self.assertIn('campaign_id="__overflow__"', text)
            folded = [l for l in text.splitlines()
                      if l.startswith("llm_cost_exporter_series_folded_total") and 'label="campaign_id"' in l]
            self.assertEqual(len(folded), 1, text)
            self.assertGreaterEqual(float(folded[0].split()[-1]), 2)
        finally:
            exporter.stop()


class BodyLimitsAndErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.exporter = harness.Exporter()

    @classmethod
    def tearDownClass(cls):
        cls.exporter.stop()

    def test_not_json_is_400_with_position(self):
        status, _, body = harness.http("POST", self.exporter.url + "/v1/usage", '{"event": "x",,}',
                                       {"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        self.assertIn("byte", body.decode())

    def test_oversized_body_is_413_before_the_body_is_read(self):
        # Declares 2 MiB (fixture limit: 1 MiB) and sends none of it: the
        # answer must come from the header alone.
        with harness.socket.create_connection(("127.0.0.1", self.exporter.port), timeout=10) as s:
            s.sendall(b"POST /v1/usage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 2097152\r\n\r\n")
            status_line = s.makefile("rb").readline().decode()
        self.assertIn(" 413 ", status_line)

    def test_large_ndjson_sent_in_pieces_is_answered_whole_on_a_kept_connection(self):
        # ~700 KB of NDJSON: above the 256 KiB part size, so the exporter
        # ingests it in parts (IngestPipeline::Stream). Sent in 16 KiB
        # pieces by a slow client; bad records sit in the first, a middle and
        # the last part, and the answer must number them as for the body in
        # one piece. A second request on the same connection proves the
        # connection is still usable.
        lines = []
        bad = {5, 1200, 2399}
        for i in range(2400):
            record = llm(f"evt_stream_{i}", "acme-large", USAGE_6, campaign_id="cmp_stream")
            if i in bad:
                record["token_usage"] = {"input": -1, "output": 5}
            lines.append(json.dumps(record))
        body = ("\n".join(lines) + "\n").encode()
        self.assertGreater(len(body), 600_000)
        head = (b"POST /v1/usage HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")

        def answer_of(reader):
            status_line = reader.readline().decode()
            length = 0
            while True:
                header = reader.readline().decode().strip()
                if not header:
                    break
                name, _, value = header.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            return int(status_line.split()[1]), json.loads(reader.read(length))

        with harness.socket.create_connection(("127.0.0.1", self.exporter.port), timeout=20) as s:
            reader = s.makefile("rb")
            s.sendall(head)
            for at in range(0, len(body), 16 * 1024):
                s.sendall(body[at:at + 16 * 1024])
                time.sleep(0.002)  # a slow client: the body arrives over ~0.1 s
            status, answer = answer_of(reader)
            self.assertEqual(status, 200, answer)
            self.assertEqual((answer["accepted"], answer["rejected"]), (2400 - len(bad), len(bad)))
            self.assertEqual([e["index"] for e in answer["errors"]], sorted(bad))
            s.sendall(head + body)  # the same records again: all duplicates, on the same connection
            status, again = answer_of(reader)
            self.assertEqual((status, again["accepted"], again["duplicate"]), (200, 0, 2400 - len(bad)))

    def test_all_rejected_is_400_and_unknown_path_404(self):
        status, answer = self.exporter.post_usage([{"event": "llm.call", "model": "acme-small"}])
        self.assertEqual((status, answer["rejected"]), (400, 1))
        self.assertEqual(harness.http("GET", self.exporter.url + "/nope")[0], 404)
        self.assertEqual(harness.http("GET", self.exporter.url + "/v1/usage")[0], 405)


class ReloadAndShutdown(unittest.TestCase):
    def test_reload_keeps_old_config_on_error_and_sigterm_exits_cleanly(self):
        workdir = tempfile.mkdtemp(prefix="lce-reload-")
        config = os.path.join(workdir, "exporter.yml")
        pricing = os.path.join(workdir, "pricing")
        shutil.copy(os.path.join(harness.FIXTURES, "config", "exporter.yml"), config)
        shutil.copytree(os.path.join(harness.FIXTURES, "pricing"), pricing)
        exporter = harness.Exporter(config=config, pricing=pricing)
        try:
            self.assertEqual(harness.http("POST", exporter.url + "/-/reload")[0], 200)
            self.assertIn("llm_cost_exporter_config_last_reload_successful 1", exporter.metrics_text())

            with open(os.path.join(pricing, "broken.yaml"), "w") as f:
                f.write("provider: broken\ncurrency: USD\nversions:\n  - effective_from: 2026-01-01\n"
                        "    models:\n      m:\n        per_million_tokens: {input: -1, output: 1}\n")
            status, _, body = harness.http("POST", exporter.url + "/-/reload")
            self.assertEqual(status, 500)
            self.assertIn("broken.yaml", body.decode())
            self.assertIn("llm_cost_exporter_config_last_reload_successful 0", exporter.metrics_text())
            # The old tables stay in force: acme still prices.
            status, answer = exporter.post_usage([llm("r1", "acme-small", {"input": 1000, "output": 0})])
            self.assertEqual((status, answer["accepted"], answer["unpriced"]), (200, 1, 0))

            # SIGHUP after fixing the file reloads successfully.
            os.remove(os.path.join(pricing, "broken.yaml"))
            exporter.signal(harness.signal.SIGHUP)
            harness.wait_until(lambda: "llm_cost_exporter_config_last_reload_successful 1" in exporter.metrics_text(),
                               10, "SIGHUP reload")
        finally:
            exporter.signal(harness.signal.SIGTERM)
            self.assertEqual(exporter.wait(timeout=15), 0)
            self.assertIn("shutdown complete", exporter.output())
            exporter.stop()
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
