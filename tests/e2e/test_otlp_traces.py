"""End to end: OTLP/HTTP JSON traces into the real exporter.

Posts an ExportTraceServiceRequest shaped exactly like
@opentelemetry/exporter-trace-otlp-http sends it (resourceSpans / scopeSpans,
hex ids, nanosecond times as strings, intValue as a string; one count as a
JSON number, which proto3 JSON also allows) with GenAI spans of each naming
generation, a plain HTTP span and a span with a bad value, then checks
/metrics exactly: the priced cost (derived here with Decimal from the price
tables, independently of the exporter), the tokens, the golden signals of the
plain span, the partial-success answer, and that sending the body again
counts nothing twice. The expected mapping is docs/otlp.md.
"""
import json
import math
import os
import re
import shutil
import tempfile
import unittest
from decimal import Decimal

import harness

M = Decimal(1_000_000)
# Mirrors fixtures/pricing/acme.yaml (version from 2026-01-01), USD per million tokens.
ACME_LARGE = {"input": Decimal("3.00"), "output": Decimal("15.00"), "cached_input": Decimal("0.30"),
              "cache_write": Decimal("3.75")}
ACME_SMALL = {"input": Decimal("0.0375"), "output": Decimal("0.15"), "cached_input": Decimal("0.0375"),
              "cache_write": Decimal("0.0375")}
# A test-only Anthropic table written next to the fixtures by this test.
ANTHROPIC_TABLE = """provider: anthropic
currency: USD
versions:
  - effective_from: 2025-09-29
    models:
      claude-test-4:
        per_million_tokens: {input: 3.00, output: 15.00, cached_input: 0.30, cache_write: 3.75}
"""
CLAUDE_TEST = {"input": Decimal("3.00"), "output": Decimal("15.00"), "cached_input": Decimal("0.30"),
               "cache_write": Decimal("3.75")}

START_NS = 1772366400000000000  # 2026-03-01T12:00:00Z


def token_cost(prices, usage):
    """OpenAI convention: cached_input/cache_write are parts of input."""
    cached = usage.get("cached_input", 0)
    write = usage.get("cache_write", 0)
    uncached = usage["input"] - cached - write
    return (uncached * prices["input"] + cached * prices["cached_input"] + write * prices["cache_write"]
            + usage["output"] * prices["output"]) / M


def s(key, value):
    return {"key": key, "value": {"stringValue": value}}


def i(key, value):
    return {"key": key, "value": {"intValue": str(value)}}  # int64 as a JSON string


def span(span_id, name, attributes, duration_ms, status_code=0, kind=3):
    return {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": span_id, "name": name, "kind": kind,
            "startTimeUnixNano": str(START_NS), "endTimeUnixNano": str(START_NS + duration_ms * 1_000_000),
            "attributes": attributes, "droppedAttributesCount": 0, "events": [], "droppedEventsCount": 0,
            "status": {"code": status_code}, "links": [], "droppedLinksCount": 0}


def resource(service, *extra):
    return {"attributes": [s("service.name", service), s("telemetry.sdk.language", "nodejs"),
                           s("telemetry.sdk.name", "opentelemetry"), s("telemetry.sdk.version", "1.30.1"),
                           *extra],
            "droppedAttributesCount": 0}


# Current conventions (gen_ai.provider.name, input/output, cache and reasoning tokens).
CURRENT = {"input": 1000, "output": 500, "cached_input": 200, "cache_write": 100, "reasoning": 50}
SPAN_CURRENT = span("eee19b7ec3c1b174", "chat acme-large", [
    s("gen_ai.operation.name", "chat"), s("gen_ai.provider.name", "acme-ai"),
    s("gen_ai.request.model", "acme-large"), s("gen_ai.response.model", "acme-large-2026-01-01"),
    i("gen_ai.usage.input_tokens", 1000), {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 500}},
    i("gen_ai.usage.cache_read_input_tokens", 200), i("gen_ai.usage.cache_creation_input_tokens", 100),
    i("gen_ai.usage.reasoning_tokens", 50), i("http.response.status_code", 200),
    {"key": "gen_ai.request.temperature", "value": {"doubleValue": 0.7}}], 842)
# Older conventions (gen_ai.system, prompt/completion tokens), upper case vendor value.
OLDER = {"input": 4000, "output": 300}
SPAN_OLDER = span("eee19b7ec3c1b175", "chat acme-small", [
    s("gen_ai.system", "ACME-AI"), s("gen_ai.request.model", "acme-small"),
    i("gen_ai.usage.prompt_tokens", 4000), i("gen_ai.usage.completion_tokens", 300),
    s("campaign_id", "cmp_otlp_b")], 250)
# OpenLLMetry names for Anthropic: disjoint counts, added up by the mapping.
ANTHROPIC = {"input": 2000 + 10000, "output": 800, "cached_input": 10000}
SPAN_ANTHROPIC = span("eee19b7ec3c1b176", "anthropic.chat", [
    s("gen_ai.system", "Anthropic"), s("gen_ai.request.model", "claude-test-4"),
    i("llm.usage.prompt_tokens", 2000), i("llm.usage.completion_tokens", 800),
    i("llm.usage.cache_read_input_tokens", 10000)], 1500)
# A plain HTTP client span: golden signals only.
SPAN_PLAIN = span("eee19b7ec3c1b177", "GET /v1/leads", [
    s("http.request.method", "GET"), i("http.response.status_code", 503)], 120, status_code=2)
# A span with personal data in a label-bound attribute: rejected alone.
SPAN_BAD = span("eee19b7ec3c1b178", "chat acme-large", [
    s("gen_ai.provider.name", "acme-ai"), s("gen_ai.request.model", "acme-large"),
    i("gen_ai.usage.input_tokens", 1), i("gen_ai.usage.output_tokens", 1),
    s("campaign_id", "jane.doe@example.com")], 10)

BODY = {"resourceSpans": [
    {"resource": resource("email_orchestrator", s("campaign_id", "cmp_otlp_a")),
     "scopeSpans": [{"scope": {"name": "subject-writer", "version": "1.0.0"},
                     "spans": [SPAN_CURRENT, SPAN_OLDER, SPAN_PLAIN, SPAN_BAD]}]},
    {"resource": resource("lead_scorer"),
     "scopeSpans": [{"scope": {"name": "@traceloop/instrumentation-anthropic", "version": "0.11.0"},
                     "spans": [SPAN_ANTHROPIC]}]},
]}

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def samples(text):
    """{(name, frozenset(labels)): value} of an exposition."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and not line.startswith("#"):
            out[(m.group(1), frozenset(LABEL.findall(m.group(3) or "")))] = float(m.group(4))
    return out


def key(name, **labels):
    return (name, frozenset(labels.items()))


class OtlpTraces(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pricing = tempfile.mkdtemp(prefix="lce-otlp-pricing-")
        for name in os.listdir(os.path.join(harness.FIXTURES, "pricing")):
            shutil.copy(os.path.join(harness.FIXTURES, "pricing", name), cls.pricing)
        with open(os.path.join(cls.pricing, "anthropic.yaml"), "w") as f:
            f.write(ANTHROPIC_TABLE)
        cls.exporter = harness.Exporter(pricing=cls.pricing)
        cls.answer_1 = cls.post(json.dumps(BODY))
        cls.metrics_1 = samples(cls.exporter.metrics_text())
        cls.answer_2 = cls.post(json.dumps(BODY))
        cls.metrics_2 = samples(cls.exporter.metrics_text())

    @classmethod
    def tearDownClass(cls):
        cls.exporter.stop()
        shutil.rmtree(cls.pricing, ignore_errors=True)

    @classmethod
    def post(cls, body, content_type="application/json", extra_headers=None):
        headers = {"Content-Type": content_type, **(extra_headers or {})}
        status, resp_headers, payload = harness.http("POST", cls.exporter.url + "/v1/traces", body, headers)
        return status, resp_headers, json.loads(payload)

    def assertMoney(self, got, expected):
        self.assertTrue(math.isclose(got, float(expected), rel_tol=1e-12), f"got {got}, want {expected}")

    def test_partial_success_names_the_bad_span(self):
        status, headers, answer = self.answer_1
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("application/json"))
        self.assertEqual(set(answer), {"partialSuccess"})
        self.assertEqual(answer["partialSuccess"]["rejectedSpans"], 1)
        self.assertEqual(answer["partialSuccess"]["errorMessage"],
                         'span 3: attribute "campaign_id": looks like an e-mail address; send hash_email instead')

    def test_priced_cost_is_exact(self):
        m = self.metrics_1
        self.assertMoney(m[key("llm_cost_usd_total", service="email_orchestrator", campaign_id="cmp_otlp_a",
                               vendor="acme-ai", model="acme-large-2026-01-01")],
                         token_cost(ACME_LARGE, CURRENT))
        self.assertMoney(m[key("llm_cost_usd_total", service="email_orchestrator", campaign_id="cmp_otlp_b",
                               vendor="acme-ai", model="acme-small")],
                         token_cost(ACME_SMALL, OLDER))
        anthropic_cost = token_cost(CLAUDE_TEST, ANTHROPIC)
        self.assertEqual(anthropic_cost, Decimal("0.021"))  # 2000 x $3 + 10000 x $0.30 + 800 x $15 per million
        self.assertMoney(m[key("llm_cost_usd_total", service="lead_scorer", campaign_id="",
                               vendor="anthropic", model="claude-test-4")], anthropic_cost)
        total = sum(v for (name, _), v in m.items() if name == "llm_cost_usd_total")
        self.assertMoney(total, token_cost(ACME_LARGE, CURRENT) + token_cost(ACME_SMALL, OLDER) + anthropic_cost)

    def test_tokens_follow_the_openai_convention(self):
        m = self.metrics_1
        for labels, usage in (
                ({"service": "email_orchestrator", "campaign_id": "cmp_otlp_a", "vendor": "acme-ai",
                  "model": "acme-large-2026-01-01"}, CURRENT),
                ({"service": "email_orchestrator", "campaign_id": "cmp_otlp_b", "vendor": "acme-ai",
                  "model": "acme-small"}, OLDER),
                ({"service": "lead_scorer", "campaign_id": "", "vendor": "anthropic", "model": "claude-test-4"},
                 ANTHROPIC)):
            for token_type, count in usage.items():
                self.assertEqual(m[key("llm_tokens_total", type=token_type, **labels)], count,
                                 f"{labels} {token_type}")
        self.assertEqual(m[key("llm_requests_total", service="email_orchestrator", operation="chat",
                               vendor="acme-ai", model="acme-large-2026-01-01", status="2xx")], 1)
        # No gen_ai.operation.name: the span name, spaces as underscores.
        self.assertEqual(m[key("llm_requests_total", service="email_orchestrator", operation="chat_acme-small",
                               vendor="acme-ai", model="acme-small", status="unknown")], 1)

    def test_plain_span_feeds_golden_signals(self):
        m = self.metrics_1
        self.assertEqual(m[key("span_latency_seconds_count", service="email_orchestrator",
                               operation="GET_/v1/leads")], 1)
        self.assertMoney(m[key("span_latency_seconds_sum", service="email_orchestrator",
                               operation="GET_/v1/leads")], Decimal("0.12"))
        self.assertMoney(m[key("span_latency_seconds_sum", service="email_orchestrator", operation="chat")],
                         Decimal("0.842"))
        self.assertEqual(m[key("business_events_total", event="span", campaign_id="cmp_otlp_a", audience_id="")], 1)
        self.assertEqual(m[key("llm_cost_exporter_records_accepted_total")], 4)
        self.assertEqual(m[key("llm_cost_exporter_records_rejected_total", reason="looks_like_email")], 1)

    def test_sending_again_counts_nothing_twice(self):
        status, _, answer = self.answer_2
        self.assertEqual(status, 200)
        self.assertEqual(answer["partialSuccess"]["rejectedSpans"], 1)
        changed = {k: (v, self.metrics_2.get(k)) for k, v in self.metrics_1.items()
                   if self.metrics_2.get(k) != v and not k[0].startswith("llm_cost_exporter_")}
        self.assertEqual(changed, {})
        self.assertEqual(self.metrics_2[key("llm_cost_exporter_records_duplicate_total")], 4)
        self.assertEqual(self.metrics_2[key("llm_cost_exporter_records_accepted_total")], 4)

    def test_all_accepted_answers_an_empty_response(self):
        body = {"resourceSpans": [{"resource": resource("email_orchestrator"), "scopeSpans": [
            {"scope": {"name": "x"}, "spans": [span("fff19b7ec3c1b179", "GET /health", [], 3)]}]}]}
        self.assertEqual(self.post(json.dumps(body))[::2], (200, {}))
        self.assertEqual(self.post(json.dumps({}))[::2], (200, {}))

    def test_bad_requests_get_an_otlp_status(self):
        status, _, answer = self.post('{"resourceSpans": [')
        self.assertEqual(status, 400)
        self.assertEqual(answer["code"], 3)
        self.assertTrue(answer["message"].startswith("invalid JSON"), answer)
        status, _, answer = self.post('{"resourceSpans": {}}')
        self.assertEqual((status, answer["code"]), (400, 3))
        self.assertIn("resourceSpans", answer["message"])
        status, _, answer = self.post(b"\x0a\x00", content_type="application/x-protobuf")
        self.assertEqual(status, 415)
        self.assertIn("protobuf", answer["message"])
        status, _, _ = self.post(json.dumps(BODY), extra_headers={"Content-Encoding": "gzip"})
        self.assertEqual(status, 415)
        status, _, _ = self.post(json.dumps(BODY), content_type="text/plain")
        self.assertEqual(status, 415)


if __name__ == "__main__":
    unittest.main()
