// Runs skills on the kinematic robot in simulated time, with perception from the world at a fixed rate: for skill tests and the task benchmark.
import { createRegistry, type SkillRegistry } from '../../skills/registry.ts';
import { SkillRunner } from '../../skills/runner.ts';
import type { SkillStatus } from '../../skills/status.ts';
import type { EnvelopeOutput } from '../../executor/envelope.ts';
import { KinematicRobot, type KinematicRobotOptions } from './robot.ts';

export interface HarnessOptions extends KinematicRobotOptions {
  registry?: SkillRegistry;
  /** Perception updates per second of simulated time (objects and held id). */
  perception_hz?: number;
  /** Gaussian noise on perceived block positions, redrawn every frame, seeded by noise_seed. */
  noise_m?: number;
  noise_seed?: number;
}

export class SkillHarness {
  readonly robot: KinematicRobot;
  readonly runner: SkillRunner;
  readonly statuses: SkillStatus[] = [];
  /** What perception reported last (noise included): what the skills see until the next frame. */
  perceived: ReturnType<KinematicRobot['perceive']> = { objects: [], held_id: null };
  private readonly perceiveEvery: number;
  private readonly rand: () => number;

  constructor(private readonly o: HarnessOptions) {
    this.robot = new KinematicRobot(o);
    this.runner = new SkillRunner({
      registry: o.registry ?? createRegistry(),
      joints: this.robot.joints,
      rate_hz: this.robot.rate_hz,
      geometry: this.robot.geometry,
      onStatus: (s) => this.statuses.push(s),
    });
    this.perceiveEvery = Math.max(1, Math.round(this.robot.rate_hz / (o.perception_hz ?? 20)));
    let seed = (o.noise_seed ?? 1) >>> 0;
    // A separate small PRNG so perception noise never shifts the world's own randomness.
    this.rand = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 4294967296;
    };
    this.runner.sync(this.robot.state());
    this.perceive();
  }

  perceive(): void {
    this.perceived = this.robot.perceive({ noise_m: this.o.noise_m ?? 0, rand: this.rand });
    this.runner.observe(this.perceived);
  }

  /** One control tick: perception (at its rate), the runner's step, the robot's step; returns what the envelope let through. */
  tick(): EnvelopeOutput {
    if (this.robot.tick % this.perceiveEvery === 0) this.perceive();
    return this.robot.step(this.runner.step(this.robot.tickInput()));
  }

  /** Starts a skill and ticks until it ends (or max_s passes); returns its final status. Throws on refusal. */
  run(name: string, args: unknown, max_s = 120): SkillStatus {
    this.runner.sync(this.robot.state());
    this.perceive();
    const started = this.runner.start(name, args);
    const limit = this.robot.tick + Math.ceil(max_s * this.robot.rate_hz);
    while (this.robot.tick < limit) {
      this.tick();
      const last = this.runner.last;
      if (last && last.run_id === started.run_id && last.state !== 'running') return last;
    }
    throw new Error(`${name} still running after ${max_s} s of simulated time`);
  }

  /** Ticks with no skill (hold) for a while. */
  idle(seconds: number): void {
    const n = Math.ceil(seconds * this.robot.rate_hz);
    for (let i = 0; i < n; i++) this.tick();
  }

  get time_s(): number {
    return this.robot.world.time_s;
  }
}
