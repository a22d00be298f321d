// The real stack for the dashboard test and benchmark: embedded broker, the simulated robot (firmware in avr8js by default), its MQTT bridge, the dashboard server.
import { startBridge, type Bridge } from '../../../host/bridge/bridge.ts';
import type { EmbeddedBroker } from '../../../host/bridge/broker.ts';
import { startDashboard, type Dashboard } from '../../../host/dashboard/server.ts';
import { startSimRobot, type SimRobot } from '../../../host/runtime/sim-robot.ts';
import { PASSWORDS, startTestBroker } from './broker.ts';

export interface Stack {
  broker: EmbeddedBroker;
  sim: SimRobot;
  bridge: Bridge;
  dash: Dashboard;
  robotId: string;
  stop(): Promise<void>;
}

export async function startStack(o: { firmware?: 'avr' | 'posix'; robotId?: string; telemetry_hz?: number } = {}): Promise<Stack> {
  const robotId = o.robotId ?? 'sim1';
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    stops.length = 0;
  };
  try {
    const broker = await startTestBroker([robotId]);
    stops.push(() => broker.close());
    const sim = await startSimRobot({ watchdog_ms: 500, firmware: o.firmware ?? 'avr', robot_id: robotId });
    stops.push(() => sim.stop());
    const bridge = await startBridge({ robot: sim.runtime, url: broker.tcpUrl, username: 'robot', password: PASSWORDS.robot, telemetry_hz: o.telemetry_hz ?? 50, broker });
    stops.push(() => bridge.stop());
    const dash = await startDashboard({ brokerWsUrl: broker.wsUrl! });
    stops.push(() => dash.close());
    return { broker, sim, bridge, dash, robotId, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
