// Property tests of the host frame decoder: arbitrary bytes never crash it or produce a frame that was not in the
// stream with a valid CRC; valid frames survive any chunking and garbage between them; bit flips are never accepted.
import t from 'tap';
import fc from 'fast-check';
import { FrameDecoder, encodeFrame, type Frame } from '../../host/protocol/frame.ts';
import { FRAME } from '../../host/protocol/messages.ts';

const payloadArb = fc.uint8Array({ minLength: 0, maxLength: FRAME.MAX_BYTES - FRAME.MIN_BYTES });
const frameArb = fc.record({ seq: fc.integer({ min: 0, max: 255 }), payload: payloadArb });

function decodeChunks(chunks: Uint8Array[]): { frames: Frame[]; dec: FrameDecoder } {
  const dec = new FrameDecoder();
  const frames: Frame[] = [];
  for (const c of chunks) dec.push(c, (f) => frames.push(f));
  return { frames, dec };
}

/** Cut `bytes` at the given (sorted, deduplicated) offsets. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Zero is never a valid length byte: this many of them force a verdict on any candidate still waiting for bytes,
 *  as the next telemetry frame does on a live link. */
const FLUSH = new Uint8Array(FRAME.MAX_BYTES);

t.test('arbitrary byte streams never throw and every frame out was in the stream with a valid CRC', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
      const { frames, dec } = decodeChunks(split(bytes, cuts));
      for (const f of frames) {
        // Re-encoding computes the correct CRC: the frame must appear byte for byte in the input.
        if (indexOf(bytes, encodeFrame(f.seq, f.payload)) < 0) return false;
      }
      return dec.stats.frames === frames.length;
    }),
    { numRuns: 2000 },
  );
  // Streams built mostly of plausible frame starts and SYNC bytes exercise the resync paths harder.
  const nasty = fc.array(fc.constantFrom(0x05, 0x06, 0x07, 0x40, 0x7e, 0x00, 0xff, 0x12), { maxLength: 400 }).map((a) => Uint8Array.from(a));
  fc.assert(
    fc.property(nasty, (bytes) => {
      const { frames } = decodeChunks([bytes]);
      return frames.every((f) => indexOf(bytes, encodeFrame(f.seq, f.payload)) >= 0);
    }),
    { numRuns: 2000 },
  );
  t.pass('no exception, no frame that was not in the stream');
});

t.test('valid frames split at arbitrary boundaries and mixed with garbage are all recovered, in order', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), frameArb), { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (parts, cuts) => {
        const stream = concat([...parts.flatMap(([garbage, f]) => [garbage, encodeFrame(f.seq, f.payload)]), FLUSH]);
        const { frames } = decodeChunks(split(stream, cuts));
        // Originals must appear as a subsequence (a false frame forged by garbage would need a 2^-24 coincidence).
        let k = 0;
        for (const f of frames) {
          const want = parts[k]?.[1];
          if (want && f.seq === want.seq && Buffer.from(f.payload).equals(Buffer.from(want.payload))) k++;
        }
        return k === parts.length;
      },
    ),
    { numRuns: 1000 },
  );
  t.pass('all frames recovered');
});

t.test('a frame with any one or two bits flipped is never accepted', async (t) => {
  fc.assert(
    fc.property(frameArb, fc.nat(), fc.nat(), fc.boolean(), (f, bitA, bitB, two) => {
      const good = encodeFrame(f.seq, f.payload);
      const bad = good.slice();
      const nbits = bad.length * 8;
      const a = bitA % nbits;
      bad[a >> 3]! ^= 1 << (a & 7);
      const b = bitB % nbits;
      if (two && b !== a) bad[b >> 3]! ^= 1 << (b & 7);
      const { frames, dec } = decodeChunks([bad, FLUSH]);
      // CRC-16 catches every 1- and 2-bit error within 64 bytes; the SYNC and length checks catch the rest first.
      return frames.length === 0 && dec.stats.crcErrors + dec.stats.lengthErrors + dec.stats.syncErrors > 0;
    }),
    { numRuns: 3000 },
  );
  t.pass('no corrupted frame accepted');
});

t.test('a truncated frame followed by a good one: the good one is recovered, the stub counted', async (t) => {
  const a = encodeFrame(1, Uint8Array.from([1, 2, 3, 4, 5, 6]));
  const b = encodeFrame(2, Uint8Array.from([9, 9]));
  const { frames, dec } = decodeChunks([a.subarray(0, a.length - 4), b, FLUSH]);
  t.same(frames.map((f) => f.seq), [2]);
  t.ok(dec.stats.bytesDropped > 0, 'the truncated start was dropped and counted');
});
