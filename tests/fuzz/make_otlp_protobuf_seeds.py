#!/usr/bin/env python3
"""Writes the seed corpus of the otlp_protobuf fuzz target,
tests/fuzz/corpus/otlp_protobuf/: OTLP/HTTP protobuf ExportTraceServiceRequest
bodies encoded by hand from the OTLP specification's field numbers (the
messages of src/otlp/otlp_trace.proto), so no protobuf package is needed.
Run it again after changing the seeds: python3 tests/fuzz/make_otlp_protobuf_seeds.py
"""
import gzip
import os
import struct


def varint(v):
    v &= (1 << 64) - 1  # negative int64 / int32: ten bytes, two's complement
    out = b""
    while v >= 0x80:
        out += bytes([(v & 0x7F) | 0x80])
        v >>= 7
    return out + bytes([v])


def tag(field, wire):
    return varint(field << 3 | wire)


def ln(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return tag(field, 2) + varint(len(payload)) + payload


def vi(field, value):
    return tag(field, 0) + varint(value)


def f64(field, value):
    return tag(field, 1) + struct.pack("<Q", value)


# common.v1 AnyValue {string 1, bool 2, int 3, double 4, array 5, kvlist 6, bytes 7}
def any_value(v):
    if isinstance(v, bool):
        return vi(2, int(v))
    if isinstance(v, int):
        return vi(3, v)
    if isinstance(v, float):
        return tag(4, 1) + struct.pack("<d", v)
    if isinstance(v, list):  # ArrayValue {values 1}
        return ln(5, b"".join(ln(1, any_value(x)) for x in v))
    if isinstance(v, dict):  # KeyValueList {values 1}
        return ln(6, b"".join(ln(1, kv(k, x)) for k, x in v.items()))
    if isinstance(v, bytes):
        return ln(7, v)
    return ln(1, v)


def kv(key, value):  # KeyValue {key 1, value 2}; None: no value
    return ln(1, key) + (b"" if value is None else ln(2, any_value(value)))


def span(trace="4bf92f3577b34da6a3ce929d0e0e4736", sid="00f067aa0ba902b7", name="chat gpt-4o",
         start=1772366400000000000, end=1772366400842000000, attrs=(), code=None):
    # Span {trace_id 1, span_id 2, name 5, start 7, end 8, attributes 9, status 15 {message 2, code 3}}
    out = ln(1, bytes.fromhex(trace)) if trace else b""
    out += ln(2, bytes.fromhex(sid)) if sid else b""
    out += ln(5, name) if name else b""
    out += (f64(7, start) if start else b"") + (f64(8, end) if end else b"")
    out += b"".join(ln(9, kv(k, v)) for k, v in attrs)
    if code is not None:
        out += ln(15, ln(2, "status message") + vi(3, code))
    return out


def request(*resources):
    # ExportTraceServiceRequest {resource_spans 1}; ResourceSpans {resource 1, scope_spans 2};
    # Resource {attributes 1}; ScopeSpans {scope 1 {name 1, version 2}, spans 2}
    body = b""
    for resource_attrs, spans in resources:
        resource = b"".join(ln(1, kv(k, v)) for k, v in resource_attrs)
        scope = ln(1, ln(1, "instrumentation") + ln(2, "1.0")) + b"".join(ln(2, s) for s in spans)
        body += ln(1, ln(1, resource) + ln(2, scope))
    return body


DEEP = "x"
for _ in range(40):
    DEEP = {"k": DEEP}
SVC = [("service.name", "email_orchestrator"), ("campaign_id", "cmp_spring")]
SEEDS = {
    "genai_current": request((SVC, [span(attrs=[
        ("gen_ai.operation.name", "chat"), ("gen_ai.provider.name", "openai"),
        ("gen_ai.request.model", "gpt-4o"), ("gen_ai.response.model", "gpt-4o-2024-08-06"),
        ("gen_ai.usage.input_tokens", 512), ("gen_ai.usage.output_tokens", 128),
        ("gen_ai.usage.cache_read_input_tokens", 256), ("gen_ai.usage.reasoning_tokens", 32),
        ("http.response.status_code", 200)], code=1)])),
    "genai_older": request(([("service.name", "ranker")], [span(name="chat", attrs=[
        ("gen_ai.system", "az.ai.openai"), ("gen_ai.request.model", "gpt-4o-mini"),
        ("gen_ai.usage.prompt_tokens", 1000), ("gen_ai.usage.completion_tokens", 20),
        ("gen_ai.usage.cached_tokens", 100), ("http.status_code", 200)])])),
    "openllmetry_anthropic": request(([("service.name", "copywriter")], [span(name="anthropic.chat", attrs=[
        ("gen_ai.system", "Anthropic"), ("gen_ai.request.model", "claude-sonnet-4-5"),
        ("llm.usage.prompt_tokens", 300), ("llm.usage.completion_tokens", 80),
        ("llm.usage.cache_read_input_tokens", 1200), ("gen_ai.usage.cache_creation_input_tokens", 400),
        ("audience_id", "aud_vip")])])),
    "openinference": request(([("service.name", "agent")], [span(name="ChatCompletion", attrs=[
        ("llm.provider", "google"), ("llm.model_name", "gemini-2.5-flash"),
        ("llm.token_count.prompt", 900), ("llm.token_count.completion", 300),
        ("llm.token_count.prompt_details.cache_read", 100), ("llm.token_count.prompt_details.cache_write", 50),
        ("llm.token_count.completion_details.reasoning", 120)])])),
    "plain_and_error": request(([("service.name", "web")], [
        span(name="GET /v1/send", attrs=[("http.response.status_code", 503), ("retry", True), ("ratio", 0.25)]),
        span(sid="1111111111111111", attrs=[("gen_ai.provider.name", "openai"), ("gen_ai.request.model", "gpt-4o"),
                                            ("http.response.status_code", 429)], code=2),
        span(sid="2222222222222222", start=0, attrs=[("http.response.status_code", 404)], code=1)])),
    "two_resources": request((SVC, [span()]), ([("service.name", "other")], [span(sid="3333333333333333")])),
    "empty": b"",
    "nested_values": request(([("host.ips", ["10.0.0.1", 2, [False]]), ("service.name", "svc")], [span(attrs=[
        ("gen_ai.request.model", {"name": "gpt-4o", "nested": {"x": float("nan")}}),
        ("payload", b"\x00\xffhello"), ("empty", None), ("d", float("-inf"))])])),
    # kvlists 40 deep: 120 messages below the attribute, past protobuf's recursion limit of 100.
    "deep_kvlist": request(([], [span(attrs=[("deep", DEEP)])])),
    "bad_values": request(([("service.name", "bob@example.com")], [
        span(trace="00000000000000000000000000000000"),
        span(trace="4bf92f3577b34da6a3ce92"),
        span(start=2, end=1),
        span(end=(1 << 64) - 1, attrs=[("gen_ai.usage.input_tokens", -5)]),
        span(attrs=[("gen_ai.request.model", "gpt-4o"), ("gen_ai.system", 3), ("http.status_code", 999),
                    ("gen_ai.usage.output_tokens", (1 << 63) - 1), ("gen_ai.usage.reasoning_tokens", 1e308)])])),
    "bad_status_code": request(([], [span(code=7)])),
    # More spans than the fuzz targets' max_records_per_batch (16).
    "many_spans": request(([("service.name", "batcher")], [span(sid="%016x" % (i + 1)) for i in range(20)])),
    "unknown_fields": request((SVC, [span() + vi(6, 3) + ln(4, "tracestate") + ln(11, "event") + tag(99, 5) + b"\0\0\0\0"])),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "otlp_protobuf")
    os.makedirs(out, exist_ok=True)
    for name, body in SEEDS.items():
        with open(os.path.join(out, name + ".pb"), "wb") as f:
            f.write(body)
    # Content-Encoding: gzip bodies (the fuzzer inflates input that starts with gzip's magic).
    with open(os.path.join(out, "genai_current.pb.gz"), "wb") as f:
        f.write(gzip.compress(SEEDS["genai_current"], mtime=0))
    with open(os.path.join(out, "two_members.pb.gz"), "wb") as f:
        f.write(gzip.compress(SEEDS["plain_and_error"][:40], mtime=0) +
                gzip.compress(SEEDS["plain_and_error"][40:], mtime=0))


if __name__ == "__main__":
    main()
