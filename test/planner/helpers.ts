// Shared set-up for planner tests: a fixed tabletop scene, the kinematic robot, an LLM slow mind on a scripted server.
import { parseLlmConfig, type LlmConfigInput } from '../../host/planner/config.ts';
import { KinematicPlannerRobot } from '../../host/planner/kinematic-robot.ts';
import { ChatClient } from '../../host/planner/llm-client.ts';
import { LlmSlowMind } from '../../host/planner/slow-mind.ts';
import { startScriptedLlm, type Responder, type ScriptedLlm, type ScriptedReply } from './testing/scripted-llm.ts';
import type { Scene } from '../../host/world/world.ts';

/** Robot at the origin facing +x; red block 0.6 m ahead, blue block to the left, bin behind. */
export const SCENE: Scene = {
  base: { x_m: 0, y_m: 0, heading_rad: 0 },
  blocks: [
    { id: 'b1', label: 'red block', x_m: 0.6, y_m: 0, size_m: 0.025 },
    { id: 'b2', label: 'blue block', x_m: 0, y_m: 0.7, size_m: 0.03 },
  ],
  bin: { id: 'bin', label: 'bin', x_m: -0.6, y_m: 0, radius_m: 0.08 },
};

export const PICK_RED = [
  { name: 'drive_to', arguments: { x_m: 0.6, y_m: 0, standoff_m: 0.24 } },
  { name: 'reach', arguments: { x_m: 0.6, y_m: 0 } },
  { name: 'grasp', arguments: { object_id: 'b1' } },
];
export const PLACE = [
  { name: 'drive_to', arguments: { x_m: -0.6, y_m: 0, standoff_m: 0.24 } },
  { name: 'reach', arguments: { x_m: -0.6, y_m: 0 } },
  { name: 'release', arguments: {} },
];
export const FINISH_OK = { name: 'finish_task', arguments: { success: true, message: 'done' } };

export interface LlmRig {
  llm: ScriptedLlm;
  robot: KinematicPlannerRobot;
  slow: LlmSlowMind;
  log: string[];
  close(): Promise<void>;
}

export async function llmRig(script: ScriptedReply[] | Responder, o: { scene?: Scene; config?: Partial<LlmConfigInput>; repair_attempts?: number } = {}): Promise<LlmRig> {
  const llm = await startScriptedLlm(script);
  // Small chunks, so events (corrections, cancels) can land while a skill runs.
  const robot = new KinematicPlannerRobot({ scene: o.scene ?? SCENE, ticks_per_yield: 20 });
  const log: string[] = [];
  const client = new ChatClient(parseLlmConfig({ base_url: llm.base_url, model: 'scripted', backoff_ms: 5, ...o.config }, 'test'));
  const slow = new LlmSlowMind({ client, registry: robot.registry, log: (l) => log.push(l), ...(o.repair_attempts !== undefined ? { repair_attempts: o.repair_attempts } : {}) });
  return { llm, robot, slow, log, close: () => llm.close() };
}

/** A block's state in the kinematic world. */
export const blockState = (robot: KinematicPlannerRobot, id: string) => robot.harness.robot.world.blocks.find((b) => b.id === id)?.state;

/** Clears the envelope's latches (a stall after a watchdog trip keeps torque off), arms every MCU, waits until telemetry says so. */
export async function armed(sim: { runtime: { arm(): Promise<void>; clearEstop(): Promise<void> }; sessions: Map<string, { stats(): { armed: boolean } }> }): Promise<void> {
  await sim.runtime.clearEstop();
  await sim.runtime.arm();
  const t0 = performance.now();
  while ([...sim.sessions.values()].some((s) => !s.stats().armed)) {
    if (performance.now() - t0 > 3000) throw new Error('the emulated MCUs did not report armed within 3 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
