// The Chat Completions client against a local scripted server: both wire formats, retries with backoff, timeouts, cancellation, the reply byte cap.
import t from 'tap';
import { parseLlmConfig, type LlmConfigInput } from '../../host/planner/config.ts';
import { ChatClient, LlmError } from '../../host/planner/llm-client.ts';
import { startScriptedLlm, type ScriptedReply } from './testing/scripted-llm.ts';
import type { ChatMessage } from '../../host/planner/wire.ts';

const MESSAGES: ChatMessage[] = [{ role: 'user', content: 'go home' }];
const TOOLS = [{ type: 'function' as const, function: { name: 'home', description: 'home', parameters: { type: 'object', properties: {} } } }];

async function withServer(script: ScriptedReply[], cfg: Partial<LlmConfigInput>, f: (c: ChatClient, s: Awaited<ReturnType<typeof startScriptedLlm>>) => Promise<void>) {
  const s = await startScriptedLlm(script);
  try {
    await f(new ChatClient(parseLlmConfig({ base_url: s.base_url, model: 'm', backoff_ms: 10, ...cfg }, 'test')), s);
  } finally {
    await s.close();
  }
}

const CALLS = [
  { name: 'drive_to', arguments: { x_m: 0.5, y_m: -0.25, standoff_m: 0.24, plan_step: 1, preference: 0.4 } },
  { name: 'home', arguments: {} },
];

for (const stream of [false, true]) {
  t.test(`${stream ? 'streaming (SSE)' : 'non-streaming'}: content and tool calls come back whole`, async (t) => {
    await withServer([{ content: 'Driving there, then home.', tool_calls: CALLS }], { stream, api_key: 'sk-test' }, async (c, s) => {
      const r = await c.complete(MESSAGES, TOOLS);
      t.equal(r.reply.content, 'Driving there, then home.');
      t.same(
        r.reply.tool_calls.map((x) => [x.name, JSON.parse(x.arguments)]),
        CALLS.map((x) => [x.name, x.arguments]),
      );
      t.equal(r.reply.finish_reason, 'tool_calls');
      t.equal(r.attempts, 1);
      const req = s.requests[0]!;
      t.equal(req.body.stream, stream, 'the request asks for the format');
      t.equal(req.body.tools?.[0]?.function.name, 'home', 'tools are sent');
      t.equal(req.headers.authorization, 'Bearer sk-test', 'the API key is a bearer token');
      t.ok(r.wait_ms <= r.elapsed_ms);
    });
  });
}

t.test('streamed tool-call arguments arrive in fragments and are joined by index', async (t) => {
  await withServer([{ tool_calls: [{ name: 'reach', arguments: { x_m: 0.123456789, y_m: -0.987654321 } }] }], { stream: true }, async (c) => {
    const r = await c.complete(MESSAGES, TOOLS);
    t.same(JSON.parse(r.reply.tool_calls[0]!.arguments), { x_m: 0.123456789, y_m: -0.987654321 });
    t.ok(r.reply.bytes > 300, `many chunks (${r.reply.bytes} bytes)`);
  });
});

t.test('429 with Retry-After, then 503, then success: retried with backoff', async (t) => {
  await withServer([{ status: 429, retry_after_s: 0.05 }, { status: 503 }, { content: 'ok' }], { stream: false }, async (c, s) => {
    const log: string[] = [];
    c.onLog = (l) => log.push(l);
    const t0 = performance.now();
    const r = await c.complete(MESSAGES, TOOLS);
    t.equal(r.reply.content, 'ok');
    t.equal(r.attempts, 3);
    t.equal(s.requests.length, 3);
    t.ok(performance.now() - t0 >= 50, 'waited at least the Retry-After');
    t.match(log[0], /HTTP 429/);
    t.match(log[1], /HTTP 503/);
  });
});

t.test('a 400 is the request\'s fault: not retried, the server\'s message is in the error', async (t) => {
  await withServer([{ status: 400 }, { content: 'never' }], {}, async (c, s) => {
    const e = await c.complete(MESSAGES, TOOLS).catch((x: unknown) => x);
    t.type(e, LlmError);
    t.equal((e as LlmError).kind, 'http');
    t.equal((e as LlmError).status, 400);
    t.match((e as Error).message, /HTTP 400 .*scripted error 400/);
    t.equal(s.requests.length, 1);
  });
});

t.test('a slow server times out and the retry succeeds', async (t) => {
  await withServer([{ delay_ms: 400, content: 'late' }, { content: 'on time' }], { timeout_ms: 150 }, async (c, s) => {
    const r = await c.complete(MESSAGES, TOOLS);
    t.equal(r.reply.content, 'on time');
    t.equal(r.attempts, 2);
    t.equal(s.requests.length, 2);
  });
});

t.test('a stream that stalls mid-reply times out', async (t) => {
  await withServer([{ chunk_delay_ms: 300, tool_calls: CALLS }], { stream: true, timeout_ms: 200, retries: 0 }, async (c) => {
    const e = await c.complete(MESSAGES, TOOLS).catch((x: unknown) => x);
    t.equal((e as LlmError).kind, 'timeout');
    t.match((e as Error).message, /within 200 ms/);
  });
});

t.test('timeouts on every attempt: the error says so after retries', async (t) => {
  await withServer([{ delay_ms: 300 }, { delay_ms: 300 }, { delay_ms: 300 }], { timeout_ms: 100, retries: 2 }, async (c, s) => {
    const e = await c.complete(MESSAGES, TOOLS).catch((x: unknown) => x);
    t.equal((e as LlmError).kind, 'timeout');
    t.equal(s.requests.length, 3);
  });
});

t.test('a dropped connection is a network error and is retried', async (t) => {
  await withServer([{ hang_up: true }, { content: 'back' }], {}, async (c) => {
    const r = await c.complete(MESSAGES, TOOLS);
    t.equal(r.reply.content, 'back');
    t.equal(r.attempts, 2);
  });
});

t.test('an unreachable server: network error naming the URL', async (t) => {
  const c = new ChatClient(parseLlmConfig({ base_url: 'http://127.0.0.1:9/v1', model: 'm', retries: 1, backoff_ms: 1 }, 'test'));
  const e = await c.complete(MESSAGES, TOOLS).catch((x: unknown) => x);
  t.equal((e as LlmError).kind, 'network');
  t.match((e as Error).message, /127\.0\.0\.1:9\/v1\/chat\/completions/);
});

t.test('cancellation: an abort ends a slow request at once, and aborts the backoff too', async (t) => {
  await withServer([{ delay_ms: 2000, content: 'too late' }], { timeout_ms: 10_000 }, async (c) => {
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 50);
    const t0 = performance.now();
    const e = await c.complete(MESSAGES, TOOLS, { signal: ctrl.signal }).catch((x: unknown) => x);
    t.equal((e as LlmError).kind, 'aborted');
    t.ok(performance.now() - t0 < 1000, 'did not wait for the server');
  });
  await withServer([{ status: 503 }, { content: 'x' }], { backoff_ms: 5000, backoff_max_ms: 5000 }, async (c) => {
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 100);
    const t0 = performance.now();
    const e = await c.complete(MESSAGES, TOOLS, { signal: ctrl.signal }).catch((x: unknown) => x);
    t.equal((e as LlmError).kind, 'aborted');
    t.ok(performance.now() - t0 < 1000, 'the backoff sleep was cut short');
  });
});

for (const stream of [false, true]) {
  t.test(`an oversized ${stream ? 'streamed ' : ''}reply is cut off at the byte cap and not retried`, async (t) => {
    await withServer([{ content: 'x', pad_bytes: 200_000 }, { content: 'small' }], { stream, max_reply_bytes: 10_000 }, async (c, s) => {
      const e = await c.complete(MESSAGES, TOOLS).catch((x: unknown) => x);
      t.equal((e as LlmError).kind, 'oversized');
      t.match((e as Error).message, /exceeded 10000 bytes/);
      t.equal(s.requests.length, 1);
    });
  });
}

t.test('a body that is not a chat completion is a protocol error (retried, then reported)', async (t) => {
  await withServer([{ raw_body: '<html>gateway</html>' }, { raw_body: '{"choices": []}' }], { stream: false, retries: 1 }, async (c) => {
    const e = await c.complete(MESSAGES, TOOLS).catch((x: unknown) => x);
    t.equal((e as LlmError).kind, 'protocol');
    t.match((e as Error).message, /no choices/);
  });
  await withServer([{ raw_body: 'data: {not json}\n\n' }], { stream: true, retries: 0 }, async (c) => {
    const e = await c.complete(MESSAGES, TOOLS).catch((x: unknown) => x);
    t.equal((e as LlmError).kind, 'protocol');
    t.match((e as Error).message, /stream chunk is not JSON/);
  });
});

t.test('servers that send arguments as an object (older Ollama) are understood', async (t) => {
  const body = JSON.stringify({ choices: [{ message: { role: 'assistant', content: null, tool_calls: [{ function: { name: 'reach', arguments: { x_m: 0.2, y_m: 0 } } }] }, finish_reason: 'tool_calls' }] });
  await withServer([{ raw_body: body }], { stream: false }, async (c) => {
    const r = await c.complete(MESSAGES, TOOLS);
    t.same(JSON.parse(r.reply.tool_calls[0]!.arguments), { x_m: 0.2, y_m: 0 });
    t.equal(r.reply.tool_calls[0]!.id, 'call_0');
  });
});
