"""Hostile clients against the real exporter, scraped by a real Prometheus.

Oversized bodies, 10,000-deep nesting, invalid UTF-8, slowloris connections,
10,000 connections opened at once and a request flood, all on loopback. The
attackers use their own loopback addresses (127.0.0.2 ... 127.0.0.5; Linux
routes all of 127/8 to lo), so the per-client limits tell them from
Prometheus and the well-behaved writer on 127.0.0.1. Throughout, Prometheus
must scrape every second without a failed or slow scrape, and every record
the writer was told was accepted must be counted exactly once.

A record whose timestamp parses but lies before the earliest 15-minute spend
bucket (1677-09-21T00:12:44Z) is content too: rejected alone, never a 5xx.

Poison records: two clients (127.0.0.6 and 127.0.0.7) send batches mixing
good records with records exactly at the record bounds (1e9 tokens of each
type, 1e9 units, 7 days of latency) and beyond them (1e9 + 1, 2^63 - 1,
2^64 - 1 and 2^64), and re-use event ids, their own and the well-behaved
client's, with other content, while a third client (127.0.0.1, one keep-alive
connection) sends batches of 20 valid records. Every good batch must be
accepted whole, every poison answer must be 200 listing exactly the bad
records (400 when all were bad) and never a 5xx, and afterwards /v1/spend and
llm_tokens_total must equal the exact decimal sum of every accepted record.
"""
import http.client
import json
import os
import re
import resource
import select
import socket
import tempfile
import threading
import time
import unittest
from decimal import Decimal

import harness

REQUEST_TIMEOUT_MS = 2000
PER_CLIENT = 16
CONFIG = f"""
server:
  max_body_bytes: 1048576
  worker_threads: 64
  request_timeout_ms: {REQUEST_TIMEOUT_MS}
  keep_alive_timeout_ms: 2000
  max_connections: 64
  max_connections_per_client: {PER_CLIENT}
  rate_limit: {{requests_per_second: 50, burst: 100}}
ingest:
  max_records_per_batch: 500
"""
FLOOD_CONNECTIONS = 10000
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

# Record bounds of the exporter (every token and unit count, latency).
MAX_COUNT = 1_000_000_000
MAX_LATENCY_MS = 604_800_000
BEYOND = (MAX_COUNT + 1, 2**63 - 1, 2**64 - 1, 2**64)
TOKEN_TYPES = ("input", "output", "cached_input", "cache_write", "reasoning")
# Mirrors fixtures/pricing (versions from 2026-01-01), USD per million tokens / per email.
M = Decimal(1_000_000)
ACME_LARGE = {"input": Decimal("3.00"), "output": Decimal("15.00"), "cached_input": Decimal("0.30"),
              "cache_write": Decimal("3.75")}
ACME_LARGE_TIER = {"input": Decimal("6.00"), "output": Decimal("22.50"), "cached_input": Decimal("0.60"),
                   "cache_write": Decimal("7.50")}
ACME_LARGE_TIER_ABOVE_INPUT = 200_000
EMAIL_PRICE = Decimal("0.0009")
POISON_ROUNDS = 30


def record(event_id, campaign="cmp_misc", **extra):
    r = {"event": "llm.call", "event_id": event_id, "timestamp": "2026-03-01T12:00:00Z",
         "service": "email_orchestrator", "operation": "llm.generate", "campaign_id": campaign,
         "vendor": "acme-ai", "model": "acme-large", "token_usage": {"input": 100, "output": 10},
         "vendor_status": 200, "latency_ms": 100}
    r.update(extra)
    return r


def connect_from(address, port, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((address, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def raw_request(port, request, source="127.0.0.1", timeout=10):
    """Sends raw bytes, returns the whole answer (the server closes or answers)."""
    with connect_from(source, port, timeout) as s:
        s.sendall(request)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                break
        return b"".join(chunks)


def _complete(answer):
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def status_of(answer):
    return int(answer.split(b" ", 2)[1]) if answer.startswith((b"HTTP/1.1 ", b"HTTP/1.0 ")) else None


def emails(event_id, count, campaign):
    return {"event": "email.sent", "event_id": event_id, "timestamp": "2026-03-01T12:00:00Z",
            "service": "email_orchestrator", "campaign_id": campaign, "vendor": "mailer",
            "units": {"emails": count}, "vendor_status": 202}


def cost_of(r):
    """The exact cost of an accepted record of this file (acme-large at
    2026-03-01, the long-context tier above 200,000 input tokens; mailer
    emails), derived from the fixture tables, not from the exporter."""
    if r.get("vendor") == "mailer":
        return r["units"]["emails"] * EMAIL_PRICE
    assert (r["vendor"], r["model"], r["timestamp"][:10]) == ("acme-ai", "acme-large", "2026-03-01"), r
    usage = r["token_usage"]
    prices = ACME_LARGE_TIER if usage.get("input", 0) > ACME_LARGE_TIER_ABOVE_INPUT else ACME_LARGE
    cached, write = usage.get("cached_input", 0), usage.get("cache_write", 0)
    uncached = usage.get("input", 0) - cached - write
    return (uncached * prices["input"] + cached * prices["cached_input"] + write * prices["cache_write"]
            + usage.get("output", 0) * prices["output"]) / M


def tokens_of(records, token_type):
    return sum(r.get("token_usage", {}).get(token_type, 0) for r in records)


class KeepAlive:
    """One HTTP/1.1 connection from a given loopback source address, opened
    again only when the server asks to close it."""

    def __init__(self, port, source):
        self.port, self.source, self.conn = port, source, None
        self.opened = 0

    def post(self, path, records):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=(self.source, 0))
            self.opened += 1
        self.conn.request("POST", path, json.dumps(records), {"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        payload = resp.read()
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return resp.status, payload

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class GoodClient(threading.Thread):
    """Sends batches of 20 valid records on its own keep-alive connection,
    never retrying: every answer must be 200 with all 20 accepted. Publishes
    the records acknowledged so far (the poison clients re-use their ids)."""

    def __init__(self, port, source="127.0.0.1"):
        super().__init__(daemon=True)
        self.client = KeepAlive(port, source)
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged = []  # records of batches answered 200 with all accepted
        self.batches = 0
        self.failures = []

    def run(self):
        n = 0
        try:
            while not self.stop_event.is_set():
                batch = [record(f"good_{n + i}", campaign="cmp_good") for i in range(20)]
                n += 20
                try:
                    status, payload = self.client.post("/v1/usage", batch)
                except OSError as e:
                    self.failures.append((None, str(e)))
                    self.client.close()
                    continue
                answer = json.loads(payload) if status == 200 else None
                if answer and (answer["accepted"], answer["duplicate"], answer["rejected"]) == (20, 0, 0):
                    with self.lock:
                        self.acknowledged.extend(batch)
                    self.batches += 1
                else:
                    self.failures.append((status, payload[:300]))
                time.sleep(0.05)
        finally:
            self.client.close()

    def some_acknowledged(self, k):
        with self.lock:
            return self.acknowledged[k % len(self.acknowledged)] if self.acknowledged else None


class PoisonClient(threading.Thread):
    """Sends POISON_ROUNDS batches from its own loopback address. Each batch
    says what the exporter must do with every record: "accept", "duplicate"
    or (field, reason) for a rejection; every answer is checked against that
    exactly, and the records it accepted are kept for the totals."""

    def __init__(self, port, source, name, good):
        super().__init__(daemon=True)
        self.client = KeepAlive(port, source)
        self.prefix = name
        self.good = good
        self.accepted = []       # records the exporter accepted, as the answers said
        self.previous = []       # good records accepted in an earlier round: re-used with other content
        self.rejected_ids = []   # event ids of the records rejected in the round before: still free
        self.mismatches = []     # answers that differ from the expectation (or 5xx, or no answer)
        self.statuses = {}
        self.expected_counts = {"at_bound": 0, "conflict": 0, "out_of_range": 0, "duplicate": 0}

    def run(self):
        try:
            for k in range(POISON_ROUNDS):
                plan = self.all_bad_round(k) if k % 5 == 4 else self.mixed_round(k)
                self.send(k, plan)
                time.sleep(0.05)
        finally:
            self.client.close()

    def fresh(self, k, j):
        return f"{self.prefix}_{k}_{j}"

    def beyond(self, k, j):
        return BEYOND[(k + j) % len(BEYOND)]

    def bad_records(self, k):
        """Records beyond a bound, one field each."""
        plan = []
        for j, token_type in enumerate(TOKEN_TYPES):
            usage = {"input": 100, "output": 10, token_type: self.beyond(k, j)}
            plan.append((record(self.fresh(k, f"tok{j}"), campaign="cmp_poison", token_usage=usage),
                         (f"token_usage.{token_type}", "out_of_range")))
        plan.append((emails(self.fresh(k, "units"), self.beyond(k, 5), "cmp_poison"), ("units.emails", "out_of_range")))
        plan.append((record(self.fresh(k, "lat"), campaign="cmp_poison",
                            latency_ms=MAX_LATENCY_MS + 1 if k % 2 else self.beyond(k, 6)),
                     ("latency_ms", "out_of_range")))
        return plan

    def conflicts(self, k):
        """Event ids already counted, sent again with other content."""
        changes = [{"token_usage": {"input": 101, "output": 10}}, {"campaign_id": "cmp_other"},
                   {"timestamp": "2026-03-01T12:00:01Z"}, {"latency_ms": 101}, {"vendor_status": 429},
                   {"attempt": 2}, {"operation": "llm.other"}, {"prompt_version": "v9"}]
        plan = []
        for j, original in enumerate(self.previous[:2]):
            plan.append((dict(original, **changes[(k + j) % len(changes)]), ("event_id", "conflict")))
        theirs = self.good.some_acknowledged(7 * k + len(self.prefix))
        if theirs is not None:
            plan.append((dict(theirs, **changes[k % len(changes)]), ("event_id", "conflict")))
        return plan

    def mixed_round(self, k):
        usage = {"input": MAX_COUNT, "output": MAX_COUNT, "reasoning": MAX_COUNT,
                 "cached_input": MAX_COUNT if k % 2 else 0, "cache_write": 0 if k % 2 else MAX_COUNT}
        plan = [
            (record(self.fresh(k, "ok1"), campaign="cmp_poison"), "accept"),
            (record(self.fresh(k, "tok_bound"), campaign="cmp_poison", token_usage=usage), "accept"),
            (emails(self.fresh(k, "units_bound"), MAX_COUNT, "cmp_poison"), "accept"),
            (record(self.fresh(k, "lat_bound"), campaign="cmp_poison", latency_ms=MAX_LATENCY_MS), "accept"),
        ]
        plan += self.bad_records(k)
        plan += self.conflicts(k)
        # Ids of last round's rejected records are still free: valid content is accepted.
        plan += [(record(event_id, campaign="cmp_poison"), "accept") for event_id in self.rejected_ids[:2]]
        # Same content again is a duplicate: ours from last round, and the good client's.
        plan += [(original, "duplicate") for original in self.previous[:1]]
        theirs = self.good.some_acknowledged(3 * k + 1)
        if theirs is not None:
            plan.append((theirs, "duplicate"))
        # One new key twice in one batch: same content a duplicate, other content a conflict.
        twice = record(self.fresh(k, "twice"), campaign="cmp_poison")
        plan += [(twice, "accept"), (twice, "duplicate"),
                 (dict(twice, token_usage={"input": 100, "output": 11}), ("event_id", "conflict"))]
        plan.append((record(self.fresh(k, "ok2"), campaign="cmp_poison"), "accept"))
        return plan

    def all_bad_round(self, k):
        return self.bad_records(k) + self.conflicts(k)

    def send(self, k, plan):
        records = [r for r, _ in plan]
        want_errors = sorted((i, e[0], e[1]) for i, (_, e) in enumerate(plan) if isinstance(e, tuple))
        want = (sum(e == "accept" for _, e in plan), sum(e == "duplicate" for _, e in plan), len(want_errors))
        want_status = 200 if want[0] + want[1] else 400
        try:
            status, payload = self.client.post("/v1/usage", records)
        except OSError as e:
            self.client.close()
            self.mismatches.append((k, None, str(e)))
            return
        self.statuses[status] = self.statuses.get(status, 0) + 1
        try:
            answer = json.loads(payload)
            got = (answer["accepted"], answer["duplicate"], answer["rejected"])
            got_errors = sorted((e["index"], e["field"], e["reason"]) for e in answer["errors"])
        except (ValueError, KeyError, TypeError):
            self.mismatches.append((k, status, payload[:300]))
            return
        problems = []
        if (status, got, got_errors) != (want_status, want, want_errors):
            problems.append(f"want {want_status} {want} {want_errors}, got {status} {got} {got_errors}")
        for e in answer["errors"]:
            r = records[e["index"]] if 0 <= e["index"] < len(records) else {}
            prefix = f'record {e["index"]}: field "{e["field"]}": '
            if not e["message"].startswith(prefix):
                problems.append(f"message {e['message']!r} does not start with {prefix!r}")
            if e["reason"] == "conflict" and f'idempotency key "{r.get("event_id")}" was already used for a record ' \
                                                 f'with different content' not in e["message"]:
                problems.append(f"conflict message {e['message']!r}")
            if e["reason"] == "out_of_range" and e["field"] != "latency_ms":
                value = r["units"]["emails"] if e["field"] == "units.emails" else \
                    r["token_usage"][e["field"].split(".", 1)[1]]
                if value < 2**64 and "must be at most 1000000000 per record" not in e["message"]:
                    problems.append(f"bound message {e['message']!r}")
        if problems:
            self.mismatches.append((k, status, problems))
            return
        self.accepted.extend(r for r, e in plan if e == "accept")
        self.previous = [r for r, e in plan if e == "accept" and r["event_id"].endswith(("_ok1", "_ok2"))] \
            or self.previous
        self.rejected_ids = [r["event_id"] for r, e in plan if isinstance(e, tuple) and e[1] == "out_of_range"]
        for r, e in plan:
            if e == "accept" and r["event_id"].endswith("_bound"):
                self.expected_counts["at_bound"] += 1
            elif e == "duplicate":
                self.expected_counts["duplicate"] += 1
            elif isinstance(e, tuple):
                self.expected_counts[e[1]] += 1


class Writer(threading.Thread):
    """A well-behaved client: posts batches of unique records, retrying each
    batch (same event ids) until it gets 200, and keeps the ids of every
    record an answer said was accepted."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url = url
        self.stop_event = threading.Event()
        self.accepted = 0
        self.batches = 0
        self.retries = 0
        self.failures = []

    def run(self):
        n = 0
        while not self.stop_event.is_set():
            batch = [record(f"legit_{n + i}", campaign="cmp_legit") for i in range(20)]
            n += 20
            for attempt in range(50):
                try:
                    status, _, payload = harness.http("POST", self.url + "/v1/usage", json.dumps(batch),
                                                      {"Content-Type": "application/json"}, timeout=10)
                except OSError as e:
                    status, payload = None, str(e).encode()
                if status == 200:
                    answer = json.loads(payload)
                    self.accepted += answer["accepted"]
                    self.batches += 1
                    break
                self.retries += 1
                time.sleep(0.05)
            else:
                self.failures.append((status, payload[:200]))
            time.sleep(0.05)


class HostileClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = FLOOD_CONNECTIONS + 1000
        if soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
        cls.dir = tempfile.mkdtemp(prefix="lce-hostile-")
        config = os.path.join(cls.dir, "exporter.yml")
        with open(os.path.join(harness.FIXTURES, "config", "exporter.yml")) as f:
            base = f.read()
        with open(config, "w") as f:
            f.write(base.replace("server:\n  max_body_bytes: 1048576\n", "") + CONFIG)
        cls.exporter = harness.Exporter(config=config)
        cls.prometheus = harness.Prometheus([f"127.0.0.1:{cls.exporter.port}"])
        harness.wait_until(lambda: cls.prometheus.query('up{job="llm_cost_exporter"} == 1'), 30,
                           "the first successful scrape")

    @classmethod
    def tearDownClass(cls):
        cls.prometheus.stop()
        cls.exporter.stop()

    def metric(self, name, **labels):
        """The sum of the samples of `name` that carry the given labels."""
        total = 0.0
        for line in self.exporter.metrics_text().splitlines():
            sample = SAMPLE.match(line)
            if not sample or sample[1] != name:
                continue
            have = dict(LABEL.findall(sample[2] or ""))
            if all(have.get(k) == v for k, v in labels.items()):
                total += float(sample[3])
        return total

    def post_raw(self, body, content_type="application/json", path="/v1/usage"):
        return harness.http("POST", self.exporter.url + path, body, {"Content-Type": content_type})

    # Bad input: each answer names the problem, good records stay.

    def test_oversized_bodies_are_refused_before_reading(self):
        limited_before = self.metric("llm_cost_exporter_http_requests_limited_total")
        # Declared length over the limit: 413 before a byte of body is sent.
        answer = raw_request(self.exporter.port, b"POST /v1/usage HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n")
        self.assertEqual(status_of(answer), 413, answer[:200])
        self.assertIn(b"server.max_body_bytes", answer)
        # Chunked, growing past the limit.
        chunk = b"[" + b"1," * 300000
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4))
        answer = raw_request(self.exporter.port, b"POST /v1/usage HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        self.assertEqual(status_of(answer), 413, answer[:200])
        # OTLP too.
        status, _, payload = self.post_raw(b"{" * 2_000_000, path="/v1/traces")
        self.assertEqual(status, 413, payload[:200])
        self.assertGreaterEqual(self.metric("llm_cost_exporter_http_requests_limited_total"), limited_before + 3)

    def test_too_many_records_is_413_and_counts_nothing(self):
        before = self.metric("llm_cost_exporter_records_accepted_total")
        status, _, payload = self.post_raw(json.dumps([record(f"many_{i}") for i in range(501)]))
        self.assertEqual(status, 413, payload[:200])
        self.assertIn(b"ingest.max_records_per_batch", payload)
        spans = {"resourceSpans": [{"scopeSpans": [{"spans": [{} for _ in range(501)]}]}]}
        status, _, payload = self.post_raw(json.dumps(spans), path="/v1/traces")
        self.assertEqual(status, 413, payload[:200])
        self.assertEqual(self.metric("llm_cost_exporter_records_accepted_total"), before)
        self.assertEqual(self.post_raw(json.dumps([record(f"many_{i}") for i in range(500)]))[0], 200)

    def test_ten_thousand_deep_nesting_is_a_clear_400(self):
        deep = "[" * 10000 + "]" * 10000
        status, _, payload = self.post_raw(deep)
        self.assertEqual(status, 400, payload[:200])
        self.assertIn("deep", json.loads(payload)["error"])
        # Deep inside one record: that record is rejected, its neighbours kept.
        inner = '{"x":' * 10000 + "1" + "}" * 10000
        batch = "[" + json.dumps(record("deep_ok_1")) + "," + json.dumps(record("deep_bad"))[:-1] + \
                ',"extra":' + inner + "}," + json.dumps(record("deep_ok_2")) + "]"
        status, _, payload = self.post_raw(batch)
        answer = json.loads(payload)
        self.assertEqual(status, 400, answer)  # the body is malformed past the limit: nothing is half-read
        self.assertIn("nesting deeper than 64 levels", answer["error"])
        # NDJSON: the deep line is one rejected record, its neighbours are kept.
        lines = [json.dumps(record("deep_ok_1")), json.dumps(record("deep_bad"))[:-1] + ',"extra":' + inner + "}",
                 json.dumps(record("deep_ok_2"))]
        status, _, payload = self.post_raw("\n".join(lines) + "\n", content_type="application/x-ndjson")
        answer = json.loads(payload)
        self.assertEqual((status, answer["accepted"], answer["rejected"]), (200, 2, 1), answer)
        self.assertEqual(answer["errors"][0]["index"], 1)
        self.assertIn("nesting deeper than 64 levels", answer["errors"][0]["message"])
        status, _, payload = self.post_raw(deep, path="/v1/traces")
        self.assertEqual(status, 400, payload[:200])
        otlp_deep = '{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":' + \
                    '{"arrayValue":{"values":[' * 3000 + '{"intValue":1}' + ']}}' * 3000 + '}]}]}]}]}'
        status, _, payload = self.post_raw(otlp_deep, path="/v1/traces")
        self.assertIn(status, (200, 400), payload[:200])

    def test_invalid_utf8_rejects_the_record_and_keeps_the_others(self):
        good = json.dumps(record("utf8_ok")).encode()
        bad = json.dumps(record("utf8_bad", campaign="cmp_XX")).encode().replace(b"cmp_XX", b"cmp_\xff\xfe")
        # NDJSON: the bad line is one rejected record, the good one is kept.
        status, _, payload = self.post_raw(good + b"\n" + bad + b"\n", content_type="application/x-ndjson")
        answer = json.loads(payload)
        self.assertEqual(status, 200, answer)
        self.assertEqual((answer["accepted"], answer["rejected"]), (1, 1))
        self.assertEqual(answer["errors"][0]["index"], 1)
        self.assertEqual(answer["errors"][0]["reason"], "malformed_json")
        self.assertIn("UTF-8", answer["errors"][0]["message"])
        # A JSON array with invalid UTF-8 is not JSON: refused whole, naming
        # the byte and the record.
        status, _, payload = self.post_raw(b"[" + good + b"," + bad + b"]")
        self.assertEqual(status, 400, payload)
        self.assertIn("UTF-8", json.loads(payload)["error"])
        self.assertIn("in record 1", json.loads(payload)["error"])
        # Invalid UTF-8 in a header or the path does not break the server.
        answer = raw_request(self.exporter.port, b"GET /v1/sp\xffend HTTP/1.1\r\nHost: \xfe\xff\r\n\r\n")
        self.assertIn(status_of(answer), (400, 404), answer[:200])

    def test_timestamps_at_the_edge_of_their_range_are_rejected_alone(self):
        # 1677-09-21T00:12:43.145224192Z is the earliest instant of int64
        # nanoseconds; the earliest 15-minute spend bucket starts at 00:15:00.
        # A record between the two fits the parser but no bucket: it must be
        # rejected alone (content never answers 5xx), its neighbour kept.
        for ts in ("1677-09-21T00:13:00Z", "1677-09-21T00:12:44Z"):
            status, _, payload = self.post_raw(json.dumps([record(f"edge_{ts}", timestamp=ts)]))
            self.assertEqual(status, 400, payload[:300])
            answer = json.loads(payload)
            self.assertEqual([(e["index"], e["field"]) for e in answer["errors"]], [(0, "timestamp")], answer)
            self.assertIn(answer["errors"][0]["reason"], ("invalid_timestamp", "out_of_range"), answer)
        status, _, payload = self.post_raw(json.dumps([record("edge_neighbour"),
                                                       record("edge_mixed", timestamp="1677-09-21T00:13:00Z")]))
        self.assertEqual(status, 200, payload[:300])
        answer = json.loads(payload)
        self.assertEqual((answer["accepted"], answer["rejected"]), (1, 1), answer)
        self.assertEqual([(e["index"], e["field"]) for e in answer["errors"]], [(1, "timestamp")], answer)

    def test_poison_records_hurt_no_other_client(self):
        def spend():
            status, report = self.exporter.spend(group_by="campaign_id")
            self.assertEqual(status, 200, report)
            rows = {row["campaign_id"]: (Decimal(row["cost_usd"]), row["records"]) for row in report["rows"]}
            return Decimal(report["total"]["cost_usd"]), report["total"]["records"], rows

        def counters():
            return ({t: self.metric("llm_tokens_total", type=t) for t in TOKEN_TYPES},
                    self.metric("vendor_units_total", unit="emails"),
                    {r: self.metric("llm_cost_exporter_records_rejected_total", reason=r)
                     for r in ("conflict", "out_of_range")},
                    self.metric("llm_cost_exporter_records_duplicate_total"))

        cost_before, records_before, rows_before = spend()
        tokens_before, emails_before, rejected_before, duplicates_before = counters()
        good = GoodClient(self.exporter.port)
        poison = [PoisonClient(self.exporter.port, "127.0.0.6", "poison_a", good),
                  PoisonClient(self.exporter.port, "127.0.0.7", "poison_b", good)]
        good.start()
        harness.wait_until(lambda: good.batches >= 2 or good.failures, 10, "the good client's first batches")
        for client in poison:
            client.start()
        for client in poison:
            client.join(timeout=60)
        good.stop_event.set()
        good.join(timeout=30)
        self.assertFalse(any(t.is_alive() for t in [good, *poison]))
        print(f"good batches {good.batches} over {good.client.opened} connection(s); poison answers "
              f"{[c.statuses for c in poison]} over {[c.client.opened for c in poison]} connection(s), "
              f"{[c.expected_counts for c in poison]}", flush=True)

        # No good batch failed; every poison answer was what its records called for.
        self.assertEqual(good.failures, [])
        self.assertGreater(good.batches, 10)
        for client in poison:
            self.assertEqual(client.mismatches, [], client.prefix)
            self.assertEqual(set(client.statuses), {200, 400}, client.statuses)
            self.assertEqual(sum(client.statuses.values()), POISON_ROUNDS)
            # Records exactly at each bound were accepted (3 per mixed round).
            self.assertEqual(client.expected_counts["at_bound"], 3 * (POISON_ROUNDS - POISON_ROUNDS // 5))

        # Exact totals: the ledger and the counters hold every accepted record
        # once, priced here from the fixture tables, and nothing else.
        accepted = good.acknowledged + [r for client in poison for r in client.accepted]
        self.assertEqual(len(good.acknowledged), 20 * good.batches)
        cost, records, rows = spend()
        self.assertEqual(records - records_before, len(accepted))
        self.assertEqual(cost - cost_before, sum(cost_of(r) for r in accepted))
        for campaign, members in (("cmp_good", good.acknowledged),
                                  ("cmp_poison", [r for client in poison for r in client.accepted])):
            was = rows_before.get(campaign, (Decimal(0), 0))
            self.assertEqual((rows[campaign][0] - was[0], rows[campaign][1] - was[1]),
                             (sum(cost_of(r) for r in members), len(members)), campaign)
        self.assertEqual(cost - cost_before, sum(rows[c][0] - rows_before.get(c, (0, 0))[0] for c in rows))
        tokens, emails_counted, rejected, duplicates = counters()
        for t in TOKEN_TYPES:
            self.assertEqual(tokens[t] - tokens_before[t], tokens_of(accepted, t), t)
        self.assertEqual(emails_counted - emails_before,
                         sum(r["units"]["emails"] for r in accepted if r.get("vendor") == "mailer"))
        for reason in ("conflict", "out_of_range"):
            self.assertEqual(rejected[reason] - rejected_before[reason],
                             sum(client.expected_counts[reason] for client in poison), reason)
        self.assertEqual(duplicates - duplicates_before, sum(client.expected_counts["duplicate"] for client in poison))

    # Connection and request floods, with Prometheus scraping throughout.

    def test_attacks_leave_scrapes_and_accepted_records_intact(self):
        port = self.exporter.port
        writer = Writer(self.exporter.url)
        writer.start()
        started = time.time()
        try:
            self.slowloris_and_connection_flood(port)
            throttled = self.request_flood()
            # The writer keeps going a little after the attacks.
            time.sleep(1.5)
        finally:
            writer.stop_event.set()
            writer.join(timeout=60)
        window = int(time.time() - started) + 2
        self.assertFalse(writer.is_alive())
        self.assertEqual(writer.failures, [])
        self.assertGreater(writer.batches, 10)

        # Prometheus never missed or timed out a scrape (its timeout is the
        # 1 s interval), and scrapes stayed fast.
        time.sleep(1.5)
        self.assertEqual(self.prometheus.query(f'min_over_time(up{{job="llm_cost_exporter"}}[{window}s]) < 1'), [])
        slow = self.prometheus.query(f'max_over_time(scrape_duration_seconds{{job="llm_cost_exporter"}}[{window}s]) > 0.5')
        self.assertEqual(slow, [])
        scrapes = self.prometheus.query(f'count_over_time(up{{job="llm_cost_exporter"}}[{window}s])')
        self.assertGreaterEqual(float(scrapes[0]["value"][1]), window - 3)

        # Every accepted record counted once: the ledger and the counters agree.
        status, report = self.exporter.spend(group_by="campaign_id")
        self.assertEqual(status, 200)
        legit = [row for row in report["rows"] if row["campaign_id"] == "cmp_legit"]
        self.assertEqual(legit[0]["records"] if legit else 0, writer.accepted)
        # Each record carries 100 input tokens.
        self.assertEqual(self.metric("llm_tokens_total", campaign_id="cmp_legit", type="input"), 100 * writer.accepted)

        self.assertGreater(throttled, 0)
        self.assertGreaterEqual(self.metric("llm_cost_exporter_http_connections_without_request_total"), PER_CLIENT)
        # Every hostile connection has been closed and left the gate.
        harness.wait_until(lambda: self.metric("llm_cost_exporter_http_connections_open") <= 2, 10,
                           "hostile connections to be closed")

    def slowloris_and_connection_flood(self, port):
        """Slowloris from 127.0.0.3 (headers a byte at a time, never finished)
        and 10,000 connections at once from 127.0.0.2."""
        refused_before = self.metric("llm_cost_exporter_http_connections_refused_total",
                                     limit="max_connections_per_client")
        slow = []
        for _ in range(PER_CLIENT * 2):
            try:
                s = connect_from("127.0.0.3", port)
                s.sendall(b"POST /v1/usage HTTP/1.1\r\n")
                slow.append(s)
            except OSError:
                pass
        flood = []
        for _ in range(FLOOD_CONNECTIONS):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind(("127.0.0.2", 0))
            s.connect_ex(("127.0.0.1", port))
            flood.append(s)
        # The flood's handshakes get a few seconds; /metrics is checked while
        # the flood is still open (and, without the gate, still queued).
        deadline = time.monotonic() + 5
        poller = select.poll()
        pending = {s.fileno(): s for s in flood}
        for fd in pending:
            poller.register(fd, select.POLLOUT)
        established = 0
        while pending and time.monotonic() < deadline:
            for fd, _ in poller.poll(1000):
                poller.unregister(fd)
                sock = pending.pop(fd)
                established += sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        # Drip header bytes on the slowloris connections while checking
        # /metrics answers promptly from 127.0.0.1.
        for i in range(int(REQUEST_TIMEOUT_MS / 1000 * 2) + 2):
            for s in slow:
                try:
                    s.send(b"X")
                except OSError:
                    pass
            t0 = time.monotonic()
            status, _, payload = harness.http("GET", self.exporter.url + "/metrics", timeout=5)
            self.assertEqual(status, 200)
            self.assertLess(time.monotonic() - t0, 0.5)
            # The gate holds each attacker to its per-client share of workers.
            open_now = sum(float(line.rsplit(" ", 1)[1]) for line in payload.decode().splitlines()
                           if line.startswith("llm_cost_exporter_http_connections_open "))
            self.assertLessEqual(open_now, 2 * PER_CLIENT + 8)
            time.sleep(0.5)
        # The gate refuses the flood as the server accepts it. Not every
        # connection the client saw established reaches accept(): in a burst
        # the kernel's accept queue overflows and, with SYN cookies, drops
        # the handshake's last ACK without a trace on the server side (how
        # many depends on the machine's speed, so only thousands are asked).
        harness.wait_until(lambda: self.metric("llm_cost_exporter_http_connections_refused_total",
                                               limit="max_connections_per_client") - refused_before
                           >= FLOOD_CONNECTIONS // 5, 30, f"the flood to be refused ({established} established)")
        for s in flood + slow:
            s.close()

    def request_flood(self):
        """127.0.0.4 sends budget checks as fast as it can over keep-alive
        connections; the rate limit answers 429 with Retry-After."""
        import http.client
        throttled = 0
        retry_after = set()
        conn = http.client.HTTPConnection("127.0.0.1", self.exporter.port, timeout=5,
                                          source_address=("127.0.0.4", 0))
        body = json.dumps({"campaign_id": "cmp_misc", "estimate_usd": "0.01"})
        for _ in range(600):
            conn.request("POST", "/v1/budget/check", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            if resp.status == 429:
                throttled += 1
                retry_after.add(resp.getheader("Retry-After"))
            if resp.getheader("Connection") == "close":
                conn.close()
        conn.close()
        self.assertTrue(retry_after and all(v and int(v) >= 1 for v in retry_after), retry_after)
        # Audited once per episode of refusals, not once per request.
        audits = [line for line in self.exporter.output().splitlines()
                  if "msg=audit" in line and "result=rate_limited" in line and "127.0.0.4" in line]
        self.assertGreaterEqual(len(audits), 1)
        self.assertLess(len(audits), throttled / 2)
        self.assertGreaterEqual(self.metric("llm_cost_exporter_http_requests_limited_total", handler="budget_check", limit="rate"),
                                throttled)
        return throttled


if __name__ == "__main__":
    unittest.main(verbosity=2)
