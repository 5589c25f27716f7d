"""End to end: the status page in a real headless Chromium (Debian's).

Chromium renders GET / of a running exporter with budgets; the test reads the
DOM Chromium built and asserts every campaign appears with its state, and
keeps a screenshot for people (its path is printed).
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness
from test_budgets import CONFIG, post

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(*args, timeout=60):
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="lce-chromium-")
    try:
        return subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class StatusPage(unittest.TestCase):
    def test_chromium_shows_each_campaign_and_its_state(self):
        exporter = harness.Exporter(config=CONFIG)
        try:
            records = [
                # cmp_soft: $0.10 total, alert_only: 3M input tokens = $0.1125 spent -> over
                {"event": "llm.call", "event_id": "page_1", "campaign_id": "cmp_soft", "vendor": "acme-ai",
                 "model": "acme-small", "token_usage": {"input": 3_000_000, "output": 0}},
                # cmp_settle_page: $0.10 daily: $0.0375 spent -> ok
                {"event": "llm.call", "event_id": "page_2", "campaign_id": "cmp_settle_page", "vendor": "acme-ai",
                 "model": "acme-small", "token_usage": {"input": 1_000_000, "output": 0}},
            ]
            self.assertEqual(exporter.post_usage(records)[0], 200)
            # cmp_race: $1.00 monthly, soft at 50%: a $0.60 hold -> soft
            self.assertEqual(post(exporter, "/v1/budget/reserve", {"campaign_id": "cmp_race", "estimate_usd": "0.60"})[0], 200)

            dom = chromium("--dump-dom", exporter.url + "/")
            self.assertEqual(dom.returncode, 0, dom.stderr.decode(errors="replace")[-2000:])
            html = dom.stdout.decode()
            states = {campaign: state for state, campaign in re.findall(r'<tr class="(\w+)"><td>([\w.-]+)</td>', html)}
            self.assertEqual(states, {"cmp_soft": "over", "cmp_settle_page": "ok", "cmp_race": "soft"})

            screenshot = os.path.join(tempfile.gettempdir(), "lce-status-page.png")
            shot = chromium(f"--screenshot={screenshot}", "--window-size=1200,700", exporter.url + "/")
            self.assertEqual(shot.returncode, 0, shot.stderr.decode(errors="replace")[-2000:])
            with open(screenshot, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            self.assertGreater(os.path.getsize(screenshot), 5000)
            print(f"status page screenshot: {screenshot}", flush=True)
        finally:
            exporter.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
