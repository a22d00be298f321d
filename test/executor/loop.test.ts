// The worker loop end to end: it runs a supplied tick module, state flows in, setpoints and stats flow out, commands act at the next tick.
import t, { type Test } from 'tap';
import type { LoopEventMessage, LoopStatsMessage } from '../../host/executor/commands.ts';
import type { EnvelopeConfigInput } from '../../host/executor/envelope-config.ts';
import { startLoop } from '../../host/executor/loop.ts';
import { createLoopShared, SetpointReader, StateWriter, type SetpointSnapshot } from '../../host/executor/shared.ts';

const TICK = new URL('./fixtures/echo-tick.ts', import.meta.url);
// Permissive limits, so a new command shows in full at the very tick it is applied.
const ENVELOPE: EnvelopeConfigInput = {
  joints: [
    { name: 'wheel', kind: 'velocity', velocity_max_radps: 100, accel_max_radps2: 1e6, max_step_radps: 100 },
    { name: 'arm', kind: 'position', position_min_rad: -3, position_max_rad: 3, velocity_max_radps: 1e4, accel_max_radps2: 1e8, max_step_rad: 10 },
  ],
};

async function setup(t: Test) {
  const shared = createLoopShared(['wheel', 'arm']);
  const state = new StateWriter(shared);
  state.write({ wheel: { position_rad: 0, velocity_radps: 0 }, arm: { position_rad: 0.1, velocity_radps: 0 } });
  const loop = await startLoop({ rate_hz: 500, tickModule: TICK, shared, envelope: ENVELOPE, tick_options: { wheel_radps: 1 }, stats_every_s: 0.1 });
  t.teardown(() => loop.stop());
  return { loop, state, reader: new SetpointReader(shared) };
}

/** Reads setpoints until one at or after `tick` arrives (woken by the loop's notify). */
async function until(reader: SetpointReader, pred: (s: SetpointSnapshot) => boolean): Promise<SetpointSnapshot> {
  let s = await reader.next(0);
  while (!pred(s)) s = await reader.next(s.seq, 5000);
  return s;
}

t.test('runs the tick module; a controller change takes effect at the next tick', async (t) => {
  const { loop, reader } = await setup(t);
  const seen: SetpointSnapshot[] = [];
  const before = await until(reader, (s) => s.tick >= 3);
  t.equal(before.value[0], 1, 'the initial controller drives the wheel at 1 rad/s');
  t.equal(before.command_id, 0);
  t.same(before.torque_enabled, [true, true]);

  const collecting = (async () => {
    let s = before;
    for (let i = 0; i < 2000 && s.value[0] !== 2; i++) seen.push((s = await reader.next(s.seq, 5000)));
  })();
  const ack = await loop.selectController('fixed', { wheel_radps: 2 });
  await collecting;
  t.ok(ack.ok);
  t.ok(ack.tick > before.tick, 'applied at a tick after the one observed before sending');
  const after = await until(reader, (s) => s.tick >= ack.tick);
  t.equal(after.value[0], 2);
  for (const s of seen) {
    if (s.tick >= ack.tick) t.equal(s.value[0], 2, `tick ${s.tick} (at or after ${ack.tick}) has the new speed`);
    else t.equal(s.value[0], 1, `tick ${s.tick} (before ${ack.tick}) has the old speed`);
    t.equal(s.command_id >= ack.id, s.tick >= ack.tick, 'command_id tells which side of the change a snapshot is on');
  }
  const refused = await loop.selectController('nope');
  t.equal(refused.ok, false);
  t.match(refused.error, /unknown controller "nope"/);
  t.throws(() => loop.send({ type: 'estop' } as never), /loop command: reason/, 'commands are validated before they are queued');
});

t.test('state flows in: the echo controller returns what the state says', async (t) => {
  const { loop, state, reader } = await setup(t);
  const ack = await loop.selectController('echo');
  await until(reader, (s) => s.tick >= ack.tick);
  state.write({ arm: { position_rad: 0.25 }, wheel: { velocity_radps: 3 } });
  const at = reader.read()!;
  // Any tick that starts after the write reads it: two ticks on is certainly after.
  const s = await until(reader, (x) => x.tick >= at.tick + 2);
  t.same(Array.from(s.value), [3, 0.25]);
  t.throws(() => state.write({ elbow: { position_rad: 1 } }), /unknown joint "elbow"/);
});

t.test('e-stop latches at the next tick and clear releases it; events and stats are published', async (t) => {
  const { loop, reader } = await setup(t);
  const events: LoopEventMessage[] = [];
  loop.on('event', (e) => events.push(e));
  const stats = new Promise<LoopStatsMessage>((resolve) => loop.once('stats', resolve));
  const stop = await loop.estop('operator pressed stop');
  const s = await until(reader, (x) => x.tick >= stop.tick);
  t.equal(s.estop, true);
  t.equal(s.value[0], 0, 'the wheel stops');
  t.same(s.safe, [true, true]);
  const clear = await loop.clear();
  const c = await until(reader, (x) => x.tick >= clear.tick);
  t.equal(c.estop, false);
  t.equal(c.value[0], 1);
  t.same(events.map((e) => e.kind), ['estop', 'clear']);
  t.match(events[0]!.text, /operator pressed stop/);
  const st = await stats;
  t.match(st.line, /Hz vs 500 Hz target, \d+\/\d+ ticks over budget, period error p50 \d+ us/);
  t.ok(st.cadence.ticks_total > 0);
  const hb = await loop.applied(loop.heartbeat('nobody'));
  t.equal(hb.ok, false);
  t.match(hb.error, /unknown remote source "nobody"/);
});

t.test('a throwing controller yields safe setpoints and one event, not a dead loop', async (t) => {
  const { loop, reader } = await setup(t);
  const events: LoopEventMessage[] = [];
  loop.on('event', (e) => events.push(e));
  const ack = await loop.selectController('throw');
  const s = await until(reader, (x) => x.tick >= ack.tick + 5);
  t.equal(s.value[0], 0);
  t.same(s.safe, [true, true]);
  t.equal(events.filter((e) => e.kind === 'tick_error').length, 1, 'reported once per stats period, not every tick');
  t.match(events[0]!.text, /controller failed on purpose/);
  const back = await loop.selectController('fixed', { wheel_radps: 1.5 });
  t.equal((await until(reader, (x) => x.tick >= back.tick)).value[0], 1.5);
  const final = await loop.stop();
  t.ok(final && final.ticks_total >= back.tick, 'stop() resolves with the final cadence');
});

t.test('a consumer held off for 100 ms still reads every tick it missed from the history', async (t) => {
  const { loop, reader } = await setup(t);
  const before = await until(reader, (s) => s.tick >= 3);
  // The event loop is held (as a long synchronous job would): ~50 ticks at 500 Hz go by unseen.
  const t0 = performance.now();
  while (performance.now() - t0 < 100);
  const after = await reader.next(before.seq, 5000);
  t.ok(after.tick - before.tick >= 40, `the loop ran on: ticks ${before.tick} -> ${after.tick}`);
  const missed: SetpointSnapshot[] = [];
  for (let k = before.tick + 1; k < after.tick; k++) {
    const h = reader.at(k);
    if (h) missed.push(h);
  }
  t.equal(missed.length, after.tick - before.tick - 1, 'every tick in between is in the history');
  t.ok(missed.every((h, i) => h.tick === before.tick + 1 + i && h.value[0] === 1 && h.seq === -1), 'in order, with their own setpoints');
  t.ok(missed.every((h, i) => i === 0 || h.stamp_ns > missed[i - 1]!.stamp_ns), 'each with its own stamp');
  const between = reader.between(before.tick, after.tick);
  t.same(between.ticks.map((h) => h.tick), missed.map((h) => h.tick), 'between() gives the same ticks');
  t.equal(between.lost, 0, 'and none lost');
  t.equal(reader.at(after.tick + 10_000), null, 'a tick not run yet is not there');
  // Ticks more than HISTORY_TICKS old are gone: at 500 Hz, ~2 s.
  await until(reader, (s) => s.tick > before.tick + 1100);
  t.equal(reader.at(before.tick + 1), null, 'an overwritten tick is not there');
  t.equal(reader.between(before.tick, before.tick + 3).lost, 2, 'between() counts the overwritten ticks as lost');
  await loop.stop();
});

t.test('startLoop refuses bad setups with a clear message', async (t) => {
  const shared = createLoopShared(['wheel', 'arm']);
  await t.rejects(startLoop({ rate_hz: 500, tickModule: new URL('./fixtures/no-create.ts', import.meta.url), shared, envelope: ENVELOPE }), /does not export createTick/);
  await t.rejects(startLoop({ rate_hz: 500, tickModule: TICK, shared: createLoopShared(['arm', 'wheel']), envelope: ENVELOPE }), /must match the shared buffers/);
  await t.rejects(startLoop({ rate_hz: 5000, tickModule: TICK, shared, envelope: ENVELOPE }), /rate_hz/);
  t.throws(() => createLoopShared(['a', 'a']), /unique/);
});
