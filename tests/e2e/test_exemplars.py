"""End to end: trace and span ids as OpenMetrics exemplars, through a real Prometheus.

Starts the real exporter and a real Prometheus (--enable-feature=exemplar-storage,
which makes it negotiate OpenMetrics), posts an OTLP span and a /v1/usage
record that carry trace ids (and one record that carries none), and checks
through /api/v1/query_exemplars that the cost sample's exemplar names the
sent trace and span with the record's exact cost (derived here with Decimal
from the fixture price table), and that the request and latency-bucket
samples carry exemplars too. Also checks the negotiation itself: the text
format (no exemplars, byte-compatible with the golden test) without an
OpenMetrics Accept header, OpenMetrics ending in "# EOF" with one.
"""
import copy
import json
import time
import unittest
import urllib.parse
from decimal import Decimal

import harness
from test_otlp_traces import ACME_SMALL, START_NS, i, resource, s, span, token_cost

PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;"
                     "q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.1")
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"

OTLP_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
OTLP_SPAN = "00f067aa0ba902b7"
OTLP_USAGE = {"input": 4000, "output": 300}
OTLP_SPAN_BODY = dict(span(OTLP_SPAN, "chat acme-small", [
    s("gen_ai.provider.name", "acme-ai"), s("gen_ai.request.model", "acme-small"),
    i("gen_ai.usage.input_tokens", 4000), i("gen_ai.usage.output_tokens", 300)], 250), traceId=OTLP_TRACE)
OTLP_BODY = {"resourceSpans": [{"resource": resource("email_orchestrator", s("campaign_id", "cmp_exemplar_otlp")),
                                "scopeSpans": [{"scope": {"name": "subject-writer"}, "spans": [OTLP_SPAN_BODY]}]}]}

USAGE_TRACE = "0af7651916cd43dd8448eb211c80319c"
USAGE_SPAN = "b7ad6b7169203331"
USAGE = {"input": 2000, "output": 1000}


def usage_record(event_id, **extra):
    record = {"event": "llm.call", "event_id": event_id, "timestamp": "2026-03-01T12:00:00Z",
              "service": "lead_scorer", "operation": "llm.score_lead", "campaign_id": "cmp_exemplar_usage",
              "vendor": "acme-ai", "model": "acme-small", "token_usage": USAGE, "vendor_status": 200,
              "latency_ms": 842}
    record.update(extra)
    return record


class Exemplars(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.exporter = harness.Exporter()
        cls.prometheus = None
        try:
            target = urllib.parse.urlparse(cls.exporter.url).netloc
            cls.prometheus = harness.Prometheus([target], extra=["--enable-feature=exemplar-storage"])
            status, _, payload = harness.http("POST", cls.exporter.url + "/v1/traces", json.dumps(OTLP_BODY),
                                              {"Content-Type": "application/json"})
            assert status == 200, payload
            # The traced record, then one without ids in the same series: the exemplar stays the traced one.
            status, answer = cls.exporter.post_usage([
                usage_record("evt_exemplar_1", trace_id=USAGE_TRACE, span_id=USAGE_SPAN),
                usage_record("evt_exemplar_2")])
            assert status == 200 and answer["accepted"] == 2, answer
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.prometheus:
            cls.prometheus.stop()
        cls.exporter.stop()

    def exemplars(self, query):
        """{trace_id: (series labels, exemplar)} of query_exemplars over the last hour, once any is there."""
        def fetch():
            now = time.time()
            url = self.prometheus.url + "/api/v1/query_exemplars?" + urllib.parse.urlencode(
                {"query": query, "start": now - 3600, "end": now + 60})
            status, _, payload = harness.http("GET", url)
            answer = json.loads(payload)
            assert status == 200 and answer["status"] == "success", payload
            found = {e["labels"]["trace_id"]: (series["seriesLabels"], e)
                     for series in answer["data"] for e in series["exemplars"]}
            return found if {OTLP_TRACE, USAGE_TRACE} <= found.keys() else None
        return harness.wait_until(fetch, 30, f"exemplars of {query}", interval=0.5)

    def test_cost_exemplars_name_the_trace_with_the_exact_cost(self):
        found = self.exemplars("llm_cost_usd_total")
        labels, exemplar = found[OTLP_TRACE]
        self.assertEqual(labels["campaign_id"], "cmp_exemplar_otlp")
        self.assertEqual(exemplar["labels"], {"trace_id": OTLP_TRACE, "span_id": OTLP_SPAN})
        self.assertEqual(Decimal(exemplar["value"]), token_cost(ACME_SMALL, OTLP_USAGE))
        labels, exemplar = found[USAGE_TRACE]
        self.assertEqual(labels["campaign_id"], "cmp_exemplar_usage")
        self.assertEqual(exemplar["labels"], {"trace_id": USAGE_TRACE, "span_id": USAGE_SPAN})
        self.assertEqual(Decimal(exemplar["value"]), token_cost(ACME_SMALL, USAGE))
        # Only the records' ids: never another trace, never a label of the series.
        self.assertEqual(found.keys(), {OTLP_TRACE, USAGE_TRACE})
        self.assertNotIn("trace_id", labels)
        # The timestamp is when the exporter counted the record (not the record's own time in March).
        self.assertLess(abs(exemplar["timestamp"] - time.time()), 600)

    def test_request_and_latency_bucket_exemplars(self):
        requests = self.exemplars("llm_requests_total")
        self.assertEqual(requests[USAGE_TRACE][0]["status"], "2xx")
        self.assertEqual(Decimal(requests[USAGE_TRACE][1]["value"]), 1)
        buckets = self.exemplars("span_latency_seconds_bucket")
        labels, exemplar = buckets[USAGE_TRACE]
        self.assertEqual((labels["operation"], labels["le"]), ("llm.score_lead", "1"))  # 842 ms
        self.assertEqual(Decimal(exemplar["value"]), Decimal("0.842"))
        labels, exemplar = buckets[OTLP_TRACE]
        self.assertEqual(labels["le"], "0.25")  # 250 ms: on the bound
        self.assertEqual(Decimal(exemplar["value"]), Decimal("0.25"))

    def test_negotiation(self):
        status, headers, body = harness.http("GET", self.exporter.url + "/metrics",
                                             headers={"Accept": PROMETHEUS_ACCEPT})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], OPENMETRICS)
        self.assertEqual(headers["Vary"], "Accept, Accept-Encoding")
        self.assertNotIn("Content-Encoding", headers)  # not asked for
        text = body.decode()
        self.assertTrue(text.endswith("\n# EOF\n"))
        self.assertIn("# TYPE llm_cost_usd counter\n", text)
        self.assertIn(f'# {{trace_id="{OTLP_TRACE}",span_id="{OTLP_SPAN}"}} ', text)
        for accept in (None, "text/plain;version=0.0.4", "*/*"):
            status, headers, body = harness.http("GET", self.exporter.url + "/metrics",
                                                 headers={"Accept": accept} if accept else {})
            self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
            self.assertNotIn(" # {", body.decode())
            self.assertNotIn("# EOF", body.decode())
            self.assertIn("# TYPE llm_cost_usd_total counter\n", body.decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
