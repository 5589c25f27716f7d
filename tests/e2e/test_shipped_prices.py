"""End to end: the shipped price tables (pricing/) price one record of each
provider's most used model exactly.

The prices below are copied from the catalogues in ../shared/catalogues
(genai-prices data.json, LiteLLM model_prices_and_context_window.json; the
source is named per line), as USD per 1M tokens, never read from our tables:
the test checks what the importer wrote and the binary loads against the
catalogues themselves. Records carry no timestamp, so the version in force
now prices them; the chosen models have no dated change ahead.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
from decimal import Decimal

import harness

M = Decimal(1_000_000)

# (vendor as OpenTelemetry spells it, model, prices per 1M, source)
# prices: input, output, cached_input (None: not sent), cache_write, cache_write_1h
CASES = [
    ("openai", "gpt-4o", ("2.5", "10", "1.25", None, None), "genai-prices openai/gpt-4o"),
    ("anthropic", "claude-sonnet-4-5", ("3", "15", "0.3", "3.75", "6"), "genai-prices anthropic/claude-sonnet-4-5"),
    ("azure.ai.openai", "gpt-4.1", ("2", "8", "0.5", None, None), "LiteLLM azure/gpt-4.1 (Global deployment)"),
    ("google", "gemini-2.5-flash", ("0.3", "2.5", "0.03", None, None), "genai-prices google/gemini-2.5-flash"),
    ("aws.bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", ("3.3", "16.5", "0.33", "4.125", None),
     "genai-prices aws/regional.anthropic.claude-sonnet-4-5 (in-region price)"),
    ("mistral_ai", "mistral-small-latest", ("0.1", "0.3", None, None, None), "genai-prices mistral/mistral-small-latest"),
    ("cohere", "command-r-plus", ("2.5", "10", None, None, None), "genai-prices cohere/command-r-plus"),
    ("deepseek", "deepseek-chat", ("0.28", "0.42", "0.028", None, None),
     "LiteLLM deepseek/deepseek-chat (genai-prices' time-of-day prices are refused)"),
    ("x_ai", "grok-4", ("3", "15", "0.75", None, None), "genai-prices x-ai/grok-4-0709"),
    ("groq", "llama-3.3-70b-versatile", ("0.59", "0.79", None, None, None), "genai-prices groq/llama-3.3-70b-versatile"),
    ("together_ai", "meta-llama/Llama-3.3-70B-Instruct-Turbo", ("0.88", "0.88", None, None, None),
     "genai-prices together/meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    ("fireworks_ai", "accounts/fireworks/models/llama-v3p3-70b-instruct", ("0.9", "0.9", None, None, None),
     "LiteLLM fireworks_ai/accounts/fireworks/models/llama-v3p3-70b-instruct"),
    ("openrouter", "anthropic/claude-sonnet-4.5", ("3", "15", "0.3", "3.75", None),
     "genai-prices openrouter/anthropic/claude-sonnet-4.5"),
    ("perplexity", "sonar", ("1", "1", None, None, None), "genai-prices perplexity/sonar"),
]

INPUT, CACHED, WRITTEN, WRITTEN_1H, OUTPUT = 120_000, 20_000, 10_000, 4_000, 3_000


def usage_of(prices):
    _, _, cached, write, write_1h = prices
    usage = {"input": INPUT, "output": OUTPUT}
    if cached is not None:
        usage["cached_input"] = CACHED
    if write is not None:
        usage["cache_write"] = WRITTEN
    if write_1h is not None:
        usage["cache_write_1h"] = WRITTEN_1H
    return usage


def expected_cost(prices):
    p_in, p_out, p_cached, p_write, p_1h = (None if p is None else Decimal(p) for p in prices)
    usage = usage_of(prices)
    cached, written, written_1h = (usage.get(k, 0) for k in ("cached_input", "cache_write", "cache_write_1h"))
    cost = (INPUT - cached - written) * p_in + OUTPUT * p_out
    if p_cached is not None:
        cost += cached * p_cached
    if p_write is not None:
        cost += (written - written_1h) * p_write
    if p_1h is not None:
        cost += written_1h * p_1h
    return cost / M


# Azure OpenAI records name deployments; the configuration maps them.
DEPLOYMENTS = {"marketing-chat": "gpt-4o-mini", "eu-writer": "eu/gpt-5.4"}
DEPLOYMENT_CASES = [
    # (deployment, input, output, expected USD, source)
    ("marketing-chat", 200_000, 50_000, Decimal("0.06"), "LiteLLM azure/global-standard/gpt-4o-mini: 0.15 / 0.6"),
    ("eu-writer", 100_000, 10_000, Decimal("0.44"), "LiteLLM azure/eu/gpt-5.4: 2.75 / 16.5"),
]


class ShippedPrices(unittest.TestCase):
    def test_one_record_per_provider_is_priced_exactly(self):
        exporter = harness.Exporter(pricing=os.path.join(harness.REPO, "pricing"))
        try:
            records = [{"event": "llm.call", "event_id": f"shipped_{i}", "service": "shipped_prices",
                        "campaign_id": f"cmp_{i}", "vendor": vendor, "model": model, "token_usage": usage_of(prices)}
                       for i, (vendor, model, prices, _) in enumerate(CASES)]
            status, answer = exporter.post_usage(records)
            self.assertEqual(status, 200, answer)
            self.assertEqual(answer["accepted"], len(CASES), answer)
            self.assertEqual(answer.get("unpriced", 0), 0, answer)
            status, report = exporter.spend(group_by="campaign_id")
            self.assertEqual(status, 200)
            costs = {row["campaign_id"]: Decimal(row["cost_usd"]) for row in report["rows"]}
            for i, (vendor, model, prices, source) in enumerate(CASES):
                with self.subTest(vendor=vendor, model=model, source=source):
                    self.assertEqual(costs.get(f"cmp_{i}"), expected_cost(prices))
        finally:
            exporter.stop()


    def test_azure_deployment_names_from_the_configuration(self):
        tmp = tempfile.mkdtemp(prefix="lce-deployments-")
        config = os.path.join(tmp, "exporter.yml")
        with open(config, "w") as f:
            json.dump({"pricing": {"model_aliases": {"azure": DEPLOYMENTS}}}, f)
        exporter = harness.Exporter(config=config, pricing=os.path.join(harness.REPO, "pricing"))
        try:
            records = [{"event": "llm.call", "event_id": f"deploy_{i}", "service": "azure_app",
                        "campaign_id": f"cmp_d{i}", "vendor": "azure.ai.openai", "model": deployment,
                        "token_usage": {"input": tokens_in, "output": tokens_out}}
                       for i, (deployment, tokens_in, tokens_out, _, _) in enumerate(DEPLOYMENT_CASES)]
            records.append({"event": "llm.call", "event_id": "deploy_unmapped", "service": "azure_app",
                            "campaign_id": "cmp_unmapped", "vendor": "azure.ai.openai", "model": "someone-elses",
                            "token_usage": {"input": 10, "output": 10}})
            status, answer = exporter.post_usage(records)
            self.assertEqual(status, 200, answer)
            self.assertEqual(answer.get("unpriced", 0), 1, answer)  # the unmapped deployment
            status, report = exporter.spend(group_by="campaign_id")
            self.assertEqual(status, 200)
            costs = {row["campaign_id"]: Decimal(row["cost_usd"]) for row in report["rows"]}
            for i, (deployment, _, _, expected, source) in enumerate(DEPLOYMENT_CASES):
                with self.subTest(deployment=deployment, source=source):
                    self.assertEqual(costs.get(f"cmp_d{i}"), expected)
            # Labelled as the table's names: deployment names add no series.
            metrics = exporter.metrics_text()
            self.assertIn('vendor="azure.ai.openai",model="gpt-4o-mini"', metrics)
            self.assertIn('vendor="azure.ai.openai",model="eu/gpt-5.4"', metrics)
            self.assertNotIn('model="marketing-chat"', metrics)
            self.assertIn('model="someone-elses"', metrics)  # unmatched: kept as sent, counted unpriced
        finally:
            exporter.stop()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_a_deployment_mapped_to_an_unknown_model_is_refused_at_start(self):
        tmp = tempfile.mkdtemp(prefix="lce-deployments-")
        config = os.path.join(tmp, "exporter.yml")
        with open(config, "w") as f:
            json.dump({"pricing": {"model_aliases": {"azure": {"prod": "gpt-4o-typo"}}}}, f)
        try:
            result = subprocess.run(
                [harness.EXPORTER, f"--config.file={config}", "--check-config",
                 f"--pricing.dir={os.path.join(harness.REPO, 'pricing')}"],
                capture_output=True, text=True, timeout=30)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("pricing.model_aliases: vendor 'azure', name 'prod': no version of azure.yaml has the model "
                          "'gpt-4o-typo'", result.stdout + result.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
