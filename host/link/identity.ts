// Handshake checks on identify_reply: protocol hash, MCU type, node id. Each refusal is one sentence with the fix.
import { CONSTANTS, MESSAGES } from '../protocol/messages.ts';
import { decodePayload } from '../protocol/codec.ts';
import type { IdentifyReply } from '../protocol/messages.gen.ts';
import type { Board } from '../hw/board.ts';
import { LinkError } from './errors.ts';
import { decodeNodeId, hex32, mcuTypeName } from './texts.ts';

const IDENTIFY_REPLY_ID = MESSAGES.find((m) => m.name === 'identify_reply')!.id;

/** identify_reply plus the node id as a string. */
export interface Identity extends IdentifyReply {
  nodeId: string;
}

/**
 * Reads the protocol hash from an identify_reply payload without trusting the rest of the layout: firmware built
 * from another message table may have a differently sized reply, yet [id][fw_major][fw_minor][proto_hash u32 LE]
 * must still be readable to say "reflash". Returns null when the payload is not an identify_reply at all.
 */
export function peekProtoHash(payload: Uint8Array): number | null {
  if (payload.length < 7 || payload[0] !== IDENTIFY_REPLY_ID) return null;
  return new DataView(payload.buffer, payload.byteOffset + 3, 4).getUint32(0, true);
}

export interface IdentityCheck {
  port: string;
  board: Board;
  /** Expected node id; undefined skips the check (probing). */
  nodeId?: string;
  expectedHash: number;
}

/** Validates an identify_reply payload; throws LinkError naming what differs and how to fix it. */
export function checkIdentity(payload: Uint8Array, c: IdentityCheck): Identity {
  const hash = peekProtoHash(payload);
  if (hash === null) throw new LinkError('no_answer', `${c.port} answered identify with something that is not an identify_reply`);
  if (hash !== c.expectedHash) {
    throw new LinkError(
      'protocol_mismatch',
      `firmware on ${c.port} speaks protocol ${hex32(hash)}, this host ${hex32(c.expectedHash)}: reflash it with \`ganglion flash --board ${c.board.id} --port ${c.port}\``,
    );
  }
  const msgs = decodePayload(payload);
  const first = msgs[0];
  if (!first || first.name !== 'identify_reply') throw new LinkError('no_answer', `${c.port} sent a malformed identify_reply`);
  const reply = first.fields;
  const wantMcu = CONSTANTS.MCU[c.board.mcu.toUpperCase() as keyof typeof CONSTANTS.MCU];
  if (reply.mcu !== wantMcu) {
    throw new LinkError('wrong_board', `wrong board on ${c.port}: it reports MCU type ${mcuTypeName(reply.mcu)}, board profile '${c.board.id}' expects ${c.board.mcu}`);
  }
  const nodeId = decodeNodeId(reply.node_id);
  if (c.nodeId !== undefined && nodeId !== '' && nodeId !== c.nodeId) {
    throw new LinkError('wrong_board', `wrong board on ${c.port}: it is the '${nodeId}' node, expected '${c.nodeId}'`);
  }
  return { ...reply, nodeId };
}

/** "Ganglion firmware 0.1, protocol 0x595a57f8 (matches this host), atmega328p, node 'base'": for `ganglion doctor`. */
export function describeIdentity(id: IdentifyReply, hostHash: number): string {
  const node = decodeNodeId(id.node_id);
  const proto = id.proto_hash === hostHash ? 'matches this host' : `this host speaks ${hex32(hostHash)}: reflash`;
  return `Ganglion firmware ${id.fw_major}.${id.fw_minor}, protocol ${hex32(id.proto_hash)} (${proto}), ${mcuTypeName(id.mcu)}, ${node ? `node '${node}'` : 'no node id stored'}`;
}
