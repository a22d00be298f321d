// The dashboard's MQTT connection in a dedicated worker: the WebSocket, mqtt.js and every payload's validation run beside the page's rendering, not behind it.
//
// Why: on the page's main thread a telemetry message waited for whatever task was running (a plot redraw, a style
// recalculation, a frame) before mqtt.js could even see its bytes; bench 12 measured that wait as most of the telemetry
// tail. Here arrival is stamped, parsed and checked on a thread that does nothing else, and the page gets the checked
// messages when it next runs.
import './zod-config.ts';
import { Connection } from './connection.ts';
import type { FromWorker, ToWorker } from './connection-protocol.ts';
import type { Incoming } from './messages.ts';

const scope = self as unknown as { postMessage(m: FromWorker): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };

let conn: Connection | null = null;
/** Messages stamped in this task; sent as one batch when the task's microtasks have run (one WebSocket frame's worth). */
let batch: { msg: Incoming; arrivedWallMs: number }[] = [];

function queue(msg: Incoming, arrivedWallMs: number): void {
  if (batch.length === 0) queueMicrotask(flush);
  batch.push({ msg, arrivedWallMs });
}

function flush(): void {
  if (batch.length === 0) return;
  const items = batch;
  batch = [];
  scope.postMessage({ t: 'messages', items });
}

/** Anything else goes after the messages before it, in the order the broker sent them. */
function post(m: FromWorker): void {
  flush();
  scope.postMessage(m);
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.t) {
    case 'login':
      try {
        conn = await Connection.login(m.url, m.username, m.password, {
          message: queue,
          bad: (topic, error) => post({ t: 'bad', topic, error }),
          link: (state, detail) => post({ t: 'link', state, ...(detail === undefined ? {} : { detail }) }),
          role: (role) => post({ t: 'role', role }),
        });
        post({ t: 'login', ok: true, role: conn.role });
      } catch (e) {
        post({ t: 'login', ok: false, error: (e as Error).message });
      }
      return;
    case 'follow': conn?.follow(m.robot, m.previous); return;
    case 'command': {
      const reply = conn ? await conn.command(m.robot, m.name, m.body) : { ok: false, command: m.name, error: 'not connected' };
      post({ t: 'reply', id: m.id, reply });
      return;
    }
    case 'send': {
      const id = m.id;
      conn?.send(m.robot, m.name, m.body, id === null ? undefined : (refusal) => post({ t: 'settled', id, refusal }));
      return;
    }
    case 'close':
      conn?.close();
      conn = null;
      self.close();
  }
}

scope.onmessage = (e) => void handle(e.data);
