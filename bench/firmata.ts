// Benchmark 18: StandardFirmata (johnny-five) vs Ganglion's firmware on the same emulated Uno, paced to the wall clock:
// command-to-pin latency and the highest command rate the board applies without losing one, each beside its wire floor.
import { loadBoard } from '../host/hw/board.ts';
import { loadRobot } from '../host/hw/robot.ts';
import { McuSession } from '../host/link/session.ts';
import type { Transport } from '../host/link/transport.ts';
import { CONSTANTS } from '../host/protocol/messages.ts';
import { loadFirmware } from '../host/emulator/firmware.ts';
import { EmulatedNode } from '../host/emulator/node.ts';
import { RealtimePacer } from '../host/emulator/pacer.ts';
import { resolvePin } from '../host/emulator/wiring.ts';
import { FirmataRig } from '../host/firmata/rig.ts';
import { bootAndConnect, sleep, until } from '../test/firmata/boot.ts';
import { percentile, type Figure } from './report.ts';

/** Both drive a motor's PWM on D5 (OC0B): the conveyor of firmata-arm and motor 0 of the reference robot's base node. */
const PWM_PIN = 'D5';
/** [data address] OCR0B of the ATmega328P: the compare value D5's PWM is generated from (both firmwares write it). */
const OCR0B = 0x48;
const LATENCY_N = 200;
/** [ms] quiet time between latency commands, so each one is measured alone. */
const LATENCY_GAP_MS = 15;
const RATES_HZ = [50, 100, 200, 400, 800, 1600];
/** [s] how long each rate is held. */
const STEP_S = 2;
/** [ms] the last command of a step must reach OCR0B within this of its write, or the wire/queue is falling behind. */
const BACKLOG_LIMIT_MS = 20;

/** One board behind its own host stack, driving PWM on D5. */
interface Target {
  label: string;
  node: EmulatedNode;
  pacer: RealtimePacer;
  baud: number;
  /** Wire pin number of D5 on this board. */
  pwmPin: number;
  /** Put `permille` of PWM duty on D5 through the board's host stack (johnny-five Motor / McuSession.setMotors). */
  send(permille: number): void;
  /** Bytes the host has written to the board so far. */
  written(): number;
  /** Make the board accept commands again (Ganglion: re-arm after a link watchdog trip); returns 1 if it had tripped. */
  rearm(): Promise<number>;
  close(): Promise<void>;
}

/** Wrap a transport's write to count bytes and, optionally, kick the pacer (host bytes reach the MCU at once). */
function instrument(t: Transport, kick?: () => void): { bytes: number } {
  const c = { bytes: 0 };
  const write = t.write.bind(t);
  t.write = (b) => {
    c.bytes += b.length;
    write(b);
    kick?.();
  };
  return c;
}

async function firmataTarget(): Promise<Target> {
  const b = await bootAndConnect();
  const w = b.wiring;
  // Only the motor: the rig's Sensor/Button would keep johnny-five intervals (and Firmata reports) running.
  const rig = new FirmataRig(b.conn, { ...w, servos: [], analog: [], inputs: [] }, b.board);
  const count = instrument(b.node.transport); // bootAndConnect's wrapper already kicks the pacer
  return {
    label: 'StandardFirmata via johnny-five',
    node: b.node,
    pacer: b.pacer,
    baud: b.board.baud,
    pwmPin: resolvePin(b.board, PWM_PIN, 'bench').pin,
    send: (p) => rig.setMotorPermille(0, p),
    written: () => count.bytes,
    rearm: async () => 0, // no watchdog on a Firmata board
    close: async () => {
      rig.setMotorPermille(0, 0);
      await sleep(50);
      b.conn.port.close();
      b.stop();
    },
  };
}

async function ganglionTarget(): Promise<Target> {
  const wiring = loadRobot().nodes.find((n) => n.id === 'base')!;
  const board = loadBoard(wiring.board);
  const node = new EmulatedNode({ wiring, board, flash: loadFirmware() });
  // The default lag limit (50 ms), under half the node's 100 ms link watchdog: a stall caught up faster than the wall
  // clock would spread the host's frames in emulated time and trip it (an artefact, see pacer.ts).
  const pacer = new RealtimePacer(node);
  pacer.start();
  const count = instrument(node.transport, () => pacer.kick());
  const session = new McuSession({ transport: node.transport, node: wiring, board, reconnect: false });
  await session.connect();
  await session.arm();
  const P = CONSTANTS.MODE.PWM;
  return {
    label: "Ganglion's firmware via McuSession",
    node,
    pacer,
    baud: board.baud,
    pwmPin: resolvePin(board, PWM_PIN, 'bench').pin,
    send: (p) => void session.setMotors([P], [p]),
    written: () => count.bytes,
    rearm: async () => {
      const tripped = session.stats().watchdogTripped;
      await session.arm();
      return tripped ? 1 : 0;
    },
    close: async () => {
      session.setMotors([P], [0]);
      await session.close();
      pacer.stop();
    },
  };
}

/** Completed high pulses on a pin: when each ended [cycles] and its duty (width over the period before it). */
function pulseLog(node: EmulatedNode, pin: number): { pulses: { fall: number; duty: number }[]; on: boolean } {
  const log = { pulses: [] as { fall: number; duty: number }[], on: true };
  let rise = -1;
  let prevRise = -1;
  node.mcu.onPinChange((p, high, cycles) => {
    if (p !== pin || !log.on) return;
    if (high) [prevRise, rise] = [rise, cycles];
    else if (prevRise >= 0) log.pulses.push({ fall: cycles, duty: (cycles - rise) / (rise - prevRise) });
  });
  return log;
}

/** Every value the firmware writes to OCR0B, with when [cycles]: chained in front of the timer's own hook. */
function ocrLog(node: EmulatedNode): { value: number; cycles: number }[] {
  const log: { value: number; cycles: number }[] = [];
  const cpu = node.mcu.cpu;
  const prev = cpu.writeHooks[OCR0B];
  cpu.writeHooks[OCR0B] = (value, old, addr, mask) => {
    log.push({ value, cycles: cpu.cycles });
    return prev ? prev(value, old, addr, mask) : false;
  };
  return log;
}

const ms = (t: Target, cycles: number) => (cycles * 1000) / t.node.clock_hz;

/**
 * Latency of LATENCY_N commands alternating between a low (15-25 %) and a high (55-65 %) duty: from the host's write
 * call (emulated time at that instant) to the end of the first PWM pulse on D5 on the new side of 50 %. Includes the
 * wait for the PWM period boundary, as a scope on the pin would see. Also the bytes each command put on the wire.
 */
async function latency(t: Target): Promise<{ lat_ms: number[]; bytes: number[]; period_ms: number }> {
  const rec = pulseLog(t.node, t.pwmPin);
  const pulses = rec.pulses;
  const lat_ms: number[] = [];
  const bytes: number[] = [];
  t.send(300);
  await until(() => rec.pulses.length > 4, 'PWM pulses on D5');
  for (let k = 0; k < LATENCY_N; k++) {
    const high = k % 2 === 0;
    const p = (high ? 550 : 150) + ((k * 7) % 100);
    const from = pulses.length;
    const b0 = t.written();
    const c0 = t.node.cycles;
    t.send(p);
    bytes.push(t.written() - b0);
    const hit = () => pulses.slice(from).find((x) => x.fall > c0 && x.duty > 0.5 === high);
    await until(() => hit() !== undefined, `${t.label}: pulse for ${p} permille`);
    lat_ms.push(ms(t, hit()!.fall - c0));
    await sleep(LATENCY_GAP_MS);
  }
  const last = pulses.slice(-2);
  const period_ms = last.length === 2 ? ms(t, last[1]!.fall - last[0]!.fall) : NaN;
  rec.on = false; // the rate steps count OCR0B writes; stop collecting pulses
  pulses.length = 0;
  return { lat_ms, bytes, period_ms };
}

interface Step {
  hz: number;
  sent: number;
  /** Commands that left the host as frames (bytes written / bytes of one command): fewer than sent = coalesced on the host. */
  on_wire: number; // bytes / bytes of one command: heartbeats and resends add to it
  /** Sends less than 1 ms (wall) after the one before: the host's event loop caught up in a burst. */
  bunched: number;
  applied: number;
  achieved_hz: number;
  backlog_ms: number;
  /** Every command reached OCR0B, the last in time, at the asked rate. */
  held: boolean;
  /** The same, except commands superseded within 1 ms by the next (see rateStep). */
  heldPerTick: boolean;
}

/** Distinct duties at `hz` for STEP_S seconds, paced by the wall clock; how many reached OCR0B, and how late the last. */
async function rateStep(t: Target, ocr: { value: number; cycles: number }[], hz: number, cmdBytes: number): Promise<Step> {
  // Consecutive values differ by 37 permille (>= 9 counts of OCR0B): each applied one is a change of the register.
  const valueAt = (k: number) => 150 + ((k * 37) % 500);
  // A known start (120 permille: above johnny-five's Motor threshold of 30/255, so it is a PWM write too).
  t.send(120);
  await sleep(100);
  const from = ocr.length;
  const n = Math.round(hz * STEP_S);
  const period_ms = 1000 / hz;
  const b0 = t.written();
  const t0 = performance.now();
  let k = 0;
  let lastSend = 0;
  let lastWall = -Infinity;
  let bunched = 0;
  while (k < n) {
    const due = Math.min(n, Math.floor((performance.now() - t0) / period_ms) + 1);
    while (k < due) {
      const now = performance.now();
      if (now - lastWall < 1) bunched++;
      lastWall = now;
      lastSend = t.node.cycles;
      t.send(valueAt(k++));
    }
    await new Promise((r) => setImmediate(r));
  }
  const dur_ms = performance.now() - t0;
  const on_wire = Math.round((t.written() - b0) / cmdBytes);
  await sleep(500);
  const writes = ocr.slice(from);
  let applied = 0;
  let prev = ocr[from - 1]?.value ?? -1;
  let lastChange = NaN;
  for (const w of writes) {
    if (w.value !== prev) {
      applied++;
      lastChange = w.cycles;
    }
    prev = w.value;
  }
  const achieved_hz = (n - 1) / (dur_ms / 1000);
  const backlog_ms = ms(t, lastChange - lastSend);
  const paced = backlog_ms <= BACKLOG_LIMIT_MS && achieved_hz >= 0.95 * hz;
  const held = applied === n && paced;
  // A command followed within 1 ms by the next one can be superseded before a 1 kHz control tick applies it: that is
  // latest-wins by design, not loss. Only when the host paced evenly (<= 10 % such pairs) does the step count.
  const heldPerTick = applied >= n - bunched && bunched <= 0.1 * n && paced;
  return { hz, sent: n, on_wire, bunched, applied, achieved_hz, backlog_ms, held, heldPerTick };
}

interface Result { t: Target; lat_ms: number[]; bytes: number; period_ms: number; steps: Step[]; dropped_ms: number; resets: number; trips: number }

async function measure(make: () => Promise<Target>): Promise<Result> {
  const t = await make();
  try {
    const resets0 = t.node.mcu.resets;
    const ocr = ocrLog(t.node);
    const lat = await latency(t);
    const cmdBytes = percentile(lat.bytes, 50);
    const steps: Step[] = [];
    let trips = 0;
    for (const hz of RATES_HZ) {
      trips += await t.rearm();
      steps.push(await rateStep(t, ocr, hz, cmdBytes));
    }
    trips += await t.rearm();
    const resets = t.node.mcu.resets - resets0;
    // A reset rebuilds the CPU and drops the OCR0B hook: the rate figures would be wrong, so refuse them.
    if (resets) throw new Error(`${t.label}: the MCU reset ${resets} times during the bench`);
    return { t, lat_ms: lat.lat_ms, bytes: cmdBytes, period_ms: lat.period_ms, steps, dropped_ms: t.pacer.stats.dropped_ms, resets, trips };
  } finally {
    await t.close();
  }
}

function figures(r: Result): Figure[] {
  const wire_ms = (r.bytes * 10 * 1000) / r.t.baud;
  const ceiling_hz = r.t.baud / 10 / r.bytes;
  const floor = { label: `wire time of one command (${r.bytes} B at ${r.t.baud} baud)`, value: wire_ms, unit: 'ms' };
  const best = (ok: (s: Step) => boolean) => Math.max(0, ...r.steps.filter(ok).map((s) => s.hz));
  const steps = r.steps.map((s) => `${s.hz} Hz: ${s.applied}/${s.sent} applied (${s.on_wire} on the wire, ${s.bunched} sent <1 ms after the previous), sent at ${s.achieved_hz.toFixed(0)} Hz, last +${s.backlog_ms.toFixed(1)} ms${s.held ? '' : s.heldPerTick ? ' (held but for superseded ones)' : ' (not held)'}`);
  const lat = `${r.lat_ms.length} commands; PWM period on D5 ${r.period_ms.toFixed(2)} ms (part of the latency); pacer dropped ${r.dropped_ms.toFixed(0)} ms of lag (host load); link watchdog trips during the rate steps: ${r.trips}`;
  return [
    { name: `${r.t.label}: command -> pin latency (median)`, value: percentile(r.lat_ms, 50), unit: 'ms', baseline: floor, note: lat },
    { name: `${r.t.label}: command -> pin latency (p99)`, value: percentile(r.lat_ms, 99), unit: 'ms', baseline: floor },
    { name: `${r.t.label}: highest command rate held without loss (every command)`, value: best((s) => s.held), unit: 'Hz', baseline: { label: 'wire ceiling (commands back to back)', value: ceiling_hz, unit: 'Hz' }, note: steps.join('; ') },
    { name: `${r.t.label}: highest command rate held without loss (but for commands superseded within 1 ms)`, value: best((s) => s.heldPerTick), unit: 'Hz', baseline: { label: 'wire ceiling', value: ceiling_hz, unit: 'Hz' } },
  ];
}

export async function run(): Promise<Figure[]> {
  const firmata = await measure(firmataTarget);
  const ganglion = await measure(ganglionTarget);
  const out = [...figures(firmata), ...figures(ganglion)];
  out[0]!.note = `${out[0]!.note}\n    latency: emulated time from the host's write call to the end of the first PWM pulse on D5 on the commanded side of 50 % duty. ` +
    `Held without loss: every one of the distinct duties sent at that rate for ${STEP_S} s reached OCR0B (counted as register changes), the last within ` +
    `${BACKLOG_LIMIT_MS} ms of its write, and the host sent at >= 95 % of the rate. "But for superseded": ` +
    `a command the host sent less than 1 ms before the next may be replaced before Ganglion's 1 kHz control tick applies it (latest wins, by design); ` +
    `those are not counted as lost, provided they are <= 10 % of the step (the host paced evenly). Same Uno (ATmega328P 16 MHz, avr8js, paced to the wall clock), same pin, no envelope on either path.`;
  return out;
}
