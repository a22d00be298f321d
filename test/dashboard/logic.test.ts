// The page's pure parts without a browser: message validation and routing, teleop mapping with its deadman and wind-up
// limit, role gating; and the server's URL check and CLI.
import t from 'tap';
import { COMMANDS, ROLE_COMMANDS } from '../../host/bridge/topics.ts';
import { dashboardMain } from '../../host/dashboard/cli.ts';
import { checkBrokerWsUrl, startDashboard } from '../../host/dashboard/server.ts';
import { roleInRefusal } from '../../host/dashboard/web/connection.ts';
import { mayCommand } from '../../host/dashboard/web/controls.ts';
import { parseIncoming } from '../../host/dashboard/web/messages.ts';
import { ArmTargets, gamepadToInput, GAMEPAD_DEADMAN_BUTTON, keysToInput, NO_INPUT, PROFILE, teleopCommand } from '../../host/dashboard/web/teleop-map.ts';

const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const telemetry = (over: Record<string, unknown> = {}) => ({
  robot: 'r1', node: 'arm', at_ms: 1, received_at_ms: 1, counter: 1, mcu_time_us: 0,
  joints: { shoulder: { position_rad: 0.1, velocity_radps: 0, setpoint: 0.2, error: 0.1 } },
  counts: [], vel_cps: [], out_permille: [], analog: [], faults: [], frames: 1, ...over,
});

t.test('incoming messages are routed by topic and checked against their schema', (t) => {
  const ok = parseIncoming('ganglion/r1/telemetry/arm', bytes(telemetry()));
  t.equal(ok.ok, true);
  t.match(ok, { msg: { kind: 'telemetry', robot: 'r1', node: 'arm' } });
  t.match(parseIncoming('ganglion/r1/status', bytes({ online: true, robot: 'r1', at_ms: 1, version: 'x' })), { ok: true, msg: { kind: 'status' } });
  t.match(parseIncoming('ganglion/_reply/op/abc-1', bytes({ ok: true, command: 'estop' })), { ok: true, msg: { kind: 'reply', id: 'abc-1' } });

  t.same(parseIncoming('ganglion/r1/telemetry/arm', bytes(telemetry({ at_ms: 'now' }))), { ok: false, topic: 'ganglion/r1/telemetry/arm', error: 'at_ms: Invalid input: expected number, received string' });
  t.match(parseIncoming('ganglion/r1/link', bytes('{nope')), { ok: false, error: /^not JSON/ });
  t.match(parseIncoming('ganglion/r1/telemetry/arm', bytes(telemetry({ robot: 'r2' }))), { ok: false, error: /robot: payload says "r2" on robot "r1"'s topic/ });
  t.match(parseIncoming('ganglion/r1/telemetry/base', bytes(telemetry())), { ok: false, error: /node: payload says "arm" on node "base"'s topic/ });
  t.match(parseIncoming('ganglion/r1/telemetry/arm', bytes(telemetry({ extra: 1 }))), { ok: false, error: /Unrecognized key/ }, 'strict: unknown fields refused');
  t.match(parseIncoming('ganglion/_reply/op/1', bytes({ ok: 'yes', command: 'x' })), { ok: false, error: /^ok:/ });

  t.same(parseIncoming('ganglion/r1/cmd/estop', bytes({})), { ok: 'ignored' }, 'commands are not the page\'s to read');
  t.same(parseIncoming('ganglion/r1/tunnel/arm/up', bytes('x')), { ok: 'ignored' });
  t.same(parseIncoming('other/r1/status', bytes({})), { ok: 'ignored' });
  t.same(parseIncoming('ganglion/r1/state', new Uint8Array()), { ok: 'ignored' }, 'an empty retained message clears, it is not an error');
  t.end();
});

t.test('keys map to wheel velocities and arm rates; opposite keys cancel', (t) => {
  t.same(keysToInput([]), NO_INPUT);
  t.same(keysToInput(['ArrowUp']), { ...NO_INPUT, forward: 1 });
  t.same(keysToInput(['ArrowUp', 'ArrowDown']), NO_INPUT);
  t.same(keysToInput(['ArrowUp', 'ArrowLeft', 'KeyW', 'KeyD', 'KeyE', 'KeyZ']), { forward: 1, turn: 1, shoulder: 1, elbow: -1, gripper: 1 });
  const joints = new Set(['wheel_left', 'wheel_right', 'shoulder', 'elbow', 'gripper']);
  const fwdLeft = teleopCommand({ ...NO_INPUT, forward: 1, turn: 1 }, { shoulder: 0.2 }, joints);
  t.same(fwdLeft, { deadman: true, velocity_radps: { wheel_left: PROFILE.forward_radps - PROFILE.turn_radps, wheel_right: PROFILE.forward_radps + PROFILE.turn_radps }, position_rad: { shoulder: 0.2 } });
  t.same(teleopCommand(NO_INPUT, { shoulder: 0.2 }, new Set(['shoulder'])), { deadman: true, position_rad: { shoulder: 0.2 } }, 'a robot without wheels gets no wheel velocities');
  t.end();
});

t.test('arm targets start at the measured pose, move at the key rate, and never lead the joint by more than the limit', (t) => {
  const measured = { shoulder: 0.5, elbow: -0.2, gripper: 0 };
  const arm = new ArmTargets(measured);
  t.same(arm.step(NO_INPUT, 0.05, measured), measured, 'taking over does not move the arm');
  const up = arm.step({ ...NO_INPUT, shoulder: 1 }, 0.1, measured);
  t.ok(Math.abs(up.shoulder! - (0.5 + PROFILE.arm_rate_radps * 0.1)) < 1e-12);
  // The joint is stuck (at a limit): holding the key for 5 s must not wind the target up.
  let last = up;
  for (let i = 0; i < 100; i++) last = arm.step({ ...NO_INPUT, shoulder: 1 }, 0.05, measured);
  t.ok(Math.abs(last.shoulder! - (0.5 + PROFILE.max_lead_rad)) < 1e-12, 'target clamped to measured + max lead');
  t.end();
});

t.test('gamepad: nothing without the deadman button; sticks with a deadzone', (t) => {
  const pressed = (deadman: boolean, extra: number[] = []) => Array.from({ length: 16 }, (_, i) => (i === GAMEPAD_DEADMAN_BUTTON ? deadman : extra.includes(i)));
  t.same(gamepadToInput([0, -1, 0, 0], pressed(false)), { deadman: false, input: NO_INPUT });
  t.same(gamepadToInput([0.1, -1, 0, -0.5], pressed(true, [0])), { deadman: true, input: { forward: 1, turn: 0, shoulder: 0.5, elbow: 0, gripper: 1 } });
  t.end();
});

t.test('role gating mirrors ROLE_COMMANDS; an unknown role is left to the broker', (t) => {
  for (const c of COMMANDS) {
    t.equal(mayCommand('viewer', c), false);
    t.equal(mayCommand('operator', c), true);
    t.equal(mayCommand('planner', c), ROLE_COMMANDS.planner.includes(c));
    t.equal(mayCommand(null, c), true);
  }
  t.equal(roleInRefusal('not authorized: role viewer may not publish to ganglion/r1/cmd/estop'), 'viewer');
  t.equal(roleInRefusal('not authorized: role wizard may not'), null);
  t.equal(roleInRefusal('Publish error: Not authorized'), null);
  t.end();
});

t.test('the server wants a ws:// or wss:// broker URL and says so', async (t) => {
  t.throws(() => checkBrokerWsUrl('mqtt://127.0.0.1:1883'), /the browser needs ws:\/\/ or wss:\/\/, not mqtt:/);
  t.throws(() => checkBrokerWsUrl('nonsense'), /not a URL/);
  t.equal(checkBrokerWsUrl('wss://robot.local:8884/mqtt').origin, 'wss://robot.local:8884');
  await t.rejects(startDashboard({ brokerWsUrl: 'http://x' }), /ws:\/\/ or wss:\/\//);
});

t.test('ganglion dashboard: --help, a bad port, and a run stopped by its signal', async (t) => {
  const out: string[] = [];
  const print = (text: string) => out.push(text);
  t.equal(await dashboardMain(['--help'], { print }), 0);
  t.match(out.join(''), /--broker-ws URL/);
  await t.rejects(dashboardMain(['--port', '70000'], { print }), /--port 70000: expected a port number/);
  const stop = new AbortController();
  const running = dashboardMain(['--port', '0', '--broker-ws', 'ws://127.0.0.1:1'], { signal: stop.signal, print });
  try {
    const t0 = performance.now();
    while (!out.some((l) => l.startsWith('dashboard: http://127.0.0.1:')) && performance.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    const url = /dashboard: (http\S+)/.exec(out.join(''))?.[1];
    t.ok(url, 'prints its URL');
    t.equal((await fetch(url!)).status, 200, 'serving');
  } finally {
    stop.abort();
  }
  t.equal(await running, 0);
});
