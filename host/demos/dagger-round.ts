// One DAgger round on the kinematic robot, recorded as `ganglion record` records: the learned skill runs each reach from the goal as perceived; where it goes wrong (it ends off the true goal, or runs out of time) the scripted expert takes over as a person would through teleop, so the recording marks those frames as interventions.
import { Recorder } from '../record/recorder.ts';
import type { Sample } from '../record/sample.ts';
import type { Point2 } from '../skills/arm.ts';
import type { SkillRegistry } from '../skills/registry.ts';
import { startTrack, updateTrack } from '../skills/target-track.ts';
import { SkillHarness } from '../world/kinematic/harness.ts';
import { gripperTip } from '../world/world.ts';
import { reachTask } from './record-demos.ts';
import { perceivedGoal, perceptionScene, type GoalPerception } from './train-eval.ts';

export interface DaggerRoundOptions {
  file: string;
  registry: SkillRegistry;
  /** The learned skill being corrected. */
  skill: string;
  /** The expert that takes over (the scripted reach, seeing the true goal as the person at the scene does). */
  expert?: string;
  seeds: readonly number[];
  goal_noise_m: number;
  /** How the goal is perceived (train-eval.ts): one look, or a marker re-read every frame. Default one look. */
  perception?: GoalPerception;
  /** [m] the expert steps in when the policy's run ends farther than this from the true goal. */
  tolerance_m?: number;
  task?: string;
}

export interface DaggerRoundResult {
  episodes: number;
  /** Episodes where the expert had to take over. */
  interventions: number;
  frames: number;
}

/** Runs the round and writes one MCAP session (an episode per seed); returns how often the expert stepped in. */
export function recordDaggerRound(o: DaggerRoundOptions): DaggerRoundResult {
  const tol = o.tolerance_m ?? 0.005;
  const expert = o.expert ?? 'reach';
  let rec: Recorder | null = null;
  let interventions = 0;
  let frames = 0;
  const t0_ns = BigInt(Date.now()) * 1_000_000n;
  let tick = 0;
  for (const seed of o.seeds) {
    const task = reachTask(seed);
    const h = new SkillHarness({ ...perceptionScene(task, o.goal_noise_m, o.perception ?? 'glimpse'), registry: o.registry });
    const r = h.robot;
    const names = r.joints.map((j) => j.name);
    rec ??= new Recorder({ file: o.file, joints: names, joint_kinds: r.joints.map((j) => j.kind), task: o.task ?? 'reach the goal', fps: r.rate_hz, robot: 'kinematic', geometry: r.geometry });
    // The policy is given the goal as perceived, and so is the recording: that is the input it must learn to act on.
    // With a marker the robot keeps looking, and each frame records the goal where its perception has it by then.
    const goal: Point2 = perceivedGoal(task, o.goal_noise_m);
    const seen = startTrack(goal);
    rec.startEpisode();
    const run = (skill: string, target: Point2, control: Sample['control']): void => {
      h.runner.sync(r.state());
      h.perceive();
      let started;
      try {
        started = h.runner.start(skill, target);
      } catch {
        // Refused (its affordance): it does nothing here, and the expert takes over from the start.
        return;
      }
      for (let k = 0; k < 60 * r.rate_hz; k++) {
        const st = r.state();
        const out = h.tick();
        const action = Array.from(out.value);
        const at = updateTrack(seen, h.perceived.objects);
        rec!.add({
          taken_ns: t0_ns + BigInt(Math.round((tick++ * 1e9) / r.rate_hz)),
          position_rad: Array.from(st.position_rad), velocity_radps: Array.from(st.velocity_radps),
          base: { x_m: st.base_x_m, y_m: st.base_y_m, heading_rad: st.base_heading_rad }, objects: h.perceived.objects, held_id: h.perceived.held_id, action,
          teleop: control === 'teleop' ? { operator: 'expert', position_rad: Object.fromEntries(names.map((n, j) => [n, action[j]!]).filter(([, v], j) => r.joints[j]!.kind === 'position')) } : null,
          skill: control === 'teleop' ? null : { name: skill, args: target }, control, goal: { x_m: at.x_m, y_m: at.y_m },
        });
        frames++;
        const last = h.runner.last;
        if (last && last.run_id === started.run_id && last.state !== 'running') return;
      }
    };
    run(o.skill, goal, 'policy');
    const tip = gripperTip(r.world, r.geometry);
    if (Math.hypot(tip.x_m - task.target.x_m, tip.y_m - task.target.y_m) > tol) {
      interventions++;
      run(expert, task.target, 'teleop');
    }
    rec.endEpisode();
  }
  rec?.close();
  return { episodes: o.seeds.length, interventions, frames };
}
