// The listeners a mosquitto 2 configuration opens (following include_dir), and which of them are plain on a non-loopback address.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopback } from './mosquitto.ts';

export interface ConfListener {
  /** Where it is configured (the `listener` line, or the first `port`/`bind_address` of the default listener). */
  file: string;
  line: number;
  port: number;
  /** null: every interface (mosquitto's default when a listener names no address). */
  address: string | null;
  /** certfile or psk_hint set for it. */
  tls: boolean;
}

interface State {
  listeners: ConfListener[];
  /** The pre-`listener` settings (port, bind_address, certfile) make mosquitto's default listener. */
  dflt: ConfListener | null;
  current: ConfListener | null;
}

const DEFAULT_PORT = 1883;

function parse(file: string, s: State): void {
  readFileSync(file, 'utf8').split('\n').forEach((raw, i) => {
    const [key, ...args] = raw.trim().split(/\s+/);
    if (!key || key.startsWith('#')) return;
    const at = { file, line: i + 1 };
    const target = () => s.current ?? (s.dflt ??= { ...at, port: DEFAULT_PORT, address: null, tls: false });
    if (key === 'listener') {
      s.current = { ...at, port: Number(args[0]), address: args[1] ?? null, tls: false };
      s.listeners.push(s.current);
    } else if (key === 'port' && !s.current) target().port = Number(args[0]);
    else if (key === 'bind_address' && !s.current) target().address = args[0] ?? null;
    else if (key === 'certfile' || key === 'psk_hint') target().tls = true;
    else if (key === 'include_dir' && args[0] && existsSync(args[0])) {
      // mosquitto reads the *.conf files of the folder in sorted order.
      for (const f of readdirSync(args[0]).filter((n) => n.endsWith('.conf')).sort()) parse(join(args[0], f), s);
    }
  });
}

/**
 * The listeners `file` configures. With none at all, mosquitto 2 runs in "local only" mode: 1883 on loopback
 * (returned as such, with the file as where it comes from).
 */
export function mosquittoListeners(file: string): ConfListener[] {
  const s: State = { listeners: [], dflt: null, current: null };
  parse(file, s);
  const all = s.dflt ? [s.dflt, ...s.listeners] : s.listeners;
  return all.length ? all : [{ file, line: 0, port: DEFAULT_PORT, address: '127.0.0.1', tls: false }];
}

/** A unix socket (`listener 0 /path`) or a loopback address: nothing crosses a network. */
export const listenerIsLocal = (l: ConfListener) => l.address !== null && (l.address.startsWith('/') || isLoopback(l.address));
