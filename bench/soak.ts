// Soak: `ganglion run` as `npm start` runs it (emulated MCUs, embedded broker, bridge, dashboard, planner) for an hour, with a viewer subscribed; per-minute figures beside the first 5 minutes.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import type { Figure } from './report.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Minutes: GANGLION_SOAK_MINUTES or --soak-minutes=N; default one hour. */
const MINUTES = Number(process.argv.find((a) => a.startsWith('--soak-minutes='))?.split('=')[1] ?? process.env.GANGLION_SOAK_MINUTES ?? 60);
/** The first minutes are the baseline; memory is measured against their end (after warm-up). */
const BASE_MIN = 5;
/** A minute with this many tasks and no block placed is a livelock (the issue's run: ~4500 tasks a minute, none placing). */
const LIVELOCK_TASKS = 10;

interface Minute {
  tasks: number;
  placed: number;
  rss_mb: number;
  heap_mb: number;
  exec_p99_us: number;
  retransmits: number;
  trips: number;
  log_bytes: number;
  viewer_msgs: number;
  dashboard_ok: boolean;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** What the run's stdout says, accumulated over the current minute (the parsing of `ganglion run`'s own report lines). */
class RunLog {
  tasks = 0;
  placed = 0;
  trips = 0;
  bytes = 0;
  p99: number[] = [];
  /** This minute's samples (one per report): heap is taken at its floor (the live heap after a collection), RSS at its median. */
  rss: number[] = [];
  heap: number[] = [];
  retransmits = new Map<string, number>();
  brokerUrl: string | null = null;
  dashboardUrl: string | null = null;
  /** The unfinished last line of each stream: stdout and stderr chunks interleave, and a line split across two
   * chunks must not be glued to the other stream's text (that once read as 26 blocks placed in one task). */
  private partial = { out: '', err: '' };
  private placedTotal = 0;

  feed(chunk: string, stream: 'out' | 'err'): void {
    this.bytes += Buffer.byteLength(chunk);
    const lines = (this.partial[stream] + chunk).split('\n');
    this.partial[stream] = lines.pop()!;
    for (const l of lines) this.line(l);
  }

  private line(l: string): void {
    let m: RegExpMatchArray | null;
    if ((m = l.match(/^score: (\d+)\/\d+ blocks in the bin/))) {
      this.tasks++;
      const total = Number(m[1]);
      this.placed += total - this.placedTotal;
      this.placedTotal = total;
    } else if ((m = l.match(/period error p50 [\d.]+ us p99 ([\d.]+) us/))) this.p99.push(Number(m[1]));
    else if ((m = l.match(/^ {3}(\S+) +telemetry .* retransmits (\d+),/))) this.retransmits.set(m[1]!, Number(m[2]));
    else if ((m = l.match(/host +rss ([\d.]+) MB, heap used ([\d.]+) MB/))) {
      this.rss.push(Number(m[1]));
      this.heap.push(Number(m[2]));
    } else if (/link watchdog tripped/.test(l)) this.trips++;
    else if ((m = l.match(/broker: embedded \(aedes\) at (mqtt:\/\/[\d.]+:\d+)/))) this.brokerUrl = m[1]!;
    else if ((m = l.match(/dashboard: (http:\/\/[\d.]+:\d+\/?)/))) this.dashboardUrl = m[1]!;
  }

  /** The minute's counters, then zeroed for the next one. */
  take(): Pick<Minute, 'tasks' | 'placed' | 'trips' | 'log_bytes' | 'exec_p99_us' | 'rss_mb' | 'heap_mb'> & { retransmits_total: number } {
    const r = {
      tasks: this.tasks, placed: this.placed, trips: this.trips, log_bytes: this.bytes,
      exec_p99_us: this.p99.length ? Math.max(...this.p99) : NaN,
      rss_mb: this.rss.length ? [...this.rss].sort((a, b) => a - b)[this.rss.length >> 1]! : NaN, heap_mb: this.heap.length ? Math.min(...this.heap) : NaN,
      retransmits_total: [...this.retransmits.values()].reduce((a, b) => a + b, 0),
    };
    this.tasks = this.placed = this.trips = this.bytes = 0;
    this.p99 = [];
    this.rss = [];
    this.heap = [];
    return r;
  }
}

function viewerPassword(home: string): string {
  const creds = readFileSync(path.join(home, 'credentials.txt'), 'utf8');
  const line = creds.split('\n').find((l) => l.startsWith('viewer\t'));
  if (!line) throw new Error(`${home}/credentials.txt has no viewer line`);
  return line.split('\t')[2]!;
}

const fmtRow = (i: number, m: Minute) =>
  `  min ${String(i + 1).padStart(3)}: ${m.tasks} tasks, ${m.placed} placed, rss (median) ${m.rss_mb.toFixed(1)} MB, heap (floor) ${m.heap_mb.toFixed(1)} MB, ` +
  `executor p99 ${m.exec_p99_us.toFixed(0)} us, ${m.retransmits} retransmits, ${m.trips} trips, log ${(m.log_bytes / 1024).toFixed(1)} KiB, ` +
  `viewer ${m.viewer_msgs} msgs, dashboard ${m.dashboard_ok ? 'ok' : 'DOWN'}`;

export async function run(): Promise<Figure[]> {
  if (!(MINUTES >= 1)) throw new Error(`soak: GANGLION_SOAK_MINUTES / --soak-minutes=${MINUTES}: give a whole number of minutes, at least 1`);
  const home = mkdtempSync(path.join(tmpdir(), 'ganglion-soak-'));
  const usersDir = path.join(home, '.ganglion');
  const log = new RunLog();
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/ganglion.js'), 'run', '--duration', String(MINUTES * 60 + 30), '--mqtt-port', '0', '--ws-port', '0', '--dashboard-port', '0', '--users', path.join(usersDir, 'users.json')],
    { cwd: ROOT, env: { ...process.env, HOME: home, GANGLION_LLM_BASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // The run's own output is kept beside the figures, to read what happened in a minute that looks wrong.
  const keptLog = path.join(tmpdir(), `ganglion-soak-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const kept = createWriteStream(keptLog);
  child.stdout.setEncoding('utf8').on('data', (c: string) => { log.feed(c, 'out'); kept.write(c); });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { log.feed(c, 'err'); kept.write(c); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let viewer: mqtt.MqttClient | null = null;
  let viewerMsgs = 0;
  const minutes: Minute[] = [];
  try {
    // Up: the broker and dashboard lines printed, the robot armed (the first task line).
    const t0 = Date.now();
    while (!(log.brokerUrl && log.dashboardUrl && log.p99.length)) {
      if (Date.now() - t0 > 180_000) throw new Error('soak: the run did not come up in 3 minutes');
      if (child.exitCode !== null) throw new Error(`soak: the run exited (${child.exitCode}) before coming up`);
      await new Promise((r) => setTimeout(r, 500));
    }
    viewer = await mqtt.connectAsync(log.brokerUrl!, { username: 'viewer', password: viewerPassword(usersDir), reconnectPeriod: 1000 });
    viewer.on('message', () => viewerMsgs++);
    await viewer.subscribeAsync('ganglion/#', { qos: 0 });
    log.take();
    let prevRetx = 0;
    console.log(`soak: ${MINUTES} min of \`ganglion run\` (pid ${child.pid}), viewer on ${log.brokerUrl}, dashboard ${log.dashboardUrl}, its output kept in ${keptLog}`);
    for (let i = 0; i < MINUTES; i++) {
      await Promise.race([new Promise((r) => setTimeout(r, 60_000)), exited]);
      if (child.exitCode !== null) throw new Error(`soak: the run exited (${child.exitCode}) in minute ${i + 1}`);
      const dashboard_ok = await fetch(log.dashboardUrl!).then((r) => r.ok, () => false);
      const m = log.take();
      const row: Minute = { ...m, retransmits: m.retransmits_total - prevRetx, viewer_msgs: viewerMsgs, dashboard_ok };
      prevRetx = m.retransmits_total;
      viewerMsgs = 0;
      minutes.push(row);
      const base = minutes.slice(0, BASE_MIN);
      console.log(`${fmtRow(i, row)}${i >= BASE_MIN ? ` | first ${BASE_MIN} min: ${mean(base.map((x) => x.tasks)).toFixed(1)} tasks, ${mean(base.map((x) => x.placed)).toFixed(1)} placed, log ${(mean(base.map((x) => x.log_bytes)) / 1024).toFixed(1)} KiB` : ''}`);
    }
  } finally {
    await viewer?.endAsync().catch(() => {});
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
    kept.end();
  }
  return figures(minutes);
}

function figures(ms: Minute[]): Figure[] {
  const base = ms.slice(0, Math.min(BASE_MIN, ms.length));
  const rest = ms.length > BASE_MIN ? ms.slice(BASE_MIN) : ms;
  const last = ms.slice(-BASE_MIN);
  const warm = base.at(-1)!;
  const end = ms.at(-1)!;
  const growth = (a: number, b: number) => (100 * (b - a)) / a;
  const livelocks = ms.filter((m) => m.tasks >= LIVELOCK_TASKS && m.placed === 0).length;
  const rateBase = mean(base.map((m) => m.placed));
  const rateLast = mean(last.map((m) => m.placed));
  const perMin = (label: string, f: (m: Minute) => number, unit: string, extra: Partial<Figure> = {}): Figure => ({
    name: `${label} per minute, after the first ${BASE_MIN} min (mean)`, value: mean(rest.map(f)), unit, baseline: { label: `first ${BASE_MIN} min`, value: mean(base.map(f)) }, ...extra,
  });
  const logMBh = (mean(ms.map((m) => m.log_bytes)) * 60) / 2 ** 20;
  return [
    perMin('tasks done', (m) => m.tasks, 'tasks'),
    perMin('blocks placed', (m) => m.placed, 'blocks'),
    {
      name: `placement rate over the last ${last.length} min`, value: rateLast, unit: 'blocks/min', baseline: { label: `first ${base.length} min`, value: rateBase },
      // The goal guards against the run degenerating, so it is one-sided: a last window that places
      // more than the first (warm-up included) is not a failure. The ratio is printed either way.
      goal: 'not more than 20 % below the first 5 minutes', pass: rateBase > 0 && rateLast >= 0.8 * rateBase,
      note: `last/first = ${rateBase > 0 ? (rateLast / rateBase).toFixed(2) : 'n/a'}`,
    },
    {
      name: `RSS growth, minute ${base.length} -> minute ${ms.length}`, value: growth(warm.rss_mb, end.rss_mb), unit: '%', baseline: { label: `RSS at minute ${base.length}`, value: warm.rss_mb, unit: 'MB' },
      goal: 'no growth over 10 % after warm-up', pass: growth(warm.rss_mb, end.rss_mb) <= 10, note: `RSS at the end ${end.rss_mb.toFixed(1)} MB`,
    },
    {
      name: `heap growth, minute ${base.length} -> minute ${ms.length}`, value: growth(warm.heap_mb, end.heap_mb), unit: '%', baseline: { label: `heap at minute ${base.length}`, value: warm.heap_mb, unit: 'MB' },
      goal: 'no growth over 10 % after warm-up', pass: growth(warm.heap_mb, end.heap_mb) <= 10, note: `heap used at the end ${end.heap_mb.toFixed(1)} MB`,
    },
    perMin('executor period-error p99 (worst report)', (m) => m.exec_p99_us, 'us'),
    perMin('link retransmits (all nodes)', (m) => m.retransmits, 'frames'),
    perMin('link watchdog trips', (m) => m.trips, 'trips'),
    perMin('log bytes', (m) => m.log_bytes / 1024, 'KiB'),
    { name: 'log written per hour at the default report interval (2 s)', value: logMBh, unit: 'MB/h', goal: 'at most a few MB an hour (<= 5)', pass: logMBh <= 5 },
    perMin('viewer MQTT messages', (m) => m.viewer_msgs, 'msgs'),
    {
      name: `livelock minutes (>= ${LIVELOCK_TASKS} tasks, none placed)`, value: livelocks, unit: 'min', baseline: { label: 'minutes run', value: ms.length },
      goal: 'zero livelocks', pass: livelocks === 0, note: `dashboard answered ${ms.filter((m) => m.dashboard_ok).length}/${ms.length} per-minute fetches`,
    },
  ];
}
