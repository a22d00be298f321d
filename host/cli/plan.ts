// `ganglion plan "put the red block in the bin"`: runs the planner (LLM or offline rules) against a robot: over MQTT, the emulated robot (--sim) or the kinematic sim.
import { referenceGeometry } from '../skills/reference-robot.ts';
import { loadLlmConfig, ENV } from '../planner/config.ts';
import { createSlowMind } from '../planner/create.ts';
import { KinematicPlannerRobot } from '../planner/kinematic-robot.ts';
import { warmUpFetch } from '../planner/llm-client.ts';
import { defaultMemoryFile, MemoryStore } from '../planner/memory.ts';
import { MqttPlannerRobot } from '../planner/mqtt-robot.ts';
import { Planner } from '../planner/planner.ts';
import { formatEvent, formatResult } from '../planner/report.ts';
import type { PlannerRobot } from '../planner/robot.ts';
import { randomScene } from '../world/world.ts';
import { createRegistry, loadSkillPackages } from '../skills/registry.ts';
import { intOption, parseCommand, type Out } from './args.ts';

const HELP = `usage: ganglion plan [options] "TASK"

Plans the task and runs it on a robot, one macro action (skill) at a time, printing the plan, each
step with its candidates' affordances, replans and the outcome. With no LLM configured, a small
offline rule planner handles simple commands ("put the red block in the bin", "put all blocks in the
bin", "go home", "pick up the blue block", "turn left", "move forward 20 cm", "wait 2 s").

Robot (one of):
  --mqtt URL            the robot's MQTT broker (mqtt://host:1883; default $GANGLION_MQTT_URL), as the
                        planner role: --robot ID, --user NAME, --password PW
                        (or $GANGLION_MQTT_ROBOT, $GANGLION_MQTT_USER, $GANGLION_MQTT_PASSWORD)
  --sim                 boot the emulated robot here (firmware on ptys; --firmware avr: the .hex in avr8js);
                        --watchdog-ms N sets its MCUs' link watchdog (default: the robot file's), for a
                        machine busy enough that the emulated MCUs or this process stall past it
  --kinematic           the fast kinematic simulator (simulated time, no firmware); --seed N picks the scene

LLM (default: ${ENV.base_url}, ${ENV.model}, ${ENV.api_key}, or the JSON file in ${ENV.config}):
  --llm-config FILE     JSON: {"base_url", "model", "api_key"?, "stream"?, "timeout_ms"?, "retries"?, ...}
  --base-url URL        e.g. http://localhost:11434/v1 (Ollama), http://localhost:8000/v1 (vLLM)
  --model NAME
  --no-stream           ask for whole replies instead of server-sent events
  --offline             the rule planner, even when an LLM is configured

  --no-grounding        run the most preferred candidate without the affordance check (comparison only)
  --memory FILE         corrections memory (default $GANGLION_MEMORY_FILE or ~/.ganglion/memory.jsonl)
  --no-memory           neither read nor write the memory
  --skills DIR          skill packages, as given to the robot (their args are validated here too)
  --max-plans N         slow-mind calls per task (default 20)      --max-steps N  skill runs (default 60)
  --json                one JSON object per event instead of text
`;

interface Opened {
  robot: PlannerRobot;
  close: () => Promise<void>;
  describe: string;
}

async function openRobot(v: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv, registry: ReturnType<typeof createRegistry>): Promise<Opened> {
  const n = [v.sim, v.kinematic, v.mqtt].filter(Boolean).length;
  if (n > 1) throw new Error('choose one robot: --mqtt URL, --sim or --kinematic');
  if (v.kinematic) {
    const seed = v.seed === undefined ? 1 : Number(v.seed);
    if (!Number.isInteger(seed)) throw new Error(`--seed ${v.seed}: expected an integer`);
    const robot = new KinematicPlannerRobot({ scene: randomScene(seed), registry });
    return { robot, close: async () => {}, describe: `kinematic simulator, scene ${seed}` };
  }
  if (v.sim) {
    const firmware = (v.firmware ?? 'posix') as string;
    if (firmware !== 'posix' && firmware !== 'avr') throw new Error(`--firmware ${firmware}: posix or avr`);
    // Loaded only here: it pulls in the emulator and the firmware build.
    const { startSimRobot } = await import('../runtime/sim-robot.ts');
    // The robot loads the same skill packages: it runs them, the planner validates their args.
    // The robot file's own bounds for watchdog_ms (host/hw/robot.ts).
    const watchdog_ms = intOption(v['watchdog-ms'] as string | undefined, 'watchdog-ms', 10, 5000);
    const sim = await startSimRobot({
      firmware,
      ...(v.seed !== undefined ? { scene_seed: Number(v.seed) } : {}),
      ...(v.skills ? { skills_dir: v.skills as string } : {}),
      ...(watchdog_ms !== undefined ? { watchdog_ms } : {}),
    });
    return { robot: sim.runtime, close: () => sim.stop(), describe: `emulated robot (${firmware} firmware)` };
  }
  const url = (v.mqtt as string | undefined) ?? env.GANGLION_MQTT_URL;
  if (!url) throw new Error('no robot: give --mqtt URL (the robot\'s broker, as `ganglion run` prints it), --sim or --kinematic');
  const robotId = (v.robot as string | undefined) ?? env.GANGLION_MQTT_ROBOT ?? 'reference';
  const username = (v.user as string | undefined) ?? env.GANGLION_MQTT_USER;
  const password = (v.password as string | undefined) ?? env.GANGLION_MQTT_PASSWORD;
  if (!username || password === undefined) throw new Error('MQTT needs a planner account: --user and --password (or GANGLION_MQTT_USER / GANGLION_MQTT_PASSWORD)');
  // The bridge does not publish the robot's geometry yet: a remote robot is judged with the reference robot's, said here.
  const robot = await MqttPlannerRobot.connect({ url, robotId, username, password, registry, geometry: referenceGeometry() });
  return { robot, close: () => robot.close(), describe: `robot "${robotId}" over ${url} as ${username}` };
}

export async function planMain(argv: string[], out: Out = (s) => process.stdout.write(s), err: Out = (s) => process.stderr.write(s), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseCommand('plan', HELP, argv, {
    mqtt: { type: 'string' }, robot: { type: 'string' }, user: { type: 'string' }, password: { type: 'string' },
    sim: { type: 'boolean' }, firmware: { type: 'string' }, 'watchdog-ms': { type: 'string' }, kinematic: { type: 'boolean' }, seed: { type: 'string' },
    'llm-config': { type: 'string' }, 'base-url': { type: 'string' }, model: { type: 'string' }, 'no-stream': { type: 'boolean' }, offline: { type: 'boolean' },
    'no-grounding': { type: 'boolean' }, memory: { type: 'string' }, 'no-memory': { type: 'boolean' }, skills: { type: 'string' },
    'max-plans': { type: 'string' }, 'max-steps': { type: 'string' }, json: { type: 'boolean' },
  }, { positionals: true, out, err });
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  const task = parsed.positionals.join(' ').trim();
  if (!task) {
    err(`ganglion plan: give the task in quotes\n\n${HELP}`);
    return 2;
  }
  const int = (s: string | undefined, name: string, def: number) => intOption(s, name, 1, 1000) ?? def;

  const registry = createRegistry();
  if (v.skills) {
    const rep = await loadSkillPackages(registry, v.skills);
    for (const e of rep.errors) err(`skills: ${e.error}\n`);
  }
  const config = v.offline
    ? null
    : loadLlmConfig({ env, ...(v['llm-config'] ? { file: v['llm-config'] } : {}), overrides: { ...(v['base-url'] ? { base_url: v['base-url'] } : {}), ...(v.model ? { model: v.model } : {}), ...(v['no-stream'] ? { stream: false } : {}) } });
  const show = (lines: string[]) => lines.forEach((l) => out(l + '\n'));

  // Before the robot (and, with --sim, its MCU links on this thread) starts: the first fetch() blocks for ~100-300 ms.
  if (config) await warmUpFetch();
  const opened = await openRobot(v, env, registry);
  const ctrl = new AbortController();
  const onSigint = () => {
    err('\ncancelling: the robot holds\n');
    ctrl.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const choice = createSlowMind({ config, registry, robot: opened.robot, log: (l) => show([`log: ${l}`]) });
    await choice.slow.warmUp?.();
    const memory = v['no-memory'] ? null : new MemoryStore(v.memory ?? defaultMemoryFile(env), (l) => err(`memory: ${l}\n`));
    if (!v.json) {
      show([`robot: ${opened.describe}`, `planner: ${choice.describe}${v['no-grounding'] ? ', grounding OFF' : ''}`]);
      if (memory) show([`memory: ${memory.file}`]);
      if (choice.unvalidated.length) show([`not offered (no local schema to validate them): ${choice.unvalidated.join(', ')}`]);
      show([`task: ${JSON.stringify(task)}`]);
    }
    const planner = new Planner({
      robot: opened.robot,
      slow: choice.slow,
      grounding: !v['no-grounding'],
      memory,
      max_plans: int(v['max-plans'], 'max-plans', 20),
      max_steps: int(v['max-steps'], 'max-steps', 60),
      onEvent: (e) => (v.json ? out(JSON.stringify(e.type === 'plan' ? { ...e, plan: { ...e.plan, snapshot: undefined } } : e) + '\n') : show(formatEvent(e))),
    });
    const r = await planner.run(task, { signal: ctrl.signal });
    if (v.json) out(JSON.stringify({ type: 'result', ...r }) + '\n');
    else show([formatResult(r)]);
    return r.outcome === 'done' ? 0 : r.outcome === 'cancelled' ? 130 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    await opened.close();
  }
}

/** The CLI dispatcher's entry point (host/cli/main.ts loads `main`). */
export const main = (argv: string[]) => planMain(argv);
