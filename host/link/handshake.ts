// The handshake: identify (retried with one seq until answered, which also resynchronises the MCU's expected seq),
// the identity checks, then the node id, a disarm and the wiring's configuration, each a reliable command.
import { FRAME } from '../protocol/messages.ts';
import { encodeFrame } from '../protocol/frame.ts';
import { encodeMessage, type Decoded } from '../protocol/codec.ts';
import type { HostMessages } from '../protocol/messages.gen.ts';
import type { Board } from '../hw/board.ts';
import type { NodeWiring } from '../hw/robot.ts';
import type { SendWindow } from './send-window.ts';
import { CommandRefused, LinkError } from './errors.ts';
import { checkIdentity, type Identity } from './identity.ts';
import { configRefusalText, type ConfigItem } from './wiring-config.ts';
import { encodeNodeId } from './texts.ts';

/** What the handshake needs of the session. */
export interface HandshakeLink {
  port: string;
  board: Board;
  node: NodeWiring;
  expectedProtoHash: number;
  identify_timeout_ms: number;
  window: SendWindow;
  write(bytes: Uint8Array): void;
  transportOpen(): boolean;
  closed(): boolean;
  /** Routes identify_reply payloads (with the frame's ack) to `waiter` while it is set. */
  setIdentifyWaiter(waiter: ((payload: Uint8Array, ack: number) => void) | null): void;
  command<K extends keyof HostMessages>(name: K, fields: HostMessages[K]): Promise<Decoded | null>;
}

const IDENTIFY_WAIT_FIRST_MS = 100;
const IDENTIFY_WAIT_MAX_MS = 500;

/** Sends identify (always accepted, resynchronises the MCU's expected seq) until answered or timed out. */
export async function identify(l: HandshakeLink): Promise<Identity> {
  const seq = l.window.nextSeq;
  l.window.reset(seq, FRAME.MAX_BYTES);
  // Every retry reuses the seq: a late duplicate then resets the MCU to the same expected seq, not a newer one.
  const frame = encodeFrame(seq, encodeMessage('identify', {}));
  const deadline = performance.now() + l.identify_timeout_ms;
  let waitMs = IDENTIFY_WAIT_FIRST_MS;
  let tries = 0;
  try {
    while (performance.now() < deadline) {
      if (l.closed()) throw new LinkError('closed', `session on ${l.port} closed`);
      const sentAt = performance.now();
      tries++;
      l.write(frame);
      const got = await new Promise<Uint8Array | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), Math.min(waitMs, Math.max(1, deadline - performance.now())));
        l.setIdentifyWaiter((payload, ack) => {
          if (ack !== ((seq + 1) & 0xff)) return;
          clearTimeout(timer);
          resolve(payload);
        });
      });
      if (got) {
        const id = checkIdentity(got, { port: l.port, board: l.board, nodeId: l.node.id, expectedHash: l.expectedProtoHash });
        if (tries === 1) l.window.rtt.sample(performance.now() - sentAt);
        l.window.reset((seq + 1) & 0xff, id.rx_buffer_bytes);
        return id;
      }
      if (!l.transportOpen()) break;
      waitMs = Math.min(IDENTIFY_WAIT_MAX_MS, waitMs * 1.5);
    }
  } finally {
    l.setIdentifyWaiter(null);
  }
  throw new LinkError('no_answer', `no answer from ${l.port} at ${l.board.baud} baud: is the Ganglion firmware flashed (\`ganglion flash\`) and the baud right?`);
}

/** After identify: stores the node id if the MCU has none, disarms, and sends every configuration item. A refused
 *  item fails with a LinkError naming the wiring item and its pin. */
export async function configure(l: HandshakeLink, id: Identity, config: readonly ConfigItem[]): Promise<void> {
  if (id.nodeId === '') await l.command('set_node_id', { node_id: encodeNodeId(l.node.id) });
  // A host that restarts must not inherit an armed MCU; configuring while armed would also move outputs.
  await l.command('disarm', {});
  for (const item of config) {
    try {
      await l.command(item.command.name, item.command.fields as never);
    } catch (e) {
      if (e instanceof CommandRefused) throw new LinkError('config', configRefusalText(l.port, item, e.mcuCode, e.arg, l.board));
      throw e;
    }
  }
}
