'use strict';
// Spans with GenAI attributes made with the official OpenTelemetry JS SDK and
// sent by its official OTLP/HTTP exporter to the exporter under test.
//   node sdk_spans.js --url=http://127.0.0.1:PORT/v1/traces --encoding=json|proto --gzip=0|1 --spans=FILE
// FILE is JSON: {"resource": {attributes}, "spans": [{"name", "kind", "start_ns",
// "duration_ms", "status": 0|1|2, "attributes": {...}}]}. Integer attribute
// values become OTLP intValue, others as JavaScript types them.
const fs = require('fs');
const { SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { makeExporter, makeProvider, finish, args } = require('./lib');

async function main() {
  const a = args();
  const spec = JSON.parse(fs.readFileSync(a.spans, 'utf8'));
  const exporter = makeExporter(a.encoding, a.url, a.gzip === '1');
  const provider = makeProvider(spec.resource, exporter);
  const tracer = provider.getTracer('lce-e2e-agent', '1.0.0');
  for (const s of spec.spans) {
    // [seconds, nanoseconds] keeps nanosecond precision (a number of ms would not).
    const startNs = BigInt(s.start_ns);
    const endNs = startNs + BigInt(s.duration_ms) * 1000000n;
    const hr = (ns) => [Number(ns / 1000000000n), Number(ns % 1000000000n)];
    const span = tracer.startSpan(s.name, { kind: SpanKind[s.kind || 'CLIENT'], startTime: hr(startNs),
                                            attributes: s.attributes });
    if (s.status === 2) span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    span.end(hr(endNs));
  }
  await finish(provider, exporter, spec.spans.length);
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
