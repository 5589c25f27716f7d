'use strict';
// Shared by the client scripts: a tracer provider with the official OTLP/HTTP
// exporter (JSON or protobuf, gzip or not), and an exporter wrapper that
// remembers failed exports so that a script exits non-zero when its spans
// did not arrive.
const { diag, DiagConsoleLogger, DiagLogLevel } = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');

// Warnings (e.g. "Received Partial Success response: {...}") go to stderr,
// where the test reads them.
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);

class CheckedExporter {
  constructor(inner) {
    this.inner = inner;
    this.failures = [];
    this.exported = 0;
  }
  export(spans, done) {
    this.inner.export(spans, (result) => {
      if (result.code === 0) this.exported += spans.length;
      else this.failures.push(String(result.error && result.error.message || result.error || 'export failed'));
      done(result);
    });
  }
  shutdown() { return this.inner.shutdown(); }
  forceFlush() { return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve(); }
}

// encoding: 'json' (exporter-trace-otlp-http) or 'proto' (exporter-trace-otlp-proto).
function makeExporter(encoding, url, gzip) {
  const config = { url, compression: gzip ? 'gzip' : 'none', timeoutMillis: 10000 };
  if (encoding === 'json') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
    return new CheckedExporter(new OTLPTraceExporter(config));
  }
  if (encoding === 'proto') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
    return new CheckedExporter(new OTLPTraceExporter(config));
  }
  throw new Error(`unknown encoding ${encoding}`);
}

function makeProvider(resourceAttributes, exporter) {
  return new BasicTracerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize: 512, scheduledDelayMillis: 60000 })],
  });
}

// Flushes, shuts down, and exits 1 when any export failed.
async function finish(provider, exporter, expected) {
  await provider.forceFlush();
  await provider.shutdown();
  if (exporter.failures.length > 0 || exporter.exported !== expected) {
    console.error(`export failed: exported ${exporter.exported} of ${expected} spans: ${exporter.failures.join('; ')}`);
    process.exit(1);
  }
  console.log(JSON.stringify({ exported: exporter.exported }));
}

// --name=value arguments.
function args() {
  const out = {};
  for (const arg of process.argv.slice(2)) {
    const m = /^--([^=]+)=(.*)$/.exec(arg);
    if (!m) throw new Error(`bad argument ${arg}`);
    out[m[1]] = m[2];
  }
  return out;
}

module.exports = { makeExporter, makeProvider, finish, args };
