// Operator keys for `ganglion record`: raw-mode stdin on a terminal (arrows, n/r/q, Esc), or one command per line when stdin is not a TTY (SSH without -t, a pipe).
import { createInterface } from 'node:readline';
import type { RecordKey } from './episodes.ts';

/** Raw terminal bytes -> keys. An arrow arrives as one chunk (ESC [ C); a lone ESC chunk is the Esc key. */
export function parseRawKeys(chunk: string): RecordKey[] {
  const out: RecordKey[] = [];
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i]!;
    if (c === '\x1b' && chunk[i + 1] === '[' && (chunk[i + 2] === 'C' || chunk[i + 2] === 'D')) {
      out.push(chunk[i + 2] === 'C' ? 'next' : 'rerecord');
      i += 2;
    } else if (c === '\x1b' && chunk[i + 1] === '[') {
      i += 2; // another escape sequence (up/down arrow...): ignored
    } else if (c === '\x1b' || c === '\x03' || c === 'q' || c === 'Q') out.push('stop');
    else if (c === 'n' || c === 'N') out.push('next');
    else if (c === 'r' || c === 'R') out.push('rerecord');
  }
  return out;
}

const LINE_KEYS: Record<string, RecordKey> = { n: 'next', next: 'next', r: 'rerecord', rerecord: 'rerecord', q: 'stop', stop: 'stop', quit: 'stop' };

/** One command per line (n, r, q or next, rerecord, stop); anything else is answered with the list. */
export function parseLineKey(line: string): RecordKey | null {
  return LINE_KEYS[line.trim().toLowerCase()] ?? null;
}

/** Every chunk a terminal in raw mode sends goes to `onData`; returns a function that restores the terminal. */
export function listenRaw(stdin: NodeJS.ReadStream, onData: (chunk: string) => void): () => void {
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.on('data', onData);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

/** Listens on stdin; returns a function that restores the terminal. */
export function listenKeys(stdin: NodeJS.ReadStream, onKey: (k: RecordKey) => void, onUnknown: (line: string) => void): () => void {
  if (stdin.isTTY) return listenRaw(stdin, (d) => parseRawKeys(d).forEach(onKey));
  const rl = createInterface({ input: stdin });
  rl.on('line', (l) => {
    if (!l.trim()) return;
    const k = parseLineKey(l);
    if (k) onKey(k);
    else onUnknown(l);
  });
  return () => rl.close();
}
