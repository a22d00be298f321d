// The executor tick module that runs skills in the loop worker: select 'skill' | 'correction' | 'cancel' | 'observe' | 'hold' | 'teleop' | 'teleop_release'; status goes out on a BroadcastChannel.
import { BroadcastChannel } from 'node:worker_threads';
import { z } from 'zod';
import { zodIssue } from '../util/zod-issue.ts';
import type { Action, TickController, TickInit } from '../executor/contract.ts';
import { parseCorrection, parseCorrectionDelta } from './corrections.ts';
import { RobotGeometrySchema } from './geometry.ts';
import { createRegistry, loadSkillPackages } from './registry.ts';
import { SkillRunner } from './runner.ts';
import { DEFAULT_STATUS_CHANNEL, type SkillChannelMessage } from './status.ts';

const Options = z.strictObject({
  /** A folder of skill packages, loaded once at start (asynchronously: their skills refuse until loaded). */
  packages_dir: z.string().min(1).optional(),
  status_channel: z.string().min(1).default(DEFAULT_STATUS_CHANNEL),
  /** The robot's geometry (from its robot file): skills plan with it, so it is never a default. */
  geometry: RobotGeometrySchema,
});

const SkillSelect = z.strictObject({
  name: z.string().min(1),
  args: z.unknown().optional(),
  observation: z.unknown().optional(),
  /** The sender's id for this run, echoed in every status of it, so replies can be matched without races. */
  request_id: z.string().max(128).optional(),
});

const jointMap = z.record(z.string().max(64), z.number());
/** Teleop setpoints: acted on only while the 'teleop' source's heartbeat is fresh (the envelope checks it every tick). */
const TeleopSelect = z.strictObject({ position_rad: jointMap.optional(), velocity_radps: jointMap.optional() });
/** The envelope's remote source id for teleop (the envelope's sources). */
export const TELEOP_SOURCE = 'teleop';

const CorrectionSelect = z.union([z.strictObject({ phrase: z.string().max(500) }), z.unknown()]);

export function createTick(init: TickInit): TickController {
  const parsed = Options.safeParse(init.options ?? {});
  if (!parsed.success) throw new Error(`skill tick options: ${zodIssue(parsed.error)} (pass tick_options: { geometry } from the robot file)`);
  const o = parsed.data;
  const channel = new BroadcastChannel(o.status_channel);
  // The channel must not keep the worker alive after the loop stops.
  (channel as unknown as { unref?: () => void }).unref?.();
  const post = (m: SkillChannelMessage) => channel.postMessage(m);
  const registry = createRegistry();
  const runner = new SkillRunner({ registry, joints: init.joints, rate_hz: init.rate_hz, geometry: o.geometry, onStatus: post });
  let loading = false;
  let ready: Promise<unknown> | undefined;
  if (o.packages_dir) {
    loading = true;
    ready = loadSkillPackages(registry, o.packages_dir).then(
      (report) => {
        loading = false;
        post({ type: 'skill_packages', ...report });
      },
      (e: unknown) => {
        loading = false;
        post({ type: 'skill_packages', loaded: [], errors: [{ file: o.packages_dir!, error: String(e) }] });
      },
    );
  }

  // Teleop takeover: while set, the operator's setpoints replace the skill's output (the skill is cancelled first).
  let teleop: Action | null = null;

  function select(name: string, params: unknown): void {
    if (name === 'skill') {
      const s = SkillSelect.parse(params);
      if (loading && !registry.has(s.name)) throw new Error(`skill "${s.name}" is not registered yet: skill packages are still loading`);
      runner.start(s.name, s.args, s.observation, s.request_id ?? null);
      teleop = null;
    } else if (name === 'teleop') {
      const t = TeleopSelect.parse(params);
      runner.cancel('teleop takeover');
      teleop = { source: TELEOP_SOURCE, ...t };
    } else if (name === 'teleop_release') {
      teleop = null;
    } else if (name === 'correction') {
      const c = CorrectionSelect.parse(params);
      runner.correct(c && typeof c === 'object' && 'phrase' in c && typeof c.phrase === 'string' ? parseCorrection(c.phrase) : parseCorrectionDelta(c));
    } else if (name === 'cancel') {
      runner.cancel('cancelled by request');
    } else if (name === 'observe') {
      runner.observe(params);
    } else if (name === 'hold') {
      runner.cancel('hold selected');
      teleop = null;
    } else {
      throw new Error(`unknown controller "${name}"; the skill tick has skill, correction, cancel, observe, hold, teleop, teleop_release`);
    }
  }

  return {
    step(input) {
      // The runner still steps under teleop: it must see the cancel through and keep its observation current.
      const a = runner.step(input);
      return teleop ?? a;
    },
    select,
    ready,
  };
}
