// Planner bridge: decision overhead without the LLM's time (beside a bare HTTP round trip), executor jitter with 10 LLM requests in flight (beside idle, and the C loop's same ratio as the machine's floor), task success over 100 scenes with and without grounding (beside the rule planner).
import { fork } from 'node:child_process';
import { setNormalSchedule } from '../host/executor/isolation.ts';
import { describeRealtime, type RealtimeStatus } from '../host/executor/realtime.ts';
import { parseLlmConfig } from '../host/planner/config.ts';
import { KinematicPlannerRobot } from '../host/planner/kinematic-robot.ts';
import { ChatClient, warmUpFetch } from '../host/planner/llm-client.ts';
import { Planner, type PlanRunResult } from '../host/planner/planner.ts';
import { RulePlanner } from '../host/planner/rule-planner.ts';
import { LlmSlowMind, type SlowMind } from '../host/planner/slow-mind.ts';
import { percentile } from '../host/planner/stats.ts';
import { sayCanModel } from '../test/planner/testing/saycan-model.ts';
import { startScriptedLlm, type ScriptedLlm } from '../test/planner/testing/scripted-llm.ts';
import { randomScene } from '../host/world/world.ts';
import { createRegistry } from '../host/skills/registry.ts';
import { startExampleLoop } from './example-loop.ts';
import { autoSplit, cFloor, pinProcess, type CpuSplit } from './loop-jitter.ts';
import { describeAffinity, threadCpus } from '../host/executor/affinity.ts';
import type { Figure } from './report.ts';

const SCENES = 100;
const TASK = 'put all blocks in the bin';
/** SCHED_FIFO priority of the loop for the second jitter figure (as `ganglion run --rt-priority 80`). */
const RT_PRIORITY = 80;
/** Idle / loaded phases of the jitter figure: seconds each, and how many of each. */
const PHASE_S = 3;
const ROUNDS = 4;
const IN_FLIGHT = 10;
/**
 * [ms] between streamed chunks of the jitter figure's replies: a 16-character fragment (~4 tokens) every 200 ms is
 * ~20 tokens/s, a local 7B model's pace; a three-call plan then takes ~3 s, so 10 requests stay in flight.
 */
const CHUNK_DELAY_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const llmMind = (llm: ScriptedLlm, registry = createRegistry()) =>
  new LlmSlowMind({ client: new ChatClient(parseLlmConfig({ base_url: llm.base_url, model: 'scripted', stream: true }, 'bench')), registry });

interface Sweep {
  success: number;
  placed: number;
  blocks: number;
  llm_requests: number;
  refused: number;
  infeasible: number;
  sim_s: number;
  overhead_ms: number[];
}

async function sweep(slow: () => SlowMind, grounding: boolean): Promise<Sweep> {
  const s: Sweep = { success: 0, placed: 0, blocks: 0, llm_requests: 0, refused: 0, infeasible: 0, sim_s: 0, overhead_ms: [] };
  for (let seed = 1; seed <= SCENES; seed++) {
    const robot = new KinematicPlannerRobot({ scene: randomScene(seed) });
    const r: PlanRunResult = await new Planner({ robot, slow: slow(), grounding }).run(TASK);
    const blocks = robot.harness.robot.world.blocks;
    const placed = blocks.filter((b) => b.state === 'in_bin').length;
    // Success is what the world says, not what the planner claims.
    if (placed === blocks.length && r.outcome === 'done') s.success++;
    s.placed += placed;
    s.blocks += blocks.length;
    s.llm_requests += r.llm_requests;
    s.refused += r.steps.filter((x) => x.state === 'refused').length;
    s.infeasible += r.infeasible_steps;
    s.sim_s += robot.harness.time_s;
    s.overhead_ms.push(...r.overhead_ms);
  }
  return s;
}

/** The median of a bare HTTP round trip to the same local server (a tiny non-streamed reply): the floor any LLM call pays. */
async function bareRoundTrip_ms(llm: ScriptedLlm): Promise<number> {
  const body = JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'ping' }], stream: false });
  const xs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const r = await fetch(`${llm.base_url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await r.text();
    if (i >= 20) xs.push(performance.now() - t0);
  }
  return percentile(xs, 50);
}

/** Decision overhead on the live runtime (emulated robot, posix firmware): one task, the scripted LLM. */
async function runtimeOverhead(): Promise<number[] | string> {
  const { startSimRobot } = await import('../host/runtime/sim-robot.ts');
  const llm = await startScriptedLlm(sayCanModel());
  try {
    await warmUpFetch();
    const sim = await startSimRobot({ firmware: 'posix', rate_hz: 250 });
    try {
      const slow = llmMind(llm);
      await slow.warmUp();
      const r = await new Planner({ robot: sim.runtime, slow, max_steps: 12 }).run(TASK);
      return r.overhead_ms.length ? r.overhead_ms : `no step ran (${r.message})`;
    } finally {
      await sim.stop();
    }
  } catch (e) {
    return (e as Error).message;
  } finally {
    await llm.close();
  }
}

/**
 * The executor loop at 500 Hz (sine on the shoulder, reference envelope, state fed at 200 Hz), with per-second cadence
 * windows. Phases alternate idle / loaded, so drift in the machine's background load hits both alike.
 */
async function loopJitter(
  load: (stopped: () => boolean) => Promise<unknown>,
  cpu: { loaded_us: number; loaded_s: number; idle_us: number; idle_s: number },
  rt_priority: number | null = null,
  isolation = false,
  loopCpu: 'auto' | null = null,
): Promise<{ idle: number[]; loaded: number[]; idleMax: number; loadedMax: number; realtime: RealtimeStatus; affinity: string | null }> {
  const { loop, stop } = await startExampleLoop({ rate_hz: 500, rt_priority, cadence_window_s: 1, isolation, cpu: loopCpu });
  let phase: 'idle' | 'loaded' | 'skip' = 'skip';
  const out = { idle: [] as number[], loaded: [] as number[], idleMax: 0, loadedMax: 0, realtime: loop.realtime!, affinity: loop.affinity && describeAffinity(loop.affinity) };
  loop.on('stats', (m) => {
    if (phase === 'skip') return;
    out[phase].push(m.cadence.period_error_p99_us);
    const k = phase === 'idle' ? 'idleMax' : 'loadedMax';
    out[k] = Math.max(out[k], m.cadence.period_error_max_us);
  });
  await sleep(1500); // warm-up
  const measure = async (key: 'idle' | 'loaded') => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(PHASE_S * 1000);
    const c = process.cpuUsage(c0);
    cpu[`${key}_us`] += c.user + c.system;
    cpu[`${key}_s`] += (performance.now() - t0) / 1000;
  };
  for (let round = 0; round < ROUNDS; round++) {
    phase = 'idle';
    await measure('idle');
    let stopped = false;
    phase = 'skip'; // the first second of a phase straddles the switch
    const work = load(() => stopped);
    await sleep(1000);
    phase = 'loaded';
    await measure('loaded');
    phase = 'skip';
    stopped = true;
    await work;
    await sleep(1000);
  }
  await stop();
  return out;
}

/**
 * The machine's floor for the same ratio: the C loop (bench/ref-loop.c, absolute clock_nanosleep, waking a consumer
 * thread every period as the worker wakes its main thread) at 500 Hz with the variant's scheduling, beside the same
 * load, idle and loaded phases in turn. Each phase is one C run: its 1 s warm-up straddles the switch, then PHASE_S
 * measured. With `isolation`, the C loop gets the isolated loop's short slice and its consumer SCHED_BATCH, and this
 * process's main thread (where the requests are parsed, as in the worker case) SCHED_BATCH for the phases. With
 * `split` (--loop-cpu), the C loop alone on the loop's CPU, its consumer and this process on the others.
 */
async function cJitter(
  load: (stopped: () => boolean) => Promise<unknown>,
  rt_priority: number | null,
  isolation: boolean,
  split: CpuSplit | null,
): Promise<{ idle: number[]; loaded: number[]; rt_error: string }> {
  const out = { idle: [] as number[], loaded: [] as number[], rt_error: '' };
  const floor = async () => {
    const f = await cFloor(500, rt_priority, true, isolation, PHASE_S, split);
    out.rt_error ||= f.rt_error;
    return f.period_error_p99_us;
  };
  if (isolation) await setNormalSchedule(process.pid, 'batch', 0);
  const all = threadCpus(process.pid);
  if (split) pinProcess(process.pid, split.others);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      out.idle.push(await floor());
      let stopped = false;
      const work = load(() => stopped);
      out.loaded.push(await floor());
      stopped = true;
      await work;
    }
  } finally {
    if (isolation) await setNormalSchedule(process.pid, 'other', 0);
    if (split) pinProcess(process.pid, all);
  }
  return out;
}

export async function run(): Promise<Figure[]> {
  await warmUpFetch();
  const figures: Figure[] = [];

  // ---- 3 (first: its runs also give the overhead sample). Task success over 100 scenes.
  const llm = await startScriptedLlm(sayCanModel());
  let grounded: Sweep;
  let ungrounded: Sweep;
  let rules: Sweep;
  let rtt_ms: number;
  try {
    await llmMind(llm).warmUp();
    grounded = await sweep(() => llmMind(llm), true);
    ungrounded = await sweep(() => llmMind(llm), false);
    rules = await sweep(() => new RulePlanner(), true);
    rtt_ms = await bareRoundTrip_ms(llm);
  } finally {
    await llm.close();
  }

  // ---- 1. Overhead per decision, excluding the time spent waiting on the LLM.
  const oh = grounded.overhead_ms;
  figures.push({
    name: `planner overhead per decision (LLM wait excluded), p50, kinematic robot, ${oh.length} decisions`,
    value: percentile(oh, 50),
    unit: 'ms',
    baseline: { label: 'bare HTTP round trip to the same local server, median', value: rtt_ms },
    goal: '<= 5 ms',
    pass: percentile(oh, 99) <= 5,
    note: `p99 ${percentile(oh, 99).toFixed(2)} ms, max ${Math.max(...oh).toFixed(2)} ms: state summary, prompt, JSON, validation, grounding (affordances), world-change check, snapshot`,
  });
  const rt = await runtimeOverhead();
  if (typeof rt === 'string') figures.push({ name: 'planner overhead per decision on the emulated runtime', value: NaN, unit: 'ms', note: `not measured: ${rt}` });
  else
    figures.push({
      name: `planner overhead per decision (LLM wait excluded), p50, emulated robot runtime (posix firmware), ${rt.length} decisions`,
      value: percentile(rt, 50),
      unit: 'ms',
      baseline: { label: 'bare HTTP round trip, median', value: rtt_ms },
      goal: '<= 5 ms',
      pass: percentile(rt, 99) <= 5,
      note: `p99 ${percentile(rt, 99).toFixed(2)} ms; grounding asks RobotRuntime.skills() (affordances on the live observation) once per set of candidates`,
    });

  // ---- 2. Executor jitter with 10 LLM requests in flight (streamed, each validated and turned into a plan), beside idle.
  // The server runs in its own process, as a remote endpoint would: only the planner's side is in this one.
  const server = fork(new URL('../test/planner/testing/scripted-llm-process.ts', import.meta.url), [String(CHUNK_DELAY_MS)]);
  try {
    const base_url = await new Promise<string>((resolve, reject) => {
      server.once('message', (m) => resolve((m as { base_url: string }).base_url));
      server.once('exit', (code) => reject(new Error(`the scripted LLM process exited (${code})`)));
    });
    const slowLlm = { base_url } as ScriptedLlm;
    let inFlight = 0;
    const flight: number[] = [];
    let plans = 0;
    const robot = new KinematicPlannerRobot({ scene: randomScene(1) });
    const inFlightLoad = async (stopped: () => boolean) => {
      const sampler = setInterval(() => flight.push(inFlight), 50);
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          const slow = llmMind(slowLlm, robot.registry);
          while (!stopped()) {
            // A new conversation each time, so the context (and the work per request) stays the same size.
            slow.reset(TASK);
            inFlight++;
            try {
              await slow.plan({ task: TASK, reason: { kind: 'start' }, snapshot: robot.snapshot(), memory: [], results: new Map(), history: [] });
            } finally {
              inFlight--;
            }
            plans++;
          }
        }),
      );
      clearInterval(sampler);
    };
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    // The loop not pinned (--loop-cpu none), then under SCHED_FIFO (--rt-priority) where this machine allows it, then
    // with the unprivileged isolation (--loop-isolation: the main thread, where the planner's requests are parsed, as
    // SCHED_BATCH, so that work runs "at lower priority" than the loop), then with --loop-cpu (that work "off the loop's
    // CPU"; `ganglion run`'s default on real boards). With --loop-cpu the scripted server is kept off the loop's CPU too:
    // it stands in for a remote endpoint, which uses none of the robot computer's CPUs (a local LLM server would be
    // taskset off it likewise).
    const split = autoSplit();
    const variants = [
      { rt_priority: null, isolation: false, split: null },
      { rt_priority: RT_PRIORITY, isolation: false, split: null },
      { rt_priority: null, isolation: true, split: null },
      ...('error' in split ? [] : [{ rt_priority: null, isolation: false, split }]),
    ];
    if ('error' in split) figures.push({ name: `executor jitter with ${IN_FLIGHT} LLM requests in flight, --loop-cpu`, value: NaN, unit: 'us', note: `not measured: ${split.error}` });
    // The server off the loop's CPU for a --loop-cpu variant's worker and C phases, back on every CPU after.
    const serverCpus = threadCpus(process.pid);
    const serverOff = async <T>(split: CpuSplit | null, phases: () => Promise<T>): Promise<T> => {
      if (!split) return phases();
      pinProcess(server.pid!, split.others);
      try {
        return await phases();
      } finally {
        pinProcess(server.pid!, serverCpus);
      }
    };
    for (const { rt_priority, isolation, split } of variants) {
      const cpu = { loaded_us: 0, loaded_s: 0, idle_us: 0, idle_s: 0 };
      flight.length = 0;
      plans = 0;
      const { j, c, inFlightMean, planned } = await serverOff(split, async () => {
        const j = await loopJitter(inFlightLoad, cpu, rt_priority, isolation, split ? 'auto' : null);
        // the worker's phases only: the C phases below run the load too
        const worker = { j, inFlightMean: mean(flight), planned: plans };
        return { ...worker, c: j.realtime.error ? null : await cJitter(inFlightLoad, rt_priority, isolation, split) };
      });
      if (!c) {
        figures.push({ name: `executor jitter with ${IN_FLIGHT} LLM requests in flight, loop under SCHED_FIFO`, value: NaN, unit: 'us', note: `not measured: ${describeRealtime(j.realtime)}` });
        continue;
      }
      const idle = percentile(j.idle, 50);
      const loaded = percentile(j.loaded, 50);
      const cIdle = percentile(c.idle, 50);
      const cLoaded = percentile(c.loaded, 50);
      const sched = rt_priority !== null ? `loop thread under SCHED_FIFO ${rt_priority}` : isolation ? 'default scheduling + --loop-isolation (no spin: idle is its own)'
        : split ? `--loop-cpu auto, ganglion run's default on real boards (loop alone on CPU ${split.cpu}; the scripted server, a remote endpoint's stand-in, kept off it)` : 'default scheduling, not pinned (--loop-cpu none)';
      figures.push({
        name: `executor period error p99 @ 500 Hz with ${IN_FLIGHT} LLM requests in flight (streamed, validated, planned), ${sched}: median of ${j.loaded.length} one-second windows`,
        value: loaded,
        unit: 'us',
        baseline: { label: `idle, ${j.idle.length} windows interleaved with the loaded ones`, value: idle },
        goal: 'within 1.2x of idle',
        pass: loaded <= 1.2 * idle,
        note:
          `${(loaded / idle).toFixed(2)}x idle; per-window p99 idle [${j.idle.map((x) => x.toFixed(0)).join(', ')}] us; loaded [${j.loaded.map((x) => x.toFixed(0)).join(', ')}] us; max idle ${j.idleMax.toFixed(0)} / loaded ${j.loadedMax.toFixed(0)} us\n    ` +
          `requests in flight: mean ${inFlightMean.toFixed(1)}; ${planned} plans; this process's CPU (main thread + loop worker): ${(cpu.idle_us / 1e4 / cpu.idle_s).toFixed(0)} % idle, ${(cpu.loaded_us / 1e4 / cpu.loaded_s).toFixed(0)} % loaded\n    ` +
          `the machine's floor for this ratio, the C loop (waking a consumer) with the same scheduling and the same load, ${PHASE_S} s phases in turn, after the worker's: ` +
          (c.rt_error ? `not measured: ${c.rt_error}` : `loaded ${cLoaded.toFixed(1)} vs idle ${cIdle.toFixed(1)} us (${(cLoaded / cIdle).toFixed(2)}x); phase p99s idle [${c.idle.map((x) => x.toFixed(0)).join(', ')}], loaded [${c.loaded.map((x) => x.toFixed(0)).join(', ')}] us`) +
          (j.affinity ? `\n    ${j.affinity}` : ''),
      });
    }
  } finally {
    server.disconnect();
  }

  // ---- 3. Task success.
  const pct = (s: Sweep) => (100 * s.success) / SCENES;
  const detail = (s: Sweep) =>
    `${s.placed}/${s.blocks} blocks; ${(s.llm_requests / SCENES).toFixed(1)} LLM requests/task; ${s.refused} refused, ${s.infeasible} infeasible steps kept from running; mean ${(s.sim_s / SCENES).toFixed(1)} s simulated`;
  figures.push(
    {
      name: `task success, "${TASK}", ${SCENES} random scenes, scripted LLM with SayCan grounding`,
      value: pct(grounded),
      unit: '%',
      baseline: { label: 'offline rule planner', value: pct(rules) },
      note: `grounded: ${detail(grounded)}\n    rules: ${detail(rules)}`,
    },
    {
      name: `task success, same scenes, scripted LLM without grounding (the most preferred candidate runs)`,
      value: pct(ungrounded),
      unit: '%',
      baseline: { label: 'with grounding', value: pct(grounded) },
      note: `${detail(ungrounded)}. The scripted LLM prefers reaching for a target before driving to it (0.6 vs 0.4); the robot's runner refuses the out-of-reach reach, so without grounding each approach costs a refusal and a replan`,
    },
  );
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printSection } = await import('./report.ts');
  const keepAlive = setInterval(() => {}, 1000);
  printSection('Planner bridge', await run());
  clearInterval(keepAlive);
}
