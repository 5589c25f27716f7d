"""Golden-file test of /metrics (node_exporter style).

Starts the real exporter on the fixture config and price tables, posts a fixed
batch, and compares the whole exposition with golden/metrics.prom, after
removing only the lines that legitimately vary between runs (timings, build
revision, reload timestamp). Any change to a family name, HELP text, label set,
value or ordering shows up as a diff here and is reviewed like code.

To accept an intended change: LCE_UPDATE_GOLDEN=1 python3 -m unittest test_metrics_golden
"""
import gzip
import os
import re
import unittest

import harness
from test_ingest_prometheus import BATCH_1, BATCH_2

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "metrics.prom")

# Families whose values depend on timing or on the build, not on the input.
VOLATILE = re.compile(
    r"^(# (HELP|TYPE) )?llm_cost_exporter_(ingest_duration_seconds|http_requests_total|"
    r"config_last_reload_success_timestamp_seconds|build_info|ledger_commit_seconds_total|"
    r"ledger_size_bytes|ledger_commits_total|http_connections_open|http_connections_total|"
    r"http_connections_without_request_total)")


def normalize(text):
    return "\n".join(line for line in text.splitlines() if not VOLATILE.match(line)) + "\n"


class MetricsGolden(unittest.TestCase):
    def test_exposition_matches_golden_file(self):
        exporter = harness.Exporter()
        try:
            self.assertEqual(exporter.post_usage(BATCH_1)[0], 200)
            self.assertEqual(exporter.post_usage(BATCH_2, ndjson=True)[0], 200)
            got = normalize(exporter.metrics_text())
            # Asked as Prometheus asks, the same exposition comes gzipped.
            status, headers, payload = harness.http("GET", exporter.url + "/metrics",
                                                    headers={"Accept-Encoding": "gzip"})
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("Content-Encoding"), "gzip")
            self.assertIn("Accept-Encoding", headers.get("Vary", ""))
            self.assertLess(len(payload), len(got) / 4)
            got_gzipped = normalize(gzip.decompress(payload).decode())
        finally:
            exporter.stop()
        if os.environ.get("LCE_UPDATE_GOLDEN") == "1":
            with open(GOLDEN, "w") as f:
                f.write(got)
        with open(GOLDEN) as f:
            want = f.read()
        self.maxDiff = None
        self.assertEqual(got, want)
        self.assertEqual(got_gzipped, want)


if __name__ == "__main__":
    unittest.main(verbosity=2)
