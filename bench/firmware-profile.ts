// Where the firmware's cycles go under the CPU-budget load (bench/firmware-cpu.ts, POSITION mode): cycles per function
// per 1 kHz period, from exact per-instruction counts in the emulator.
// Run: npx tsx bench/firmware-profile.ts [periods] [POSITION|VELOCITY|PWM]
import { CONSTANTS } from '../host/protocol/messages.ts';
import { positionSetpoint } from '../host/protocol/position.ts';
import { elfFor, FIRMWARE_HEX, textSymbols } from '../host/emulator/firmware.ts';
import { connectInThread, fourMotorWiring } from './emulated-link.ts';

const CYCLES_PER_PERIOD = 16_000;
const periods = Number(process.argv[2] ?? 1000);
const modeName = (process.argv[3] ?? 'POSITION').toUpperCase() as 'POSITION' | 'VELOCITY' | 'PWM';
if (!['POSITION', 'VELOCITY', 'PWM'].includes(modeName)) throw new Error(`mode ${process.argv[3]}: use POSITION, VELOCITY or PWM`);

const t = await connectInThread(fourMotorWiring(1000));
await t.during(t.session.command('config_link', { watchdog_ms: 100, telemetry_hz: 1000, status_div: 10 }));
for (let i = 0; i < 4; i++) t.node.driveEncoder(i, 5000);
let k = 0;
// The same setpoints as bench/firmware-cpu.ts for each mode.
const M = CONSTANTS.MODE[modeName];
const value = { POSITION: (i: number) => positionSetpoint((i % 2 ? -1 : 1) * (i + 1) * k), VELOCITY: (i: number) => (i % 2 ? -1 : 1) * 2000, PWM: (i: number) => (i % 2 ? -1 : 1) * 500 }[modeName];
const setpoints = () => { k++; t.session.setMotors([M, M, M, M], [0, 1, 2, 3].map(value)); };
await t.run(50, setpoints);

const counts = new Float64Array(32 * 1024);
t.node.mcu.setProfile(counts);
await t.run(periods, setpoints);
t.node.mcu.setProfile(null);
await t.close();

// Attribute each word address to the sized symbol that contains it (labels without a size are skipped).
const syms = textSymbols(elfFor(FIRMWARE_HEX)!).filter((s) => s.size > 0);
const byFn = new Map<string, number>();
let total = 0;
counts.forEach((c, word) => {
  if (!c) return;
  total += c;
  const byte = word * 2;
  const fn = syms.find((s) => byte >= s.address && byte < s.address + s.size)?.name ?? `?0x${byte.toString(16)}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + c);
});
const rows = [...byFn].sort((a, b) => b[1] - a[1]);
console.log(`firmware profile, ${modeName} load, over ${periods} periods of ${CYCLES_PER_PERIOD} cycles (instruction cycles; interrupt entry not counted)`);
console.log(`${'function'.padEnd(32)} ${'cycles/period'.padStart(14)} ${'% of period'.padStart(12)}`);
for (const [fn, c] of rows.slice(0, 30)) {
  const per = c / periods;
  console.log(`${fn.padEnd(32)} ${per.toFixed(0).padStart(14)} ${((100 * per) / CYCLES_PER_PERIOD).toFixed(1).padStart(11)}%`);
}
console.log(`${'total'.padEnd(32)} ${(total / periods).toFixed(0).padStart(14)} ${((100 * total) / periods / CYCLES_PER_PERIOD).toFixed(1).padStart(11)}%`);
