// The terminal keyboard on the emulated robot (posix firmware on ptys): held keys drive the base and the arm through the envelope; when the key repeat stops the robot holds.
import t from 'tap';
import { startSimRobot, type SimRobot } from '../../host/runtime/sim-robot.ts';
import { TeleopDriver } from '../../host/teleop/driver.ts';
import { KeyboardSource } from '../../host/teleop/keyboard.ts';
import { followerOf, SourceTeleoperator } from '../../host/teleop/source-teleoperator.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let sim: SimRobot;
t.before(async () => {
  sim = await startSimRobot({ firmware: 'posix', watchdog_ms: 500 });
});
t.teardown(() => sim?.stop());

t.test('held keys drive, the key-repeat timeout is the deadman', async (t) => {
  const kb = new KeyboardSource({ first_repeat_ms: 500, repeat_ms: 150 });
  const driver = new TeleopDriver(sim.runtime, new SourceTeleoperator(kb, { follower: followerOf(sim.runtime) }));
  const obs = () => sim.runtime.snapshot().observation;
  const s0 = obs().joints.shoulder!.position_rad;
  const x0 = obs().base.x_m;
  kb.feed('5wi', performance.now());
  // A terminal's key repeat: every 33 ms after the first 500 ms.
  for (let i = 0; i < 60; i++) {
    if (i > 15) kb.feed('wi', performance.now());
    await driver.readNow();
    await sleep(33);
  }
  t.equal(sim.runtime.snapshot().mode, 'teleop');
  const moved = obs();
  t.ok(moved.joints.shoulder!.position_rad - s0 > 0.3, `i held ~2 s: shoulder +${(moved.joints.shoulder!.position_rad - s0).toFixed(2)} rad`);
  t.ok(moved.base.x_m - x0 > 0.05, `w held: base forward ${(moved.base.x_m - x0).toFixed(3)} m`);
  // Keys let go: no more repeats; after the timeout the driver releases and the robot holds.
  for (let i = 0; i < 10; i++) {
    await driver.readNow();
    await sleep(33);
  }
  t.notOk(driver.holding, 'released after the repeat timeout');
  // Then the base brakes at the envelope's deceleration: wait (up to 3 s) until two reads 100 ms apart agree, not a fixed
  // 300 ms (CI once caught the base still rolling then, two test files on two cores). A robot that never stops still
  // fails below.
  for (let p = obs(), end = performance.now() + 3000; performance.now() < end; ) {
    await sleep(100);
    const q = obs();
    const still = Math.abs(q.base.x_m - p.base.x_m) < 0.0005 && Math.abs(q.joints.shoulder!.position_rad - p.joints.shoulder!.position_rad) < 0.001;
    p = q;
    if (still) break;
  }
  const a = obs();
  await sleep(300);
  const b = obs();
  t.ok(Math.abs(b.joints.shoulder!.position_rad - a.joints.shoulder!.position_rad) < 0.01, 'the arm holds');
  t.ok(Math.abs(b.base.x_m - a.base.x_m) < 0.005, 'the base holds');
  await driver.stop();
});
