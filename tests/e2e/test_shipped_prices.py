"""End to end: the shipped price tables (pricing/) price one record of each
provider's most used model exactly.

The prices below are copied from the catalogues in ../shared/catalogues
(genai-prices data.json, LiteLLM model_prices_and_context_window.json; the
source is named per line), as USD per 1M tokens, never read from our tables:
the test checks what the importer wrote and the binary loads against the
catalogues themselves. Records carry no timestamp, so the version in force
now prices them; the chosen models have no dated change ahead.
"""
import unittest
from decimal import Decimal

import harness

M = Decimal(1_000_000)

# (vendor as OpenTelemetry spells it, model, prices per 1M, source)
# prices: input, output, cached_input (None: not sent), cache_write, cache_write_1h
CASES = [
    ("openai", "gpt-4o", ("2.5", "10", "1.25", None, None), "genai-prices openai/gpt-4o"),
    ("anthropic", "claude-sonnet-4-5", ("3", "15", "0.3", "3.75", "6"), "genai-prices anthropic/claude-sonnet-4-5"),
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


class ShippedPrices(unittest.TestCase):
    def test_one_record_per_provider_is_priced_exactly(self):
        exporter = harness.Exporter(pricing=harness.os.path.join(harness.REPO, "pricing"))
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


if __name__ == "__main__":
    unittest.main()
