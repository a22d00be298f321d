// Broker restart: teleop that was driving stops (no stale teleop, ever), the skill layer holds, the bridge reconnects with backoff to the broker back on the same port and republishes its retained state.
import t from 'tap';
import { SkillsPayload, StatePayload, StatusPayload, stampCommand } from '../../host/bridge/topics.ts';
import { Peer, PASSWORDS, waitFor } from './helpers.ts';
import { bridgedRobot } from './restartable.ts';

t.test('broker restart during teleop', async (t) => {
  const rig = await bridgedRobot(t, { min_ms: 100, max_ms: 800 });
  const { runtime } = rig.sim;
  const { bridge } = rig;

  // An operator drives the base: each teleop message is also the deadman heartbeat.
  const op = await Peer.connect(rig.broker.tcpUrl, 'op', PASSWORDS.op);
  let driving = true;
  const drive = setInterval(() => {
    if (driving && op.client.connected) op.client.publish('ganglion/ref/cmd/teleop', JSON.stringify(stampCommand({ velocity_radps: { wheel_left: 2, wheel_right: 2 }, deadman: true })), { qos: 1 });
  }, 40);
  t.teardown(() => {
    clearInterval(drive);
    return op.end();
  });
  const wheel = () => runtime.snapshot().setpoints.wheel_left ?? 0;
  await waitFor(() => runtime.snapshot().mode === 'teleop' && wheel() > 0.5, 5000, 'teleop driving the wheels');
  t.pass(`teleop drives: wheel_left setpoint ${wheel().toFixed(2)} rad/s`);

  // The operator goes quiet with the broker still up: the envelope's teleop deadman stops the wheels, which it could
  // not if the bridge heartbeated on the operator's behalf.
  driving = false;
  const quiet = performance.now();
  await waitFor(() => Math.abs(wheel()) < 1e-9, 2000, 'the deadman to stop the wheels');
  t.pass(`deadman: wheels stopped ${(performance.now() - quiet).toFixed(0)} ms after the last teleop message`);
  driving = true;
  await waitFor(() => wheel() > 0.5, 5000, 'teleop driving again');

  await rig.broker.close();
  const down = performance.now();
  await waitFor(() => Math.abs(wheel()) < 1e-9 && runtime.snapshot().mode !== 'teleop', 2000, 'the wheels to stop once the broker is gone');
  t.pass(`wheels stopped ${(performance.now() - down).toFixed(0)} ms after the broker went away; mode ${runtime.snapshot().mode}`);
  t.equal(bridge.stats().connected, false, 'the bridge knows it is offline');

  // Let the backoff grow a little, then the broker comes back on the same port (its retained store is empty).
  await new Promise((r) => setTimeout(r, 600));
  t.equal(Math.abs(wheel()) < 1e-9, true, 'still stopped while the broker is away');
  await rig.startBroker();
  await waitFor(() => bridge.stats().connected, 5000, 'the bridge to reconnect');
  t.equal(bridge.stats().connects, 2, 'reconnected once');

  const v = await Peer.connect(rig.broker.tcpUrl, 'view', PASSWORDS.view);
  t.teardown(() => v.end());
  await v.sub(['ganglion/ref/status', 'ganglion/ref/state', 'ganglion/ref/skills', 'ganglion/ref/events']);
  const status = await v.next((m) => m.topic === 'ganglion/ref/status', 3000, 'retained status');
  t.ok(status.retain && StatusPayload.parse(status.json).online, 'status online:true republished (retained) on the new broker');
  const state = await v.next((m) => m.topic === 'ganglion/ref/state', 3000, 'retained state');
  t.ok(state.retain, 'state republished, retained');
  t.not(StatePayload.parse(state.json).mode, 'teleop', 'and it is not teleop');
  const skills = await v.next((m) => m.topic === 'ganglion/ref/skills', 3000, 'retained skills');
  t.ok(skills.retain && SkillsPayload.parse(skills.json).skills.length > 0, 'skill list republished');

  // The operator's old connection is gone; nothing it sent before resumes the motion.
  await new Promise((r) => setTimeout(r, 300));
  t.ok(Math.abs(wheel()) < 1e-9, 'no stale teleop after the reconnect');
  t.not(runtime.snapshot().mode, 'teleop');
});
