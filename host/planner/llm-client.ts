// Chat Completions client over node fetch: tool calling, streaming (SSE) or not, a timeout per attempt, retries with backoff on 429/5xx/network, cancellation, a reply byte cap.
import { SseParser, ChunkAssembler } from './sse.ts';
import type { LlmConfig } from './config.ts';
import { ChatResponse, ErrorBody, type AssistantReply, type ChatMessage, type ChatRequest, type ToolDef } from './wire.ts';
import { zodIssue } from '../util/zod-issue.ts';

export type LlmErrorKind = 'http' | 'timeout' | 'network' | 'oversized' | 'protocol' | 'aborted';

export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly status?: number,
    /** Seconds the server asked us to wait (Retry-After). */
    readonly retryAfter_s?: number,
  ) {
    super(message);
    this.name = 'LlmError';
  }

  /** Worth another attempt: the server was busy or broken, or the network or the clock failed us; not our request. */
  get retryable(): boolean {
    if (this.kind === 'timeout' || this.kind === 'network' || this.kind === 'protocol') return true;
    return this.kind === 'http' && (this.status === 429 || this.status === 408 || (this.status ?? 0) >= 500);
  }
}

export interface CompleteOptions {
  signal?: AbortSignal;
  /** Overrides the config's stream setting for this call. */
  stream?: boolean;
}

export interface CompleteResult {
  reply: AssistantReply;
  attempts: number;
  /** [ms] wall time of the whole call, retries and backoff included. */
  elapsed_ms: number;
  /** [ms] of that spent waiting on the server (request sent -> reply read, and backoff): the LLM's time, not ours. */
  wait_ms: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new LlmError('aborted', 'the LLM request was cancelled'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new LlmError('aborted', 'the LLM request was cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Loads Node's fetch machinery (undici, web streams, the decoder) on a data: URL. The first real fetch() would
 * otherwise block the main thread for a few hundred milliseconds: long enough to trip an MCU link watchdog when the
 * robot's sessions share this thread. Call it before arming.
 */
export async function warmUpFetch(): Promise<void> {
  const res = await fetch('data:text/event-stream,data: {}%0A%0Adata: [DONE]%0A%0A');
  const dec = new TextDecoder();
  for await (const c of res.body ?? []) dec.decode(c, { stream: true });
  dec.decode();
}

export class ChatClient {
  readonly url: string;
  /** One line per retry and failure, for the planner's log. */
  onLog: (line: string) => void = () => {};

  constructor(readonly config: LlmConfig) {
    this.url = `${config.base_url.replace(/\/+$/, '')}/chat/completions`;
  }

  /** Sends the conversation with the tools; resolves with the assembled assistant reply. Throws LlmError. */
  async complete(messages: ChatMessage[], tools: ToolDef[], o: CompleteOptions = {}): Promise<CompleteResult> {
    const t0 = performance.now();
    const stream = o.stream ?? this.config.stream;
    const body: ChatRequest = {
      model: this.config.model,
      messages,
      ...(tools.length ? { tools, tool_choice: 'auto' as const } : {}),
      stream,
      ...(this.config.temperature !== undefined ? { temperature: this.config.temperature } : {}),
      ...(this.config.max_tokens !== undefined ? { max_tokens: this.config.max_tokens } : {}),
    };
    const text = JSON.stringify(body);
    const ours_ms = performance.now() - t0;
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await this.attempt(text, stream, o.signal);
        const elapsed_ms = performance.now() - t0;
        return { reply, attempts: attempt, elapsed_ms, wait_ms: elapsed_ms - ours_ms };
      } catch (e) {
        const err = e instanceof LlmError ? e : new LlmError('network', `LLM request failed: ${(e as Error).message}`);
        if (!err.retryable || attempt > this.config.retries) throw err;
        const backoff = Math.min(this.config.backoff_max_ms, this.config.backoff_ms * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        const wait = err.retryAfter_s !== undefined ? Math.min(this.config.backoff_max_ms, err.retryAfter_s * 1000) : backoff;
        this.onLog(`LLM attempt ${attempt} failed (${err.message}); retrying in ${Math.round(wait)} ms`);
        await sleep(wait, o.signal);
      }
    }
  }

  private async attempt(body: string, stream: boolean, signal?: AbortSignal): Promise<AssistantReply> {
    if (signal?.aborted) throw new LlmError('aborted', 'the LLM request was cancelled');
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, this.config.timeout_ms);
    const onAbort = () => ctrl.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const fail = (e: unknown): LlmError => {
      if (e instanceof LlmError) return e;
      if (timedOut) return new LlmError('timeout', `no complete reply within ${this.config.timeout_ms} ms`);
      if (signal?.aborted) return new LlmError('aborted', 'the LLM request was cancelled');
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return new LlmError('network', `cannot reach ${this.url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    };
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' };
      if (this.config.api_key) headers.authorization = `Bearer ${this.config.api_key}`;
      const res = await fetch(this.url, { method: 'POST', headers, body, signal: ctrl.signal });
      if (!res.ok) {
        const text = await this.readCapped(res, ctrl, 8192).catch(() => '');
        // Retry-After in seconds (the HTTP-date form is rare from LLM servers and is left to the backoff).
        const header = res.headers.get('retry-after');
        const ra = header === null || header.trim() === '' ? NaN : Number(header);
        throw new LlmError('http', `HTTP ${res.status} from ${this.url}: ${errorText(text)}`, res.status, Number.isFinite(ra) && ra >= 0 ? ra : undefined);
      }
      const isSse = (res.headers.get('content-type') ?? '').includes('text/event-stream');
      if (stream && isSse) return await this.readStream(res, ctrl);
      const text = await this.readCapped(res, ctrl, this.config.max_reply_bytes);
      return parseBody(text, Buffer.byteLength(text));
    } catch (e) {
      throw fail(e);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Reads the body up to cap bytes; more than that aborts the transfer and throws 'oversized'. */
  private async readCapped(res: Response, ctrl: AbortController, cap: number): Promise<string> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of res.body ?? []) {
      n += c.byteLength;
      if (n > cap) {
        ctrl.abort();
        throw new LlmError('oversized', `the reply exceeded ${cap} bytes`);
      }
      chunks.push(Buffer.from(c));
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private async readStream(res: Response, ctrl: AbortController): Promise<AssistantReply> {
    const asm = new ChunkAssembler();
    let err: Error | null = null;
    const sse = new SseParser((data) => {
      if (err || asm.done) return;
      try {
        asm.push(data);
      } catch (e) {
        err = e as Error;
      }
    });
    const dec = new TextDecoder();
    let n = 0;
    for await (const c of res.body ?? []) {
      n += c.byteLength;
      if (n > this.config.max_reply_bytes) {
        ctrl.abort();
        throw new LlmError('oversized', `the streamed reply exceeded ${this.config.max_reply_bytes} bytes`);
      }
      sse.push(dec.decode(c, { stream: true }));
      if (err) break;
      if (asm.done) break;
    }
    sse.push(dec.decode());
    sse.end();
    if (err) throw new LlmError('protocol', (err as Error).message);
    if (!asm.done) ctrl.abort();
    return asm.reply(n);
  }
}

function errorText(text: string): string {
  try {
    const r = ErrorBody.safeParse(JSON.parse(text));
    if (r.success) return typeof r.data.error === 'string' ? r.data.error : (r.data.error.message ?? text.slice(0, 300));
  } catch {
    // not JSON: show the start of it
  }
  return text.slice(0, 300) || '(empty body)';
}

function parseBody(text: string, bytes: number): AssistantReply {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new LlmError('protocol', `the reply body is not JSON (${(e as Error).message})`);
  }
  const r = ChatResponse.safeParse(json);
  if (!r.success) {
    throw new LlmError('protocol', `the reply is not a chat completion: ${zodIssue(r.error)}`);
  }
  const c = r.data.choices[0]!;
  return {
    content: c.message.content ?? null,
    tool_calls: (c.message.tool_calls ?? []).map((t, i) => ({ id: t.id ?? `call_${i}`, name: t.function.name, arguments: t.function.arguments })),
    finish_reason: c.finish_reason ?? null,
    bytes,
  };
}
