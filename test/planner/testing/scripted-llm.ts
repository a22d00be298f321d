// A local Chat Completions server for tests and the benchmark: replays scripted replies (tool calls, streamed as SSE or whole), including broken, slow and hostile ones.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedCall {
  name: string;
  /** A JSON string (sent as is, so it may be malformed) or an object (serialised). */
  arguments: string | Record<string, unknown>;
  id?: string;
}

export interface ScriptedReply {
  content?: string | null;
  tool_calls?: ScriptedCall[];
  /** HTTP status (default 200); any other status sends an OpenAI-style error body. */
  status?: number;
  retry_after_s?: number;
  /** [ms] before the response starts. */
  delay_ms?: number;
  /** [ms] between SSE chunks. */
  chunk_delay_ms?: number;
  /** Sent verbatim as the body (a broken server). */
  raw_body?: string;
  /** Extra content bytes (an oversized reply). */
  pad_bytes?: number;
  /** Close the connection without answering (a network failure). */
  hang_up?: boolean;
}

export interface RecordedRequest {
  // The request body as parsed JSON: messages, tools, stream, model.
  body: { model: string; messages: { role: string; content: string | null; tool_call_id?: string; tool_calls?: unknown[] }[]; tools?: { function: { name: string; parameters: unknown } }[]; stream?: boolean };
  raw: string;
  headers: IncomingMessage['headers'];
}

export type Responder = (req: RecordedRequest, index: number) => ScriptedReply | Promise<ScriptedReply>;

export interface ScriptedLlm {
  /** The OpenAI-compatible base URL (…/v1). */
  base_url: string;
  requests: RecordedRequest[];
  /** Requests whose response is still being written. */
  inFlight(): number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pieces(s: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += n) out.push(s.slice(i, i + n));
  return out;
}

function normalise(r: ScriptedReply, index: number) {
  const content = (r.content ?? null) === null && !r.pad_bytes ? null : (r.content ?? '') + 'x'.repeat(r.pad_bytes ?? 0);
  const calls = (r.tool_calls ?? []).map((c, i) => ({
    id: c.id ?? `call_${index}_${i}`,
    name: c.name,
    arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
  }));
  return { content, calls };
}

async function respond(res: ServerResponse, r: ScriptedReply, stream: boolean, index: number): Promise<void> {
  if (r.delay_ms) await sleep(r.delay_ms);
  if (r.hang_up) {
    res.socket?.destroy();
    return;
  }
  if (r.status !== undefined && r.status !== 200) {
    res.writeHead(r.status, { 'content-type': 'application/json', ...(r.retry_after_s !== undefined ? { 'retry-after': String(r.retry_after_s) } : {}) });
    res.end(JSON.stringify({ error: { message: `scripted error ${r.status}`, type: 'scripted' } }));
    return;
  }
  if (r.raw_body !== undefined) {
    res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
    res.end(r.raw_body);
    return;
  }
  const { content, calls } = normalise(r, index);
  const finish = calls.length ? 'tool_calls' : 'stop';
  const base = { id: `chatcmpl-${index}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: 'scripted' };
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    const message = { role: 'assistant', content, ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) } : {}) };
    res.end(JSON.stringify({ ...base, choices: [{ index: 0, message, finish_reason: finish }] }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = async (delta: unknown, finish_reason: string | null = null) => {
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason }] })}\n\n`);
    if (r.chunk_delay_ms) await sleep(r.chunk_delay_ms);
  };
  await chunk({ role: 'assistant', content: '' });
  for (const p of pieces(content ?? '', 4096)) await chunk({ content: p });
  for (const [i, c] of calls.entries()) {
    // As OpenAI streams them: id and name first, then the arguments in fragments.
    await chunk({ tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] });
    for (const p of pieces(c.arguments, 16)) await chunk({ tool_calls: [{ index: i, function: { arguments: p } }] });
  }
  await chunk({}, finish);
  if (!res.destroyed) res.end('data: [DONE]\n\n');
}

/** Starts the server on 127.0.0.1 (a free port). A list of replies is served in order; past its end, HTTP 500. */
export async function startScriptedLlm(script: ScriptedReply[] | Responder): Promise<ScriptedLlm> {
  const requests: RecordedRequest[] = [];
  let active = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        active++;
        try {
          if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
            res.writeHead(404, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
            return;
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          const rec: RecordedRequest = { body: JSON.parse(raw) as RecordedRequest['body'], raw, headers: req.headers };
          const index = requests.length;
          requests.push(rec);
          const reply = Array.isArray(script) ? (script[index] ?? { status: 500 }) : await script(rec, index);
          await respond(res, reply, rec.body.stream === true, index);
        } catch (e) {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: (e as Error).message } }));
        } finally {
          active--;
        }
      })();
    });
  });
  // Keep-alive sockets would hold close() open.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    base_url: `http://127.0.0.1:${port}/v1`,
    requests,
    inFlight: () => active,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
