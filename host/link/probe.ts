// Asks whatever is on a port who it is (identify), without configuring anything: `ganglion doctor` uses it to say
// which firmware a board runs, including firmware built from another protocol version.
import { FrameDecoder, encodeFrame } from '../protocol/frame.ts';
import { decodePayload, encodeMessage, messageDef } from '../protocol/codec.ts';
import { payloadBytes } from '../protocol/messages.ts';
import { PROTO_HASH, type IdentifyReply } from '../protocol/messages.gen.ts';
import type { Transport } from './transport.ts';
import { peekProtoHash } from './identity.ts';
import { decodeNodeId } from './texts.ts';

export interface ProbeResult extends IdentifyReply {
  nodeId: string;
  /** Same protocol hash as this host. When false, only fw_major/fw_minor/proto_hash are trustworthy. */
  compatible: boolean;
}

const REPLY = messageDef('identify_reply');

/**
 * Sends identify until an identify_reply arrives or `timeoutMs` passes; null when nothing answered. Opens the
 * transport if needed and then closes it again. Identify only resynchronises the MCU's sequence number, so probing
 * a board in use costs its session one NAK at most.
 */
export async function probePort(transport: Transport, timeoutMs = 1500): Promise<ProbeResult | null> {
  const openedHere = !transport.isOpen;
  if (openedHere) await transport.open();
  const decoder = new FrameDecoder();
  let done = false;
  let found: ((r: ProbeResult) => void) | null = null;
  // Transports keep listeners for life; this one goes quiet once the probe is over.
  transport.onData((bytes) => {
    if (done) return;
    decoder.push(bytes, (f) => {
      const r = parseReply(f.payload);
      if (r && found) found(r);
    });
  });
  const frame = encodeFrame(0, encodeMessage('identify', {}));
  const deadline = performance.now() + timeoutMs;
  let waitMs = 100;
  try {
    while (performance.now() < deadline && transport.isOpen) {
      transport.write(frame);
      const r = await new Promise<ProbeResult | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), Math.min(waitMs, Math.max(1, deadline - performance.now())));
        found = (x) => { clearTimeout(timer); resolve(x); };
      });
      if (r) return r;
      waitMs = Math.min(400, waitMs * 1.5);
    }
    return null;
  } finally {
    done = true;
    if (openedHere && transport.isOpen) await transport.close();
  }
}

/** identify_reply from a payload, read leniently: a reply from another protocol version is padded or cut to ours. */
function parseReply(payload: Uint8Array): ProbeResult | null {
  const hash = peekProtoHash(payload);
  if (hash === null) return null;
  const want = 1 + payloadBytes(REPLY);
  const fixed = new Uint8Array(want);
  fixed.set(payload.subarray(0, want));
  const m = decodePayload(fixed)[0];
  if (!m || m.name !== 'identify_reply') return null;
  return { ...m.fields, nodeId: decodeNodeId(m.fields.node_id), compatible: hash === PROTO_HASH };
}
