// Numeric readouts of the selected robot's joints and MCUs from telemetry: the numbers behind the plots.
import type { TelemetryPayload } from '../../bridge/topics.ts';
import { byId, fmt, syncRows } from './dom.ts';

export class JointsPanel {
  private readonly joints = byId<HTMLTableSectionElement>('joint-rows');
  private readonly nodes = byId<HTMLTableSectionElement>('node-rows');

  /** Redraws from the newest telemetry of every node. */
  render(telemetry: Map<string, TelemetryPayload>): void {
    const byNode = [...telemetry].sort(([a], [b]) => a.localeCompare(b));
    syncRows(this.joints, 'joint', byNode.flatMap(([node, t]) => Object.entries(t.joints).map(([joint, j]) => ({
      key: joint,
      cells: [
        { text: joint }, { text: node },
        { text: fmt(j.position_rad), class: 'num', field: 'position' },
        { text: fmt(j.velocity_radps), class: 'num', field: 'velocity' },
        { text: fmt(j.setpoint), class: 'num', field: 'setpoint' },
        { text: fmt(j.error), class: 'num', field: 'error' },
      ],
    }))));
    syncRows(this.nodes, 'node', byNode.map(([node, t]) => ({
      key: node,
      cells: [
        { text: node },
        { text: String(t.counter), class: 'num', field: 'counter' },
        { text: String(t.frames), class: 'num' },
        { text: t.out_permille.map((p) => p.toFixed(0)).join(' '), class: 'num', field: 'pwm' },
        { text: t.faults.join(', ') || 'none', class: t.faults.length ? 'bad' : '' },
      ],
    })));
  }

  clear(): void {
    this.joints.replaceChildren();
    this.nodes.replaceChildren();
  }
}
