// Firmata nodes in a runtime: every loop tick kicks their host deadman, e-stop trips it, and no closed-loop joint lands on one.
import { FirmataNode, closedLoopRefusal } from '../firmata/node.ts';
import type { NodeLink } from '../link/node-link.ts';
import type { RobotRuntime } from './runtime.ts';
import type { JointIo } from './io.ts';

/** Throws, naming the joint, when a position/velocity (encoder) joint is bound to an open-loop motor of a Firmata node. */
export function refuseClosedLoopOnFirmata(joints: readonly JointIo[], sessions: ReadonlyMap<string, NodeLink>): void {
  for (const j of joints) {
    const s = sessions.get(j.node);
    if (s instanceof FirmataNode && 'dc' in j.cal) throw new Error(`joint ${j.name}: ${closedLoopRefusal(s.o.board, j.node, j.name)}`);
  }
}

/**
 * Binds the runtime's Firmata nodes to its loop. The deadman hears the loop through the 'setpoints' event (one per
 * tick), so a stalled loop, not just a quiet skill, trips it. Returns the function that unbinds them.
 */
export function bindFirmataNodes(rt: RobotRuntime, sessions: ReadonlyMap<string, NodeLink>): () => void {
  const nodes = [...sessions.values()].filter((s): s is FirmataNode => s instanceof FirmataNode);
  if (!nodes.length) return () => {};
  refuseClosedLoopOnFirmata(rt.joints, sessions);
  const onTick = () => {
    for (const n of nodes) n.kick();
  };
  const onEvent = (m: { kind: string; text: string }) => {
    if (m.kind === 'estop') for (const n of nodes) void n.estop(m.text);
    if (m.kind === 'clear') for (const n of nodes) n.clearEstop();
  };
  rt.on('setpoints', onTick);
  rt.on('loop_event', onEvent);
  return () => {
    rt.off('setpoints', onTick);
    rt.off('loop_event', onEvent);
  };
}
