'use strict';
// The official `openai` client, instrumented by OpenInference's off-the-shelf
// OpenAI instrumentation (@arizeai/openinference-instrumentation-openai),
// calls a mock of the chat completions API; the instrumentation's spans go
// through the official OTLP/HTTP exporter to the exporter under test.
//   node openai_chat.js --url=http://127.0.0.1:PORT/v1/traces --encoding=json|proto --gzip=0|1
//                       --openai=http://127.0.0.1:MOCK/v1 --service=NAME --campaign=ID --calls=N
const { makeExporter, makeProvider, finish, args } = require('./lib');
const { OpenAIInstrumentation } = require('@arizeai/openinference-instrumentation-openai');

async function main() {
  const a = args();
  const exporter = makeExporter(a.encoding, a.url, a.gzip === '1');
  const provider = makeProvider({ 'service.name': a.service, campaign_id: a.campaign }, exporter);
  // Constructed before `openai` is required: the instrumentation hooks require().
  const instrumentation = new OpenAIInstrumentation({ tracerProvider: provider });
  instrumentation.setTracerProvider(provider);
  const { OpenAI } = require('openai');
  const client = new OpenAI({ apiKey: 'sk-test-not-a-key', baseURL: a.openai, maxRetries: 0 });
  const calls = Number(a.calls || 1);
  for (let i = 0; i < calls; ++i) {
    const reply = await client.chat.completions.create({
      model: 'gpt-test-mini',
      messages: [{ role: 'user', content: `Write subject line ${i}` }],
    });
    console.log(JSON.stringify(reply.usage));
  }
  await finish(provider, exporter, calls);
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
