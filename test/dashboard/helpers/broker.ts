// The real embedded broker with a viewer, an operator and a planner account (cheap scrypt: tests log in often), plus a robot credential.
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../host/bridge/broker.ts';
import { makeUser } from '../../../host/bridge/users.ts';

export const PASSWORDS = { viewer: 'viewer-pass-1', operator: 'operator-pass-1', planner: 'planner-pass-1', robot: 'robot-pass-1' } as const;

/** `ports`: come back on a stopped broker's ports (a broker restart). */
export async function startTestBroker(robots: string[], ports?: { tcp: number; ws: number | null }): Promise<EmbeddedBroker> {
  const cheap = { scrypt: { N: 1024 }, pbkdf2_iterations: 1000 };
  const users = await Promise.all([
    makeUser('viewer', 'viewer', PASSWORDS.viewer, cheap),
    makeUser('operator', 'operator', PASSWORDS.operator, cheap),
    makeUser('planner', 'planner', PASSWORDS.planner, cheap),
  ]);
  return startEmbeddedBroker({
    users, robot_credentials: [{ username: 'robot', password: PASSWORDS.robot, robots }],
    ...(ports ? { tcp_port: ports.tcp, ws_port: ports.ws } : {}),
  });
}
