// The decode-table instruction step against avr8js's own avrInstruction: every one of the 65,536 opcodes, from random CPU states, leaves the same state.
import t from 'tap';
import { avrInstruction, CPU } from 'avr8js';
import { buildFastInstruction, fastInstruction, parseInstructionSource } from '../../host/emulator/fast-instruction.ts';

const FLASH_WORDS = 0x4000; // ATmega328P: 32 KB
const SRAM = 0x800;

/** A deterministic PRNG (mulberry32), so a failure names a reproducible state. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

t.test('every opcode, 3 random states each: same registers, memory, SREG, SP, pc and cycles as avrInstruction', (t) => {
  const fast = fastInstruction();
  t.match(fast.source, /^decode table built from/, 'the table was built from the installed avr8js');
  const a = new CPU(new Uint16Array(FLASH_WORDS), SRAM);
  const b = new CPU(new Uint16Array(FLASH_WORDS), SRAM);
  // Hooks an instruction may call: the same counters on both sides.
  const calls = { a: 0, b: 0 };
  a.onWatchdogReset = () => calls.a++;
  b.onWatchdogReset = () => calls.b++;
  const rand = rng(42);
  // Random memory contents come from one pool at random offsets: filling 2 KB per step from the PRNG would be slow.
  const pool = new Uint8Array(1 << 20).map(() => (rand() * 256) | 0);
  let mismatches = 0;
  let first = '';
  for (let op = 0; op < 0x10000; op++) {
    for (let k = 0; k < 3; k++) {
      const pc = 0x100 + Math.floor(rand() * 0x2000);
      const off = Math.floor(rand() * (pool.length - a.data.length));
      a.data.set(pool.subarray(off, off + a.data.length));
      // A stack pointer inside SRAM, so pushes and calls land in memory both sides compare.
      a.dataView.setUint16(0x5d, 0x100 + 0x20 + Math.floor(rand() * (SRAM - 0x40)), true);
      a.progMem[pc] = op;
      a.progMem[pc + 1] = (rand() * 0x10000) | 0; // the second word of a two-word instruction
      a.pc = pc;
      a.cycles = 1000;
      b.data.set(a.data);
      b.progMem.set(a.progMem);
      b.pc = a.pc;
      b.cycles = a.cycles;
      avrInstruction(a);
      fast.step(b);
      const same = a.pc === b.pc && a.cycles === b.cycles && calls.a === calls.b && Buffer.compare(a.data, b.data) === 0;
      if (!same) {
        mismatches++;
        first ||= `opcode 0x${op.toString(16)}: pc ${a.pc} vs ${b.pc}, cycles ${a.cycles} vs ${b.cycles}`;
      }
      a.progMem[pc] = a.progMem[pc + 1] = 0;
      b.progMem[pc] = b.progMem[pc + 1] = 0;
    }
  }
  t.equal(mismatches, 0, first || 'all 196,608 steps agree');
  t.ok(calls.a > 0, `WDR was among them (${calls.a} calls)`);
  t.end();
});

t.test('a source of another shape is refused, so the caller falls back to avrInstruction', (t) => {
  t.throws(() => parseInstructionSource('export function other() {}'), /avrInstruction\(cpu\) not found/);
  t.throws(
    () => buildFastInstruction('export function avrInstruction(cpu) { const opcode = cpu.progMem[cpu.pc]; if (opcode === 1) { cpu.pc = 0; } cpu.cycles++; }'),
    /unexpected shape: 1 branches/,
  );
  t.end();
});
