// Test helper for the broker-restart tests: the emulated robot (posix firmware) bridged to an embedded broker on a fixed port, where the broker can be started again after it was closed.
import { startEmbeddedBroker, type EmbeddedBroker } from '../../host/bridge/broker.ts';
import { startBridge, type Bridge } from '../../host/bridge/bridge.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';
import { freePort, testUsers } from './helpers.ts';

/** The robot's own broker login (robot "ref"). */
export const ROBOT_CRED = { username: 'ref-runtime', password: 'in-memory-secret', robots: ['ref'] };

export interface BridgedRobot {
  sim: Awaited<ReturnType<typeof startSimRobot>>;
  bridge: Bridge;
  /** The broker now up (replaced by startBroker()). */
  broker: EmbeddedBroker;
  /** A new broker on the same port, with the same users and an empty store (no session survives a restart). */
  startBroker(): Promise<EmbeddedBroker>;
}

/** Everything is stopped at teardown; `reconnect` is the bridge's backoff. */
export async function bridgedRobot(t: { teardown(f: () => unknown): void }, reconnect: { min_ms: number; max_ms: number }): Promise<BridgedRobot> {
  const sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'ref' });
  const users = await testUsers(['ref']);
  const port = await freePort();
  const start = () => startEmbeddedBroker({ users, robot_credentials: [ROBOT_CRED], tcp_port: port, ws_port: null });
  const broker = await start();
  const bridge = await startBridge({ robot: sim.runtime, url: broker.tcpUrl, username: ROBOT_CRED.username, password: ROBOT_CRED.password, reconnect });
  const r: BridgedRobot = { sim, bridge, broker, startBroker: async () => (r.broker = await start()) };
  t.teardown(async () => {
    await bridge.stop();
    await r.broker.close();
    await sim.stop();
  });
  return r;
}
