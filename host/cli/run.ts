// `ganglion run`: boots the robot (emulated, posix firmware, or real boards), connects a session per node, and drives it.
// Over 300 lines, a third of it the help text and option checks; the start-up itself is runtime/start-robot.ts and boot/links.ts.
import { checkNodePorts, parseNodePorts } from './node-ports.ts';
import { listenHostError, plainHostError } from '../bridge/listen-host.ts';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { assertRobotOk } from '../hw/check.ts';
import { loadRobot, REFERENCE_ROBOT } from '../hw/robot.ts';
import { allSimulated, planNodes } from '../boot/links.ts';
import { startRobot } from '../runtime/start-robot.ts';
import { MotionDriver } from '../demos/motion-driver.ts';
import { countTelemetry, linkHealthLines } from '../demos/link-health.ts';
import { taskRounds } from '../demos/task.ts';
import { emptyScore, scoreLine } from '../demos/task-policy.ts';
import { feasibleSceneAround } from '../world/feasible-scene.ts';
import { OdometryPerception } from '../world/odometry.ts';
import { TabletopPerception } from '../world/tabletop-perception.ts';
import { startServices } from './services.ts';
import { createSlowMind } from '../planner/create.ts';
import { loadLlmConfig } from '../planner/config.ts';
import { warmUpFetch } from '../planner/llm-client.ts';
import { MemoryStore } from '../planner/memory.ts';
import { Planner } from '../planner/planner.ts';
import { formatEvent } from '../planner/report.ts';
import { createRegistry, packageReportLines } from '../skills/registry.ts';
import { onlyFirmata, runFirmataRobot } from './firmata-run.ts';
import { keepHeapsNearLive } from '../util/steady-heap.ts';

const HELP = `usage: ganglion run [options]

Boots the robot, connects a session to each MCU, starts the executor, the MQTT broker, bridge and
dashboard, arms, and runs a demo (below), printing cadence and link health. Runs until Ctrl-C.

  --robot FILE        robot wiring file (default: schematics/reference-robot.json)
  --port NODE=PATH    drive a real board for NODE on serial port PATH (repeatable); nodes without
                      a port (here or in the robot file) run in the emulator. PATH may be a broker
                      URL (mqtt://host:1883) for a board behind a WiFi serial bridge: frames then go
                      over ganglion/<robot>/tunnel/<node>/{down,up}
  --posix             run every node without a port on the posix firmware build over a pty
  --demo NAME         task: the planner puts all blocks in the bin, scene after scene, through the
                      skills, executor and safety envelope in the simulated tabletop world (the
                      default without real boards; an LLM plans when GANGLION_LLM_BASE_URL is set,
                      else the offline rule planner);
                      motion: a fixed joint motion sequence with cadence and tracking error (the
                      default on real boards);
                      idle: the runtime waits for commands (dashboard, MQTT, \`ganglion plan\`)
  --skills DIR        task and idle demos: skill packages the robot loads beside the built-ins (skill
                      modules, and the skill folders \`ganglion train --out DIR\` writes): the planner,
                      the dashboard and \`ganglion plan\` can then call them
  --rate HZ           motion demo setpoint rate (default 100)
  --loop-hz HZ        executor rate for the task and idle demos (default 500)
  --rt-priority N     task and idle demos: run the executor thread under SCHED_FIFO at priority N (1-98),
                      as ros2_control does, so other work on the machine cannot preempt it. Needs root or
                      an rtprio limit; when refused, the run says how to allow it and goes on without
  --loop-isolation    task and idle demos, without --rt-priority: keep the executor's period on a machine
                      whose cores are busy, unprivileged (a short scheduler slice for the executor thread,
                      the main thread as SCHED_BATCH, no spinning; docs/executor.md)
  --loop-cpu N|auto|none
                      task and idle demos: a CPU of its own for the executor thread (unprivileged, like
                      ros2_control's cpu_affinity): the executor pinned to CPU N (auto: the highest not
                      held by another Ganglion process's executor), every other thread of this process
                      to the other CPUs, so the host's own work (MQTT, planner replies, the dashboard)
                      never preempts it. Other processes are not moved: keep a local LLM server off that
                      CPU with taskset. Needs two CPUs. Default: auto when every node is a real board and
                      neither --rt-priority nor --loop-isolation is given, else none (simulation: the
                      emulated MCUs need every core)
  --duration S        stop after S seconds (default: run until stopped)
  --tasks N           task demo: stop after N planner tasks (scenes), or at --duration if that is sooner
  --report S          seconds between reports (default 2)

MQTT and dashboard (task and idle demos):
  --broker URL        use this broker (mqtt://, mqtts://, ws://, wss://) instead of the embedded one;
                      the robot's account comes from GANGLION_BROKER_USERNAME / GANGLION_BROKER_PASSWORD
  --broker-ws URL     an external broker's WebSocket URL, for the dashboard
  --broker-ca FILE    PEM CA for mqtts/wss brokers with a private certificate
  --mqtt-port N       embedded broker TCP port (default 1883; 0 = any free port)
  --ws-port N         embedded broker WebSocket port (default 9001; 0 = any free port)
  --tls-cert FILE --tls-key FILE
                      embedded broker: TLS only, with this PEM certificate (chain) and key: mqtts on
                      --tls-port, wss on --ws-port, and no plain listener; the bridge and the dashboard
                      use mqtts/wss (a certificate from a private CA: give the CA with --broker-ca)
  --tls-port N        embedded broker mqtts port (default 8883; 0 = any free port)
  --allow-plain-localhost
                      with TLS, also plain MQTT on 127.0.0.1:--mqtt-port, for clients on this machine
  --host ADDR         embedded broker's listen address (default 127.0.0.1). Any other (0.0.0.0 = every
                      interface, or a LAN address) is served TLS only: it needs --tls-cert/--tls-key, as plain
                      MQTT would carry the passwords in clear text. The dashboard page stays on 127.0.0.1
  --users FILE        embedded broker users (default ~/.ganglion/users.json; created with generated
                      passwords for operator, viewer and planner on first run)
  --dashboard-port N  dashboard HTTP port (default 8080; 0 = any free port)
  --no-dashboard      no dashboard
  --no-mqtt           no broker, bridge or dashboard
  --telemetry-hz HZ   MQTT telemetry rate per MCU (default 50)
  --robot-id ID       the robot's id in MQTT topics (default: the robot file's name)
`;

interface Args {
  robotFile: string;
  ports: Map<string, string>;
  posix: boolean;
  rateHz: number;
  durationS: number | null;
  maxTasks: number | null;
  reportS: number;
  demo: 'task' | 'motion' | 'idle' | null;
  loopHz: number;
  rtPriority: number | null;
  loopIsolation: boolean;
  loopCpu: number | 'auto' | 'none' | null;
  skillsDir: string | null;
  mqtt: {
    broker: string | null;
    brokerWs: string | null;
    brokerCa: string | null;
    tcpPort: number;
    wsPort: number;
    tls: { certFile: string; keyFile: string; port: number; allowPlainLocalhost: boolean } | null;
    host: string;
    usersFile: string;
    dashboardPort: number | null;
    telemetryHz: number;
    portsAreDefaults: boolean;
    robotId: string | null;
  } | null;
}

export function parseRunArgs(argv: string[]): Args | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      robot: { type: 'string' },
      port: { type: 'string', multiple: true },
      posix: { type: 'boolean' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      tasks: { type: 'string' },
      report: { type: 'string' },
      demo: { type: 'string' },
      'loop-hz': { type: 'string' },
      'rt-priority': { type: 'string' },
      'loop-isolation': { type: 'boolean' },
      'loop-cpu': { type: 'string' },
      skills: { type: 'string' },
      broker: { type: 'string' },
      'broker-ws': { type: 'string' },
      'broker-ca': { type: 'string' },
      'mqtt-port': { type: 'string' },
      'ws-port': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-port': { type: 'string' },
      'allow-plain-localhost': { type: 'boolean' },
      host: { type: 'string' },
      users: { type: 'string' },
      'dashboard-port': { type: 'string' },
      'no-dashboard': { type: 'boolean' },
      'no-mqtt': { type: 'boolean' },
      'telemetry-hz': { type: 'string' },
      'robot-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const ports = parseNodePorts(values.port);
  const num = (v: string | undefined, name: string, def: number, min: number, max: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} ${v}: expected a number from ${min} to ${max}`);
    return n;
  };
  const tls = tlsArgs(values);
  return {
    robotFile: values.robot ?? REFERENCE_ROBOT,
    ports,
    posix: values.posix ?? false,
    rateHz: num(values.rate, 'rate', 100, 1, 1000),
    durationS: values.duration === undefined ? null : num(values.duration, 'duration', 0, 0.1, 1e9),
    maxTasks: values.tasks === undefined ? null : Math.round(num(values.tasks, 'tasks', 0, 1, 1e9)),
    reportS: num(values.report, 'report', 2, 0.2, 3600),
    demo: values.demo === undefined ? null : demoName(values.demo),
    loopHz: num(values['loop-hz'], 'loop-hz', 500, 10, 1000),
    rtPriority: values['rt-priority'] === undefined ? null : Math.round(num(values['rt-priority'], 'rt-priority', 0, 1, 98)),
    loopIsolation: values['loop-isolation'] ?? false,
    loopCpu: values['loop-cpu'] === undefined ? null : values['loop-cpu'] === 'auto' || values['loop-cpu'] === 'none' ? values['loop-cpu'] : Math.round(num(values['loop-cpu'], 'loop-cpu', 0, 0, 4095)),
    skillsDir: values.skills ?? null,
    mqtt: values['no-mqtt']
      ? null
      : {
          broker: values.broker ?? null,
          brokerWs: values['broker-ws'] ?? null,
          brokerCa: values['broker-ca'] ?? null,
          tcpPort: num(values['mqtt-port'], 'mqtt-port', 1883, 0, 65535),
          wsPort: num(values['ws-port'], 'ws-port', 9001, 0, 65535),
          tls: tls && { ...tls, port: num(values['tls-port'], 'tls-port', 8883, 0, 65535) },
          host: hostArg(values.host, tls !== null, values.broker),
          usersFile: values.users ?? path.join(homedir(), '.ganglion', 'users.json'),
          dashboardPort: values['no-dashboard'] ? null : num(values['dashboard-port'], 'dashboard-port', 8080, 0, 65535),
          telemetryHz: num(values['telemetry-hz'], 'telemetry-hz', 50, 1, 1000),
          portsAreDefaults: values['mqtt-port'] === undefined && values['ws-port'] === undefined && values['dashboard-port'] === undefined && values['tls-port'] === undefined,
          robotId: values['robot-id'] ?? null,
        },
  };
}

/** The embedded broker's TLS options, checked for what goes together (the files themselves: tls-pair.ts). */
function tlsArgs(v: { 'tls-cert'?: string; 'tls-key'?: string; 'tls-port'?: string; 'allow-plain-localhost'?: boolean; broker?: string }) {
  if (!!v['tls-cert'] !== !!v['tls-key']) throw new Error('--tls-cert and --tls-key go together: give both PEM files');
  if (!v['tls-cert']) {
    if (v['tls-port'] !== undefined || v['allow-plain-localhost']) throw new Error(`--${v['tls-port'] !== undefined ? 'tls-port' : 'allow-plain-localhost'} only means something with --tls-cert/--tls-key (without TLS every listener is plain)`);
    return null;
  }
  if (v.broker) throw new Error('--tls-cert/--tls-key configure the embedded broker; with --broker the external broker has its own TLS (an mqtts:// URL, and --broker-ca)');
  return { certFile: v['tls-cert'], keyFile: v['tls-key']!, allowPlainLocalhost: !!v['allow-plain-localhost'] };
}

/** The embedded broker's listen address: checked (zod, listen-host.ts); off loopback only with TLS. */
function hostArg(host: string | undefined, tls: boolean, broker: string | undefined): string {
  if (host === undefined) return '127.0.0.1';
  if (broker) throw new Error('--host sets where the embedded broker listens; with --broker the external broker has its own listeners');
  const bad = listenHostError(host, '--host') ?? (tls ? null : plainHostError(host, '--host'));
  if (bad) throw new Error(bad);
  return host;
}

/** The host process's memory, for the periodic report (a long run shows growth here first). */
function hostMemoryLine(): string {
  const m = process.memoryUsage();
  return `   host    rss ${(m.rss / 2 ** 20).toFixed(1)} MB, heap used ${(m.heapUsed / 2 ** 20).toFixed(1)} MB`;
}

function demoName(v: string): 'task' | 'motion' | 'idle' {
  if (v !== 'task' && v !== 'motion' && v !== 'idle') throw new Error(`--demo ${v}: expected task, motion or idle`);
  return v;
}

export async function main(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  // The main job runs for hours: its heaps must not creep (util/steady-heap.ts).
  keepHeapsNearLive();
  const robot = loadRobot(args.robotFile);
  assertRobotOk(robot);
  // A robot of Firmata boards only runs the motion demo of firmata-run.ts; a mixed one starts below like any other.
  if (onlyFirmata(robot)) {
    if (args.demo !== null && args.demo !== 'motion')
      throw new Error(`--demo ${args.demo}: ${robot.name} has Firmata boards only, and those run the motion demo (no executor); a robot that mixes them with Ganglion MCUs runs every demo`);
    return runFirmataRobot(robot, { ports: args.ports, durationS: args.durationS, reportS: args.reportS, rateHz: args.rateHz, log: (l) => console.log(l) });
  }
  checkNodePorts(robot, args.ports);
  const plans = planNodes(robot, { ports: args.ports, filePorts: true, sim: args.posix ? 'posix' : 'emulator' });
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };

  try {
    const simulated = allSimulated(plans);
    // Simulated robots run the pick-and-place task (the world gives perception); real boards the motion sequence.
    const demo = args.demo ?? (simulated ? 'task' : 'motion');
    if (demo === 'task' && !simulated) throw new Error('--demo task needs the simulated world (perception of blocks and a bin); on real boards use --demo motion');
    let finalReport = () => '';
    let settle: () => Promise<unknown> = async () => {};
    const started = await startRobot({
      robot, plans, log: (l) => console.log(l),
      runtime: demo === 'motion' ? null : {
        rate_hz: args.loopHz,
        perception: ({ geometry, wheels }) => simulated ? new TabletopPerception(feasibleSceneAround({ x_m: 0, y_m: 0, heading_rad: 0 }, 1, geometry).world, { geometry, wheels }) : new OdometryPerception({ geometry, wheels }),
        ...(args.rtPriority === null ? {} : { rt_priority: args.rtPriority }),
        ...(args.loopIsolation ? { loop_isolation: true } : {}),
        ...(args.loopCpu === null ? {} : { loop_cpu: args.loopCpu }),
        ...(args.skillsDir === null ? {} : { skills_dir: args.skillsDir }),
        ...(args.mqtt?.robotId ? { robot_id: args.mqtt.robotId } : {}),
        correction_log: path.join(homedir(), '.ganglion', 'corrections.jsonl'),
      },
    });
    cleanups.push(() => started.stop());
    const { sessions, runtime: rt } = started;
    if (rt?.packages) {
      const [found, ...refused] = packageReportLines(args.skillsDir ?? '', rt.packages);
      console.log(found);
      refused.forEach((l) => console.error(l));
    }
    const lag = started.links.lag;
    let stopNow = () => {};
    const stopped = new Promise<void>((resolve) => {
      const stop = () => resolve();
      stopNow = stop;
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (args.durationS !== null) setTimeout(stop, args.durationS * 1000);
    });
    // The task demo goes through the planner: an LLM when one is configured (GANGLION_LLM_*), else the offline rule planner.
    let planner: Planner | null = null;
    if (rt && demo === 'task') {
      const config = loadLlmConfig();
      // Node's first fetch() blocks the thread for 100-300 ms: take that hit before arming, not during the task.
      if (config) await warmUpFetch();
      const { slow, describe } = createSlowMind({ config, registry: createRegistry(), robot: rt, log: (l) => console.log(`[planner] ${l}`) });
      planner = new Planner({ robot: rt, slow, memory: new MemoryStore(undefined, (l) => console.log(`[planner] memory: ${l}`)), onEvent: (e) => formatEvent(e).forEach((l) => console.log(`  ${l}`)) });
      console.log(`planner: ${describe}`);
    }
    // The broker, bridge and dashboard start before arming too (hashing passwords, bundling the page take time).
    if (rt && args.mqtt) {
      const m = args.mqtt;
      const services = await startServices(rt, {
        robotId: rt.robotId, broker: m.broker, brokerUsername: process.env.GANGLION_BROKER_USERNAME, brokerPassword: process.env.GANGLION_BROKER_PASSWORD,
        ...(m.brokerCa ? { brokerCa: readFileSync(m.brokerCa, 'utf8') } : {}),
        ...(m.brokerWs ? { brokerWsUrl: m.brokerWs } : {}),
        usersFile: m.usersFile, host: m.host, tcpPort: m.tcpPort, wsPort: m.wsPort, ...(m.tls ? { tls: m.tls } : {}), dashboardPort: m.dashboardPort, telemetryHz: m.telemetryHz,
        portsAreDefaults: m.portsAreDefaults,
        log: (l) => console.log(l),
      });
      cleanups.push(() => services.stop());
    }
    for (const s of sessions.values()) await s.arm();
    if (demo === 'motion') {
      const driver = new MotionDriver(robot, sessions, args.rateHz);
      cleanups.push(async () => driver.stop());
      driver.start();
      console.log(`driving the motion sequence at ${args.rateHz} Hz; Ctrl-C stops${args.durationS ? ` (or after ${args.durationS} s)` : ''}`);
      const report = setInterval(() => console.log(driver.report(lag)), args.reportS * 1000);
      cleanups.push(async () => clearInterval(report));
      finalReport = () => { driver.stop(); return driver.report(lag); };
    } else if (rt && demo === 'idle') {
      console.log(`runtime idle at ${args.loopHz} Hz, waiting for commands (dashboard, MQTT cmd/*, ganglion plan); Ctrl-C stops`);
      const report = setInterval(() => console.log(`-- executor ${rt.lastCadence || '(starting)'}`), args.reportS * 1000);
      cleanups.push(async () => clearInterval(report));
      finalReport = () => `executor ${rt.lastCadence}`;
    } else if (rt) {
      console.log(`pick-and-place through the planner and the skill layer, executor at ${args.loopHz} Hz; Ctrl-C stops${args.durationS ? ` (or after ${args.durationS} s)` : ''}`);
      const counts = new Map<string, number>();
      countTelemetry(sessions, counts);
      let last = performance.now();
      const report = setInterval(() => {
        const now = performance.now();
        console.log([`-- executor ${rt.lastCadence || '(starting)'}`, ...linkHealthLines(sessions, counts, (now - last) / 1000, lag), hostMemoryLine()].join('\n'));
        last = now;
      }, args.reportS * 1000);
      cleanups.push(async () => clearInterval(report));
      const score = emptyScore();
      const stop = new AbortController();
      void stopped.then(() => stop.abort());
      const rearmsPerMinute = plans.every((p) => p.kind === 'emulator') ? 30 : 0;
      const rounds = taskRounds(rt, sessions, planner!, stop.signal, score, (l) => console.log(l), rearmsPerMinute, args.maxTasks ?? Infinity)
        .catch((e: unknown) => console.log(`task stopped: ${(e as Error).message}`))
        // With --tasks the run is over when the rounds are (done, or stopped for a human to look).
        .finally(() => { if (args.maxTasks !== null) stopNow(); });
      // The summary waits (briefly) for the cancelled task to count what it placed.
      settle = () => Promise.race([rounds, new Promise((r) => setTimeout(r, 3000).unref())]);
      finalReport = () => `task: ${scoreLine(score)}; executor ${rt.lastCadence}`;
    }
    await stopped;
    await settle();
    console.log('stopping: outputs to their defaults');
    const summary = finalReport();
    for (const s of sessions.values()) await s.disarm().catch(() => {});
    console.log(summary);
    return 0;
  } finally {
    await cleanup();
  }
}
