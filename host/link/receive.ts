// The receive path: one CRC-checked frame from the MCU -> decoded messages routed to the session's handlers, and
// the frame's ack to the send window. A payload that does not decode is counted and applies nothing, not even its ack.
import { messageDef, decodePayload, type Decoded } from '../protocol/codec.ts';
import type { Frame } from '../protocol/frame.ts';
import type { Status, Telemetry, McuMessages } from '../protocol/messages.gen.ts';

const IDENTIFY_REPLY_ID = messageDef('identify_reply').id;

/** Where decoded MCU messages go. */
export interface ReceiveSink {
  /** Set while the handshake waits for identify_reply: it gets the raw payload and the frame's ack. */
  identifyWaiter: ((payload: Uint8Array, ack: number) => void) | null;
  /** False before the handshake has put the send window in step: acks are then ignored. */
  linkUp: boolean;
  telemetry(fields: Telemetry, nowMs: number): void;
  status(fields: Status): void;
  pong(token: number, m: Decoded, nowMs: number): void;
  mcuError(fields: McuMessages['error'], ack: number): void;
  event(fields: McuMessages['event']): void;
  decodeError(): void;
  ack(ack: number): void;
  /** The MCU dropped frame `droppedSeq` after a gap; `ack` is where to resume. */
  nak(ack: number, droppedSeq: number): void;
}

export function routeFrame(f: Frame, sink: ReceiveSink): void {
  if (sink.identifyWaiter && f.payload.length > 0 && f.payload[0] === IDENTIFY_REPLY_ID) {
    sink.identifyWaiter(f.payload, f.seq);
    return;
  }
  let msgs: Decoded[];
  try {
    msgs = decodePayload(f.payload);
  } catch {
    // CRC was right but the content is not ours (another protocol version, a bug): apply nothing, not even the ack.
    sink.decodeError();
    return;
  }
  const now = performance.now();
  for (const m of msgs) {
    switch (m.name) {
      case 'telemetry': sink.telemetry(m.fields, now); break;
      case 'status': sink.status(m.fields); break;
      case 'pong': sink.pong(m.fields.token, m, now); break;
      case 'error': sink.mcuError(m.fields, f.seq); break;
      case 'event': sink.event(m.fields); break;
      case 'nak': sink.nak(f.seq, m.fields.seq); break;
      case 'identify_reply': break; // a late duplicate of the handshake's answer
      default: sink.decodeError(); // a host->MCU message id coming back: echo or crossed wires
    }
  }
  if (sink.linkUp) sink.ack(f.seq);
}
