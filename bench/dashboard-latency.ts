// Benchmark (issue 5): end-to-end latency through the dashboard on the real stack (avr8js firmware, runtime, bridge, embedded
// broker, headless Chromium): MCU telemetry frame -> browser, and e-stop button -> zero PWM on the emulated MCU's pins.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import mqtt from 'mqtt';
import { topics, type TelemetryPayload } from '../host/bridge/topics.ts';
import { noDelay } from '../host/util/mqtt-no-delay.ts';
import { monoNow_ns } from '../host/util/mono-clock.ts';
import { loadRobot } from '../host/hw/robot.ts';
import { loadBoard } from '../host/hw/board.ts';
import { EMULATOR_NICE } from '../host/emulator/worker-node.ts';
import { launchChromium, openDashboard } from '../test/dashboard/helpers/browser.ts';
import { PASSWORDS } from '../test/dashboard/helpers/broker.ts';
import { startStack, type Stack } from '../test/dashboard/helpers/stack.ts';
import { percentile, type Figure } from './report.ts';

const TELEMETRY_S = 10;
/** Presses per e-stop figure: 100, so that a p99 is a percentile (of 30 it was the slowest press). */
const ESTOP_TRIALS = 100;
const RATE_HZ = 500;
/** The wheel motors' PWM pins on the base MCU (from the wiring): read one pin each, cheaper than a whole node snapshot. */
const BASE_NODE = loadRobot().nodes.find((n) => n.id === 'base')!;
const WHEEL_PWM_PINS = BASE_NODE.motors.map((m) => m.pwm);
/** The probe node for the bare-MQTT baseline: its messages take the page's telemetry path but not the robot's. */
const PROBE_NODE = 'bench_probe';

const wallMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Dash {
  latency: { record(): void; take(): Record<string, number[]>; takeHandoffs(): number[] };
  controls: { lastEstopPress_ms: number | null };
}

/** Browser clock minus this process's clock (both performance.timeOrigin-based wall clocks), from the tightest of 20 brackets. */
async function clockOffset(page: Page): Promise<{ offset_ms: number; uncertainty_ms: number }> {
  let best = { offset_ms: 0, uncertainty_ms: Infinity };
  for (let i = 0; i < 20; i++) {
    const a = wallMs();
    const b = await page.evaluate(() => performance.timeOrigin + performance.now());
    const c = wallMs();
    if ((c - a) / 2 < best.uncertainty_ms) best = { offset_ms: b - (a + c) / 2, uncertainty_ms: (c - a) / 2 };
  }
  return best;
}

/** A bench helper script in a process of its own, as nice as the browser, talking in lines; resolves once it printed "ready". */
async function helperProcess(script: string, args: string[]): Promise<{ send(line: string): void; next(): Promise<string>; end(): Promise<void> }> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn('nice', ['-n', String(EMULATOR_NICE), process.execPath, '--import', 'tsx', path, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  let exited = false;
  createInterface({ input: child.stdout }).on('line', (l) => (waiting.length ? waiting.shift()!(l) : lines.push(l)));
  const next = () => new Promise<string>((resolve, reject) => {
    if (lines.length) return resolve(lines.shift()!);
    if (exited) return reject(new Error(`${script} exited (${child.exitCode})`));
    waiting.push(resolve);
  });
  child.on('exit', () => {
    exited = true;
    for (const w of waiting.splice(0)) w('');
  });
  if ((await next()) !== 'ready') throw new Error(`${script} did not start (exit code ${child.exitCode})`);
  return {
    send: (line) => child.stdin.write(`${line}\n`),
    next,
    async end() {
      child.stdin.end();
      if (!exited) await once(child, 'exit');
    },
  };
}

/**
 * The machine's floor for telemetry reaching another process: a bare MQTT subscriber (TCP, no page, no rendering) in a
 * process of its own, as nice as the browser. `stop()` ends its window and returns its samples.
 */
async function floorSubscriber(stack: Stack, filter: string): Promise<{ stop(): Promise<number[]> }> {
  const sub = await helperProcess('./telemetry-sub.ts', [stack.broker.tcpUrl, 'operator', PASSWORDS.operator, filter, `/${PROBE_NODE}`]);
  return {
    async stop() {
      const samples = sub.next();
      await sub.end();
      return JSON.parse(await samples) as number[];
    },
  };
}

/**
 * Browser arrival minus host receive time of every telemetry message for `seconds`, with a bare-MQTT probe running
 * beside it, the same robot telemetry taken by an MQTT subscriber in this process (TCP), and by one in a process of its
 * own (the floor for any other process on these cores): the browser's share is the difference.
 */
async function telemetryLatency(stack: Stack, page: Page): Promise<{ robot: number[]; probe: number[]; tcp: number[]; floor: number[]; handoff: number[] }> {
  const t = topics(stack.robotId);
  const floor = await floorSubscriber(stack, t.telemetryAll);
  // The probe publishes as the robot account, straight into the broker: no MCU, runtime or bridge on its path.
  // Nagle off, as every client of ours has it (host/util/mqtt-no-delay.ts): with it on, a probe message behind an
  // unacknowledged one waited up to 40 ms for the broker's delayed ACK.
  const probe = noDelay(await mqtt.connectAsync(stack.broker.tcpUrl, { username: 'robot', password: PASSWORDS.robot, protocolVersion: 5, clientId: 'bench-probe' }));
  const sub = noDelay(await mqtt.connectAsync(stack.broker.tcpUrl, { username: 'operator', password: PASSWORDS.operator, protocolVersion: 5, clientId: 'bench-tcp-sub' }));
  const tcp: number[] = [];
  let recording = false;
  sub.on('message', (topic, payload) => {
    if (!recording || topic.endsWith(`/${PROBE_NODE}`)) return;
    const arrived = wallMs();
    tcp.push(arrived - (JSON.parse(payload.toString()) as TelemetryPayload).received_at_ms);
  });
  await sub.subscribeAsync(t.telemetryAll, { qos: 0 });
  let counter = 0;
  const timer = setInterval(() => {
    const now = wallMs();
    const p: TelemetryPayload = {
      robot: stack.robotId, node: PROBE_NODE, at_ms: Date.now(), received_at_ms: now, counter: ++counter, mcu_time_us: 0,
      joints: {}, counts: [], vel_cps: [], out_permille: [], analog: [], faults: [], frames: 1,
    };
    probe.publish(t.telemetry(PROBE_NODE), JSON.stringify(p), { qos: 0 });
  }, 20);
  await page.evaluate(() => (window as unknown as { ganglionDashboard: Dash }).ganglionDashboard.latency.record());
  recording = true;
  await sleep(TELEMETRY_S * 1000);
  recording = false;
  clearInterval(timer);
  await probe.endAsync();
  await sub.endAsync();
  const floorSamples = await floor.stop();
  const handoff = await page.evaluate(() => (window as unknown as { ganglionDashboard: Dash }).ganglionDashboard.latency.takeHandoffs());
  const byNode = await page.evaluate(() => (window as unknown as { ganglionDashboard: Dash }).ganglionDashboard.latency.take());
  const probeSamples = byNode[PROBE_NODE] ?? [];
  delete byNode[PROBE_NODE];
  return { robot: Object.values(byNode).flat(), probe: probeSamples, tcp, floor: floorSamples, handoff };
}

/**
 * [ms] How long a pin must stay still to read as steady: 4 periods of the firmware's 7.8 kHz motor PWM. The meter's
 * default (5 ms, sized for any PWM or servo signal) would add up to 5 ms to every e-stop figure below.
 */
const PWM_STEADY_MS = 0.5;
const wheelDuty = (stack: Stack) => Promise.all(WHEEL_PWM_PINS.map((pin) => stack.sim.emulated!.get('base')!.pinDuty(pin, PWM_STEADY_MS)));

/**
 * When both wheel pins went to zero PWM for good, as wall times (performance.now clock):
 * - at_ms: the instant the emulated edge stands for (RealtimePacer.monoAt_ns). The host's bytes reach the emulated MCU
 *   at the cycle that stands for the moment they were written (never earlier), so this is when an MCU with its own
 *   core would have zeroed the pins: the figure the goal is about.
 * - ran_ms: when the emulator ran that edge (the end of its pacer turn, turn-clock.ts): later than at_ms by however far
 *   the emulator trailed the wall clock, which on a shared 2-core machine is the emulator's own CPU starvation.
 * How long this poll takes to learn either (a worker round trip, 3-5 ms at the median on these cores) is in neither.
 */
async function zeroPwmAt(stack: Stack, timeout_ms: number): Promise<{ at_ms: number; ran_ms: number; cycle: number; poll_ms: number } | null> {
  const base = stack.sim.emulated!.get('base')!;
  const t0 = wallMs();
  while (wallMs() - t0 < timeout_ms) {
    const before = wallMs();
    const low = await base.pinsLowAt(WHEEL_PWM_PINS, PWM_STEADY_MS);
    if (low !== null) {
      const now = wallMs();
      const mono_ns = monoNow_ns();
      const toWall = (ns: number) => now - (mono_ns - ns) / 1e6;
      return { at_ms: toWall(low.at_ns), ran_ms: low.ran_ns === null ? NaN : toWall(low.ran_ns), cycle: low.cycle, poll_ms: now - before };
    }
    // The stamp comes from the emulator, so polling faster gains nothing; a pause leaves the main thread (which the
    // e-stop's host path runs on) to the e-stop.
    await sleep(2);
  }
  return null;
}

const baseOk = (stack: Stack) => {
  const h = stack.sim.runtime.linkHealth().base;
  return !!h && h.armed && !h.watchdogTripped;
};

/** Gets the wheels turning (a move_base skill, alternating direction); false if the link watchdog spoiled it. */
async function driveWheels(stack: Stack, i: number): Promise<boolean> {
  await stack.sim.runtime.clearEstop();
  if (!baseOk(stack)) await stack.sim.runtime.arm().catch(() => {});
  void stack.sim.runtime.runSkill('move_base', { distance_m: i % 2 ? -0.6 : 0.6 }).catch(() => {});
  const t0 = performance.now();
  while (performance.now() - t0 < 4000) {
    if ((await wheelDuty(stack)).every((d) => d > 0)) {
      await sleep(150); // cruising, not starting
      return baseOk(stack);
    }
    await sleep(20);
  }
  return false;
}

/**
 * E-stop trials: `press` triggers it and returns the press time; latency = first all-zero PWM reading - press. `valid`
 * says whether the trial was spoiled (by default: a tripped link watchdog, which also zeroes the PWM); `after` undoes
 * what `press` did that clearEstop does not.
 */
/** A trial is spoiled by a link watchdog trip (it zeroes the PWM too); the e-stop itself disarms, so `armed` says nothing after it. */
const noTrip = (stack: Stack) => !stack.sim.runtime.linkHealth().base?.watchdogTripped;

/** A press: when it happened (wall ms), and for an input the emulator closes itself, the emulated cycle it closed at. */
type Press = { at_ms: number; cycle?: number };

async function estopTrials(stack: Stack, press: () => Promise<Press>, valid = noTrip, after = async () => {}): Promise<{ ms: number[]; ran_ms: number[]; cycles: number[]; spoiled: number; poll_ms: number[]; at: { pressed_ms: number; zero_ms: number }[] }> {
  const at: { pressed_ms: number; zero_ms: number }[] = [];
  const ms: number[] = [];
  const ran_ms: number[] = [];
  const cycles: number[] = [];
  const poll_ms: number[] = [];
  let spoiled = 0;
  for (let i = 0; ms.length < ESTOP_TRIALS && i < ESTOP_TRIALS * 2; i++) {
    if (!(await driveWheels(stack, i))) {
      spoiled++;
      continue;
    }
    // Polled after the press: the stamp comes from the emulator, and the poll's worker round trips would otherwise
    // share the host's main thread with the e-stop's own path during the press.
    const pressed = await press();
    const z = await zeroPwmAt(stack, 2000);
    const ok = valid(stack);
    await after();
    // A watchdog trip also zeroes the PWM: such a trial says nothing about the e-stop.
    if (!z || !ok) {
      spoiled++;
      continue;
    }
    ms.push(z.at_ms - pressed.at_ms);
    at.push({ pressed_ms: pressed.at_ms, zero_ms: z.at_ms });
    // NaN when the emulator no longer kept the turn that ran the edge (TurnClock holds the last 4096 turns).
    if (Number.isFinite(z.ran_ms)) ran_ms.push(z.ran_ms - pressed.at_ms);
    if (pressed.cycle !== undefined) cycles.push(z.cycle - pressed.cycle);
    poll_ms.push(z.poll_ms);
  }
  await stack.sim.runtime.clearEstop();
  return { ms, ran_ms, cycles, spoiled, poll_ms, at };
}

export async function run(): Promise<Figure[]> {
  // Chromium stands in for the operator's device, as the emulated MCUs stand in for chips: both run nicer than the
  // robot's host process, by the same amount (on a robot neither takes the robot computer's cores).
  const browser = await launchChromium({ nice: EMULATOR_NICE });
  let stack: Stack | null = null;
  try {
    stack = await startStack({ firmware: 'avr' });
    const s = stack;
    const { page } = await openDashboard(browser, s.dash.url, 'operator', PASSWORDS.operator);
    await page.waitForSelector('#node-rows tr[data-node="base"]', { timeout: 20_000 });
    await sleep(1000);
    const clock = await clockOffset(page);

    const lat = await telemetryLatency(s, page);

    // Baseline: the same e-stop applied in this process (RobotControl.estop), no browser, broker or bridge on the way.
    const direct = await estopTrials(s, async () => {
      const t = wallMs();
      void s.sim.runtime.estop('bench: direct');
      return { at_ms: t };
    });
    // The hardware e-stop input on the base MCU: the contact closes in the emulator, the firmware samples it in its
    // 1 kHz safety tick and disarms. Timed in emulated cycles from the contact to the pins' edge: the MCU's own latency.
    const base = s.sim.emulated!.get('base')!;
    const hardware = await estopTrials(s, async () => {
      const t = wallMs();
      return { at_ms: t, cycle: await base.pressEstop() };
    }, noTrip, () => base.releaseEstop());
    const clock_hz = loadBoard(BASE_NODE.board).clock_hz;
    const hardwareMs = hardware.cycles.map((c) => (c * 1000) / clock_hz);
    // Through the page: the e-stop button's pointerdown handler stamps the press (browser clock, corrected to ours).
    // The broker's e-stop fast path is stamped too (after the bridge's listener has written the frames), to split a
    // press into browser -> host and host -> pins.
    const hostAt: number[] = [];
    const offHost = s.broker.onEstop(() => hostAt.push(wallMs()));
    const viaPage = await estopTrials(s, async () => {
      await page.click('#estop');
      const pressed = await page.evaluate(() => (window as unknown as { ganglionDashboard: Dash }).ganglionDashboard.controls.lastEstopPress_ms!);
      return { at_ms: pressed - clock.offset_ms };
    });

    offHost();
    // The floor for a press from any other process: the same e-stop command published by a bare MQTT client in a process
    // of its own, as nice as the browser (no page, no rendering, no input events), stamped as it publishes.
    const presser = await helperProcess('./estop-press.ts', [s.broker.tcpUrl, 'operator', PASSWORDS.operator, s.robotId]);
    const viaProcess = await estopTrials(s, async () => {
      presser.send('press');
      return { at_ms: Number(await presser.next()) };
    }).finally(() => presser.end());
    const p = (xs: number[], q: number) => percentile(xs, q);
    const split = (i: number) => {
      const { pressed_ms, zero_ms } = viaPage.at[i]!;
      const host = hostAt.find((h) => h >= pressed_ms - 2 && h <= zero_ms + 50);
      return host === undefined ? '?' : `${(host - pressed_ms).toFixed(1)} + ${(zero_ms - host).toFixed(1)}`;
    };
    const slowest = viaPage.ms.map((ms, i) => ({ ms, i })).sort((a, b) => b.ms - a.ms).slice(0, 5);
    // Emulated MCUs, the runtime and Chromium share this machine's cores with whatever else runs: say how loaded it was.
    const load = `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores during the run`;
    const offsetNote = `browser clock offset ${clock.offset_ms.toFixed(2)} ± ${clock.uncertainty_ms.toFixed(2)} ms (not subtracted in (a): it applies to both figures alike); ${load}`;
    return [
      {
        name: `MCU telemetry frame (host receive) -> browser, p99 of ${lat.robot.length}`,
        value: p(lat.robot, 99), unit: 'ms',
        baseline: { label: `bare MQTT publish -> browser (same page code, same run), p99 of ${lat.probe.length}`, value: p(lat.probe, 99) },
        goal: 'p99 <= 10 ms', pass: p(lat.robot, 99) <= 10,
        note: `p50 ${p(lat.robot, 50).toFixed(2)} ms vs baseline p50 ${p(lat.probe, 50).toFixed(2)} ms; ${(p(lat.robot, 99) / p(lat.floor, 99)).toFixed(2)}x the floor below (a bare subscriber process); ` +
          `path: runtime event -> bridge (50 Hz decimation picks the frame, adds no wait) -> aedes via the MQTT 5 front -> WebSocket -> the page's connection worker (arrival stamped there, then mqtt.js -> zod), off the page's rendering thread; the page's main thread then took each message after p50 ${p(lat.handoff, 50).toFixed(1)} / p99 ${p(lat.handoff, 99).toFixed(1)} ms more (its tasks: plot redraws at 10 Hz, tables at 5 Hz, frames), which the plots show at their next redraw; ${offsetNote}`,
      },
      {
        name: `MCU telemetry frame (host receive) -> a bare MQTT subscriber in a process of its own, as nice as the browser (TCP, no page): the floor for any other process on these cores, p99 of ${lat.floor.length}`,
        value: p(lat.floor, 99), unit: 'ms',
        baseline: { label: 'the same telemetry in the browser (above, same run), p99', value: p(lat.robot, 99) },
        note: `p50 ${p(lat.floor, 50).toFixed(2)} ms; the same run's window plus the subscriber's start-up second. Above 10 ms, no process on these cores gets the telemetry within the browser's goal: the tail is its wait for a core ` +
          `(${s.sim.emulated!.size} emulated ATmega328Ps in real time, the host stack and Chromium on ${cpus().length} cores), not a queue of ours. ${load}`,
      },
      {
        name: `MCU telemetry frame (host receive) -> MQTT subscriber in the host process (TCP), p99 of ${lat.tcp.length}`,
        value: p(lat.tcp, 99), unit: 'ms',
        baseline: { label: 'the same telemetry in the browser (above, same run), p99', value: p(lat.robot, 99) },
        note: `p50 ${p(lat.tcp, 50).toFixed(2)} ms; the robot's path without the browser: what the browser adds (WebSocket, Chromium's renderer on the same 2 cores) is the difference. ` +
          `Fixed on this path: Nagle on mqtt.js's TCP clients (a PUBLISH behind an unacknowledged one waited for the broker's delayed ACK, up to 40 ms) and mqtt.js's browser nextTick (a setTimeout(0) task). ${load}`,
      },
      {
        name: `e-stop button (pointerdown) -> zero PWM on both wheel pins of the emulated MCU, in the MCU's time, p99 of ${viaPage.ms.length}`,
        value: p(viaPage.ms, 99), unit: 'ms',
        baseline: { label: `RobotControl.estop() in-process -> zero PWM (same meter, same run), p99 of ${direct.ms.length}`, value: p(direct.ms, 99) },
        goal: 'p99 <= 20 ms', pass: p(viaPage.ms, 99) <= 20,
        note: `p50 ${p(viaPage.ms, 50).toFixed(1)} ms vs baseline p50 ${p(direct.ms, 50).toFixed(1)} ms; ${(p(viaPage.ms, 99) / p(viaProcess.ms, 99)).toFixed(2)}x the floor below (the same command from a bare client process); the slowest five ${slowest.map((x) => `${x.ms.toFixed(1)} (${split(x.i)})`).join(', ')} ms (pointerdown -> the host's broker + the broker -> zero PWM); control period ${(1000 / RATE_HZ).toFixed(1)} ms; ` +
          `zero PWM is the instant the pins' last edge stands for in emulated time, once they have stayed low ${PWM_STEADY_MS} ms of it (4 PWM periods); the host's bytes reach the emulated MCU at the cycle that stands for the moment they were written, never earlier, ` +
          `so this is what an MCU on its own core does (when the emulator ran the edge is the next figure); the poll that reads it (a worker round trip, median ${p(viaPage.poll_ms, 50).toFixed(1)} ms) is not in these figures; ` +
          `${viaPage.spoiled + direct.spoiled + hardware.spoiled} trials dropped because a link watchdog tripped (CPU starvation) around them; ${load}`,
      },
      {
        name: `e-stop published by a bare MQTT client in a process of its own, as nice as the browser (no page) -> zero PWM, in the MCU's time: the floor for a press from any other process on these cores, p99 of ${viaProcess.ms.length}`,
        value: p(viaProcess.ms, 99), unit: 'ms',
        baseline: { label: 'the e-stop button in the browser (above, same run), p99', value: p(viaPage.ms, 99) },
        note: `p50 ${p(viaProcess.ms, 50).toFixed(1)} ms; same command, QoS and response topic as the page, same meter; ${viaProcess.spoiled} trials dropped for a watchdog trip. Above 20 ms, no process on these cores gets an e-stop to the pins within the goal. ${load}`,
      },
      {
        name: `the same presses, stamped when the emulator ran the edge (its own lag on these shared cores included), p99 of ${viaPage.ran_ms.length}`,
        value: p(viaPage.ran_ms, 99), unit: 'ms',
        baseline: { label: 'the same presses in the MCU\'s time (above), p99', value: p(viaPage.ms, 99) },
        note: `p50 ${p(viaPage.ran_ms, 50).toFixed(1)} ms; in-process e-stop the same way p99 ${p(direct.ran_ms, 99).toFixed(1)} ms. The difference is the emulator trailing the wall clock: ${s.sim.emulated!.size} emulated ATmega328Ps, the host stack and Chromium share ${cpus().length} cores. ` +
          `The emulator's lag does not reach the firmware's timing (it runs in emulated time), only when the host sees the result. ${load}`,
      },
      {
        name: `hardware e-stop input (contact closes on the base MCU's pin) -> zero PWM on both wheel pins, emulated cycles, p99 of ${hardwareMs.length}`,
        value: p(hardwareMs, 99), unit: 'ms',
        baseline: { label: 'e-stop button in the browser -> zero PWM (above, same run), p99', value: p(viaPage.ms, 99) },
        note: `p50 ${p(hardwareMs, 50).toFixed(2)} ms, max ${Math.max(...hardwareMs).toFixed(2)} ms, exact (cycles at ${clock_hz / 1e6} MHz); no goal of its own: the issue asks for this figure beside the button's. The firmware samples the input once per 1 ms control tick. ${load}`,
      },
    ];
  } finally {
    await browser.close().catch(() => {});
    await stack?.stop();
  }
}
