// Frame layer: CRC-16, frame encoding, and a streaming decoder that resyncs after garbage and counts what it drops.
import { FRAME, FRAME_LAYOUT } from './messages.ts';

/** CRC-16/MCRF4XX (poly 0x1021 reflected = 0x8408, init 0xFFFF, no final xor): Klipper's crc16_ccitt, table-free. */
export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    let data = buf[i]! ^ (crc & 0xff);
    data = (data ^ (data << 4)) & 0xff;
    crc = (((data << 8) | (crc >> 8)) ^ (data >> 4) ^ (data << 3)) & 0xffff;
  }
  return crc;
}

/** Wrap a payload (one or more encoded messages) in a frame with the given sequence byte. */
export function encodeFrame(seq: number, payload: Uint8Array): Uint8Array {
  const len = payload.length + FRAME.MIN_BYTES;
  if (len > FRAME.MAX_BYTES) throw new RangeError(`frame of ${len} bytes exceeds the ${FRAME.MAX_BYTES}-byte maximum`);
  const out = new Uint8Array(len);
  const crcAt = len - FRAME.TRAILER_BYTES;
  out[FRAME_LAYOUT.LEN_AT] = len;
  out[FRAME_LAYOUT.SEQ_AT] = seq & 0xff;
  out.set(payload, FRAME_LAYOUT.PAYLOAD_AT);
  const crc = crc16(out, 0, crcAt);
  out[crcAt] = crc >> 8;
  out[crcAt + 1] = crc & 0xff;
  out[len - 1] = FRAME.SYNC;
  return out;
}

export interface Frame {
  seq: number;
  payload: Uint8Array;
}

/** What the decoder rejected. Every rejected byte is accounted for in one of these. */
export interface FrameStats {
  frames: number;
  crcErrors: number;
  lengthErrors: number;
  syncErrors: number;
  bytesDropped: number;
}

/** Streaming decoder: push bytes in any chunking, get whole valid frames out. */
export class FrameDecoder {
  private buf = new Uint8Array(FRAME.MAX_BYTES * 4);
  private n = 0;
  readonly stats: FrameStats = { frames: 0, crcErrors: 0, lengthErrors: 0, syncErrors: 0, bytesDropped: 0 };

  push(chunk: Uint8Array, onFrame: (f: Frame) => void): void {
    for (let i = 0; i < chunk.length; ) {
      const take = Math.min(chunk.length - i, this.buf.length - this.n);
      this.buf.set(chunk.subarray(i, i + take), this.n);
      this.n += take;
      i += take;
      this.drain(onFrame);
    }
  }

  private drain(onFrame: (f: Frame) => void): void {
    while (this.n > 0) {
      const len = this.buf[0]!;
      if (len < FRAME.MIN_BYTES || len > FRAME.MAX_BYTES) {
        this.stats.lengthErrors++;
        this.resync();
        continue;
      }
      if (this.n < len) return;
      if (this.buf[len - 1] !== FRAME.SYNC) {
        this.stats.syncErrors++;
        this.resync();
        continue;
      }
      const crc = (this.buf[len - 3]! << 8) | this.buf[len - 2]!;
      if (crc !== crc16(this.buf, 0, len - 3)) {
        this.stats.crcErrors++;
        this.resync();
        continue;
      }
      this.stats.frames++;
      const frame = { seq: this.buf[1]!, payload: this.buf.slice(2, len - 3) };
      this.consume(len);
      onFrame(frame);
    }
  }

  /** Drop one byte and try again: a frame may start anywhere in what follows garbage, even before the next SYNC. */
  private resync(): void {
    this.stats.bytesDropped++;
    this.consume(1);
  }

  private consume(k: number): void {
    this.buf.copyWithin(0, k, this.n);
    this.n -= k;
  }
}
