// The dashboard teleoperator: its message stream is the deadman; a release or 250 ms of silence lets go, and the driver then releases teleop.
import t from 'tap';
import { DASHBOARD_DEADMAN_MS, DashboardTeleoperator } from '../../host/teleop/dashboard.ts';
import { TeleopDriver } from '../../host/teleop/driver.ts';
import type { TeleopCommand } from '../../host/runtime/control.ts';

/** What the driver asked of the robot, in order (the real runtime is exercised in test/teleop/driver.test.ts). */
function recordingTarget() {
  const calls: (TeleopCommand | 'release')[] = [];
  return { calls, teleop: async (c: TeleopCommand) => void calls.push(c), releaseTeleop: async () => void calls.push('release') };
}

t.test('each message is an action and a heartbeat; silence past the deadman window lets go', async (t) => {
  const dash = new DashboardTeleoperator();
  t.equal(dash.deadman(), false, 'nothing held at first');
  dash.command({ velocity_radps: { wheel_left: 1 }, operator: 'alice' });
  t.equal(dash.deadman(), true);
  t.same(dash.action(), { velocity_radps: { wheel_left: 1 }, operator: 'alice' });
  await new Promise((r) => setTimeout(r, DASHBOARD_DEADMAN_MS + 50));
  t.equal(dash.deadman(), false, 'stale after the window');
  t.equal(dash.action(), null);
  dash.command({ velocity_radps: { wheel_left: 1 } });
  dash.release();
  t.equal(dash.deadman(), false, 'release lets go at once');
});

t.test('the driver sends the command with the operator, and a release once let go', async (t) => {
  const dash = new DashboardTeleoperator();
  const robot = recordingTarget();
  const driver = new TeleopDriver(robot, dash);
  dash.command({ position_rad: { shoulder: 0.3 }, operator: 'alice' });
  await driver.readNow();
  t.equal(driver.holding, true);
  dash.release();
  await driver.readNow();
  t.same(robot.calls, [{ position_rad: { shoulder: 0.3 }, operator: 'alice' }, 'release']);
  t.equal(driver.holding, false);
});

t.test('a refusal from the robot reaches the caller (the bridge replies it)', async (t) => {
  const dash = new DashboardTeleoperator();
  const driver = new TeleopDriver({ teleop: async () => { throw new Error('e-stop is latched (test); clear it before teleop'); }, releaseTeleop: async () => {} }, dash);
  dash.command({ velocity_radps: { wheel_left: 1 } });
  await t.rejects(driver.readNow(), /e-stop is latched/);
  t.equal(driver.holding, false);
});
