"""End to end: every query of the shipped Grafana dashboards returns data.

The real exporter on the shipped configuration and price tables
(config/llm_cost_exporter.yml, pricing/) and a real Prometheus loading the
shipped rules (config/prometheus/llm_cost_exporter.rules.yml), scraping and
evaluating every second. A realistic workload (several campaigns, services,
operations, vendors and priced models; cached, cache-write and reasoning
tokens; retries; 200 / 429 / 500 answers; an unknown model; per-unit
e-mail records; business events, mapped and unmapped; budget checks and
reservations; a prompt version) is posted in rounds two seconds apart so
every rate has several samples.

Then every panel target, variable query and annotation of every dashboard in
grafana/dashboards/ runs against Prometheus with the variables substituted
as Grafana would (the campaign and service variables once as "All" and once
as a concrete multi-value selection), and must return at least one finite
value. No Grafana server is involved: this checks the PromQL, metric and
label names and units of time, not the rendering.

After the workload a price table is fixed and the history re-priced (as
tests/e2e/test_reprice.py does), so the re-pricing corrections are live: the
corrected-spend panels must return exactly the spend counted at ingest plus
the correction the exporter counted, and campaigns without a correction
exactly their spend counted at ingest.

It also checks tests/grafana/exposed_metrics.txt (the lint's list of what
the exporter exposes) against the live /metrics: every family listed is
exposed with that type and exactly those label names, so the list cannot rot.
"""
import glob
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import unittest
import urllib.parse
from decimal import Decimal

import harness
import test_reprice

sys.path.insert(0, os.path.join(harness.REPO, "tests", "grafana"))
import lint_dashboards  # noqa: E402

RULES = os.path.join(harness.REPO, "config", "prometheus", "llm_cost_exporter.rules.yml")
CONFIG = os.path.join(harness.REPO, "config", "llm_cost_exporter.yml")
PRICING = os.path.join(harness.REPO, "pricing")
DASHBOARDS = sorted(glob.glob(os.path.join(harness.REPO, "grafana", "dashboards", "*.json")))

ROUNDS = 6            # workload rounds ...
ROUND_GAP = 2.0       # ... seconds apart: rates see several 1s scrapes
RATE_INTERVAL = "10s"  # $__rate_interval: Grafana's 4 x scrape interval (1s here), rounded up
STEP = 1              # query_range step, seconds
QUERY_TIMEOUT = 30    # readiness poll per query (recording rules need an evaluation or two) ...
QUERIES_DEADLINE = 60  # ... within this many seconds after the workload; after it, one try each

CAMPAIGNS = ("cmp_2026_04_springpromo", "cmp_test_ab", "cmp_2026_05_winback")
# The concrete selection of the second pass, formatted as Grafana formats a
# multi-value variable for Prometheus.
SELECTED_CAMPAIGNS = "(cmp_2026_04_springpromo|cmp_test_ab)"
SELECTED_SERVICE = "email_orchestrator"

# Re-pricing: a test table (acme.yaml of tests/e2e/test_reprice.py) is added to
# a copy of pricing/, wrong; the workload has calls on it; then it is fixed.
REPRICED_CAMPAIGN = "cmp_2026_04_springpromo"
UNCORRECTED_CAMPAIGN = "cmp_test_ab"
REPRICED_INCREASE = ROUNDS * (Decimal("0.05") - Decimal("0.0375"))  # acme-small: 1M input tokens per round
REPRICED_DECREASE = ROUNDS * Decimal("0.3")  # acme-large: 300k input tokens (long-context tier) per round
TOLERANCE = 1e-9  # float sums of the same samples in another order


def llm_call(event_id, campaign, service, operation, vendor, model, tokens, latency_ms, status=200,
             attempt=1, audience="aud_us_smb_01", **extra):
    record = {"event": "llm.call", "event_id": event_id, "service": service, "operation": operation,
              "campaign_id": campaign, "audience_id": audience, "vendor": vendor, "model": model,
              "token_usage": tokens, "latency_ms": latency_ms, "vendor_status": status, "attempt": attempt}
    record.update(extra)
    return record


def business_event(event_id, event, campaign, audience="aud_us_smb_01", **extra):
    record = {"event": event, "event_id": event_id, "service": "email_orchestrator",
              "operation": "outcome." + event, "campaign_id": campaign, "audience_id": audience}
    record.update(extra)
    return record


def workload_round(r, campaign):
    """One round of one campaign's traffic (no timestamps: receive time, so
    the price versions in force now and the current budget period apply)."""
    k = f"{campaign}-{r}"
    eo, ls, crm = "email_orchestrator", "lead_scorer", "crm_sync"
    return [
        # Subject lines on gpt-4o with prompt caching; a release of prompt version v2.
        llm_call(f"{k}-subj", campaign, eo, "llm.generate_subject_line", "openai", "gpt-4o",
                 {"input": 1200, "output": 80, "cached_input": 800}, 600 + 40 * r, prompt_version="subject-v2"),
        # Bodies on Claude Sonnet 4.5 (alias), cache reads and writes; first a
        # throttled attempt, then a server error, then the retry that works.
        llm_call(f"{k}-body-1", campaign, eo, "llm.write_body", "anthropic", "claude-sonnet-4-5-20250929",
                 {"input": 3000, "output": 0}, 150, status=429),
        llm_call(f"{k}-body-2", campaign, eo, "llm.write_body", "anthropic", "claude-sonnet-4-5-20250929",
                 {"input": 3000, "output": 20}, 900, status=500, attempt=2),
        llm_call(f"{k}-body-3", campaign, eo, "llm.write_body", "anthropic", "claude-sonnet-4-5-20250929",
                 {"input": 3000, "output": 600, "cached_input": 2000, "cache_write": 500}, 1800 + 100 * r,
                 attempt=3),
        # Lead scoring on a reasoning model.
        llm_call(f"{k}-score", campaign, ls, "llm.score_lead", "openai", "o4-mini",
                 {"input": 900, "output": 400, "reasoning": 300}, 2500, audience="aud_eu_mid_02"),
        # CRM summaries on Gemini; one in three fails with 500.
        llm_call(f"{k}-crm", campaign, crm, "llm.summarize_account", "google", "gemini-2.5-flash",
                 {"input": 5000, "output": 300}, 300, status=500 if r % 3 == 0 else 200),
        # A model no price table knows: counted, shown as unpriced.
        llm_call(f"{k}-unknown", campaign, crm, "llm.summarize_account", "openai", "gpt-9-preview",
                 {"input": 700, "output": 70}, 450),
        # Calls priced by the test table that is fixed and re-priced after the workload.
        *([llm_call(f"{k}-acme-small", campaign, eo, "llm.generate_subject_line", "acme-ai", "acme-small",
                    {"input": 1_000_000, "output": 0}, 400),
           llm_call(f"{k}-acme-large", campaign, eo, "llm.write_body", "acme-ai", "acme-large",
                    {"input": 300_000, "output": 1_000}, 2100)] if campaign == REPRICED_CAMPAIGN else []),
        # Outcomes: e-mails sent through SendGrid (priced per unit), replies,
        # qualified leads, meetings, and an event without a family of its own.
        business_event(f"{k}-sent-1", "email.sent", campaign, vendor="sendgrid", units={"emails": 1},
                       vendor_status=202, latency_ms=120),
        business_event(f"{k}-sent-2", "email.sent", campaign, vendor="sendgrid", units={"emails": 1},
                       vendor_status=202, latency_ms=110, audience_id="aud_eu_mid_02"),
        business_event(f"{k}-sent-3", "email.sent", campaign, vendor="sendgrid", units={"emails": 1},
                       vendor_status=202, latency_ms=130),
        business_event(f"{k}-replied", "email.replied", campaign),
        business_event(f"{k}-lead", "lead.qualified", campaign),
        business_event(f"{k}-meeting", "meeting.booked", campaign),
        business_event(f"{k}-bounced", "email.bounced", campaign),
    ]


def finite_values(result):
    """Finite sample values of an instant or range query answer."""
    values = []
    for series in result:
        points = series.get("values") or ([series["value"]] if "value" in series else [])
        for _, v in points:
            f = float(v)
            if math.isfinite(f):
                values.append(f)
    return values


class GrafanaDashboards(unittest.TestCase):
    def setUp(self):
        self.assertTrue(DASHBOARDS, "no dashboards in grafana/dashboards/")
        self.pricing = os.path.join(tempfile.mkdtemp(prefix="lce-dash-pricing-"), "pricing")
        shutil.copytree(PRICING, self.pricing)
        self.write_acme_table(test_reprice.WRONG)
        try:
            self.exporter = harness.Exporter(config=CONFIG, pricing=self.pricing)
        except BaseException:
            shutil.rmtree(os.path.dirname(self.pricing), ignore_errors=True)
            raise
        try:
            self.prometheus = harness.Prometheus([f"127.0.0.1:{self.exporter.port}"], rule_files=[RULES])
        except BaseException:
            self.exporter.stop()
            shutil.rmtree(os.path.dirname(self.pricing), ignore_errors=True)
            raise

    def tearDown(self):
        self.prometheus.stop()
        self.exporter.stop()
        shutil.rmtree(os.path.dirname(self.pricing), ignore_errors=True)

    def write_acme_table(self, text):
        with open(os.path.join(self.pricing, "acme.yaml"), "w") as f:
            f.write(text)

    # ------------------------------------------------------------ helpers
    def post_json(self, path, body):
        status, _, payload = harness.http("POST", self.exporter.url + path, json.dumps(body),
                                          {"Content-Type": "application/json"})
        return status, json.loads(payload)

    def api(self, path, **params):
        url = self.prometheus.url + path + "?" + urllib.parse.urlencode(params, doseq=True)
        status, _, payload = harness.http("GET", url)
        answer = json.loads(payload)
        if status != 200 or answer.get("status") != "success":
            raise AssertionError(f"Prometheus answered {status}: {answer.get('error', payload[:300])}")
        return answer["data"]

    def drive_workload(self):
        reservations = []
        for r in range(ROUNDS):
            records = [rec for c in CAMPAIGNS for rec in workload_round(r, c)]
            status, answer = self.exporter.post_usage(records)
            self.assertEqual(status, 200, answer)
            self.assertEqual((answer["accepted"], answer["rejected"]), (len(records), 0), answer["errors"])
            # An LLM call of no campaign (belongs to no budget, label "").
            status, answer = self.exporter.post_usage([{
                "event": "llm.call", "event_id": f"nocmp-{r}", "service": "crm_sync",
                "operation": "llm.summarize_account", "vendor": "google", "model": "gemini-2.5-flash",
                "token_usage": {"input": 2000, "output": 100}, "latency_ms": 280, "vendor_status": 200}])
            self.assertEqual((status, answer["accepted"]), (200, 1), answer)
            # Before model calls: reserve (allow) and settle with the call;
            # checks that warn (near the limit, or over an alert_only limit) and deny.
            for campaign in CAMPAIGNS:
                status, answer = self.post_json("/v1/budget/reserve", {
                    "campaign_id": campaign, "vendor": "openai", "model": "gpt-4o",
                    "input_tokens": 1200, "max_output_tokens": 400})
                self.assertEqual((status, answer["decision"]), (200, "allow"), answer)
                reservations.append((campaign, answer["reservation_id"]))
            checks = [("cmp_test_ab", "4.2", "warn"), ("cmp_test_ab", "10", "deny"),
                      ("cmp_2026_05_winback", "2000", "warn"), ("cmp_2026_04_springpromo", "1", "allow")]
            for campaign, estimate, decision in checks:
                status, answer = self.post_json("/v1/budget/check", {"campaign_id": campaign,
                                                                     "estimate_usd": estimate})
                self.assertEqual((status, answer["decision"]), (200, decision), (campaign, estimate, answer))
            # Settle all but the newest holds, so reserved spend stays visible.
            settle = reservations[:-len(CAMPAIGNS)]
            del reservations[:-len(CAMPAIGNS)]
            if settle:
                status, answer = self.exporter.post_usage([llm_call(
                    f"settle-{rid}", campaign, "email_orchestrator", "llm.generate_subject_line", "openai",
                    "gpt-4o", {"input": 1200, "output": 350}, 700, reservation_id=rid) for campaign, rid in settle])
                self.assertEqual((status, answer["accepted"]), (200, len(settle)), answer)
            if r + 1 < ROUNDS:
                time.sleep(ROUND_GAP)

    def drive_repricing(self, started):
        """Fixes the acme table in place, reloads and re-prices the test's
        history; returns the correction the exporter made (new - old total)."""
        self.write_acme_table(test_reprice.FIXED)
        status, _, body = harness.http("POST", self.exporter.url + "/-/reload")
        self.assertEqual(status, 200, body)
        rfc3339 = "%Y-%m-%dT%H:%M:%SZ"
        status, done = self.post_json("/v1/admin/reprice", {
            "from": time.strftime(rfc3339, time.gmtime(started - 3600)),
            "to": time.strftime(rfc3339, time.gmtime(time.time() + 3600))})
        self.assertEqual(status, 200, done)
        self.assertGreater(done["buckets_changed"], 0, done)
        net = Decimal(done["new_total_usd"]) - Decimal(done["old_total_usd"])
        self.assertEqual(net, REPRICED_INCREASE - REPRICED_DECREASE, done)
        # The exporter counts the correction apart (counters never go back).
        repriced = {series: value for series, value in test_reprice.counters(self.exporter.metrics_text()).items()
                    if series.startswith("llm_cost_exporter_repriced_cost_usd_total{")}
        labels = f'service="email_orchestrator",campaign_id="{REPRICED_CAMPAIGN}",vendor="acme-ai"'
        self.assertEqual(repriced, {
            f'llm_cost_exporter_repriced_cost_usd_total{{{labels},model="acme-small",direction="increase"}}':
                REPRICED_INCREASE,
            f'llm_cost_exporter_repriced_cost_usd_total{{{labels},model="acme-large",direction="decrease"}}':
                REPRICED_DECREASE})
        return net

    def panel_expr(self, dashboard, title):
        panels = [p for p in lint_dashboards.iter_panels(dashboard["panels"]) if p.get("title") == title]
        self.assertEqual(len(panels), 1, f"one panel titled {title!r}")
        return panels[0]["targets"][0]["expr"]

    def instant(self, expr, at):
        """{campaign_id or "": value} of an instant query at `at`."""
        return {r["metric"].get("campaign_id", ""): float(r["value"][1])
                for r in self.api("/api/v1/query", query=expr, time=at)["result"]}

    def check_corrected_spend(self, started, net):
        """The corrected-spend panels, on the values Prometheus scraped: spend
        counted at ingest plus exactly the exporter's correction."""
        with open(os.path.join(harness.REPO, "grafana", "dashboards", "llm-cost.json")) as f:
            dashboard = json.load(f)
        corrected = self.panel_expr(dashboard, "Total spend (corrected)")
        by_campaign = self.panel_expr(dashboard, "Spend by campaign, corrected (selected range)")
        ingest = self.panel_expr(dashboard, "Spend as counted at ingest (selected range)")
        correction = self.panel_expr(dashboard, "Re-pricing corrections, net (selected range)")

        def query(expr, at, campaign=".*"):
            return self.instant(self.substitute(expr, campaign, ".*", int(at - started) + 60), at)

        # Ready: at a time `at` Prometheus had scraped the correction and the
        # rules had evaluated it. Every query below is at that same `at`, one
        # second back so that no scrape or evaluation older than it is still
        # being appended: they all read the same samples.
        rule = f'campaign:llm_repriced_cost_usd:rate5m{{campaign_id="{REPRICED_CAMPAIGN}"}}'

        def ready():
            at = time.time() - 1
            scraped = query(correction, at).get("", 0) != 0
            return at if scraped and self.instant(rule, at).get(REPRICED_CAMPAIGN) else None

        at = harness.wait_until(ready, QUERY_TIMEOUT, f"the correction and {rule} after the re-pricing",
                                interval=0.5)
        self.assertAlmostEqual(query(correction, at)[""], float(net), delta=TOLERANCE)
        total = query(corrected, at)[""]
        self.assertAlmostEqual(total, query(ingest, at)[""] + float(net), delta=TOLERANCE)
        self.assertGreater(total, 0)
        per_campaign = query(by_campaign, at)
        self.assertEqual(set(per_campaign), set(CAMPAIGNS) | {""}, per_campaign)
        self.assertAlmostEqual(sum(per_campaign.values()), total, delta=TOLERANCE)
        for campaign in CAMPAIGNS:
            expected = query(ingest, at, campaign)[""] + (float(net) if campaign == REPRICED_CAMPAIGN else 0)
            self.assertAlmostEqual(per_campaign[campaign], expected, delta=TOLERANCE, msg=campaign)
        self.assertEqual(query(correction, at, UNCORRECTED_CAMPAIGN)[""], 0)

        # The recording rules: a correction born inside the 5m / 1d window
        # counts in full over it; a campaign without one counts 0.
        net_5m = self.instant("campaign:llm_repriced_cost_usd:rate5m", at)
        self.assertAlmostEqual(net_5m[REPRICED_CAMPAIGN] * 300, float(net), delta=TOLERANCE)
        self.assertEqual(net_5m[UNCORRECTED_CAMPAIGN], 0)
        corrected_1d = self.instant("campaign:spend_corrected_usd:rate1d - campaign:spend_usd:rate1d", at)
        self.assertAlmostEqual(corrected_1d[REPRICED_CAMPAIGN] * 86400, float(net), delta=TOLERANCE)
        self.assertEqual(corrected_1d[UNCORRECTED_CAMPAIGN], 0)

    def substitute(self, expr, campaign, service, range_s):
        values = {
            "campaign": campaign, "service": service,
            "__rate_interval": RATE_INTERVAL, "__interval": f"{STEP}s", "__interval_ms": str(STEP * 1000),
            "__range": f"{range_s}s", "__range_s": str(range_s), "__range_ms": str(range_s * 1000),
        }

        def value(m):
            name = lint_dashboards.variable_name(m.group(0))
            if name not in values:
                raise AssertionError(f"no value for ${name} in {expr}")
            return values[name]

        return re.sub(r"\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*", value, expr)

    def query_has_data(self, query, expr, start, deadline, label=None):
        """Polls until the query returns a finite value (or, for a label_values
        variable, a non-empty label value); returns what it found."""
        def attempt():
            now = time.time()
            if query.kind == "variable" and label:
                params = {"start": start, "end": now}
                if expr:
                    params["match[]"] = expr
                return [v for v in self.api(f"/api/v1/label/{label}/values", **params) if v]
            if query.instant:
                return finite_values(self.api("/api/v1/query", query=expr, time=now)["result"])
            return finite_values(self.api("/api/v1/query_range", query=expr, start=start, end=now,
                                          step=STEP)["result"])

        timeout = min(QUERY_TIMEOUT, max(1.0, deadline - time.monotonic()))
        return harness.wait_until(attempt, timeout, f"data for {query.where}: {expr}", interval=0.5)

    # --------------------------------------------------------------- test
    def test_every_dashboard_query_returns_data(self):
        started = time.time()
        self.drive_workload()
        net = self.drive_repricing(started)
        self.check_corrected_spend(started, net)
        deadline = time.monotonic() + QUERIES_DEADLINE

        # The allow-list of the lint is what the live exporter exposes.
        self.check_exposed_metrics_list()

        failures = []
        checked = 0
        for path in DASHBOARDS:
            name = os.path.basename(path)
            with open(path) as f:
                dashboard = json.load(f)
            for campaign, service in ((".*", ".*"), (SELECTED_CAMPAIGNS, SELECTED_SERVICE)):
                for query in lint_dashboards.dashboard_queries(dashboard):
                    if query.kind == "variable" and campaign != ".*":
                        continue  # variable queries use no variables: once is enough
                    range_s = int(time.time() - started) + 60
                    label = None
                    if query.kind == "variable":
                        m = lint_dashboards.LABEL_VALUES.match(lint_dashboards.variable_query_text(query.source))
                        label = m.group("label") if m else None
                    expr = self.substitute(query.expr, campaign, service, range_s)
                    what = f"{name} {query.where} (campaign={campaign}, service={service}):\n    {expr}"
                    try:
                        found = self.query_has_data(query, expr, started - 5, deadline, label)
                    except AssertionError as e:
                        failures.append(f"{what}\n    -> {str(e).splitlines()[0][:300]}")
                        continue
                    checked += 1
                    if query.kind == "annotation":
                        # useValueForTime: the value is the event time in ms, within this test.
                        in_window = [v for v in found if (started - 120) * 1000 <= v <= (time.time() + 60) * 1000]
                        if not in_window:
                            failures.append(f"{what}\n    -> values {found[:3]} are not Unix ms of this test's run")
        self.assertEqual(failures, [], f"{len(failures)} dashboard queries without data "
                                       f"({checked} passed):\n" + "\n".join(failures))

        # Every metric a dashboard names exists in Prometheus (exposed or recorded).
        names = set()
        for path in DASHBOARDS:
            with open(path) as f:
                names |= lint_dashboards.metric_names(json.load(f))
        live = set(self.api("/api/v1/label/__name__/values", start=started - 5, end=time.time()))
        self.assertEqual(sorted(names - live), [], "metrics the dashboards name that Prometheus does not have")

    def check_exposed_metrics_list(self):
        listed = lint_dashboards.load_exposed(lint_dashboards.DEFAULT_EXPOSED)
        types, labels = {}, {}
        for line in self.exporter.metrics_text().splitlines():
            m = re.match(r"# TYPE (\S+) (\S+)", line)
            if m:
                types[m.group(1)] = m.group(2)
                continue
            m = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? ", line)
            if not m or line.startswith("#"):
                continue
            series = m.group(1)
            family = next((series[:-len(s)] for s in ("_bucket", "_sum", "_count")
                           if series.endswith(s) and types.get(series[:-len(s)]) in ("histogram", "summary")),
                          series)
            names = set(re.findall(r'([A-Za-z_][A-Za-z0-9_]*)="(?:[^"\\]|\\.)*"', m.group(2) or ""))
            labels.setdefault(family, set()).update(names - {"le", "quantile"})
        problems = []
        for family, (kind, want) in sorted(listed.items()):
            if family not in types:
                problems.append(f"{family}: not exposed")
            elif types[family] != kind:
                problems.append(f"{family}: exposed as {types[family]}, listed as {kind}")
            elif labels.get(family, set()) != set(want):
                problems.append(f"{family}: exposed labels {sorted(labels.get(family, set()))}, listed {sorted(want)}")
        self.assertEqual(problems, [], "tests/grafana/exposed_metrics.txt differs from the live /metrics")


if __name__ == "__main__":
    unittest.main(verbosity=2)
