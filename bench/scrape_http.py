#!/usr/bin/env python3
"""GET /metrics over HTTP on a real exporter with the issue's deployment.

Starts the built exporter (argv[1], default build/llm_cost_exporter) on a
loopback port with the shipped config (rate limit off) and a fresh ledger,
posts one priced LLM call, with a trace id, for each of 4,500 campaigns x 4
models, then times 10 scrapes (after one untimed) per format and encoding on
one keep-alive connection, client read included. Prints the median and the
range. docs/benchmarks.md "Scrape" has the figures.
"""
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORT = 19633
MODELS = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini"]
CASES = [
    ("text 0.0.4", {}),
    ("OpenMetrics", {"Accept": "application/openmetrics-text; version=1.0.0"}),
    ("0.0.4 gzip", {"Accept-Encoding": "gzip"}),
    ("OpenMetrics gzip", {"Accept": "application/openmetrics-text; version=1.0.0", "Accept-Encoding": "gzip"}),
]


def wait_ready(process):
    for _ in range(300):
        if process.poll() is not None:
            sys.exit("the exporter exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            conn.request("GET", "/-/ready")
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("the exporter did not get ready")


def records():
    for campaign in range(4500):
        for model in MODELS:
            yield json.dumps({
                "event": "llm.call", "timestamp": "2026-12-01T12:00:00Z", "service": "email_orchestrator",
                "operation": "llm.generate_subject_line", "campaign_id": "cmp_%05d" % campaign, "vendor": "openai",
                "model": model, "token_usage": {"input": 1200, "output": 300}, "vendor_status": 200,
                "latency_ms": 842, "event_id": "e_%d_%s" % (campaign, model),
                "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"})


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "llm_cost_exporter")
    storage = tempfile.mkdtemp()
    config = os.path.join(storage, "config.yml")
    with open(os.path.join(ROOT, "config", "llm_cost_exporter.yml")) as shipped, open(config, "w") as out:
        out.write(shipped.read().replace("requests_per_second: ", "requests_per_second: 0 #"))
    process = subprocess.Popen([binary, "--web.listen-address=127.0.0.1:%d" % PORT, "--log.level=error",
                                "--storage.path=" + os.path.join(storage, "data"), "--config.file=" + config],
                               cwd=ROOT)
    try:
        wait_ready(process)
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        lines = list(records())
        for start in range(0, len(lines), 1000):
            conn.request("POST", "/v1/usage", "\n".join(lines[start:start + 1000]),
                         {"Content-Type": "application/x-ndjson"})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                sys.exit("ingest answered %d: %s" % (response.status, body[:300]))
        for name, headers in CASES:
            times, size, samples = [], 0, 0
            for round_ in range(11):
                started = time.perf_counter()
                conn.request("GET", "/metrics", headers=headers)
                response = conn.getresponse()
                body = response.read()
                if round_ > 0:
                    times.append((time.perf_counter() - started) * 1000)
                size = len(body)
                if "gzip" not in name:
                    samples = sum(1 for line in body.split(b"\n") if line and not line.startswith(b"#"))
            print("%-17s %6.1f ms median (%.1f-%.1f), %.1f MB%s" %
                  (name, statistics.median(times), min(times), max(times), size / 1e6,
                   ", %d samples" % samples if samples else ""))
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(storage)


if __name__ == "__main__":
    main()
