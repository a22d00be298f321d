// A fast joint-level model of the reference robot in simulated time: actions pass the real safety envelope, joints follow with lag and limits, the world moves.
import type { Action, JointKind, StateSnapshot, TickInput } from '../../executor/contract.ts';
import { REFERENCE_ENVELOPE, type EnvelopeConfigInput } from '../../executor/envelope-config.ts';
import { applyEnvelope, createEnvelope, type Envelope, type EnvelopeOutput } from '../../executor/envelope.ts';
import { ELBOW, GRIPPER, REFERENCE_GEOMETRY, SHOULDER, WHEEL_LEFT, WHEEL_RIGHT, type RobotGeometry } from '../../skills/geometry.ts';
import { createWorld, perceive, stepWorld, type Scene, type World } from '../world.ts';

/** How a joint responds to its setpoint. Defaults are plausible for the reference hardware, not measured. */
export interface JointDynamics {
  /** First-order time constant of the response. */
  tau_s: number;
  /** Velocity joints: the drive's own acceleration limit; position joints: their top speed. */
  accel_max_radps2?: number;
  velocity_max_radps?: number;
  /** Hard stops (position joints). */
  stops_rad?: [number, number];
}

export const DEFAULT_DYNAMICS: Readonly<Record<string, JointDynamics>> = {
  [WHEEL_LEFT]: { tau_s: 0.03, accel_max_radps2: 100 },
  [WHEEL_RIGHT]: { tau_s: 0.03, accel_max_radps2: 100 },
  [SHOULDER]: { tau_s: 0.04, velocity_max_radps: 3, stops_rad: [-1.6, 1.6] },
  [ELBOW]: { tau_s: 0.04, velocity_max_radps: 3, stops_rad: [-1.6, 1.6] },
  // The servo slews at 10.5 rad/s in host/emulator/plant/servo.ts; the jaws' linkage halves that.
  [GRIPPER]: { tau_s: 0.03, velocity_max_radps: 5 },
};

export interface KinematicRobotOptions {
  scene: Scene;
  /** Control rate in simulated time; the envelope's per-tick limits scale with it. */
  rate_hz?: number;
  geometry?: RobotGeometry;
  envelope?: EnvelopeConfigInput;
  dynamics?: Record<string, JointDynamics>;
}

export class KinematicRobot {
  readonly rate_hz: number;
  readonly period_s: number;
  readonly geometry: RobotGeometry;
  readonly envelope: Envelope;
  readonly joints: readonly { name: string; kind: JointKind }[];
  world: World;
  tick = 0;
  /** Simulated monotonic time; the state is stamped with it so the envelope's staleness check passes. */
  now_ns = 0;
  readonly position_rad: Float64Array;
  readonly velocity_radps: Float64Array;
  private readonly dyn: JointDynamics[];
  private readonly index: Map<string, number>;
  private readonly snap: StateSnapshot;
  private readonly input: TickInput;

  constructor(o: KinematicRobotOptions) {
    this.rate_hz = o.rate_hz ?? 100;
    this.period_s = 1 / this.rate_hz;
    this.geometry = o.geometry ?? REFERENCE_GEOMETRY;
    this.envelope = createEnvelope(o.envelope ?? REFERENCE_ENVELOPE, this.rate_hz);
    this.joints = this.envelope.joints.map((j) => ({ name: j.name, kind: j.kind }));
    this.index = new Map(this.joints.map((j, i) => [j.name, i]));
    for (const name of [WHEEL_LEFT, WHEEL_RIGHT, SHOULDER, ELBOW, GRIPPER])
      if (!this.index.has(name)) throw new Error(`kinematic robot: the envelope has no joint "${name}"`);
    const dynamics = { ...DEFAULT_DYNAMICS, ...o.dynamics };
    this.dyn = this.joints.map((j) => {
      const d = dynamics[j.name];
      if (!d) throw new Error(`kinematic robot: no dynamics for joint "${j.name}"`);
      return d;
    });
    this.world = createWorld(o.scene);
    const n = this.joints.length;
    this.position_rad = new Float64Array(n);
    this.velocity_radps = new Float64Array(n);
    this.position_rad[this.i(SHOULDER)] = this.world.arm.shoulder_rad;
    this.position_rad[this.i(ELBOW)] = this.world.arm.elbow_rad;
    this.position_rad[this.i(GRIPPER)] = this.world.arm.gripper_rad;
    this.snap = { stamp_ns: 0, base_x_m: 0, base_y_m: 0, base_heading_rad: 0, position_rad: new Float64Array(n), velocity_radps: new Float64Array(n) };
    this.input = { tick: 0, now_ns: 0, period_s: this.period_s, state: this.snap };
  }

  i(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`kinematic robot: unknown joint "${name}"`);
    return i;
  }

  /** The executor's view of the robot now (reused object: copy what you keep). */
  state(): StateSnapshot {
    const s = this.snap;
    s.stamp_ns = this.now_ns;
    s.base_x_m = this.world.base.x_m;
    s.base_y_m = this.world.base.y_m;
    s.base_heading_rad = this.world.base.heading_rad;
    s.position_rad.set(this.position_rad);
    s.velocity_radps.set(this.velocity_radps);
    return s;
  }

  /** The tick input a controller would get at this tick. */
  tickInput(): TickInput {
    this.input.tick = this.tick;
    this.input.now_ns = this.now_ns;
    this.input.state = this.state();
    return this.input;
  }

  perceive(opts?: Parameters<typeof perceive>[1]) {
    return perceive(this.world, opts);
  }

  /** One control period: the action goes through the envelope, the joints respond, the world moves. */
  step(action: Action | null): EnvelopeOutput {
    const out = applyEnvelope(this.envelope, action, this.state(), this.now_ns);
    const dt = this.period_s;
    for (let i = 0; i < this.joints.length; i++) {
      const d = this.dyn[i]!;
      const on = out.torque[i] === 1;
      if (this.joints[i]!.kind === 'velocity') {
        // Torque off: the wheel coasts down; the lag stands in for friction.
        const cmd = on ? out.value[i]! : 0;
        const v0 = this.velocity_radps[i]!;
        let dv = (cmd - v0) * (1 - Math.exp(-dt / d.tau_s));
        const aMax = (d.accel_max_radps2 ?? Infinity) * dt;
        dv = Math.max(-aMax, Math.min(aMax, dv));
        this.velocity_radps[i] = v0 + dv;
        this.position_rad[i] = this.position_rad[i]! + (v0 + dv / 2) * dt;
      } else {
        const p0 = this.position_rad[i]!;
        let v = on ? ((out.value[i]! - p0) * (1 - Math.exp(-dt / d.tau_s))) / dt : 0;
        const vMax = d.velocity_max_radps ?? Infinity;
        v = Math.max(-vMax, Math.min(vMax, v));
        let p = p0 + v * dt;
        if (d.stops_rad) p = Math.max(d.stops_rad[0], Math.min(d.stops_rad[1], p));
        this.velocity_radps[i] = (p - p0) / dt;
        this.position_rad[i] = p;
      }
    }
    this.world = stepWorld(
      this.world,
      {
        wheel_left_radps: this.velocity_radps[this.i(WHEEL_LEFT)]!,
        wheel_right_radps: this.velocity_radps[this.i(WHEEL_RIGHT)]!,
        shoulder_rad: this.position_rad[this.i(SHOULDER)]!,
        elbow_rad: this.position_rad[this.i(ELBOW)]!,
        gripper_rad: this.position_rad[this.i(GRIPPER)]!,
      },
      dt,
      this.geometry,
    );
    this.tick++;
    this.now_ns = Math.round(this.tick * dt * 1e9);
    return out;
  }
}
