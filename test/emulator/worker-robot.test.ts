// Real-time emulated nodes in worker threads: Transport round trip, async inspection and control, pacing to the wall clock.
import t from 'tap';
import { EMULATOR_NICE } from '../../host/emulator/worker-node.ts';
import { currentTid, readNice } from '../../host/util/thread.ts';
import { loadRobot } from '../../host/hw/robot.ts';
import { decodePayload, encodeMessage, type Decoded } from '../../host/protocol/codec.ts';
import { FrameDecoder, encodeFrame } from '../../host/protocol/frame.ts';
import { PROTO_HASH } from '../../host/protocol/messages.gen.ts';
import { TransportError } from '../../host/link/transport.ts';
import { bootEmulatedRobot } from '../../host/emulator/robot.ts';
import { firmwareFlash } from './boot-node.ts';

firmwareFlash(); // build the image before any worker needs it

t.test('a worker node paces to real time and talks over its Transport', async (t) => {
  const robot = await bootEmulatedRobot(loadRobot(), { realtime: true, only: ['leader'] });
  t.teardown(() => robot.shutdown());
  const node = robot.nodes.get('leader')!;
  t.equal(node.transport.name, 'emulator:leader');
  // The worker yields to the host's threads: EMULATOR_NICE nicer than the main thread, which keeps its own.
  const main = readNice(currentTid());
  t.equal((await node.stats()).nice, Math.min(19, main + EMULATOR_NICE), `the emulator worker at nice ${Math.min(19, main + EMULATOR_NICE)}, the main thread at ${main}`);
  t.equal(readNice(currentTid()), main, 'the main thread keeps its priority');
  t.throws(() => node.transport.write(Uint8Array.of(1)), TransportError, 'writing before open() is refused');

  const got: Decoded[] = [];
  const dec = new FrameDecoder();
  node.transport.onData((bytes) => dec.push(bytes, (f) => got.push(...decodePayload(f.payload))));
  await node.transport.open();
  t.equal(node.transport.isOpen, true);
  node.transport.write(encodeFrame(1, encodeMessage('identify', {})));
  node.transport.write(encodeFrame(2, encodeMessage('config_link', { watchdog_ms: 1000, telemetry_hz: 50, status_div: 1 })));
  node.transport.write(encodeFrame(3, encodeMessage('config_analog', { index: 0, pin: 16 })));
  await node.setPot('pot_shoulder', 2.5);

  const until = async (pred: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return pred();
  };
  t.ok(await until(() => got.some((m) => m.name === 'identify_reply'), 2000), 'identify_reply over the transport');
  const reply = got.find((m) => m.name === 'identify_reply');
  t.equal(reply?.name === 'identify_reply' && reply.fields.proto_hash, PROTO_HASH);
  t.ok(
    await until(() => got.some((m) => m.name === 'status' && Math.abs(m.fields.analog[0]! - 512) <= 2), 2000),
    'the pot set through the async API shows in status',
  );

  // Start-up (JIT warm-up) leaves a lag that the pacer catches up; then emulated time tracks the wall clock.
  const caughtUp = async () => {
    for (const end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
      if ((await node.stats()).lag_ms < 5) return true;
    }
    return false;
  };
  t.ok(await caughtUp(), 'caught up after start-up');
  const w0 = Date.now();
  const s0 = await node.stats();
  await new Promise((r) => setTimeout(r, 500));
  const s1 = await node.stats();
  const wall_ms = Date.now() - w0;
  const emu_ms = s1.time_ms - s0.time_ms;
  t.ok(Math.abs(emu_ms - wall_ms) < 50, `emulated ${emu_ms.toFixed(0)} ms over ${wall_ms} ms of wall clock (lag ${s1.lag_ms.toFixed(1)} ms)`);

  const snap = await node.snapshot();
  t.equal(snap.id, 'leader');
  t.equal(snap.analog[0]!.volts, 2.5);
  await node.pressButton('button');
  t.equal((await node.snapshot()).inputs[0]!.closed, true, 'button pressed via the worker');
  await t.rejects(node.setPot('nope', 1), /no analog input "nope"/, 'errors from the worker name the problem');

  let closed = false;
  node.transport.onClose(() => (closed = true));
  await robot.shutdown();
  t.equal(closed, true, 'shutdown closes the transport');
  t.equal(node.transport.isOpen, false);
});
