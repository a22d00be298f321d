// A pull teleoperator (scripted, in this test) driving the real runtime (posix firmware on ptys, executor, envelope), as the recording tap sees it: teleop, skill, e-stop.
import t from 'tap';
import { startSimRobot, type SimRobot } from '../../host/runtime/sim-robot.ts';
import type { RuntimeSample } from '../../host/runtime/recording-tap.ts';
import { TeleopDriver } from '../../host/teleop/driver.ts';
import type { TeleopAction, Teleoperator } from '../../host/teleop/teleoperator.ts';

const until = async (what: string, cond: () => boolean, timeout_ms = 5000) => {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeout_ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A teleoperator whose deadman and action the test sets, as a leader arm or a terminal key would. */
class ScriptedTeleoperator implements Teleoperator {
  readonly name = 'scripted';
  held = false;
  now: TeleopAction | null = null;
  connected = false;
  async connect() { this.connected = true; }
  action() { return this.now; }
  deadman() { return this.held; }
  async disconnect() { this.connected = false; }
}

let sim: SimRobot;
t.before(async () => {
  sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'r1' });
});
t.teardown(() => sim?.stop());

t.test('teleop through the seam: polled while the deadman is held, released on let-go; the tap records who drove and the raw command', async (t) => {
  const samples: RuntimeSample[] = [];
  const off = sim.runtime.onSample((s) => samples.push(s));
  const op = new ScriptedTeleoperator();
  const refusals: string[] = [];
  const driver = new TeleopDriver(sim.runtime, op, (e) => refusals.push(e.message));
  await driver.start(50);
  t.equal(op.connected, true, 'the driver connected the source');
  op.now = { velocity_radps: { wheel_left: 2, wheel_right: 2 } };
  op.held = true;
  await until('wheels follow the teleoperator', () => (sim.runtime.snapshot().setpoints.wheel_left ?? 0) > 0.5);
  t.equal(sim.runtime.snapshot().mode, 'teleop');
  // Held well past the envelope's 250 ms teleop heartbeat timeout: the driver's reads are the heartbeat.
  await new Promise((r) => setTimeout(r, 600));
  t.ok(sim.runtime.snapshot().setpoints.wheel_left! > 0.5, 'still driving after 600 ms: polling keeps the heartbeat');
  op.held = false;
  await until('let go: teleop released', () => sim.runtime.snapshot().mode === 'idle');
  await until('the wheels stop', () => sim.runtime.snapshot().setpoints.wheel_left === 0, 2000);
  await driver.stop();
  t.equal(op.connected, false, 'the driver closed the source');
  t.same(refusals, []);

  const driving = samples.filter((s) => s.control === 'teleop');
  t.ok(driving.length > 50, `${driving.length} teleop samples (about one a tick at 500 Hz)`);
  const s = driving.at(-1)!;
  t.same(s.teleop, { velocity_radps: { wheel_left: 2, wheel_right: 2 }, operator: 'scripted' }, 'the raw teleop command, with the operator');
  t.ok(s.action.setpoint.wheel_left! > 0 && s.action.setpoint.wheel_left! <= 2, 'the action is what the envelope let through');
  t.equal(s.action.torque_enabled.wheel_left, true);
  t.ok(Object.keys(s.observation.joints).includes('shoulder') && typeof s.observation.joints.shoulder!.velocity_radps === 'number', 'joint position and velocity by name');
  t.ok(s.observation.objects.some((o) => o.kind === 'bin'), 'perceived objects from the tabletop');
  t.ok(driving.every((x, i) => i === 0 || x.tick > driving[i - 1]!.tick), 'ticks increase');
  t.ok(samples.at(-1)!.control === 'idle' && samples.at(-1)!.teleop === null, 'after let-go nobody drives');
  const moved = samples.at(-1)!.observation.base;
  t.ok(Math.hypot(moved.x_m, moved.y_m) > 0.01, `the base pose moved (${moved.x_m.toFixed(3)}, ${moved.y_m.toFixed(3)})`);
  off();
  const n = samples.length;
  await new Promise((r) => setTimeout(r, 100));
  t.equal(samples.length, n, 'no samples after off()');
});

t.test('the tap keeps every tick while the event loop is held, each with the time the loop computed it', async (t) => {
  const samples: RuntimeSample[] = [];
  const notices: string[] = [];
  const onNotice = (n: { text: string }) => notices.push(n.text);
  sim.runtime.on('notice', onNotice);
  const off = sim.runtime.onSample((s) => samples.push(s));
  await until('a few samples', () => samples.length > 10);
  // A long synchronous job on the runtime's thread: ~75 ticks at 500 Hz go out while the pump cannot run.
  const t0 = performance.now();
  while (performance.now() - t0 < 150);
  const n = samples.length;
  await until('samples after the hold', () => samples.length > n + 100);
  off();
  sim.runtime.off('notice', onNotice);
  const gaps = samples.filter((s, i) => i > 0 && s.tick !== samples[i - 1]!.tick + 1).map((s) => s.tick);
  t.same(gaps, [], `${samples.length} samples, ticks consecutive across the hold`);
  const dt = samples.slice(1).map((s, i) => s.t_ms - samples[i]!.t_ms);
  t.ok(Math.max(...dt) < 50, `each sample's time is its tick's, not when the pump caught up (largest step ${Math.max(...dt).toFixed(1)} ms)`);
  t.ok(samples.at(-1)!.t_ms <= performance.now() && samples.at(-1)!.t_ms > performance.now() - 1000, 'on the performance.now() clock');
  t.same(notices.filter((x) => /recording tap/.test(x)), [], 'nothing lost, nothing to report');
});

t.test('the tap names the skill with its args, and carries its statuses and an e-stop as events', async (t) => {
  const samples: RuntimeSample[] = [];
  const off = sim.runtime.onSample((s) => samples.push(s));
  const run = sim.runtime.runSkill('turn', { angle_rad: 0.6 });
  await until('turn in the samples', () => samples.some((s) => s.control === 'skill'));
  const s = samples.find((x) => x.control === 'skill')!;
  t.same(s.skill?.name, 'turn');
  t.same(s.skill?.args, { angle_rad: 0.6 });
  await sim.runtime.estop('tap test');
  await run;
  await until('an e-stop sample', () => samples.some((x) => x.control === 'estop'));
  // The latch marks samples 'estop' at once; the loop's own e-stop event rides a later sample (after the worker's ack).
  await until('the loop\'s e-stop event', () => samples.some((x) => x.events.some((e) => e.kind === 'loop_event' && e.event.kind === 'estop')));
  const events = samples.flatMap((x) => x.events);
  t.ok(events.some((e) => e.kind === 'skill_status' && e.status.skill === 'turn'), 'skill statuses are events');
  t.ok(events.some((e) => e.kind === 'loop_event' && e.event.kind === 'estop'), 'the e-stop is an event');
  await sim.runtime.clearEstop();
  off();
});
