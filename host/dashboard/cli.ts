// `ganglion dashboard`: serves the web dashboard, which connects to the broker's MQTT-over-WebSocket listener as the user who logs in.
import { parseArgs } from 'node:util';
import { startDashboard } from './server.ts';

/** The embedded broker's WebSocket listener when `ganglion run` starts it with its defaults. */
export const DEFAULT_BROKER_WS = 'ws://127.0.0.1:9001';
export const DEFAULT_PORT = 8080;

const HELP = `usage: ganglion dashboard [options]

Serves the web dashboard. Open the printed URL and log in with a broker user (see docs/dashboard.md):
the browser connects to the broker itself; this server never sees a password.

  --port N          HTTP port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host ADDR       interface to listen on (default 127.0.0.1)
  --broker-ws URL   the broker's MQTT-over-WebSocket URL as the browser reaches it (default ${DEFAULT_BROKER_WS})
`;

export interface DashboardMainOptions {
  /** Stops the server (as SIGINT/SIGTERM do). */
  signal?: AbortSignal;
  /** Where the help and the URL line go (default stdout). */
  print?: (text: string) => void;
}

export async function dashboardMain(argv: string[], o: DashboardMainOptions = {}): Promise<number> {
  const print = o.print ?? ((text: string) => process.stdout.write(text));
  const signal = o.signal;
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, host: { type: 'string' }, 'broker-ws': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    print(HELP);
    return 0;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port}: expected a port number from 0 to 65535`);
  const d = await startDashboard({ host: values.host ?? '127.0.0.1', port, brokerWsUrl: values['broker-ws'] ?? DEFAULT_BROKER_WS });
  print(`dashboard: ${d.url} (broker ${values['broker-ws'] ?? DEFAULT_BROKER_WS}); Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (signal?.aborted) done();
    signal?.addEventListener('abort', done, { once: true });
  });
  await d.close();
  return 0;
}

/** The `ganglion` dispatcher calls main(argv). */
export const main = (argv: string[]) => dashboardMain(argv);
