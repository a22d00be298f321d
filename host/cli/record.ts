// `ganglion record`: LeRobot-style demonstration recording on the emulated robot into one MCAP file per session, with episode keys and a progress line.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CALIBRATION_DIR } from '../calibration/file.ts';
import { EpisodeSchedule, type Phase, type RecordKey } from '../record/episodes.ts';
import { listenKeys, listenRaw, parseRawKeys } from '../record/keys.ts';
import { Recorder } from '../record/recorder.ts';
import { recordRuntime } from '../record/runtime-source.ts';
import { ScheduleControl } from '../record/recording-control.ts';
import { startSimRobot } from '../runtime/sim-robot.ts';
import { tipInWorld } from '../skills/arm.ts';
import { referenceGeometry } from '../skills/reference-robot.ts';
import { packageReportLines } from '../skills/registry.ts';
import { drawReachGoal, openSimTeleop, scriptedReach, type ReachGoal, type SimTeleop } from '../teleop/sim-teleop.ts';
import { seededRandom } from '../world/world.ts';
import { startServices, type Services } from './services.ts';

const HELP = `usage: ganglion record --task "..." [options]

Records demonstrations as LeRobot's recorder does: N episodes of S seconds, a reset pause between them,
one MCAP file for the session (opens in Foxglove). Each sample, at the control rate, holds the joint
readings, base pose, perceived objects, the action the safety envelope let through, the teleop command,
the active skill, who had control, and when it was taken. Runs on the emulated robot.

  --task TEXT          what is demonstrated ("put the red block in the bin"); stored with each episode
  --episodes N         episodes to keep (default 10)
  --episode-time S     seconds per episode (default 30)
  --reset-time S       seconds to reset the scene between episodes (default 10; 0 = none)
  --fps HZ             control and recording rate (default 100, 10 to 1000)
  --out FILE           the recording (default recordings/<task>-<time>.mcap; never overwritten)
  --skill NAME         run this skill at the start of each episode (a scripted demonstrator, or a learned
                       skill being corrected). With --teleop and no --args it is given the episode's goal;
                       with --scripted the person watches it run and takes over only where it ends more
                       than 5 mm off the goal (a DAgger round: the takeover frames are interventions)
  --args JSON          its args (e.g. '{"x_m":0.3,"y_m":0.1}' for reach)
  --skills DIR         skill packages (\`ganglion train\` output) loaded beside the built-ins, for --skill
  --teleop SOURCE      a person demonstrates through teleop: leader (the leader arm's pots, hold its button)
                       or keyboard (terminal keys: i/k shoulder, j/l elbow, w/s/a/d base, g gripper; the
                       record keys are then n, r, q). Each episode gets a reach goal (a seeded world point
                       the arm can reach), shown and recorded with every sample (/observation/goal)
  --scripted           with --teleop leader: a scripted person (reaction delay, hesitation, tremor)
                       turns the emulated leader's pots to each goal and ends the episode once there
  --seed N             the goals' and the scripted person's seed (default 1)
  --calibration-dir D  where the leader calibration lives (default ${CALIBRATION_DIR}); with --scripted a
                       missing one is made by the scripted person's sweep
  --firmware avr|posix emulated firmware: the real .hex in avr8js (default) or the posix build on a pty
  --watchdog-ms MS     MCU link watchdog (default: the robot file's)
  --mqtt               also start the embedded broker, bridge and dashboard: the dashboard shows the
                       episode and its time left, and an operator can start/stop/discard episodes
  --mqtt-port N        embedded broker TCP port (default 1883; 0 = any free port)
  --ws-port N          embedded broker WebSocket port (default 9001; 0 = any free port)
  --dashboard-port N   dashboard HTTP port (default 8080; 0 = any free port)
  --users FILE         broker users (default ~/.ganglion/users.json, created on first use)

keys while recording (a terminal: single keys; otherwise one per line, then Enter):
  right arrow / n    end the episode now and keep it (or end the reset early)
  left arrow / r     drop this episode and record it again
  Esc / q            keep the episode being recorded and stop
`;

/** [m] The scripted person leaves a skill's run alone when it ends this close to the goal (the reach task's tolerance). */
const TAKEOVER_M = 0.005;

interface Args {
  task: string;
  episodes: number;
  episode_s: number;
  reset_s: number;
  fps: number;
  out: string;
  /** args null: the episode's goal point. */
  skill: { name: string; args: unknown } | null;
  skills_dir: string | null;
  teleop: { source: 'leader' | 'keyboard'; scripted: boolean; seed: number; calibration_dir: string } | null;
  firmware: 'avr' | 'posix';
  watchdog_ms: number | null;
  mqtt: { tcpPort: number; wsPort: number; dashboardPort: number; usersFile: string; portsAreDefaults: boolean } | null;
}

export function parseRecordArgs(argv: string[]): Args | 'help' {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      task: { type: 'string' }, episodes: { type: 'string' }, 'episode-time': { type: 'string' }, 'reset-time': { type: 'string' },
      fps: { type: 'string' }, out: { type: 'string' }, skill: { type: 'string' }, args: { type: 'string' }, firmware: { type: 'string' },
      'watchdog-ms': { type: 'string' }, mqtt: { type: 'boolean' }, 'mqtt-port': { type: 'string' }, 'ws-port': { type: 'string' },
      'dashboard-port': { type: 'string' }, users: { type: 'string' }, teleop: { type: 'string' }, scripted: { type: 'boolean' },
      seed: { type: 'string' }, 'calibration-dir': { type: 'string' }, skills: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (!values.task?.trim()) throw new Error('--task "..." is required: the text stored with every episode (what is being demonstrated)');
  const num = (v: string | undefined, name: string, def: number, min: number, max: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} ${v}: expected a number from ${min} to ${max}`);
    return n;
  };
  let skillArgs: unknown = values.teleop ? null : {};
  if (values.args !== undefined) {
    if (!values.skill) throw new Error('--args needs --skill NAME');
    try {
      skillArgs = JSON.parse(values.args);
    } catch (e) {
      throw new Error(`--args: not valid JSON (${(e as Error).message})`);
    }
  }
  const firmware = values.firmware ?? 'avr';
  if (firmware !== 'avr' && firmware !== 'posix') throw new Error(`--firmware ${firmware}: expected avr or posix`);
  const source = values.teleop;
  if (source !== undefined && source !== 'leader' && source !== 'keyboard') throw new Error(`--teleop ${source}: expected leader or keyboard`);
  if (values.scripted && source !== 'leader') throw new Error('--scripted needs --teleop leader: the scripted person turns the leader\'s pots');
  if (source === 'leader' && firmware !== 'avr') throw new Error('--teleop leader needs --firmware avr: the posix build has no pots to read');
  if (source === 'keyboard' && !process.stdin.isTTY) throw new Error('--teleop keyboard needs a terminal on stdin (ssh -t gives one over SSH)');
  const seed = num(values.seed, 'seed', 1, 0, 2 ** 31);
  const slug = values.task.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 40).replace(/^-|-$/g, '');
  return {
    task: values.task.trim(),
    episodes: Math.round(num(values.episodes, 'episodes', 10, 1, 100000)),
    episode_s: num(values['episode-time'], 'episode-time', 30, 0.1, 86400),
    reset_s: num(values['reset-time'], 'reset-time', 10, 0, 86400),
    fps: num(values.fps, 'fps', 100, 10, 1000),
    out: values.out ?? path.join('recordings', `${slug || 'session'}-${new Date().toISOString().replace(/[:.]/g, '-')}.mcap`),
    skill: values.skill ? { name: values.skill, args: skillArgs } : null,
    skills_dir: values.skills ?? null,
    teleop: source ? { source, scripted: values.scripted === true, seed: Math.round(seed), calibration_dir: values['calibration-dir'] ?? CALIBRATION_DIR } : null,
    firmware,
    watchdog_ms: values['watchdog-ms'] === undefined ? null : num(values['watchdog-ms'], 'watchdog-ms', 100, 10, 10000),
    mqtt: values.mqtt
      ? {
          tcpPort: num(values['mqtt-port'], 'mqtt-port', 1883, 0, 65535), wsPort: num(values['ws-port'], 'ws-port', 9001, 0, 65535),
          dashboardPort: num(values['dashboard-port'], 'dashboard-port', 8080, 0, 65535),
          usersFile: values.users ?? path.join(homedir(), '.ganglion', 'users.json'),
          portsAreDefaults: values['mqtt-port'] === undefined && values['ws-port'] === undefined && values['dashboard-port'] === undefined,
        }
      : null,
  };
}

/** The progress line: episode, phase, time left, the loop's real rate beside its target. */
export function progressLine(p: Phase, o: { episodes: number; now_ms: number; rate_hz: number; fps: number; samples: number; refused: number }): string {
  const left = (ends: number) => `${Math.max(0, (ends - o.now_ms) / 1000).toFixed(1)} s left`;
  const rate = `loop ${o.rate_hz.toFixed(1)} Hz (target ${o.fps})`;
  const refused = o.refused ? `, ${o.refused} refused` : '';
  if (p.kind === 'episode') return `episode ${p.index + 1}/${o.episodes}  recording  ${left(p.ends_ms)}  ${rate}  ${o.samples} samples${refused}`;
  if (p.kind === 'reset') return `reset${p.rerecord ? ' (then re-record)' : ''}  ${left(p.ends_ms)}  ${rate}  -> n to go on`;
  return `done  ${o.samples} samples${refused}`;
}

/** With keyboard teleop, one raw-mode reader: every byte to the keyboard source, and n / r / q to the recording (the arrows drive the base). */
function listenTeleopKeys(stdin: NodeJS.ReadStream, kb: { feed(chunk: string, now_ms: number): void }, onKey: (k: RecordKey) => void): () => void {
  return listenRaw(stdin, (d) => {
    kb.feed(d, performance.now());
    parseRawKeys(d.replace(/\x1b\[[A-D]/g, '')).forEach(onKey);
  });
}

export async function main(argv: string[]): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseRecordArgs(argv);
  } catch (e) {
    process.stderr.write(`ganglion record: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const a = args;
  const tty = Boolean(process.stdout.isTTY);
  const say = (l: string) => process.stdout.write(`${tty ? '\r\x1b[K' : ''}${l}\n`);
  mkdirSync(path.dirname(path.resolve(a.out)), { recursive: true });
  say(`booting the emulated robot (${a.firmware} firmware), executor at ${a.fps} Hz`);
  const robot = await startSimRobot({ firmware: a.firmware, rate_hz: a.fps, ...(a.watchdog_ms ? { watchdog_ms: a.watchdog_ms } : {}), ...(a.skills_dir ? { skills_dir: a.skills_dir } : {}) });
  const rt = robot.runtime;
  if (a.skills_dir && rt.packages) packageReportLines(a.skills_dir, rt.packages).forEach(say);
  const joints = rt.joints.map((j) => j.name);
  const geometry = referenceGeometry();
  const rec = new Recorder({ file: a.out, joints, joint_kinds: rt.joints.map((j) => j.kind), task: a.task, fps: a.fps, robot: rt.robotId, geometry });
  rec.on('refused', (e) => say(`sample refused: ${e.message}`));
  // The loop's real rate: ticks over the last second.
  const ticks: number[] = [];
  let goal: ReachGoal | null = null;
  const untap = recordRuntime(rt, rec, joints, (t_ms) => ticks.push(t_ms), () => goal?.point ?? null);
  let skillRun: Promise<unknown> | null = null;
  let tp: SimTeleop | null = null;
  let onKey: (k: RecordKey) => void = () => {};
  if (a.teleop) {
    tp = await openSimTeleop(robot, {
      source: a.teleop.source, geometry, calibration_dir: a.teleop.calibration_dir, calibrate: a.teleop.scripted ? 'if-missing' : 'never',
      notice: (l) => say(l), say, onQuit: () => onKey('stop'),
      // A leader frame may pause as long as the link watchdog allows before it counts as unplugged.
      ...(a.watchdog_ms ? { stale_ms: Math.max(300, a.watchdog_ms) } : {}),
    });
  }
  const teleop = a.teleop;
  /** The scripted person's run of episode i: to the goal, a moment still there, then the episode ends (as pressing n). */
  const demonstrate = async (i: number, g: ReachGoal) => {
    const still = () => schedule.current.kind === 'episode' && (schedule.current as { index: number }).index === i;
    const r = await scriptedReach(tp!.leader!, tp!.follower, g, { seed: teleop!.seed * 1000 + i, timeout_ms: a.episode_s * 1000, stopped: () => !still() });
    say(`episode ${i + 1}: the scripted person ${r.done ? 'reached the goal' : 'did not reach the goal'} in ${r.elapsed_s.toFixed(1)} s`);
    // The settled arm after letting go is part of the demonstration: at the goal, stay.
    await new Promise((res) => setTimeout(res, 300));
    if (still()) onKey('next');
  };
  /**
   * The scripted person as a corrector: once the skill has ended, the tip within TAKEOVER_M of the goal ends the
   * episode as it is; otherwise the person takes the leader and finishes the reach (teleop after a skill in an episode
   * is an intervention, so the recording marks those frames).
   */
  const watchSkill = async (i: number, g: ReachGoal, skill: string, how: string) => {
    if (!(schedule.current.kind === 'episode' && schedule.current.index === i)) return;
    const o = rt.snapshot().observation;
    const tip = tipInWorld(geometry, o.base, o.joints.shoulder?.position_rad ?? NaN, o.joints.elbow?.position_rad ?? NaN);
    const off_mm = 1000 * Math.hypot(tip.x_m - g.point.x_m, tip.y_m - g.point.y_m);
    if (off_mm <= TAKEOVER_M * 1000) {
      say(`episode ${i + 1}: ${skill} ${how}, tip ${off_mm.toFixed(1)} mm from the goal: no takeover`);
      onKey('next');
      return;
    }
    say(`episode ${i + 1}: ${skill} ${how}, tip ${off_mm.toFixed(1)} mm from the goal: the scripted person takes over`);
    await demonstrate(i, g);
  };
  const schedule = new EpisodeSchedule({ episodes: a.episodes, episode_s: a.episode_s, reset_s: a.reset_s }, {
    start: (i) => {
      if (teleop) {
        // Seeded per episode index: a re-recorded episode gets the same goal again.
        const q = rt.snapshot().observation.joints;
        goal = drawReachGoal(geometry, rt.snapshot().observation.base, { shoulder_rad: q.shoulder?.position_rad ?? 0, elbow_rad: q.elbow?.position_rad ?? 0 }, seededRandom(teleop.seed * 100003 + i));
      }
      rec.startEpisode(a.task);
      say(`episode ${i + 1}/${a.episodes}: recording "${a.task}" for ${a.episode_s} s`);
      if (goal) {
        const g = goal;
        say(`  goal: reach (${g.point.x_m.toFixed(3)}, ${g.point.y_m.toFixed(3)}) m: shoulder ${g.joints_rad.shoulder.toFixed(2)} rad, elbow ${g.joints_rad.elbow.toFixed(2)} rad`);
        // After this transition completes (the schedule enters the episode once start() returns).
        if (teleop?.scripted && !a.skill) void Promise.resolve().then(() => demonstrate(i, g)).catch((e: Error) => say(`scripted person: ${e.message}`));
      }
      if (a.skill) {
        const s = a.skill;
        const args = s.args ?? (goal ? { x_m: goal.point.x_m, y_m: goal.point.y_m } : {});
        // Its statuses reach the recording through the tap's events.
        const run = rt.runSkill(s.name, args);
        skillRun = run.catch((e: Error) => say(`skill ${s.name} refused: ${e.message}`));
        if (teleop?.scripted && goal) {
          const g = goal;
          void run.then((st) => st.state, () => 'refused').then((how) => watchSkill(i, g, s.name, how)).catch((e: Error) => say(`scripted person: ${e.message}`));
        }
      }
    },
    keep: (i) => {
      rec.endEpisode();
      say(`episode ${i + 1} kept`);
      if (skillRun) void rt.cancel('episode ended').catch(() => {});
    },
    discard: (i) => {
      rec.discardEpisode();
      say(`episode ${i + 1} dropped: it will be recorded again`);
      if (skillRun) void rt.cancel('episode re-recorded').catch(() => {});
    },
  });
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  const control = new ScheduleControl(schedule, { episodes: a.episodes, task: a.task, file: a.out, onDone: () => finished(), log: say });
  let services: Services | null = null;
  if (a.mqtt) {
    services = await startServices(rt, {
      robotId: rt.robotId, broker: null, usersFile: a.mqtt.usersFile, tcpPort: a.mqtt.tcpPort, wsPort: a.mqtt.wsPort,
      dashboardPort: a.mqtt.dashboardPort, telemetryHz: 20, portsAreDefaults: a.mqtt.portsAreDefaults, recording: control, log: say,
    });
    say(`dashboard: ${services.dashboardUrl ?? '(none)'}; broker ${services.brokerUrl}`);
  }
  onKey = (k: RecordKey) => {
    const next = schedule.key(k, performance.now());
    control.changed();
    if (next.kind === 'done') finished();
  };
  const restore = tp?.keyboard ? listenTeleopKeys(process.stdin, tp.keyboard, onKey) : listenKeys(process.stdin, onKey, (l) => say(`unknown key "${l}": n (next), r (re-record), q (stop)`));
  const onSignal = () => onKey('stop');
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  schedule.begin(performance.now());
  const timer = setInterval(() => {
    const now = performance.now();
    const before = schedule.current;
    const phase = schedule.tick(now);
    if (phase !== before) control.changed();
    if (phase.kind === 'done') return finished();
    while (ticks.length && ticks[0]! < now - 1000) ticks.shift();
    const st = rec.state();
    const line = progressLine(schedule.current, { episodes: a.episodes, now_ms: now, rate_hz: ticks.length, fps: a.fps, samples: st.samples, refused: st.refused });
    if (tty) process.stdout.write(`\r\x1b[K${line}`);
    else if (Math.floor(now / 1000) !== Math.floor((now - 50) / 1000)) say(line);
  }, 50);
  try {
    await done;
  } finally {
    clearInterval(timer);
    restore();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await tp?.driver.stop();
    untap();
    rec.close();
    await services?.stop();
    await robot.stop();
  }
  const st = rec.state();
  say(`wrote ${a.out}: ${st.kept} episode${st.kept === 1 ? '' : 's'}, ${st.samples} samples${st.refused ? `, ${st.refused} refused` : ''}`);
  return 0;
}
