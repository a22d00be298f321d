// A link that loses frames to noise but is not congested: at 1 % byte corruption in both directions, with setpoints
// at 200 Hz, the retransmit timeout stays bounded by the watchdog window, so the MCU's watchdog never trips and
// command acks stay under half the window (issue 10: the RTO doubled to 5 s and the MCU tripped). A suite share of
// the 60 s run; the bench runs the full one.
import t from 'tap';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { SerialTransport } from '../../host/link/serial.ts';
import { McuSession } from '../../host/link/session.ts';
import { probeAcks } from './helpers/ack-probe.ts';
import { FaultTransport } from './helpers/fault-transport.ts';
import { referenceNode, sleep, startMcu } from './helpers/posix.ts';

const F = CONSTANTS.FAULT;
const DURATION_MS = 4000;

t.test('1 % byte corruption both ways, 200 Hz setpoints: no watchdog trip, ack p99 under half the window', async (t) => {
  const mcu = await startMcu(t);
  const ref = referenceNode('base');
  // 500 ms as the other real-time tests use: a loaded CI machine stalls the host for tens of ms at times.
  const node = { ...ref.node, watchdog_ms: 500 };
  const faults = new FaultTransport(SerialTransport.forBoard(mcu.ptyPath!, ref.board), 10);
  const log: string[] = [];
  const s = new McuSession({ transport: faults, node, board: ref.board, log: (l) => log.push(l) });
  t.teardown(() => s.close());
  await s.connect();
  await s.arm();
  let tripped = 0;
  let disconnects = 0;
  s.on('telemetry', (st) => { if (st.faults & F.WATCHDOG_TRIPPED) tripped++; });
  s.on('disconnected', () => disconnects++);
  faults.down = { corrupt: 0.01 };
  faults.up = { corrupt: 0.01 };

  const ackMs = await probeAcks(s, DURATION_MS);
  ackMs.sort((a, b) => a - b);
  const p99 = ackMs[Math.floor(ackMs.length * 0.99)]!;
  const st = s.stats();
  t.ok(faults.counts.down.corrupted > 50 && faults.counts.up.corrupted > 50, `corrupted ${faults.counts.down.corrupted} bytes down, ${faults.counts.up.corrupted} up`);
  t.ok(st.retransmits > 0, `${st.retransmits} retransmits, ${st.timeouts} timeouts, ${st.naks} NAKs, RTO ${st.rtt.rtoMs.toFixed(1)} ms (cap ${st.rtt.rtoMaxMs} ms)`);
  t.ok(st.rtt.rtoMaxMs <= node.watchdog_ms / 4, 'the RTO cap is within the watchdog window');
  t.equal(tripped, 0, 'the MCU watchdog never tripped');
  t.equal(disconnects, 0, 'the link was never given up');
  t.ok(p99 < node.watchdog_ms / 2, `ack p99 ${p99.toFixed(1)} ms < ${node.watchdog_ms / 2} ms over ${ackMs.length} commands`);
  // Not asserted: a single frame can still wait over half the window now and then (the session then reports it as
  // degraded, which is what that state is for); the bounds are the two above.
  t.comment(`degraded ${st.degradations}x: ${log.join(' | ') || 'no log lines'}`);
});

t.test('a link that stalls anyway goes degraded, logged, and healthy again when acks return', async (t) => {
  const mcu = await startMcu(t);
  const ref = referenceNode('base');
  const node = { ...ref.node, watchdog_ms: 500 };
  const faults = new FaultTransport(SerialTransport.forBoard(mcu.ptyPath!, ref.board), 11);
  const log: string[] = [];
  const s = new McuSession({ transport: faults, node, board: ref.board, log: (l) => log.push(l) });
  t.teardown(() => s.close());
  await s.connect();
  await s.arm();
  const health: (string | null)[] = [];
  s.on('health', (h) => health.push(h));
  faults.down = { drop: 1 }; // the TX wire cut: nothing reaches the MCU
  const p = s.ping().catch(() => 0);
  const t0 = performance.now();
  while (s.state !== 'degraded' && performance.now() - t0 < 5000) await sleep(5);
  t.equal(s.state, 'degraded');
  t.match(log.join('\n'), /DEGRADED/);
  faults.down = {};
  await p;
  while (s.state !== 'connected' && performance.now() - t0 < 10000) await sleep(5);
  t.equal(s.state, 'connected', 'healthy again once acks come back (the stall was shorter than the watchdog window)');
  t.ok(s.stats().degradations >= 1);
  t.ok(health.length >= 2 && health[health.length - 1] === null);
  t.match(log.join('\n'), /healthy again after \d+ ms degraded/);
});
