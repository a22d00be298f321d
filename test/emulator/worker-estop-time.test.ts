// Emulated time on worker nodes: host bytes reach the MCU at the cycle that stands for when they were written, and a
// pin's edge reads back as the instant it stands for (never before the write) and as when the emulator ran it.
import t from 'tap';
import { loadRobot } from '../../host/hw/robot.ts';
import { loadBoard } from '../../host/hw/board.ts';
import { startSimRobot, type SimRobot } from '../../host/runtime/sim-robot.ts';
import { monoNow_ns } from '../../host/util/mono-clock.ts';
import { firmwareFlash } from './boot-node.ts';

firmwareFlash();

const BASE = loadRobot().nodes.find((n) => n.id === 'base')!;
const WHEELS = BASE.motors.map((m) => m.pwm);
const CLOCK_HZ = loadBoard(BASE.board).clock_hz;
/** [ms] emulated time the pins must stay low to count (4 periods of the firmware's 7.8 kHz PWM). */
const STEADY_MS = 0.5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sim: SimRobot;
t.before(async () => {
  // A wide watchdog: a stall of this loaded machine must not be what zeroes the pins.
  sim = await startSimRobot({ firmware: 'avr', watchdog_ms: 2000 });
});
t.teardown(() => sim?.stop());

async function driving(i: number): Promise<void> {
  await sim.runtime.clearEstop();
  void sim.runtime.runSkill('move_base', { distance_m: i % 2 ? -0.6 : 0.6 }).catch(() => {});
  const base = sim.emulated!.get('base')!;
  for (const end = performance.now() + 10_000; performance.now() < end; await sleep(20)) {
    const duty = await Promise.all(WHEELS.map((p) => base.pinDuty(p, STEADY_MS)));
    // Driven, and not already on its way down (the move ends by itself after ~1 s)
    if (duty.every((d) => d > 0) && (await base.pinsLowAt(WHEELS, STEADY_MS)) === null) return;
  }
  throw new Error('the wheels never got PWM');
}

async function zeroed() {
  const base = sim.emulated!.get('base')!;
  for (const end = performance.now() + 5000; performance.now() < end; await sleep(2)) {
    const low = await base.pinsLowAt(WHEELS, STEADY_MS);
    if (low) return low;
  }
  throw new Error('the wheel pins never went to zero PWM');
}

t.test("an e-stop written by the host zeroes the pins at an instant after the write, in the MCU's time", async (t) => {
  const base = sim.emulated!.get('base')!;
  for (let i = 0; i < 3; i++) {
    await driving(i);
    const dropped0 = (await base.stats()).dropped_ms;
    const written_ns = monoNow_ns();
    void sim.runtime.estop('test: emulated time');
    const low = await zeroed();
    const dropped_ms = (await base.stats()).dropped_ms - dropped0;
    const after_ms = (low.at_ns - written_ns) / 1e6;
    t.ok(after_ms >= 0, `the edge stands for ${after_ms.toFixed(3)} ms after the host wrote the e-stop: never before it`);
    // The runtime writes the frame at once (a few hundred us here), which the firmware acts on within 300 us of its last
    // byte (estop-frame.test.ts). The bound is the e-stop's end-to-end budget (issue 14), not its speed, which bench 12
    // measures: 5 ms failed once in CI (5.4 ms, the first press, two test files on two cores); any path that held the
    // e-stop (a flush, the 2 s watchdog) is far beyond it. A lag the pacer dropped meanwhile moves the instants on by
    // as much (a paused chip).
    t.ok(after_ms <= 20 + dropped_ms, `and within 20 ms of it (+ ${dropped_ms.toFixed(1)} ms of dropped lag)`);
    t.ok(low.ran_ns !== null && low.ran_ns >= low.at_ns, `the emulator ran it ${((low.ran_ns! - low.at_ns) / 1e6).toFixed(2)} ms after the instant it stands for, never before`);
  }
});

t.test('the e-stop input: the contact closes at a cycle, the pins go low a tick later in emulated cycles', async (t) => {
  const base = sim.emulated!.get('base')!;
  await driving(0);
  const closed = await base.pressEstop();
  t.teardown(() => base.releaseEstop());
  const low = await zeroed();
  const ms = ((low.cycle - closed) * 1000) / CLOCK_HZ;
  // The firmware samples the input in its 1 kHz safety tick, and the PWM's last period ends within 0.13 ms.
  t.ok(ms > 0 && ms <= 1.2, `zero PWM ${ms.toFixed(3)} ms of emulated time after the contact closed`);
});
