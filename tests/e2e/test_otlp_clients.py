"""End to end: real OpenTelemetry clients from npm send traces to the exporter.

Spans come from code nobody here wrote, installed from the npm registry with
the exact versions of tests/otel-clients/package-lock.json (`npm ci`, run by
scripts/test.sh; the first test here runs it too when node_modules is
missing):

- OtlpJsSdk: the official OpenTelemetry JS SDK (@opentelemetry/sdk-trace-base)
  with both official OTLP/HTTP exporters, @opentelemetry/exporter-trace-otlp-http
  (JSON) and @opentelemetry/exporter-trace-otlp-proto (protobuf), each
  uncompressed and with `compression: 'gzip'`, sends GenAI spans of both
  naming generations, a plain HTTP span and a span with personal data. The
  cost and tokens in /metrics are checked exactly against Decimal sums of the
  price table, and the exporters' log shows they decoded the partial success
  answer. A capture server checks first that the wire framing really is
  gzip-compressed JSON and protobuf.
- OtlpOpenAIInstrumentation: the official `openai` client, instrumented by
  OpenInference's @arizeai/openinference-instrumentation-openai, calls a mock
  of the chat completions API served here; the instrumentation's spans
  (llm.model_name, llm.system, llm.token_count.*) go through the official
  exporters; the tokens the mock reported (with cached and reasoning tokens)
  must come out priced exactly.
"""
import fcntl
import gzip
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest
from decimal import Decimal

import harness
from test_otlp_traces import ACME_LARGE, ACME_SMALL, LABEL, SAMPLE, START_NS, key, samples, token_cost

CLIENTS = os.path.join(harness.REPO, "tests", "otel-clients")


def node():
    path = shutil.which("node") or shutil.which("nodejs")
    if not path:
        raise AssertionError("node is not installed (Debian packages nodejs npm)")
    return path


def ensure_clients():
    """`npm ci` in tests/otel-clients once, when node_modules is missing or
    older than the lock file. A file lock keeps parallel test classes apart."""
    with open(os.path.join(tempfile.gettempdir(), "lce-otel-clients.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = os.path.join(CLIENTS, "node_modules", ".package-lock.json")
        lock_file = os.path.join(CLIENTS, "package-lock.json")
        if os.path.exists(marker) and os.path.getmtime(marker) >= os.path.getmtime(lock_file):
            return
        npm = shutil.which("npm")
        if not npm:
            raise AssertionError("npm is not installed (Debian packages nodejs npm)")
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CLIENTS,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise AssertionError(f"npm ci failed in {CLIENTS}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def run_node(script, *args, timeout=60):
    done = subprocess.run([node(), script, *args], cwd=CLIENTS, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"{script} {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def exact(printed, sample_key):
    """A sample's value as the exposition printed it, as a Decimal."""
    return Decimal(printed[sample_key])


def text_samples(text):
    """Like test_otlp_traces.samples, but values kept as printed."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and not line.startswith("#"):
            out[(m.group(1), frozenset(LABEL.findall(m.group(3) or "")))] = m.group(4)
    return out


class CaptureServer:
    """Records the path, headers (names lower-cased) and raw body of each
    POST; answers an empty 200 in the request's content type (an OTLP
    success) unless `answer` says otherwise."""

    def __init__(self, answer=lambda headers, body: (200, headers.get("Content-Type", ""), b"")):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def read_body(self):
                if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                    return self.rfile.read(int(self.headers.get("Content-Length", 0)))
                # The JS exporters stream gzip bodies: chunked, no Content-Length.
                body = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return body
                    body += self.rfile.read(size)
                    self.rfile.readline()

            def do_POST(self):
                body = self.read_body()
                headers = {name.lower(): value for name, value in self.headers.items()}
                outer.requests.append((self.path, headers, body))
                status, ctype, payload = answer(self.headers, body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# Per client run: the same four spans, each run under its own service.
CURRENT = {"input": 1000, "output": 500, "cached_input": 200, "cache_write": 100, "reasoning": 50}
OLDER = {"input": 4000, "output": 300}
RUNS = [("json", False, "js_json"), ("json", True, "js_json_gzip"), ("proto", False, "js_proto"),
        ("proto", True, "js_proto_gzip")]


def spans_file(service):
    spec = {"resource": {"service.name": service, "campaign_id": "cmp_js_a", "deployment.environment": "e2e"},
            "spans": [
                {"name": "chat acme-large", "start_ns": str(START_NS), "duration_ms": 842, "attributes": {
                    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "acme-ai",
                    "gen_ai.request.model": "acme-large", "gen_ai.response.model": "acme-large-2026-01-01",
                    "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 500,
                    "gen_ai.usage.cache_read_input_tokens": 200, "gen_ai.usage.cache_creation_input_tokens": 100,
                    "gen_ai.usage.reasoning_tokens": 50, "http.response.status_code": 200,
                    "gen_ai.request.temperature": 0.7, "gen_ai.request.stream": False,
                    "gen_ai.response.finish_reasons": ["stop"]}},
                {"name": "chat acme-small", "start_ns": str(START_NS), "duration_ms": 250, "attributes": {
                    "gen_ai.system": "ACME-AI", "gen_ai.request.model": "acme-small",
                    "gen_ai.usage.prompt_tokens": 4000, "gen_ai.usage.completion_tokens": 300,
                    "campaign_id": "cmp_js_b"}},
                {"name": "GET /v1/leads", "start_ns": str(START_NS), "duration_ms": 120, "status": 2,
                 "attributes": {"http.request.method": "GET", "http.response.status_code": 503}},
                {"name": "chat acme-large", "start_ns": str(START_NS), "duration_ms": 10, "attributes": {
                    "gen_ai.provider.name": "acme-ai", "gen_ai.request.model": "acme-large",
                    "gen_ai.usage.input_tokens": 1, "gen_ai.usage.output_tokens": 1,
                    "campaign_id": "jane.doe@example.com"}},
            ]}
    fd, path = tempfile.mkstemp(prefix=f"lce-spans-{service}-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(spec, f)
    return path


PARTIAL = ('Received Partial Success response: {"rejectedSpans":1,"errorMessage":"span 3: attribute '
           '\\"campaign_id\\": looks like an e-mail address; send hash_email instead"}')


class Scraped:
    """Mixin: cls.metrics (floats) and cls.printed (as printed) of cls.exporter."""

    @classmethod
    def scrape(cls):
        text = cls.exporter.metrics_text()
        cls.metrics = samples(text)
        cls.printed = text_samples(text)


class OtlpJsSdk(Scraped, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ensure_clients()
        cls.files = {service: spans_file(service) for _, _, service in RUNS}
        # 1. The wire framing, seen by a capture server.
        capture = CaptureServer()
        try:
            for encoding in ("json", "proto"):
                run_node("sdk_spans.js", f"--url={capture.url}/v1/traces", f"--encoding={encoding}", "--gzip=1",
                         f"--spans={cls.files['js_json']}")
        finally:
            capture.stop()
        cls.captured = capture.requests
        # 2. The real exporter.
        cls.exporter = harness.Exporter()
        cls.runs = {}
        for encoding, gz, service in RUNS:
            cls.runs[service] = run_node("sdk_spans.js", f"--url={cls.exporter.url}/v1/traces",
                                         f"--encoding={encoding}", f"--gzip={int(gz)}",
                                         f"--spans={cls.files[service]}")
        cls.scrape()

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "exporter"):
            cls.exporter.stop()
        for path in getattr(cls, "files", {}).values():
            os.unlink(path)

    def test_exporters_send_gzip_json_and_protobuf(self):
        self.assertEqual(len(self.captured), 2)
        (path_j, headers_j, body_j), (path_p, headers_p, body_p) = self.captured
        self.assertEqual((path_j, path_p), ("/v1/traces", "/v1/traces"))
        self.assertEqual(headers_j["content-type"], "application/json")
        self.assertEqual(headers_p["content-type"], "application/x-protobuf")
        self.assertEqual(headers_j["content-encoding"], "gzip")
        self.assertEqual(headers_p["content-encoding"], "gzip")
        sent = json.loads(gzip.decompress(body_j))
        self.assertEqual(len(sent["resourceSpans"][0]["scopeSpans"][0]["spans"]), 4)
        self.assertIn(b"gen_ai.usage.input_tokens", gzip.decompress(body_p))

    def test_priced_cost_is_exact(self):
        # The span's response model is the dated alias acme-large-2026-01-01; series are
        # labelled with the model as priced, the table's name acme-large (docs/metrics.md).
        for _, _, service in RUNS:
            large = exact(self.printed, key("llm_cost_usd_total", service=service, campaign_id="cmp_js_a",
                                            vendor="acme-ai", model="acme-large"))
            self.assertEqual(large, token_cost(ACME_LARGE, CURRENT), service)
            small = exact(self.printed, key("llm_cost_usd_total", service=service, campaign_id="cmp_js_b",
                                            vendor="acme-ai", model="acme-small"))
            self.assertEqual(small, token_cost(ACME_SMALL, OLDER), service)
        # 700 uncached x $3 + 200 cache reads x $0.30 + 100 cache writes x $3.75 + 500 x $15, per million.
        self.assertEqual(token_cost(ACME_LARGE, CURRENT), Decimal("0.010035"))

    def test_tokens_and_requests(self):
        for _, _, service in RUNS:
            for model, campaign, usage in (("acme-large", "cmp_js_a", CURRENT),
                                           ("acme-small", "cmp_js_b", OLDER)):
                for token_type, count in usage.items():
                    self.assertEqual(self.metrics[key("llm_tokens_total", service=service, campaign_id=campaign,
                                                      vendor="acme-ai", model=model, type=token_type)], count,
                                     f"{service} {model} {token_type}")
            self.assertEqual(self.metrics[key("llm_requests_total", service=service, operation="chat",
                                              vendor="acme-ai", model="acme-large", status="2xx")], 1)
            self.assertEqual(self.metrics[key("span_latency_seconds_count", service=service,
                                              operation="GET_/v1/leads")], 1)
        self.assertEqual(self.metrics[key("llm_cost_exporter_records_accepted_total")], 3 * len(RUNS))
        self.assertEqual(self.metrics[key("llm_cost_exporter_records_rejected_total", reason="looks_like_email")],
                         len(RUNS))
        self.assertEqual(self.metrics[key("llm_cost_exporter_http_requests_total", code="200", handler="traces")],
                         len(RUNS))

    def test_exporters_decode_the_partial_success_answer(self):
        for _, _, service in RUNS:
            self.assertIn(PARTIAL, self.runs[service].stderr, service)
            self.assertEqual(json.loads(self.runs[service].stdout.strip().splitlines()[-1]), {"exported": 4})


# The mock's usage, as the OpenAI API reports it (cached and reasoning tokens are parts).
MOCK_USAGE = {"prompt_tokens": 1200, "completion_tokens": 80, "total_tokens": 1280,
              "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 16, "audio_tokens": 0}}
OPENAI_TABLE = """provider: openai
currency: USD
versions:
  - effective_from: 2025-01-01
    models:
      gpt-test-mini:
        per_million_tokens: {input: 0.15, output: 0.60, cached_input: 0.075}
"""
GPT_TEST_MINI = {"input": Decimal("0.15"), "output": Decimal("0.60"), "cached_input": Decimal("0.075"),
                 "cache_write": Decimal("0.15")}


def chat_completion(headers, body):
    request = json.loads(body)
    answer = {"id": "chatcmpl-e2e", "object": "chat.completion", "created": 1772366400, "model": request["model"],
              "system_fingerprint": "fp_e2e",
              "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                           "message": {"role": "assistant", "content": "Spring deals inside", "refusal": None}}],
              "usage": MOCK_USAGE}
    return 200, "application/json", json.dumps(answer).encode()


class OtlpOpenAIInstrumentation(Scraped, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ensure_clients()
        cls.pricing = tempfile.mkdtemp(prefix="lce-otlp-openai-pricing-")
        for name in os.listdir(os.path.join(harness.FIXTURES, "pricing")):
            shutil.copy(os.path.join(harness.FIXTURES, "pricing", name), cls.pricing)
        with open(os.path.join(cls.pricing, "openai.yaml"), "w") as f:
            f.write(OPENAI_TABLE)
        cls.mock = CaptureServer(chat_completion)
        cls.exporter = harness.Exporter(pricing=cls.pricing)
        cls.calls = {"writer_proto_gzip": ("proto", 1, 2), "writer_json": ("json", 0, 1)}
        cls.runs = {}
        for service, (encoding, gz, calls) in cls.calls.items():
            cls.runs[service] = run_node("openai_chat.js", f"--url={cls.exporter.url}/v1/traces",
                                         f"--encoding={encoding}", f"--gzip={gz}", f"--openai={cls.mock.url}/v1",
                                         f"--service={service}", "--campaign=cmp_openai", f"--calls={calls}")
        cls.scrape()

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "exporter"):
            cls.exporter.stop()
        if hasattr(cls, "mock"):
            cls.mock.stop()
        shutil.rmtree(cls.pricing, ignore_errors=True)

    def labels(self, service):
        return {"service": service, "campaign_id": "cmp_openai", "vendor": "openai", "model": "gpt-test-mini"}

    def test_the_client_called_the_mock(self):
        self.assertEqual(len(self.mock.requests), 3)
        for path, headers, body in self.mock.requests:
            self.assertEqual(path, "/v1/chat/completions")
            self.assertEqual(headers["authorization"], "Bearer sk-test-not-a-key")
            self.assertEqual(json.loads(body)["model"], "gpt-test-mini")

    def test_reported_tokens_are_counted(self):
        for service, (_, _, calls) in self.calls.items():
            expected = {"input": 1200, "output": 80, "cached_input": 1024, "reasoning": 16}
            for token_type, count in expected.items():
                self.assertEqual(self.metrics[key("llm_tokens_total", type=token_type, **self.labels(service))],
                                 calls * count, f"{service} {token_type}")
            # The instrumentation names its span "OpenAI Chat Completions" and sets no gen_ai.operation.name.
            self.assertEqual(self.metrics[key("llm_requests_total", service=service,
                                              operation="OpenAI_Chat_Completions", vendor="openai",
                                              model="gpt-test-mini", status="unknown")], calls)

    def test_reported_tokens_are_priced_exactly(self):
        per_call = token_cost(GPT_TEST_MINI, {"input": 1200, "output": 80, "cached_input": 1024})
        # (1200 - 1024) x $0.15 + 1024 x $0.075 + 80 x $0.60, per million; reasoning is part of output.
        self.assertEqual(per_call, Decimal("0.0001512"))
        for service, (_, _, calls) in self.calls.items():
            self.assertEqual(exact(self.printed, key("llm_cost_usd_total", **self.labels(service))), calls * per_call,
                             service)


if __name__ == "__main__":
    unittest.main()
