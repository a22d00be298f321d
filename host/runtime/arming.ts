// Arming and disarming every MCU of the robot; a session that is reconnecting (after a host stall) is given time to come back first.
import type { NodeLink } from '../link/node-link.ts';

/** Resolves once `s` is connected again, or rejects after timeout_ms naming the node. */
function reconnected(id: string, s: NodeLink, timeout_ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      s.off('reconnected', done);
      reject(new Error(`cannot arm ${id}: its link is still reconnecting after ${timeout_ms} ms`));
    }, timeout_ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    s.once('reconnected', done);
  });
}

/** `decidedBy` is logged by each session that re-arms after a watchdog trip or a reconnect. */
export async function armAll(sessions: Map<string, NodeLink>, timeout_ms: number, decidedBy?: string): Promise<void> {
  for (const [id, s] of sessions) {
    if (s.stats().state === 'reconnecting') await reconnected(id, s, timeout_ms);
    await s.arm(decidedBy);
  }
}

export async function disarmAll(sessions: Map<string, NodeLink>): Promise<void> {
  for (const s of sessions.values()) await s.disarm();
}
