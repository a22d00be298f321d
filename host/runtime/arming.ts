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

/**
 * E-stops every MCU at once: each session writes its estop frame before this returns (no await in between), so no
 * executor tick, send window or other node's round trip comes first. Returns the nodes that were armed (clearEstop
 * re-arms exactly these) and a promise of the ones whose MCU did not confirm, with why.
 */
export function estopAll(sessions: Map<string, NodeLink>): { armed: string[]; unconfirmed: Promise<{ id: string; error: string }[]> } {
  const armed: string[] = [];
  const sent: Promise<{ id: string; error: string } | null>[] = [];
  for (const [id, s] of sessions) {
    if (s.stats().armed) armed.push(id);
    sent.push(s.estop().then(() => null, (e: Error) => ({ id, error: e.message })));
  }
  return { armed, unconfirmed: Promise.all(sent).then((r) => r.filter((x) => x !== null)) };
}
