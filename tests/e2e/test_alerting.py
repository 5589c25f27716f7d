"""End to end: budget alerts reach Alertmanager.

The real exporter (with budgets), a real Prometheus loading the shipped rules
(config/prometheus/llm_cost_exporter.rules.yml) and a real Alertmanager whose
webhook receiver is a listener in this test. A workload drives one campaign
over its soft limit and then over its hard limit; the test asserts the
matching alerts arrive with the campaign label, in that order, and that a
campaign within budget raises nothing.
"""
import os
import unittest

import harness
from test_budgets import CONFIG

RULES = os.path.join(harness.REPO, "config", "prometheus", "llm_cost_exporter.rules.yml")
ALERT_TIMEOUT = 200  # seconds: budget alerts hold for 1m, Prometheus evaluates every 1s


def usage(event_id, campaign, input_tokens):
    """acme-small at $0.0375 per million input tokens (fixtures/pricing/acme.yaml)."""
    return {"event": "llm.call", "event_id": event_id, "campaign_id": campaign, "vendor": "acme-ai",
            "model": "acme-small", "token_usage": {"input": input_tokens, "output": 0}}


class BudgetAlerts(unittest.TestCase):
    def test_soft_then_hard_limit_alerts_arrive_with_the_campaign(self):
        receiver = harness.WebhookReceiver()
        alertmanager = harness.Alertmanager({
            "route": {"receiver": "test", "group_by": ["alertname", "campaign_id"],
                      "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": [{"name": "test", "webhook_configs": [{"url": receiver.url, "send_resolved": False}]}],
        })
        exporter = harness.Exporter(config=CONFIG)
        prometheus = harness.Prometheus([f"127.0.0.1:{exporter.port}"], rule_files=[RULES],
                                        alertmanager=alertmanager.url)
        try:
            # cmp_soft: $0.10 for all time (alert_only). 2.3M tokens = $0.08625: 86%.
            self.assertEqual(exporter.post_usage([usage("a1", "cmp_soft", 2_300_000),
                                                  usage("a2", "cmp_settle_ok", 100_000)])[0], 200)
            harness.wait_until(lambda: receiver.firing("LLMBudgetSoftLimit", campaign_id="cmp_soft"),
                               ALERT_TIMEOUT, "LLMBudgetSoftLimit for cmp_soft at the webhook")
            self.assertEqual(receiver.firing("LLMBudgetHardLimit", campaign_id="cmp_soft"), [])

            # 0.5M more tokens: $0.105 spent of $0.10.
            self.assertEqual(exporter.post_usage([usage("a3", "cmp_soft", 500_000)])[0], 200)
            alert = harness.wait_until(lambda: receiver.firing("LLMBudgetHardLimit", campaign_id="cmp_soft"),
                                       ALERT_TIMEOUT, "LLMBudgetHardLimit for cmp_soft at the webhook")[0]
            self.assertEqual(alert["labels"]["severity"], "critical")
            for key in ("summary", "description"):
                self.assertIn(key, alert["annotations"])
            self.assertIn("cmp_soft", alert["annotations"]["summary"] + alert["annotations"]["description"])

            # cmp_settle_ok spent $0.00375 of its $0.10: nothing about it.
            with receiver.lock:
                about_ok = [a for a in receiver.alerts if a["labels"].get("campaign_id") == "cmp_settle_ok"]
            self.assertEqual(about_ok, [])
        finally:
            prometheus.stop()
            exporter.stop()
            alertmanager.stop()
            receiver.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
