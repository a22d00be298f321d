// The bridge end to end on the real runtime (posix firmware on ptys) and the embedded broker: every out-topic against its schema, request/response, planner actions, refusals, e-stop first, Last Will.
import t, { type Test } from 'tap';
import { startEmbeddedBroker } from '../../host/bridge/broker.ts';
import { startBridge } from '../../host/bridge/bridge.ts';
import { CommandHandler } from '../../host/bridge/commands.ts';
import {
  CadencePayload, EventPayload, LinkPayload, MAX_COMMAND_BYTES, ReplyPayload, SkillsPayload, SkillStatusPayload, StatePayload, StatusPayload,
  TelemetryPayload, stampCommand,
} from '../../host/bridge/topics.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';
import { Peer, PASSWORDS, request, testUsers, waitFor } from './helpers.ts';

const sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'ref' });
const runtime = sim.runtime;
const CRED = { username: 'ref-runtime', password: 'in-memory-secret', robots: ['ref'] };
const broker = await startEmbeddedBroker({ users: await testUsers(['ref']), robot_credentials: [CRED] });
const bridge = await startBridge({
  robot: runtime, url: broker.tcpUrl, username: CRED.username, password: CRED.password, telemetry_hz: 20, reconnect: { min_ms: 100, max_ms: 1000 },
});
t.teardown(async () => {
  await bridge.stop();
  await broker.close();
  await sim.stop();
});

async function peer(t: Test, user: keyof typeof PASSWORDS) {
  const p = await Peer.connect(broker.tcpUrl, user, PASSWORDS[user]);
  t.teardown(() => p.end());
  await p.sub(`ganglion/_reply/${user}/#`);
  return p;
}

/** A command payload as bytes, with a fresh id and the clock. */
const cmd = (body: object) => Buffer.from(JSON.stringify(stampCommand(body)));


const estopClear = async () => {
  if (runtime.snapshot().estop.latched) await runtime.clearEstop();
};

t.test('every out-topic is published with a payload its schema accepts; state, status and skills are retained', async (t) => {
  const v = await peer(t, 'view');
  await v.sub('ganglion/ref/#', 0);
  const schemas: [string, { parse(x: unknown): unknown }][] = [
    ['ganglion/ref/status', StatusPayload], ['ganglion/ref/state', StatePayload], ['ganglion/ref/skills', SkillsPayload],
    ['ganglion/ref/telemetry/base', TelemetryPayload], ['ganglion/ref/telemetry/arm', TelemetryPayload], ['ganglion/ref/telemetry/leader', TelemetryPayload],
    ['ganglion/ref/cadence', CadencePayload], ['ganglion/ref/link', LinkPayload],
  ];
  for (const [topic, schema] of schemas) {
    const m = await v.next((x) => x.topic === topic, 5000, topic);
    t.doesNotThrow(() => schema.parse(m.json), `${topic} matches its schema`);
  }
  for (const topic of ['ganglion/ref/status', 'ganglion/ref/state', 'ganglion/ref/skills']) {
    t.ok(v.on(topic)[0]!.retain, `${topic} arrives retained to a new subscriber`);
  }
  t.equal(v.on('ganglion/ref/status')[0]!.json.online, true);
  const skills = SkillsPayload.parse(v.on('ganglion/ref/skills')[0]!.json).skills;
  t.ok(skills.some((s) => s.name === 'home' && s.affordance?.value === 1), 'the skill list carries affordances');

  // Decimation: 20 Hz per node out of every telemetry frame.
  const t0 = performance.now();
  const before = v.on('ganglion/ref/telemetry/arm').length;
  await new Promise((r) => setTimeout(r, 1000));
  const n = v.on('ganglion/ref/telemetry/arm').length - before;
  const hz = (n * 1000) / (performance.now() - t0);
  t.ok(hz <= 22 && hz >= 8, `arm telemetry at ${hz.toFixed(1)} Hz for telemetry_hz 20`);
  const tel = TelemetryPayload.parse(v.on('ganglion/ref/telemetry/arm').at(-1)!.json);
  t.ok(tel.frames > 1, `${tel.frames} MCU frames per published message`);
  t.same(Object.keys(tel.joints).sort(), runtime.joints.filter((j) => j.node === 'arm').map((j) => j.name).sort(), 'joints of that node, by name');
  const sh = tel.joints.shoulder!;
  t.ok(sh.setpoint !== null && sh.error !== null && Math.abs(sh.error - (sh.setpoint - sh.position_rad)) < 1e-9, 'tracking error = setpoint - position');
  const state = StatePayload.parse(v.on('ganglion/ref/state').at(-1)!.json);
  t.equal(state.robot, 'ref');
  t.same(Object.keys(state.armed).sort(), ['arm', 'base', 'leader'], 'armed, per node');
});

t.test('request/response: an action replies when its skill ends, with the correlation data echoed; skill status streams meanwhile', async (t) => {
  const op = await peer(t, 'op');
  await op.sub('ganglion/ref/skill/status');
  const { reply } = await request(op, 'op', 'action', { skill: 'wait', args: { seconds: 0.3 }, task: 'bridge test' });
  t.equal(reply.ok, true);
  t.equal(reply.command, 'action');
  const result = SkillStatusPayload.parse(reply.result);
  t.equal(result.state, 'done');
  t.equal(result.skill, 'wait');
  t.ok(result.elapsed_s >= 0.29, `ran ${result.elapsed_s} s`);
  const statuses = op.inbox.filter((m) => m.topic === 'ganglion/ref/skill/status').map((m) => SkillStatusPayload.parse(m.json));
  t.ok(statuses.some((s) => s.skill === 'wait' && s.state === 'running'), 'running status published');
  t.ok(statuses.some((s) => s.skill === 'wait' && s.state === 'done'), 'final status published');
  t.equal(runtime.snapshot().task, 'bridge test', 'the action set the task');
});

t.test('an external planner (planner role) runs macro actions over cmd/action and receives each step result', async (t) => {
  const plan = await peer(t, 'plan');
  // wait, not a motion: its outcome does not depend on how loaded the machine running the emulated MCUs is.
  const step1 = await request(plan, 'plan', 'action', { skill: 'wait', args: { seconds: 0.2 } });
  t.equal(step1.reply.ok, true, 'wait: done');
  t.equal(SkillStatusPayload.parse(step1.reply.result).state, 'done');
  const step2 = await request(plan, 'plan', 'action', { skill: 'release' });
  t.equal(step2.reply.ok, false, 'release with nothing held: refused');
  t.match(step2.reply.error, /nothing to release/, 'with the reason the planner can act on');
  const step3 = await request(plan, 'plan', 'action', { skill: 'teleport', args: {} });
  t.equal(step3.reply.ok, false);
  t.match(step3.reply.error, /teleport/);
  const idle = await request(plan, 'plan', 'correction', { phrase: 'slower' });
  t.equal(idle.reply.ok, false, 'a correction with no skill running is refused, with the reason');
  const { reply } = await request(plan, 'plan', 'action', { skill: 'hold' }, { timeout_ms: 500 }).catch(() => ({ reply: null }));
  t.equal(reply, null, 'hold runs until cancelled: no reply yet');
  const corr = await request(plan, 'plan', 'correction', { phrase: 'a bit to the left' });
  t.equal(corr.reply.ok, true, `planners may correct a running skill ${corr.reply.error ?? ''}`);
  t.ok(corr.reply.result, 'the parsed correction comes back');
  const c = await request(plan, 'plan', 'cancel', { reason: 'planner changed its mind' });
  t.equal(c.reply.ok, true);
  await waitFor(() => runtime.snapshot().active_skill === null, 3000, 'hold cancelled');
});

t.test('malformed, oversized and refused commands: an error reply and an event, and nothing changes', async (t) => {
  await estopClear();
  const op = await peer(t, 'op');
  await op.sub('ganglion/ref/events');
  await op.sub('ganglion/ref/skill/status');
  await waitFor(() => runtime.snapshot().active_skill === null, 3000, 'idle');
  const before = runtime.snapshot();
  const statusesBefore = op.on('ganglion/ref/skill/status').length;
  const cases: [string, unknown, RegExp][] = [
    ['action', '{"skill": "home"', /not JSON/],
    ['action', { skill: 'Home!' }, /skill/],
    ['action', { skill: 'home', extra: 1 }, /extra|Unrecognized/i],
    ['teleop', { velocity_radps: { wheel_left: 1 } }, /deadman/],
    ['teleop', { velocity_radps: { wheel_left: 'fast' }, deadman: true }, /velocity_radps/],
    ['correction', { phrase: '' }, /phrase/],
    ['action', JSON.stringify(stampCommand({ skill: 'home', args: { pad: 'x'.repeat(MAX_COMMAND_BYTES) } })), /bytes; the limit is 16384/],
    ['action', JSON.stringify({ skill: 'home' }), /id/],
  ];
  for (const [cmd, payload, err] of cases) {
    const { reply } = await request(op, 'op', cmd, payload);
    t.equal(reply.ok, false, `${cmd} refused`);
    t.match(reply.error, err, String(reply.error));
  }
  const events = await waitFor(() => {
    const e = op.on('ganglion/ref/events').map((m) => EventPayload.parse(m.json)).filter((e) => e.kind === 'command_error');
    return e.length >= cases.length ? e : null;
  }, 3000, 'one command_error event per refusal');
  t.ok(events.every((e) => e.topic?.startsWith('ganglion/ref/cmd/')), 'events name the offending topic');
  await new Promise((r) => setTimeout(r, 200));
  const after = runtime.snapshot();
  t.equal(after.mode, before.mode, 'mode unchanged');
  t.same(after.active_skill, before.active_skill, 'no skill started');
  t.equal(after.estop.latched, before.estop.latched);
  t.equal(op.on('ganglion/ref/skill/status').length, statusesBefore, 'no skill status at all');
});

t.test('defence in depth (a broker with a looser ACL): unknown commands and foreign response topics are refused; e-stop fails safe', async (t) => {
  const replies: { topic: string; payload: ReplyPayload }[] = [];
  const events: { kind: string; text: string }[] = [];
  const h = new CommandHandler(runtime, 'ganglion/ref/cmd/', { reply: (topic, payload) => replies.push({ topic, payload }), event: (e) => events.push(e) });
  h.onMessage({ topic: 'ganglion/ref/cmd/fly', payload: cmd({}), responseTopic: 'ganglion/_reply/op/1' });
  h.onMessage({ topic: 'ganglion/ref/cmd/arm', payload: cmd({}), responseTopic: 'ganglion/ref/cmd/disarm' });
  h.onMessage({ topic: 'ganglion/ref/cmd/cancel', payload: cmd({}), responseTopic: 'elsewhere/x' });
  t.same(replies.map((r) => r.topic), ['ganglion/_reply/op/1'], 'a reply goes only to a reply topic');
  t.match(replies[0]!.payload.error, /unknown command "fly"/);
  t.equal(events.length, 3, 'each refusal is an event');
  t.match(events[1]!.text, /response topic/);

  // An e-stop whose payload does not parse still stops the robot: refusing it would be the unsafe choice.
  h.onMessage({ topic: 'ganglion/ref/cmd/estop', payload: cmd({ reason: 42 }), responseTopic: 'ganglion/_reply/op/2' });
  await waitFor(() => runtime.snapshot().estop.latched, 2000, 'e-stop latched');
  const r = await waitFor(() => replies.find((x) => x.topic === 'ganglion/_reply/op/2'), 2000, 'the e-stop reply');
  t.equal(r.payload.ok, true);
  t.match(r.payload.error, /reason.*applied anyway/);
  await estopClear();
});

t.test('e-stop goes ahead of commands queued with it, and never waits behind a running action', async (t) => {
  await estopClear();
  await waitFor(() => runtime.snapshot().active_skill === null, 3000, 'idle');
  // Same batch: action, teleop, clear, then e-stop. The e-stop acts first and the earlier ones are dropped (a clear
  // that ran after it would undo it).
  const replies: { topic: string; payload: ReplyPayload }[] = [];
  const h = new CommandHandler(runtime, 'ganglion/ref/cmd/', { reply: (topic, payload) => replies.push({ topic, payload }), event: () => {} });
  const statuses: string[] = [];
  const onStatus = (s: { skill: string; state: string }) => statuses.push(`${s.skill}:${s.state}`);
  runtime.on('skill_status', onStatus);
  t.teardown(() => void runtime.off('skill_status', onStatus));
  h.onMessage({ topic: 'ganglion/ref/cmd/action', payload: cmd({ skill: 'hold' }), responseTopic: 'ganglion/_reply/op/a' });
  h.onMessage({ topic: 'ganglion/ref/cmd/teleop', payload: cmd({ velocity_radps: { wheel_left: 2 }, deadman: true }), responseTopic: 'ganglion/_reply/op/t' });
  h.onMessage({ topic: 'ganglion/ref/cmd/clear', payload: cmd({}), responseTopic: 'ganglion/_reply/op/c' });
  h.onMessage({ topic: 'ganglion/ref/cmd/estop', payload: cmd({ reason: 'test' }), responseTopic: 'ganglion/_reply/op/e' });
  await waitFor(() => replies.length === 4, 3000, 'four replies');
  const by = Object.fromEntries(replies.map((r) => [r.topic.split('/').at(-1)!, r.payload]));
  t.equal(by.e!.ok, true, 'e-stop applied');
  for (const k of ['a', 't', 'c']) t.match(by[k]!.error, /dropped, an e-stop arrived before it ran/, `${by[k]!.command} dropped`);
  await new Promise((r) => setTimeout(r, 200));
  t.ok(runtime.snapshot().estop.latched, 'still latched: the queued clear never ran');
  t.notOk(statuses.some((s) => s.startsWith('hold:')), 'the queued action never started');
  await estopClear();

  // Over MQTT, behind a running action: the e-stop reply comes while the action is still pending; outputs go to zero.
  const op = await peer(t, 'op');
  await op.sub('ganglion/ref/telemetry/+', 0);
  const actionReply = request(op, 'op', 'action', { skill: 'hold' }, { timeout_ms: 10_000 });
  await waitFor(() => runtime.snapshot().active_skill?.skill === 'hold', 3000, 'hold running');
  let actionDone = false;
  void actionReply.then(() => (actionDone = true), () => {});
  const t0 = performance.now();
  const e = await request(op, 'op', 'estop', { reason: 'behind an action' });
  const estop_ms = performance.now() - t0;
  t.equal(e.reply.ok, true);
  t.ok(estop_ms < 1000, `e-stop answered in ${estop_ms.toFixed(1)} ms`);
  t.ok(runtime.snapshot().estop.latched, 'latched');
  const a = await actionReply;
  t.ok(actionDone, 'the action ended after (because of) the e-stop');
  t.equal(a.reply.ok, false, `action ended: ${a.reply.error}`);
  const since = performance.now();
  const zero = await op.next((m) => m.at_ms > since + 50 && m.topic === 'ganglion/ref/telemetry/arm', 3000, 'arm telemetry after the e-stop');
  t.same(TelemetryPayload.parse(zero.json).out_permille.every((v) => v === 0), true, 'the MCU outputs are at zero');
  const cleared = await request(op, 'op', 'clear', {});
  t.equal(cleared.reply.ok, true);
  t.notOk(runtime.snapshot().estop.latched, 'cleared');
});

t.test('the Last Will marks the robot offline when its connection dies; it reconnects and republishes', async (t) => {
  const v = await peer(t, 'view');
  await v.sub('ganglion/ref/status');
  await v.next((m) => m.json?.online === true, 3000, 'online');
  const connects = bridge.stats().connects;
  const client = (broker.aedes as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients['ganglion-robot-ref'];
  t.ok(client, 'the bridge is connected under its robot client id');
  client!.conn.destroy(); // the broker side drops the connection: no DISCONNECT, so the will is published
  const will = await v.next((m) => m.json?.online === false, 3000, 'the Last Will');
  t.doesNotThrow(() => StatusPayload.parse(will.json));
  const back = await v.next((m) => m.json?.online === true && m.at_ms > will.at_ms, 5000, 'online again');
  t.ok(back, 'back online after the reconnect backoff');
  await waitFor(() => bridge.stats().connects === connects + 1, 2000, 'one reconnect');
});
