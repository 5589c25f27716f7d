"""End to end: what the ledger promises when the store fails and when a
client re-uses an idempotency key.

StoreFailure starts the real exporter under a file-size limit
(RLIMIT_FSIZE, with SIGXFSZ ignored so a write past it fails with EFBIG
instead of killing the process) and sends batches of new records until the
SQLite commit really fails: that request must be answered 503 with
Retry-After and count nothing (the ledger, /v1/spend and /metrics hold
exactly the batches answered 200), content-only rejections stay 400, and the
process stays healthy. Lifting the limit on the running process must be
enough: the failed batch sent again is accepted whole and the totals are
exact.

IdempotencyConflicts re-uses event ids: the same content is a duplicate, a
change to any field of the fingerprint is a `conflict` rejected alone (its
batch's good records kept), and after a restart on the same storage the
fingerprints stored in the ledger still tell duplicates from conflicts.
Spend is never changed by a conflict. Expected costs are derived here with
Decimal from the fixture price tables (tests/e2e/fixtures/pricing).
"""
import json
import os
import re
import resource
import shutil
import signal
import tempfile
import unittest
from decimal import Decimal

import harness

M = Decimal(1_000_000)
# Mirrors fixtures/pricing/acme.yaml (version from 2026-01-01), USD per million tokens.
ACME_SMALL = {"input": Decimal("0.0375"), "output": Decimal("0.15")}
ACME_LARGE = {"input": Decimal("3.00"), "output": Decimal("15.00"), "cached_input": Decimal("0.30"),
              "cache_write": Decimal("3.75")}
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

# The file-size limit of StoreFailure: the ledger opens well below it (schema,
# a 4 KiB database and the first WAL frames), and a few dozen batches of 100
# records take the write-ahead log past it.
FSIZE_LIMIT = 256 * 1024
BATCH = 100
MAX_BATCHES = 300  # bounds the search for the failing commit (~40,000 records' worth of WAL)


def metric(text, name, **labels):
    """The sum of the samples of `name` in exposition `text` that carry the given labels."""
    total = Decimal(0)
    for line in text.splitlines():
        sample = SAMPLE.match(line)
        if sample and sample[1] == name and \
                all(dict(LABEL.findall(sample[2] or "")).get(k) == v for k, v in labels.items()):
            total += Decimal(sample[3])
    return total


def post(exporter, records):
    """POST /v1/usage as JSON; returns (status, headers, parsed body)."""
    status, headers, payload = harness.http("POST", exporter.url + "/v1/usage", json.dumps(records),
                                            {"Content-Type": "application/json"}, timeout=30)
    return status, headers, json.loads(payload)


def small(event_id, i):
    return {"event": "llm.call", "event_id": event_id, "timestamp": "2026-03-01T12:00:00Z",
            "service": "email_orchestrator", "campaign_id": "cmp_store", "vendor": "acme-ai",
            "model": "acme-small", "token_usage": {"input": 1000 + i % 997, "output": i % 89}}


def small_cost(r):
    usage = r["token_usage"]
    return (usage["input"] * ACME_SMALL["input"] + usage["output"] * ACME_SMALL["output"]) / M


def limit_file_size():
    """Runs in the exporter's child before exec. Only the soft limit is set:
    raising a hard limit again needs CAP_SYS_RESOURCE, raising a soft one up
    to the hard one does not, so the test can lift it on the running process."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_LIMIT, resource.RLIM_INFINITY))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an ignored disposition survives exec


class StoreFailure(unittest.TestCase):
    def setUp(self):
        self.exporter = harness.Exporter(preexec_fn=limit_file_size)

    def tearDown(self):
        self.exporter.stop()

    def assertTotals(self, batches, answer):
        """The ledger and /metrics hold exactly the records of `batches`."""
        records = [r for batch in batches for r in batch]
        status, report = self.exporter.spend()
        self.assertEqual(status, 200, report)
        self.assertEqual(report["total"]["records"], len(records), answer)
        self.assertEqual(Decimal(report["total"]["cost_usd"]), sum(small_cost(r) for r in records), answer)
        text = self.exporter.metrics_text()
        for token_type in ("input", "output"):
            self.assertEqual(metric(text, "llm_tokens_total", type=token_type),
                             sum(r["token_usage"][token_type] for r in records), token_type)
        self.assertEqual(metric(text, "llm_cost_exporter_records_accepted_total"), len(records))
        return text

    def test_a_failing_commit_is_503_counts_nothing_and_recovers(self):
        exporter = self.exporter
        with open(f"/proc/{exporter.proc.pid}/limits") as f:
            self.assertIn(str(FSIZE_LIMIT), next(line for line in f if line.startswith("Max file size")))
        acknowledged, failed, answer_503 = [], None, None
        for b in range(MAX_BATCHES):
            batch = [small(f"store_{b}_{i}", b * BATCH + i) for i in range(BATCH)]
            status, headers, answer = post(exporter, batch)
            if status == 503:
                failed, answer_503 = batch, (headers, answer)
                break
            # Until the store fails, every batch of new records is accepted whole.
            self.assertEqual((status, answer["accepted"], answer["rejected"]), (200, BATCH, 0), answer)
            acknowledged.append(batch)
        self.assertIsNotNone(failed, f"no commit failed within {MAX_BATCHES} batches under RLIMIT_FSIZE="
                                     f"{FSIZE_LIMIT}: {os.listdir(exporter.storage)}")
        self.assertGreater(len(acknowledged), 0, "the limit must leave room for some batches")
        print(f"the commit of batch {len(acknowledged)} failed ({len(acknowledged) * BATCH} records acknowledged "
              f"before); ledger files {sorted((n, os.path.getsize(os.path.join(exporter.storage, n))) for n in os.listdir(exporter.storage))}",
              flush=True)

        # The 503 says to come back, and that nothing of the request was counted.
        headers, answer = answer_503
        self.assertGreaterEqual(int(headers.get("Retry-After", "0")), 1, headers)
        self.assertIn("nothing from this request was counted", answer["error"])
        self.assertIn("ledger", answer["error"])
        text = self.assertTotals(acknowledged, answer)
        errors = metric(text, "llm_cost_exporter_ledger_commit_errors_total")
        self.assertGreater(errors, 0)
        self.assertEqual(harness.http("GET", exporter.url + "/-/healthy")[0], 200)

        # Still failing: the same batch is 503 again and counts nothing, while
        # a batch whose records are all invalid is about content, so 400.
        status, headers, answer = post(exporter, failed)
        self.assertEqual(status, 503, answer)
        self.assertIn("Retry-After", headers)
        bad = [dict(r, event_id=f"bad_{n}", latency_ms=604_800_001) for n, r in enumerate(failed[:3])]
        status, _, answer = post(exporter, bad)
        self.assertEqual((status, answer["rejected"]), (400, 3), answer)
        self.assertEqual({e["reason"] for e in answer["errors"]}, {"out_of_range"})
        text = self.assertTotals(acknowledged, answer)
        self.assertGreater(metric(text, "llm_cost_exporter_ledger_commit_errors_total"), errors)

        # Lift the limit on the running process: the retry is accepted whole.
        resource.prlimit(exporter.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        errors = metric(exporter.metrics_text(), "llm_cost_exporter_ledger_commit_errors_total")
        status, _, answer = post(exporter, failed)
        self.assertEqual((status, answer["accepted"], answer["duplicate"], answer["rejected"]), (200, BATCH, 0, 0),
                         answer)
        acknowledged.append(failed)
        after = [small(f"after_{i}", i) for i in range(BATCH)]
        status, _, answer = post(exporter, after)
        self.assertEqual((status, answer["accepted"]), (200, BATCH), answer)
        acknowledged.append(after)
        text = self.assertTotals(acknowledged, answer)
        self.assertEqual(metric(text, "llm_cost_exporter_ledger_commit_errors_total"), errors)
        self.assertEqual(metric(text, "llm_cost_exporter_ledger_pending_appends"), 0)
        # Every acknowledged record is remembered: sending one batch again counts nothing.
        status, _, answer = post(exporter, acknowledged[0])
        self.assertEqual((status, answer["accepted"], answer["duplicate"]), (200, 0, BATCH), answer)
        self.assertTotals(acknowledged, answer)


# IdempotencyConflicts: one record with most optional fields set, and a
# change to each field of the fingerprint (docs/usage-record.md), each valid
# on its own.
ORIGINAL = {"event": "llm.call", "event_id": "evt_idem", "timestamp": "2026-03-01T12:00:00Z",
            "service": "email_orchestrator", "operation": "llm.generate_subject_line",
            "campaign_id": "cmp_idem", "audience_id": "aud_us_smb_01", "vendor": "acme-ai",
            "model": "acme-large", "prompt_version": "subject-v1",
            "token_usage": {"input": 1200, "output": 300, "cached_input": 200},
            "attempt": 1, "latency_ms": 842, "vendor_status": 200}
CHANGES = {
    "event": {"event": "llm.summarize"},
    "timestamp": {"timestamp": "2026-03-01T12:00:00.000000001Z"},
    "service": {"service": "lead_scorer"},
    "operation": {"operation": "llm.generate_body"},
    "campaign_id": {"campaign_id": "cmp_idem_b"},
    "audience_id": {"audience_id": "aud_us_smb_02"},
    "vendor": {"vendor": "acme"},                    # an alias: same price, other content
    "model": {"model": "acme-large-2026-01-01"},     # likewise
    "service_tier": {"service_tier": "batch"},
    "prompt_version": {"prompt_version": "subject-v2"},
    "reservation_id": {"reservation_id": "res_idem"},
    "token_usage": {"token_usage": {"input": 1200, "output": 301, "cached_input": 200}},
    "units": {"units": {"emails": 1}},
    "attempt": {"attempt": 2},
    "latency_ms": {"latency_ms": 843},
    "vendor_status": {"vendor_status": 429},
}


def large_cost(usage):
    cached = usage.get("cached_input", 0)
    return ((usage["input"] - cached) * ACME_LARGE["input"] + cached * ACME_LARGE["cached_input"]
            + usage["output"] * ACME_LARGE["output"]) / M


def changed(change, **more):
    r = dict(ORIGINAL, **change)
    r.update(more)
    return r


def without(record, field):
    return {k: v for k, v in record.items() if k != field}


class IdempotencyConflicts(unittest.TestCase):
    def setUp(self):
        self.storage = tempfile.mkdtemp(prefix="lce-idem-")
        self.exporter = harness.Exporter(storage=self.storage)
        self.conflicts = 0  # conflicts this exporter process was sent

    def tearDown(self):
        self.exporter.stop()
        shutil.rmtree(self.storage, ignore_errors=True)

    def assertConflict(self, record, key=None):
        """A record alone that re-uses a key with other content: 400, reason conflict."""
        status, _, answer = post(self.exporter, [record])
        self.assertEqual((status, answer["accepted"], answer["duplicate"], answer["rejected"]), (400, 0, 0, 1), answer)
        self.assertConflictError(answer["errors"][0], 0, key or record["event_id"])
        self.conflicts += 1

    def assertConflictError(self, error, index, key):
        self.assertEqual((error["index"], error["field"], error["reason"]), (index, "event_id", "conflict"), error)
        self.assertTrue(error["message"].startswith(
            f'record {index}: field "event_id": idempotency key "{key}" was already used for a record with '
            f'different content; '), error["message"])

    def assertDuplicate(self, records):
        status, _, answer = post(self.exporter, records)
        self.assertEqual((status, answer["accepted"], answer["duplicate"], answer["rejected"]),
                         (200, 0, len(records), 0), answer)

    def spend(self):
        status, report = self.exporter.spend(group_by="campaign_id")
        self.assertEqual(status, 200, report)
        return report["total"], {row["campaign_id"]: row for row in report["rows"]}

    def assertConflictCounter(self):
        self.assertEqual(metric(self.exporter.metrics_text(), "llm_cost_exporter_records_rejected_total",
                                reason="conflict"), self.conflicts)

    def test_same_key_other_content_is_a_conflict_before_and_after_a_restart(self):
        status, _, answer = post(self.exporter, [ORIGINAL])
        self.assertEqual((status, answer["accepted"]), (200, 1), answer)
        # Without a timestamp the receive time is used, which is not content.
        no_time = without(dict(ORIGINAL, event_id="evt_idem_no_time", campaign_id="cmp_idem_no_time"), "timestamp")
        status, _, answer = post(self.exporter, [no_time])
        self.assertEqual((status, answer["accepted"]), (200, 1), answer)
        total_before, rows_before = self.spend()

        # The same content is a duplicate: also in another key order, with a
        # null for an absent field, and without the timestamp it never had.
        self.assertDuplicate([ORIGINAL, dict(reversed(list(ORIGINAL.items()))), dict(ORIGINAL, service_tier=None),
                              no_time])
        # Any field of the fingerprint changed (or left out) is a conflict, alone.
        for field, change in CHANGES.items():
            with self.subTest(field=field):
                self.assertConflict(changed(change))
        for field in ("operation", "prompt_version", "latency_ms", "timestamp"):
            with self.subTest(left_out=field):
                self.assertConflict(without(ORIGINAL, field))
        self.assertConflict(dict(no_time, timestamp="2026-03-01T12:00:00Z"))

        # A mixed batch: the good records are kept, the conflicts listed by index.
        fresh_a = changed({}, event_id="evt_idem_a", token_usage={"input": 5000, "output": 700})
        fresh_b = changed({}, event_id="evt_idem_b", token_usage={"input": 10, "output": 1})
        batch = [fresh_a, changed(CHANGES["token_usage"]), ORIGINAL, fresh_b,
                 dict(fresh_a, latency_ms=1)]  # a key new in this batch, re-used in it
        status, _, answer = post(self.exporter, batch)
        self.assertEqual((status, answer["accepted"], answer["duplicate"], answer["rejected"]), (200, 2, 1, 2), answer)
        self.assertEqual(len(answer["errors"]), 2, answer)
        self.assertConflictError(answer["errors"][0], 1, "evt_idem")
        self.assertConflictError(answer["errors"][1], 4, "evt_idem_a")
        self.conflicts += 2
        self.assertConflictCounter()

        # Spend: exactly the three acme-large records in cmp_idem; conflicts changed nothing else.
        total, rows = self.spend()
        expected = large_cost(ORIGINAL["token_usage"]) + large_cost(fresh_a["token_usage"]) + \
            large_cost(fresh_b["token_usage"])
        self.assertEqual((Decimal(rows["cmp_idem"]["cost_usd"]), rows["cmp_idem"]["records"]), (expected, 3))
        self.assertEqual(rows["cmp_idem_no_time"], rows_before["cmp_idem_no_time"])
        self.assertEqual(set(rows), {"cmp_idem", "cmp_idem_no_time"})
        self.assertEqual(total["records"], total_before["records"] + 2)
        self.assertEqual(Decimal(total["cost_usd"]) - Decimal(total_before["cost_usd"]),
                         large_cost(fresh_a["token_usage"]) + large_cost(fresh_b["token_usage"]))

        # Restart on the same storage: the fingerprints came from the ledger.
        code = self.exporter.stop()  # SIGTERM
        with open(self.exporter.log_path, errors="replace") as f:
            self.assertEqual(code, 0, f.read()[-2000:])
        self.exporter = harness.Exporter(storage=self.storage)
        self.conflicts = 0  # a new process: its counters start from zero
        self.assertEqual(self.spend(), (total, rows))
        self.assertDuplicate([ORIGINAL, no_time, fresh_a, fresh_b])
        for field in ("token_usage", "campaign_id", "vendor", "latency_ms"):
            with self.subTest(after_restart=field):
                self.assertConflict(changed(CHANGES[field]))
        self.assertConflict(dict(fresh_a, latency_ms=1))
        self.assertConflict(dict(no_time, vendor_status=500))
        status, _, answer = post(self.exporter, [changed(CHANGES["attempt"]), ORIGINAL,
                                                 changed({}, event_id="evt_idem_c")])
        self.assertEqual((status, answer["accepted"], answer["duplicate"], answer["rejected"]), (200, 1, 1, 1), answer)
        self.assertConflictError(answer["errors"][0], 0, "evt_idem")
        self.conflicts += 1
        self.assertConflictCounter()
        total_after, rows_after = self.spend()
        self.assertEqual(total_after["records"], total["records"] + 1)
        self.assertEqual(Decimal(rows_after["cmp_idem"]["cost_usd"]), expected + large_cost(ORIGINAL["token_usage"]))
        self.assertEqual(rows_after["cmp_idem_no_time"], rows["cmp_idem_no_time"])

        # The clean stops saved the key index (docs/ledger.md "Restart"). Without
        # it the next start loads every key from the ledger, and answers the same.
        self.assertEqual(self.exporter.stop(), 0)
        snapshot = os.path.join(self.storage, "ledger.keys")
        self.assertTrue(os.path.exists(snapshot))
        os.remove(snapshot)
        self.exporter = harness.Exporter(storage=self.storage)
        self.conflicts = 0
        self.assertEqual(self.spend(), (total_after, rows_after))
        self.assertDuplicate([ORIGINAL, no_time, fresh_a, fresh_b, changed({}, event_id="evt_idem_c")])
        self.assertConflict(changed(CHANGES["token_usage"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
