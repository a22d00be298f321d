// The MCU harness on a small known program: byte-timed USART, PWM duty, pin-change inputs, watchdog reset, fast timers.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AvrMcu } from '../../host/emulator/avr.ts';
import { parseIntelHex } from '../../host/emulator/ihex.ts';
import { PinMeter } from '../../host/emulator/pin-meter.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'gng-harness-'));
const src = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'harness.c');
execFileSync('avr-gcc', ['-mmcu=atmega328p', '-Os', '-o', path.join(dir, 'h.elf'), src]);
execFileSync('avr-objcopy', ['-O', 'ihex', path.join(dir, 'h.elf'), path.join(dir, 'h.hex')]);
const flash = parseIntelHex(readFileSync(path.join(dir, 'h.hex'), 'utf8'));

const PD2 = 3 * 8 + 2;
const PD6 = 3 * 8 + 6;
const PD5 = 3 * 8 + 5;
const PB3 = 1 * 8 + 3;
const PB5 = 1 * 8 + 5;
const MS = 16_000;

function boot(stockTimers = false) {
  const mcu = new AvrMcu({ flash, stockTimers });
  const tx: { byte: number; cycles: number }[] = [];
  mcu.onTx((byte, cycles) => tx.push({ byte, cycles }));
  return { mcu, tx };
}

t.test('boot byte reports power-on reset; host bytes arrive one 10-bit byte time apart', (t) => {
  const { mcu, tx } = boot();
  mcu.runUntil(MS);
  t.same(tx.map((x) => x.byte), [0x01], 'MCUSR = PORF at power-on');
  mcu.writeRx([10, 20, 30, 40]);
  t.equal(mcu.rxPending, 3, 'the first byte is on the wire, three wait in the host queue');
  mcu.runUntil(2 * MS);
  const echo = tx.slice(1);
  t.same(echo.map((x) => x.byte), [11, 21, 31, 41]);
  const gaps = echo.slice(1).map((x, i) => x.cycles - echo[i]!.cycles);
  // Each echo leaves from the RX interrupt, so a gap is 160 cycles plus the difference in interrupt latency.
  t.ok(gaps.every((g) => Math.abs(g - 160) <= 8), `1 Mbaud: 10 bits = 160 cycles per byte (gaps ${gaps})`);
  const span = echo[3]!.cycles - echo[0]!.cycles;
  t.ok(Math.abs(span - 480) <= 8, `three byte times in ${span} cycles`);
  t.end();
});

t.test('host bytes given a later cycle wait for it on the line; bytes queued before them do not', (t) => {
  const { mcu, tx } = boot();
  mcu.runUntil(MS);
  const w0 = mcu.cycles;
  mcu.writeRx([10]); // now
  mcu.writeRx([20, 30], 3 * MS); // sent at a moment the emulator has not reached (RealtimePacer.cycleAt)
  mcu.runUntil(2 * MS);
  t.same(tx.slice(1).map((x) => x.byte), [11], 'the earlier byte came through at once; the later ones wait');
  mcu.runUntil(4 * MS);
  const late = tx.slice(2);
  t.same(late.map((x) => x.byte), [21, 31], 'then they arrive, in order');
  // An echo leaves as soon as its byte is in, so the echo of the first gated byte comes as long after the gate as the
  // ungated byte's echo came after its write (give or take the interrupt latency).
  const echoAfter = tx[1]!.cycles - w0;
  const gated = late[0]!.cycles - 3 * MS;
  t.ok(Math.abs(gated - echoAfter) <= 40, `echo ${gated} cycles after the gate, ${echoAfter} after an ungated write`);
  const at = mcu.cycles;
  mcu.writeRx([40], MS); // a gate already passed is now
  mcu.runUntil(at + MS);
  t.ok(tx.at(-1)!.byte === 41 && Math.abs(tx.at(-1)!.cycles - at - echoAfter) <= 40, 'a gate in the past does not hold a byte back');

  // The pacer drops a lag (emulated time skips 5 ms here): a byte due 10 ms on is due 5 ms sooner, one due within the
  // skip is due now.
  const s0 = mcu.cycles;
  mcu.writeRx([60], s0 + 10 * MS);
  mcu.runUntil(s0 + 2 * MS);
  mcu.skipped(5 * MS);
  mcu.runUntil(s0 + 4 * MS);
  t.not(tx.at(-1)!.byte, 61, 'not before its moved gate');
  mcu.runUntil(s0 + 6 * MS);
  t.ok(tx.at(-1)!.byte === 61 && Math.abs(tx.at(-1)!.cycles - (s0 + 5 * MS) - echoAfter) <= 40, `after a 5 ms skip it came ${((tx.at(-1)!.cycles - s0) / MS).toFixed(3)} ms in, not 10`);
  const s1 = mcu.cycles;
  mcu.writeRx([70], s1 + 3 * MS);
  mcu.skipped(5 * MS);
  mcu.runUntil(s1 + MS);
  t.ok(tx.at(-1)!.byte === 71 && Math.abs(tx.at(-1)!.cycles - s1 - echoAfter) <= 40, 'a gate inside the skip is now');
  t.end();
});

t.test('PWM duty and timer ISR period measured from pin edges', (t) => {
  const { mcu } = boot();
  const meters = new Map([PD6, PD5, PB3, PB5].map((p) => [p, new PinMeter()]));
  mcu.onPinChange((pin, high, c) => meters.get(pin)?.edge(high, c));
  mcu.runUntil(20 * MS);
  const now = mcu.cycles;
  t.ok(Math.abs(meters.get(PD6)!.duty(now, MS) - 64 / 256) < 0.01, `OC0A duty ${meters.get(PD6)!.duty(now, MS)}`);
  t.ok(Math.abs(meters.get(PD5)!.duty(now, MS) - 192 / 256) < 0.01, 'OC0B duty 75 %');
  t.ok(Math.abs(meters.get(PB3)!.duty(now, MS) - 128 / 256) < 0.01, 'OC2A duty 50 %');
  const avg = meters.get(PD6)!.takeAverage(now);
  t.ok(Math.abs(avg - 0.25) < 0.01, `slice average ${avg}`);
  t.equal(meters.get(PB5)!.lastPulseCycles, MS, 'PB5 toggles every 1 ms: high for exactly 16000 cycles');
  t.end();
});

t.test('pin-change interrupts count every edge driven on an input', (t) => {
  const { mcu, tx } = boot();
  mcu.runUntil(MS);
  for (let i = 0; i < 101; i++) {
    mcu.setInput(PD2, i % 2 === 0);
    mcu.runUntil(mcu.cycles + 200);
  }
  mcu.writeRx([0x3f]);
  mcu.runUntil(mcu.cycles + MS);
  const r = tx.slice(-2);
  t.equal(r[0]!.byte | (r[1]!.byte << 8), 101);
  t.end();
});

t.test('a watchdog reset rebuilds the chip: WDRF set, pins released, time keeps counting', (t) => {
  const { mcu, tx } = boot();
  mcu.runUntil(MS);
  t.not(mcu.pinMode(PD6), 'input', 'PWM pin driven before the reset');
  mcu.writeRx([0x57]); // 'W'
  mcu.runUntil(mcu.cycles + 2000);
  t.equal(mcu.resets, 0);
  mcu.runUntil(mcu.cycles + 20 * MS);
  t.equal(mcu.resets, 1, 'the watchdog fired after ~16 ms');
  const boots = tx.filter((x) => x.byte === 0x08);
  t.equal(boots.length, 1, 'second boot reports MCUSR = WDRF');
  t.ok(boots[0]!.cycles > 16 * MS, 'after the 16 ms timeout');
  t.ok(mcu.cycles > 20 * MS, 'the cycle counter did not restart');
  t.end();
});

t.test('event-skipping timers give the same edges as stock avr8js (within one prescaler tick)', (t) => {
  const run = (stock: boolean) => {
    const { mcu, tx } = boot(stock);
    const edges: [number, boolean, number][] = [];
    mcu.onPinChange((pin, high, c) => edges.push([pin, high, c]));
    mcu.runUntil(MS);
    mcu.writeRx([1, 2, 3]);
    mcu.runUntil(30 * MS);
    return { edges, tx };
  };
  const stock = run(true);
  const fast = run(false);
  t.ok(stock.edges.length > 1000, `${stock.edges.length} edges`);
  t.equal(fast.edges.length, stock.edges.length, 'same number of edges');
  let worst = 0;
  let mismatched = 0;
  stock.edges.forEach(([pin, high, c], i) => {
    const f = fast.edges[i]!;
    if (f[0] !== pin || f[1] !== high) mismatched++;
    worst = Math.max(worst, Math.abs(f[2] - c));
  });
  t.equal(mismatched, 0, 'same pins and levels in the same order');
  t.ok(worst <= 8, `largest timing difference ${worst} cycles`);
  t.same(fast.tx.map((x) => x.byte), stock.tx.map((x) => x.byte), 'same USART output');
  t.end();
});

t.test('SLEEP skips to the next peripheral event: same timing, cycles counted as asleep', (t) => {
  const { mcu, tx } = boot();
  const meter = new PinMeter();
  mcu.onPinChange((pin, high, c) => pin === PB5 && meter.edge(high, c));
  mcu.runUntil(MS);
  mcu.writeRx([0x53]); // 'S': idle by sleeping
  mcu.runUntil(2 * MS);
  const slept0 = mcu.sleepCycles;
  mcu.runUntil(12 * MS);
  const asleep = (mcu.sleepCycles - slept0) / (10 * MS);
  t.ok(asleep > 0.9, `asleep ${(asleep * 100).toFixed(1)} % of the time`);
  t.equal(meter.lastPulseCycles, MS, 'the timer ISR still wakes it every 16000 cycles');
  mcu.writeRx([41]);
  mcu.runUntil(13 * MS);
  t.equal(tx[tx.length - 1]!.byte, 42, 'a received byte wakes it and is answered');
  t.end();
});
