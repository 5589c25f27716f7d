"""The dashboard lint itself: it must reject every defect class it claims to
catch (fixtures/broken-dashboard.json has each), pass the shipped dashboards,
and read PromQL, the rules file and the exposed-metrics list correctly."""
import glob
import io
import os
import unittest
from contextlib import redirect_stdout

import lint_dashboards as lint

FIXTURES = os.path.join(lint.HERE, "fixtures")
SHIPPED = sorted(glob.glob(os.path.join(lint.REPO, "grafana", "dashboards", "*.json")))


class LintRejectsDefects(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.catalog = lint.Catalog()
        cls.findings = lint.lint_file(os.path.join(FIXTURES, "broken-dashboard.json"), cls.catalog)

    def assertFinding(self, code, where_part, message_part=""):
        matches = [f for f in self.findings
                   if f.code == code and where_part in f.where and message_part in f.message]
        self.assertTrue(matches, f"no [{code}] at {where_part!r} ({message_part!r}); got:\n"
                        + "\n".join(map(str, self.findings)))

    def test_every_code_is_documented_and_exercised(self):
        for code in lint.CODES:
            self.assertIn(f"  {code} ", lint.__doc__, f"code {code} is not described in the docstring")
        reported = {f.code for f in self.findings}
        reported |= {f.code for f in lint.lint_file(os.path.join(FIXTURES, "not-json.json"), self.catalog)}
        self.assertEqual(sorted(set(lint.CODES) - reported), [], "codes the fixtures do not trigger")
        self.assertEqual(sorted(reported - set(lint.CODES)), [], "codes missing from lint.CODES")

    def test_dashboard_level_defects(self):
        self.assertFinding("uid", "dashboard", "'broken-dashboard'")
        self.assertFinding("title", "dashboard")
        self.assertFinding("schema", "dashboard", "27")
        self.assertFinding("dashboard-id", "dashboard", "42")

    def test_variable_defects(self):
        self.assertFinding("datasource-variable", "templating")
        self.assertFinding("variable", "variable 'campaign'", "multi-value")
        self.assertFinding("variable", "templating", "`service`")
        self.assertFinding("variable-datasource", "variable 'campaign'")
        self.assertFinding("unused-variable", "templating", "$campaign")
        self.assertFinding("undefined-variable", "panel 1 ", "$service")

    def test_annotation_defects(self):
        self.assertFinding("release-annotation", "annotations")
        self.assertFinding("annotation", "annotation 'Reloads'", "datasource")
        self.assertFinding("annotation", "annotation 'Reloads'", "1000")
        self.assertFinding("annotation", "annotation 'Reloads'", "titleFormat")

    def test_panel_defects_including_nested_panels(self):
        self.assertFinding("panel-type", "panel 1 ", "'graph'")
        self.assertFinding("panel-datasource", "panel 1 ")
        self.assertFinding("unit", "panel 1 ", "no fieldConfig.defaults.unit")
        self.assertFinding("unit", "panel 2 ", "'dollars'")
        self.assertFinding("gridpos", "panel 2 ")  # x + w > 24
        self.assertFinding("gridpos", "panel 3 ")  # missing
        self.assertFinding("title", "panel 3 ")
        self.assertFinding("target", "panel 2 ", "used twice")
        self.assertFinding("panel-id", "Nested panel reusing id 1", "id 1 also used")
        self.assertFinding("target", "Nested panel reusing id 1", "no targets")
        self.assertFinding("target-datasource", "panel 1 ")
        self.assertFinding("target-datasource", "panel 5 ")

    def test_query_defects(self):
        self.assertFinding("range-window", "panel 1 ", "[5m]")
        self.assertFinding("range-window", "panel 2 ", "[$__range]")
        self.assertFinding("campaign-filter", "panel 1 ", "llm_cost_usd_total")
        self.assertFinding("service-filter", "panel 2 ", "llm_requests_total")
        self.assertFinding("unknown-metric", "panel 2 ", "llm_cost_total")
        self.assertFinding("promql", "panel 3 ", "unclosed '('")
        self.assertFinding("promql", "panel 5 ", "histogram_quantile_typo")

    def test_command_line_exits_1_on_findings(self):
        with redirect_stdout(io.StringIO()) as out:
            code = lint.main([os.path.join(FIXTURES, "broken-dashboard.json")])
        self.assertEqual(code, 1)
        self.assertIn("[unknown-metric]", out.getvalue())


class LintPassesShippedDashboards(unittest.TestCase):
    def test_shipped_dashboards_have_no_findings(self):
        self.assertTrue({"llm-cost.json", "llm-golden-signals.json", "llm-campaign-outcomes.json"}
                        <= {os.path.basename(p) for p in SHIPPED}, SHIPPED)
        catalog = lint.Catalog()
        for path in SHIPPED:
            with self.subTest(dashboard=os.path.basename(path)):
                self.assertEqual(lint.lint_file(path, catalog), [])


class PromQLReading(unittest.TestCase):
    def test_metrics_not_labels_functions_or_keywords(self):
        expr = ('1000 * (min by (service, model) (llm_release_first_seen_timestamp_seconds{service=~"$service"})'
                ' unless on (service, model) group_left (le) min by (service, model)'
                ' (llm_release_first_seen_timestamp_seconds offset 1h)) + sum without (le)'
                ' (rate(span_latency_seconds_bucket{le!="+Inf", x="a{b}"}[$__rate_interval])) > bool 1e-9'
                ' or {__name__="up"} / on() campaign:spend_usd:rate5m')
        selectors, functions, variables = lint.analyze(expr)
        self.assertEqual([s.name for s in selectors],
                         ["llm_release_first_seen_timestamp_seconds", "llm_release_first_seen_timestamp_seconds",
                          "span_latency_seconds_bucket", "up", "campaign:spend_usd:rate5m"])
        self.assertEqual(selectors[2].window, "$__rate_interval")
        self.assertIn(("x", "=", "a{b}"), selectors[2].matchers)
        self.assertEqual(functions, ["min", "min", "sum", "rate"])
        self.assertEqual(variables, {"service", "__rate_interval"})

    def test_subquery_window_is_checked(self):
        selectors, _, _ = lint.analyze("max_over_time(rate(llm_requests_total[$__rate_interval])[1h:])")
        self.assertEqual([s.window for s in selectors], ["$__rate_interval", "1h:"])

    def test_malformed(self):
        for expr in ("sum(rate(x[5m])", "x{a=}", "x]", "sum(x) )", "nosuchfn(x)"):
            with self.subTest(expr=expr):
                with self.assertRaises(lint.PromQLError):
                    lint.analyze(expr)

    def test_variable_queries(self):
        self.assertEqual(lint.variable_promql("label_values(llm_cost_usd_total{service=~\"$service\"}, campaign_id)"),
                         'llm_cost_usd_total{service=~"$service"}')
        self.assertIsNone(lint.variable_promql("label_values(campaign_id)"))
        self.assertEqual(lint.variable_promql("query_result(topk(5, up))"), "topk(5, up)")


class Catalogs(unittest.TestCase):
    def test_recorded_names_of_the_shipped_rules(self):
        names = lint.recorded_names(lint.DEFAULT_RULES)
        for name in ("campaign:spend_usd:rate5m", "campaign:budget_used:ratio",
                     "campaign:budget_forecast_used_ratio:24h", "vendor:llm_vendor_throttled:ratio_rate5m"):
            self.assertIn(name, names)
        self.assertFalse(any(n.startswith("LLM") for n in names), "alert names are not records")

    def test_histograms_expand_to_their_series(self):
        series = lint.Catalog().series
        self.assertIn("le", series["span_latency_seconds_bucket"])
        self.assertEqual(series["span_latency_seconds_count"], {"service", "operation"})
        self.assertNotIn("span_latency_seconds", series)


if __name__ == "__main__":
    unittest.main(verbosity=2)
