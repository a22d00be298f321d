// Test helper: reads an Intel hex file into address -> byte, to compare a flashed image with the emulated chip's flash.
import { readFileSync } from 'node:fs';

export function readIntelHex(file: string): Map<number, number> {
  const bytes = new Map<number, number>();
  let base = 0;
  for (const [n, raw] of readFileSync(file, 'utf8').split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith(':')) throw new Error(`${file}:${n + 1}: not an Intel hex record`);
    const rec = Buffer.from(line.slice(1), 'hex');
    const sum = rec.reduce((a, b) => (a + b) & 0xff, 0);
    if (sum !== 0 || rec.length !== rec[0]! + 5) throw new Error(`${file}:${n + 1}: bad checksum or length`);
    const addr = base + ((rec[1]! << 8) | rec[2]!);
    const type = rec[3]!;
    if (type === 0) for (let i = 0; i < rec[0]!; i++) bytes.set(addr + i, rec[4 + i]!);
    else if (type === 2) base = ((rec[4]! << 8) | rec[5]!) << 4;
    else if (type === 4) base = ((rec[4]! << 8) | rec[5]!) << 16;
  }
  return bytes;
}
