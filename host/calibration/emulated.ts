// Sessions to in-thread emulated nodes whose emulated time is pumped while a session is open (as in
// bench/emulated-link.ts): calibration runs in emulated time, far faster than the real-time workers.
import type { Board } from '../hw/board.ts';
import type { NodeWiring, Robot } from '../hw/robot.ts';
import type { McuSession } from '../link/session.ts';
import type { EmulatedNode, PlantFaults } from '../emulator/node.ts';
import { newSession, openLinks, planNodes } from '../boot/links.ts';
import { calibrateRobotAuto, type ProcedureOptions } from './procedure.ts';
import type { Calibration } from './schema.ts';

export class InThreadRobot {
  /** Nodes whose emulated time runs, each until its session is closed. */
  private active = new Map<EmulatedNode, McuSession>();
  private pump: Promise<void> | null = null;

  private constructor(readonly nodes: Map<string, EmulatedNode>) {}

  /** Power on every node of `robot` (firmware built if missing), with hidden faults if given. */
  static async boot(robot: Robot, o: { faults?: PlantFaults; hexPath?: string } = {}): Promise<InThreadRobot> {
    const links = await openLinks(robot, planNodes(robot), { realtime: false, ...(o.faults ? { faults: o.faults } : {}), ...(o.hexPath ? { hexPath: o.hexPath } : {}) });
    return new InThreadRobot(links.emulated);
  }

  node(id: string): EmulatedNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no emulated node ${id}`);
    return n;
  }

  /** 1 ms of emulated time per node per turn of the event loop, so session timers and replies interleave. */
  private startPump(): void {
    if (this.pump) return;
    this.pump = (async () => {
      while (this.active.size > 0) {
        for (const [n, s] of this.active) {
          if (s.state === 'closed') this.active.delete(n);
          else n.runFor(1);
        }
        await new Promise((r) => setImmediate(r));
      }
      this.pump = null;
    })();
  }

  /** A connected (not armed) session to node `wiring.id`; emulated time runs until the session is closed. */
  async connect(wiring: NodeWiring, board: Board): Promise<McuSession> {
    const node = this.node(wiring.id);
    const session = newSession(node.transport, wiring, board, { reconnect: false });
    if (this.active.has(node)) throw new Error(`emulated node ${wiring.id} already has a session`);
    this.active.set(node, session);
    this.startPump();
    try {
      await session.connect();
    } catch (e) {
      this.active.delete(node);
      throw e;
    }
    return session;
  }
}

/** Boot the robot in emulation and run the auto procedure on it. */
export async function calibrateEmulated(robot: Robot, o: ProcedureOptions & { faults?: PlantFaults; hexPath?: string } = {}): Promise<{ calibration: Calibration; sim: InThreadRobot }> {
  const sim = await InThreadRobot.boot(robot, o);
  const calibration = await calibrateRobotAuto(robot, (w, b) => sim.connect(w, b), o);
  return { calibration, sim };
}
