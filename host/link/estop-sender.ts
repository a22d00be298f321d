// The session's e-stop fast path: an estop frame written at once, outside the send window, repeated until the MCU confirms.
import { CONSTANTS } from '../protocol/messages.ts';
import { encodeFrame } from '../protocol/frame.ts';
import { encodeMessage } from '../protocol/codec.ts';
import { LinkError } from './errors.ts';
import type { McuEvent } from './session-types.ts';

/** [ms] shortest repeat: the MCU answers at receipt, so a round trip is the wire plus one main-loop pass. */
export const ESTOP_REPEAT_MIN_MS = 5;

export interface EstopLink {
  port: string;
  /** Straight to the transport: nothing queued or in flight in the send window goes first. */
  write(bytes: Uint8Array): void;
  /** Any seq will do (the MCU acts on a lone estop whatever its seq and consumes none); the window's next is as good as any. */
  seq(): number;
  /** [ms] smoothed round trip, or null before one was measured. */
  srttMs(): number | null;
  linkUp(): boolean;
  onEvent(listener: (e: McuEvent) => void): () => void;
  /** [ms] after this the MCU's own link watchdog has stopped the outputs if none of our frames got through. */
  giveUpMs: number;
}

/**
 * Why repeating instead of the window's seq/ack: an e-stop frame sequenced behind the frames in flight would wait for
 * them (and for a retransmission of any lost one) before the MCU could apply it. Sent unsequenced it overtakes them;
 * a lost or corrupted copy is covered by the next one, and every copy the MCU receives is answered by an ESTOP event,
 * which ends the repeats. Duplicates are harmless: stopping twice is stopping.
 */
export function sendEstop(link: EstopLink): Promise<void> {
  const frame = () => encodeFrame(link.seq(), encodeMessage('estop', {}));
  const t0 = performance.now();
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | null = null;
    const finish = (err?: Error) => {
      off();
      if (timer) clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const off = link.onEvent((e) => {
      if (e.code === CONSTANTS.EVENT.ESTOP) finish();
    });
    const send = () => {
      if (!link.linkUp()) return finish(new LinkError('disconnected', `e-stop to ${link.port} not confirmed: the link is down (the MCU's link watchdog stops its outputs)`));
      if (performance.now() - t0 > link.giveUpMs) {
        return finish(new LinkError('disconnected', `e-stop to ${link.port} not confirmed within ${link.giveUpMs} ms (the MCU's link watchdog stops its outputs if nothing gets through)`));
      }
      link.write(frame());
      timer = setTimeout(send, Math.max(ESTOP_REPEAT_MIN_MS, 2 * (link.srttMs() ?? 0)));
    };
    send();
  });
}
