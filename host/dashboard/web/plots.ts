// The selected robot's live plots: joint positions, velocities, setpoints, tracking error (from telemetry/<node>) and loop cadence.
import type { CadencePayload, TelemetryPayload } from '../../bridge/topics.ts';
import { LivePlot } from './live-plot.ts';

/** Redraws per second: the data arrives at the telemetry rate (50 Hz per MCU), the eye needs far less. */
const RENDER_HZ = 10;

export class Plots {
  readonly position: LivePlot;
  readonly velocity: LivePlot;
  readonly setpoint: LivePlot;
  readonly error: LivePlot;
  readonly cadence: LivePlot;
  private readonly all: LivePlot[];

  constructor(parent: HTMLElement) {
    this.position = new LivePlot(parent, 'position', 'joint positions', 'rad');
    this.velocity = new LivePlot(parent, 'velocity', 'joint velocities', 'rad/s');
    this.setpoint = new LivePlot(parent, 'setpoint', 'setpoints', 'rad | rad/s');
    this.error = new LivePlot(parent, 'error', 'tracking error (setpoint - measured)', 'rad | rad/s');
    this.cadence = new LivePlot(parent, 'cadence', 'executor loop cadence', 'Hz', 60);
    this.all = [this.position, this.velocity, this.setpoint, this.error, this.cadence];
    setInterval(() => {
      // Hidden tabs skip drawing; the data keeps flowing into the buffers.
      if (document.visibilityState === 'visible') for (const p of this.all) p.render();
    }, 1000 / RENDER_HZ);
  }

  telemetry(t: TelemetryPayload): void {
    const t_s = t.at_ms / 1000;
    const pos: Record<string, number> = {};
    const vel: Record<string, number> = {};
    const sp: Record<string, number | null> = {};
    const err: Record<string, number | null> = {};
    for (const [joint, j] of Object.entries(t.joints)) {
      pos[joint] = j.position_rad;
      vel[joint] = j.velocity_radps;
      sp[joint] = j.setpoint;
      err[joint] = j.error;
    }
    this.position.push(t_s, pos, t.node);
    this.velocity.push(t_s, vel, t.node);
    this.setpoint.push(t_s, sp, t.node);
    this.error.push(t_s, err, t.node);
  }

  loopCadence(c: CadencePayload): void {
    this.cadence.push(c.at_ms / 1000, { achieved_hz: c.achieved_hz, target_hz: c.target_hz });
  }

  clear(): void {
    for (const p of this.all) p.clear();
  }
}
