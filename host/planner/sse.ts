// Server-sent events for streamed Chat Completions: split the byte stream into `data:` events, and assemble tool calls from their delta fragments.
import { ChatChunk, type AssistantReply } from './wire.ts';
import { zodIssue } from '../util/zod-issue.ts';

/** Incremental SSE parser: feed text as it arrives; each complete event's data is handed to onData. */
export class SseParser {
  private buf = '';
  private data: string[] = [];

  constructor(private readonly onData: (data: string) => void) {}

  push(text: string): void {
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      this.line(line);
    }
  }

  /** End of stream: an event without its closing blank line still counts. */
  end(): void {
    if (this.buf) this.line(this.buf.replace(/\r$/, ''));
    this.buf = '';
    this.line('');
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length) this.onData(this.data.join('\n'));
      this.data = [];
    } else if (line.startsWith('data:')) {
      this.data.push(line.slice(5).replace(/^ /, ''));
    }
    // Comments (":") and other fields (event, id, retry) carry nothing for Chat Completions.
  }
}

/** Folds stream chunks into one reply: content concatenated, tool calls by index with name and argument fragments joined. */
export class ChunkAssembler {
  private content: string[] = [];
  private readonly calls = new Map<number, { id: string; name: string; arguments: string }>();
  private finish: string | null = null;
  done = false;

  /** One `data:` payload. Throws (naming the problem) on a chunk that is not JSON or not a chunk. */
  push(data: string): void {
    if (data.trim() === '[DONE]') {
      this.done = true;
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch (e) {
      throw new Error(`a stream chunk is not JSON (${(e as Error).message})`);
    }
    const r = ChatChunk.safeParse(json);
    if (!r.success) {
      throw new Error(`a stream chunk is malformed: ${zodIssue(r.error)}`);
    }
    const choice = r.data.choices[0];
    if (!choice) return;
    if (choice.finish_reason) this.finish = choice.finish_reason;
    const d = choice.delta;
    if (!d) return;
    if (d.content) this.content.push(d.content);
    for (const tc of d.tool_calls ?? []) {
      // Servers that stream one call per chunk sometimes omit the index: it is then the next call.
      const index = tc.index ?? (tc.id && ![...this.calls.values()].some((c) => c.id === tc.id) ? this.calls.size : Math.max(0, this.calls.size - 1));
      const c = this.calls.get(index) ?? { id: '', name: '', arguments: '' };
      if (tc.id) c.id = tc.id;
      if (tc.function?.name) c.name += tc.function.name;
      if (tc.function?.arguments) c.arguments += tc.function.arguments;
      this.calls.set(index, c);
    }
  }

  reply(bytes: number): AssistantReply {
    const calls = [...this.calls.entries()].sort((a, b) => a[0] - b[0]).map(([i, c]) => ({ ...c, id: c.id || `call_${i}` }));
    const content = this.content.join('');
    return { content: content === '' ? null : content, tool_calls: calls, finish_reason: this.finish, bytes };
  }
}
