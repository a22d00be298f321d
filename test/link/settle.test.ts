// close() and a lost link settle every outstanding request (pings, commands, configuration) with an error, including
// the ones still queued behind a full send window: none is left hanging (issue 10: 185 of 199 pings never settled).
import t, { type Test } from 'tap';
import { SerialTransport } from '../../host/link/serial.ts';
import { McuSession } from '../../host/link/session.ts';
import { LinkError } from '../../host/link/errors.ts';
import { LossyTransport } from './helpers/lossy-transport.ts';
import { referenceNode, sleep, startMcu } from './helpers/posix.ts';

type Outcome = 'acked' | string;

/** 199 pings plus a set, an arm and a config item, fired at once: far more than the window holds. */
function flood(s: McuSession): Promise<Outcome>[] {
  const out = (p: Promise<unknown>) => p.then(() => 'acked', (e: unknown) => (e instanceof LinkError ? e.code : `other: ${String(e)}`));
  const reqs: Promise<Outcome>[] = [];
  for (let i = 0; i < 199; i++) reqs.push(out(s.ping()));
  reqs.push(out(s.command('set_position', { index: 0, counts: 77 })));
  reqs.push(out(s.command('arm', {})));
  reqs.push(out(s.command('config_link', { watchdog_ms: 100, telemetry_hz: 200, status_div: 10 })));
  return reqs;
}

/** Waits for every request, failing (not hanging) when one has not settled within `ms`. */
async function settledWithin(t: Test, reqs: Promise<Outcome>[], ms: number): Promise<Outcome[]> {
  let settled = 0;
  for (const r of reqs) void r.then(() => settled++);
  const all = Promise.all(reqs);
  const timeout = sleep(ms).then(() => null);
  const got = await Promise.race([all, timeout]);
  t.equal(settled, reqs.length, `${settled} of ${reqs.length} requests settled within ${ms} ms`);
  return got ?? [];
}

async function connected(t: Test) {
  const mcu = await startMcu(t);
  const { node, board } = referenceNode('base');
  const lossy = new LossyTransport(SerialTransport.forBoard(mcu.ptyPath!, board));
  const s = new McuSession({ transport: lossy, node, board, reconnect: false });
  t.teardown(() => s.close());
  await s.connect();
  // A cut TX wire: nothing is acked from here on, so every request stays outstanding until the session settles it.
  lossy.blockWrites = true;
  return { mcu, s };
}

t.test('close() with 202 requests outstanding: every one settles, each as closed', async (t) => {
  const { s } = await connected(t);
  const reqs = flood(s);
  t.ok(s.stats().inFlightFrames > 0, 'some are in flight');
  await s.close();
  const got = await settledWithin(t, reqs, 2000);
  t.same(got.filter((o) => o !== 'closed'), [], 'every one failed as closed');
  await t.rejects(s.ping(), { code: 'disconnected' }, 'after close a request fails at once');
});

t.test('the MCU goes away with 202 requests outstanding: every one settles, each as disconnected', async (t) => {
  const { mcu, s } = await connected(t);
  const reqs = flood(s);
  await mcu.stop('SIGKILL');
  const got = await settledWithin(t, reqs, 5000);
  t.same(got.filter((o) => o !== 'disconnected'), [], 'every one failed as disconnected');
  t.equal(s.state, 'idle');
});
