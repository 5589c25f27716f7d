"""End to end: OTLP/HTTP traces (JSON and protobuf, gzip or not) into the real exporter.

Posts an ExportTraceServiceRequest shaped exactly like
@opentelemetry/exporter-trace-otlp-http sends it (resourceSpans / scopeSpans,
hex ids, nanosecond times as strings, intValue as a string; one count as a
JSON number, which proto3 JSON also allows) with GenAI spans of each naming
generation, a plain HTTP span and a span with a bad value, then checks
/metrics exactly: the priced cost (derived here with Decimal from the price
tables, independently of the exporter), the tokens, the golden signals of the
plain span, the partial-success answer, and that sending the body again
counts nothing twice. OtlpTracesProtobuf does the same for protobuf bodies
encoded here by hand from the specification's field numbers, gzip-compressed
or not, with protobuf answers (partial success, google.rpc.Status), and
zip bombs. The expected mapping is docs/otlp.md.
"""
import gzip
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
        # The span's response model is the dated alias acme-large-2026-01-01; series are
        # labelled with the model as priced, the table's name acme-large (docs/metrics.md).
        m = self.metrics_1
        self.assertMoney(m[key("llm_cost_usd_total", service="email_orchestrator", campaign_id="cmp_otlp_a",
                               vendor="acme-ai", model="acme-large")],
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
                  "model": "acme-large"}, CURRENT),
                ({"service": "email_orchestrator", "campaign_id": "cmp_otlp_b", "vendor": "acme-ai",
                  "model": "acme-small"}, OLDER),
                ({"service": "lead_scorer", "campaign_id": "", "vendor": "anthropic", "model": "claude-test-4"},
                 ANTHROPIC)):
            for token_type, count in usage.items():
                self.assertEqual(m[key("llm_tokens_total", type=token_type, **labels)], count,
                                 f"{labels} {token_type}")
        self.assertEqual(m[key("llm_requests_total", service="email_orchestrator", operation="chat",
                               vendor="acme-ai", model="acme-large", status="2xx")], 1)
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
        # Status ERROR (and HTTP 503) without a vendor: an error by service and
        # operation, and in no vendor family; every latency series has an error sample.
        self.assertEqual(m[key("span_errors_total", service="email_orchestrator", operation="GET_/v1/leads")], 1)
        self.assertEqual(m[key("span_errors_total", service="email_orchestrator", operation="chat")], 0)
        self.assertEqual(m[key("span_errors_total", service="lead_scorer", operation="anthropic.chat")], 0)
        self.assertFalse([k for k in m if k[0] == "vendor_errors_total"])
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
        status, _, _ = self.post(json.dumps(BODY), extra_headers={"Content-Encoding": "br"})
        self.assertEqual(status, 415)
        status, _, answer = self.post(json.dumps(BODY), content_type="text/plain")
        self.assertEqual(status, 415)
        self.assertIn("application/x-protobuf", answer["message"])
        # Not gzip, or truncated gzip: 400.
        status, _, answer = self.post(json.dumps(BODY), extra_headers={"Content-Encoding": "gzip"})
        self.assertEqual((status, answer["code"]), (400, 3))
        self.assertIn("gzip", answer["message"])
        status, _, _ = self.post(gzip.compress(json.dumps(BODY).encode())[:-4], extra_headers={"Content-Encoding": "gzip"})
        self.assertEqual(status, 400)

    def test_gzip_bodies_count_once_with_the_plain_ones(self):
        # BODY gzip-compressed is the same request: every span already counted.
        before = samples(self.exporter.metrics_text())
        status, _, answer = self.post(gzip.compress(json.dumps(BODY).encode()), extra_headers={"Content-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(answer["partialSuccess"]["rejectedSpans"], 1)
        after = samples(self.exporter.metrics_text())
        for name, delta in (("llm_cost_exporter_records_accepted_total", 0),
                            ("llm_cost_exporter_records_duplicate_total", 4)):
            self.assertEqual(after[key(name)] - before[key(name)], delta, name)

    def test_a_zip_bomb_gets_413(self):
        # 64 MiB of JSON whitespace compress to about 64 KiB; the limit (1 MiB) applies after decompression.
        bomb = gzip.compress(b"{" + b" " * (64 << 20) + b"}", compresslevel=9)
        self.assertLess(len(bomb), 1 << 20)
        status, _, answer = self.post(bomb, extra_headers={"Content-Encoding": "gzip"})
        self.assertEqual((status, answer["code"]), (413, 8))
        self.assertEqual(answer["message"], "decompressed request body exceeds server.max_body_bytes (1048576 bytes)")
        self.assertEqual(self.exporter.proc.poll(), None)


# --- protobuf, encoded here by hand from the OTLP specification's field numbers ---

def pb_varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def pb_len(field, payload):
    payload = payload.encode() if isinstance(payload, str) else payload
    return pb_varint(field << 3 | 2) + pb_varint(len(payload)) + payload


def pb_int(field, value):
    return pb_varint(field << 3) + pb_varint(value & 0xFFFFFFFFFFFFFFFF)


def pb_fixed64(field, value):
    return pb_varint(field << 3 | 1) + value.to_bytes(8, "little")


def pb_read_varint(data, pos):
    value, shift = 0, 0
    while True:
        value |= (data[pos] & 0x7F) << shift
        shift += 7
        pos += 1
        if not data[pos - 1] & 0x80:
            return value, pos


def pb_read(data):
    """{field: [values]} of one message: varints as ints, length-delimited as bytes."""
    out, pos = {}, 0
    while pos < len(data):
        tag, pos = pb_read_varint(data, pos)
        field, wire = tag >> 3, tag & 7
        value, pos = pb_read_varint(data, pos)
        if wire == 2:
            value, pos = data[pos:pos + value], pos + value
        elif wire != 0:
            raise ValueError(f"wire type {wire}")
        out.setdefault(field, []).append(value)
    return out


def pb_kv(k, v):  # KeyValue {key 1, value 2}; AnyValue {string_value 1, int_value 3}
    return pb_len(1, k) + pb_len(2, pb_len(1, v) if isinstance(v, str) else pb_int(3, v))


def pb_span(span_id_hex, name, attributes, duration_ms):
    # Span {trace_id 1, span_id 2, name 5, kind 6, start 7, end 8, attributes 9, status 15}
    return (pb_len(1, bytes.fromhex("6b8efff798038103d269b633813fc60c")) + pb_len(2, bytes.fromhex(span_id_hex))
            + pb_len(5, name) + pb_int(6, 3) + pb_fixed64(7, START_NS)
            + pb_fixed64(8, START_NS + duration_ms * 1_000_000)
            + b"".join(pb_len(9, pb_kv(k, v)) for k, v in attributes) + pb_len(15, pb_int(3, 0)))


PB_USAGE = {"input": 2400, "output": 600, "cached_input": 400}
PB_BODY = pb_len(1, pb_len(1, pb_len(1, pb_kv("service.name", "proto_service")))  # resource
                 + pb_len(2, pb_len(1, pb_len(1, "scope")) + pb_len(2, pb_span("aaa19b7ec3c1b171", "chat", [
                     ("gen_ai.operation.name", "chat"), ("gen_ai.provider.name", "acme-ai"),
                     ("gen_ai.request.model", "acme-large"), ("gen_ai.usage.input_tokens", 2400),
                     ("gen_ai.usage.output_tokens", 600), ("gen_ai.usage.cache_read_input_tokens", 400),
                     ("campaign_id", "cmp_proto")], 500)) + pb_len(2, pb_span("aaa19b7ec3c1b172", "chat", [
                         ("gen_ai.provider.name", "acme-ai"), ("gen_ai.request.model", "acme-large"),
                         ("gen_ai.usage.input_tokens", -5)], 5))))


class OtlpTracesProtobuf(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.exporter = harness.Exporter()

    @classmethod
    def tearDownClass(cls):
        cls.exporter.stop()

    def post(self, body, encoding=None):
        headers = {"Content-Type": "application/x-protobuf"}
        if encoding:
            headers["Content-Encoding"] = encoding
        return harness.http("POST", self.exporter.url + "/v1/traces", body, headers)

    def test_protobuf_spans_are_priced_and_answered_in_protobuf(self):
        status, headers, payload = self.post(gzip.compress(PB_BODY), encoding="gzip")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/x-protobuf")
        # ExportTraceServiceResponse {partial_success 1 {rejected_spans 1, error_message 2}}
        partial = pb_read(pb_read(payload)[1][0])
        self.assertEqual(partial[1], [1])
        self.assertEqual(partial[2], [b'span 1: attribute "gen_ai.usage.input_tokens": must not be negative'])
        m = samples(self.exporter.metrics_text())
        labels = {"service": "proto_service", "campaign_id": "cmp_proto", "vendor": "acme-ai", "model": "acme-large"}
        self.assertMoney(m[key("llm_cost_usd_total", **labels)], token_cost(ACME_LARGE, PB_USAGE))
        for token_type, count in PB_USAGE.items():
            self.assertEqual(m[key("llm_tokens_total", type=token_type, **labels)], count)
        # The same spans again, uncompressed: nothing counted twice; a protobuf
        # request with nothing rejected gets an empty response message.
        status, _, payload = self.post(PB_BODY)
        self.assertEqual((status, pb_read(pb_read(payload)[1][0])[1]), (200, [1]))
        self.assertEqual(samples(self.exporter.metrics_text())[key("llm_cost_usd_total", **labels)],
                         m[key("llm_cost_usd_total", **labels)])
        status, _, payload = self.post(b"")
        self.assertEqual((status, payload), (200, b""))

    def test_malformed_protobuf_gets_a_protobuf_status(self):
        for body in (PB_BODY[:-3], b"\x0a\xff\xff\xff\xff\x0f", b"{\"resourceSpans\": []}", bytes(range(256))):
            status, headers, payload = self.post(body)
            self.assertEqual(status, 400, body[:20])
            self.assertEqual(headers["Content-Type"], "application/x-protobuf")
            answer = pb_read(payload)  # google.rpc.Status {code 1, message 2}
            self.assertEqual(answer[1], [3])
            self.assertTrue(answer[2][0].startswith(b"invalid ExportTraceServiceRequest"), answer)
        self.assertEqual(self.exporter.proc.poll(), None)

    def test_a_protobuf_zip_bomb_gets_413_in_protobuf(self):
        status, headers, payload = self.post(gzip.compress(bytes(8 << 20), compresslevel=9), encoding="gzip")
        self.assertEqual(status, 413)
        self.assertEqual(headers["Content-Type"], "application/x-protobuf")
        self.assertEqual(pb_read(payload)[1], [8])

    def assertMoney(self, got, expected):
        self.assertTrue(math.isclose(got, float(expected), rel_tol=1e-12), f"got {got}, want {expected}")


if __name__ == "__main__":
    unittest.main()
