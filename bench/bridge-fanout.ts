// Benchmark (issue 5): telemetry fan-out through the embedded broker (aedes + MQTT 5 front) and a real mosquitto side by side, and what the bridge costs the robot's main thread against the 500 Hz loop budget.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { startEmbeddedBroker } from '../host/bridge/broker.ts';
import { startBridge } from '../host/bridge/bridge.ts';
import { writeMosquittoConfig } from '../host/bridge/mosquitto.ts';
import { makeUser } from '../host/bridge/users.ts';
import { writeFileAtomic } from '../host/util/atomic-write.ts';
import { startSimRobot } from '../host/runtime/sim-robot.ts';
import type { Figure } from './report.ts';

const SUBSCRIBERS = 4;
const MESSAGES = 20_000;
const LOOP_HZ = 500;
const pw = { robot: 'bench-robot-pw', view: 'bench-viewer-pw' };

/** A telemetry-sized payload (~560 bytes of JSON, like one node's TelemetryPayload). */
const PAYLOAD = Buffer.from(JSON.stringify({
  robot: 'bench', node: 'arm', at_ms: Date.now(), received_at_ms: Date.now(), counter: 12345, mcu_time_us: 123456789,
  joints: Object.fromEntries(['shoulder', 'elbow', 'gripper'].map((j) => [j, { position_rad: 0.123456, velocity_radps: -0.0123, setpoint: 0.125, error: 0.0015 }])),
  counts: [1234, -5678, 0, 0], vel_cps: [12.5, -3.25, 0, 0], out_permille: [120, -80, 0, 0], analog: [512, 0, 0, 0], faults: [], frames: 10,
}));

interface Fanout { rate: number; lost: number }

/** One publisher, SUBSCRIBERS subscribers, QoS 0: delivered messages per second until the last one arrives. */
async function fanout(connect: (i: number) => Promise<MqttClient>, pubConnect: () => Promise<MqttClient>): Promise<Fanout> {
  const subs = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => connect(i)));
  const pub = await pubConnect();
  try {
    let received = 0;
    const target = MESSAGES * SUBSCRIBERS;
    let finish!: () => void;
    const all = new Promise<void>((r) => (finish = r));
    for (const s of subs) {
      s.on('message', () => {
        if (++received === target) finish();
      });
      await s.subscribeAsync('ganglion/bench/telemetry/+', { qos: 0 });
    }
    const t0 = performance.now();
    for (let i = 0; i < MESSAGES; i++) {
      pub.publish('ganglion/bench/telemetry/arm', PAYLOAD, { qos: 0 });
      // Yield now and then so delivery runs alongside (the broker shares this thread when embedded).
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    let last = performance.now();
    let seen = -1;
    // Wait for everything, or until deliveries stop for a second (QoS 0 may be dropped).
    while (received < target && (received !== seen || performance.now() - last < 1000)) {
      if (received !== seen) {
        seen = received;
        last = performance.now();
      }
      await Promise.race([all, new Promise((r) => setTimeout(r, 50))]);
    }
    const elapsed_s = ((received === target ? performance.now() : last) - t0) / 1000;
    return { rate: received / elapsed_s, lost: target - received };
  } finally {
    await Promise.all([...subs, pub].map((c) => c.endAsync(true)));
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function waitPort(port: number, timeout_ms: number): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const c = netConnect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), res(true)));
      c.once('error', () => res(false));
    });
    if (ok) return;
    if (performance.now() - t0 > timeout_ms) throw new Error(`mosquitto did not open port ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const v5 = (url: string, username?: string, password?: string) => () =>
  mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, ...(username ? { username, password } : {}) });

export async function run(): Promise<Figure[]> {
  // One viewer account per subscriber: mosquitto's generated config takes the username as the client id, so
  // subscribers sharing an account would take each other's sessions over.
  const viewers = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => makeUser(`view${i}`, 'viewer', pw.view)));
  const users = { version: 1 as const, users: [await makeUser('robot', 'robot', pw.robot, { robots: ['bench'] }), await makeUser('view', 'viewer', pw.view), ...viewers] };
  const viewer = (url: string) => (i: number) => v5(url, `view${i}`, pw.view)();
  const figures: Figure[] = [];

  // Raw aedes (no auth, no MQTT 5 front, 3.1.1 clients): the floor the front adds to.
  const raw = await Aedes.createBroker();
  const rawServer = createServer(raw.handle);
  await new Promise<void>((r) => rawServer.listen(0, '127.0.0.1', r));
  const rawUrl = `mqtt://127.0.0.1:${(rawServer.address() as AddressInfo).port}`;
  const raw4 = () => mqtt.connectAsync(rawUrl, { protocolVersion: 4, reconnectPeriod: 0 });
  const rawResult = await fanout(raw4, raw4);
  await new Promise<void>((r) => rawServer.close(() => r()));
  await new Promise<void>((r) => raw.close(() => r()));

  const embedded = await startEmbeddedBroker({ users, ws_port: null });
  const emb = await fanout(viewer(embedded.tcpUrl), v5(embedded.tcpUrl, 'robot', pw.robot));
  await embedded.close();

  // mosquitto twice, each in its own process: raw (anonymous, no ACL, MQTT 3.1.1 clients: the floor) and with the
  // generated config the robot deploys (passwd + ACL, MQTT 5 clients with accounts).
  const dir = mkdtempSync(join(tmpdir(), 'ganglion-bench-'));
  const asRoot = userInfo().uid === 0;
  const withMosquitto = async (conf: string, port: number, go: (url: string) => Promise<Fanout>): Promise<Fanout> => {
    const mosq = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
    try {
      await waitPort(port, 5000);
      return await go(`mqtt://127.0.0.1:${port}`);
    } finally {
      if (mosq.exitCode === null && mosq.signalCode === null) {
        const exited = new Promise((r) => mosq.once('exit', r));
        mosq.kill('SIGTERM');
        await exited;
      }
    }
  };
  let mos: Fanout;
  let rawMos: Fanout;
  try {
    const rawPort = await freePort();
    const rawConf = join(dir, 'raw.conf');
    writeFileAtomic(rawConf, [`listener ${rawPort} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ...(asRoot ? ['user root'] : [])].join('\n') + '\n');
    rawMos = await withMosquitto(rawConf, rawPort, (url) => {
      const c = () => mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
      return fanout(c, c);
    });
    const port = await freePort();
    const files = writeMosquittoConfig(dir, users, { tcp_port: port, ws_port: null, ...(asRoot ? { run_as_user: 'root' } : {}) });
    mos = await withMosquitto(files.conf, port, (url) => fanout(viewer(url), v5(url, 'robot', pw.robot)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const loss = (f: Fanout) => (f.lost ? `; ${f.lost} of ${MESSAGES * SUBSCRIBERS} QoS 0 messages dropped` : '; none lost');
  const ofRaw = (f: Fanout, raw: Fanout) => `${((100 * f.rate) / raw.rate).toFixed(0)} % of the raw broker`;
  figures.push({
    name: `telemetry fan-out, embedded aedes + MQTT 5 front (auth, ACL), 1 publisher -> ${SUBSCRIBERS} subscribers, ${PAYLOAD.length} B, QoS 0`,
    value: emb.rate, unit: 'msg/s',
    baseline: { label: 'raw aedes, MQTT 3.1.1, no auth/ACL/front (same run)', value: rawResult.rate },
    goal: '>= 80 % of the raw broker', pass: emb.rate >= 0.8 * rawResult.rate,
    note: `${ofRaw(emb, rawResult)}; publisher, subscribers and broker share one Node thread here (as in ganglion run)${loss(emb)}`,
  });
  figures.push({
    name: `telemetry fan-out, mosquitto (generated config: passwd + ACL, MQTT 5 accounts), same load`,
    value: mos.rate, unit: 'msg/s',
    baseline: { label: 'raw mosquitto, anonymous, no ACL, MQTT 3.1.1 (same run)', value: rawMos.rate },
    goal: '>= 80 % of the raw broker', pass: mos.rate >= 0.8 * rawMos.rate,
    note: `${ofRaw(mos, rawMos)}; mosquitto runs in its own process, the clients in this one${loss(mos)}; raw mosquitto${loss(rawMos)}`,
  });

  // The bridge on the real runtime: time spent in its handlers (payloads, snapshots, mqtt.js publish) per second.
  const sim = await startSimRobot({ firmware: 'posix', robot_id: 'bench', rate_hz: LOOP_HZ });
  const broker = await startEmbeddedBroker({ users, ws_port: null });
  try {
    let tickP50_us = NaN;
    sim.runtime.on('loop_stats', (m) => (tickP50_us = m.cadence.tick_p50_us));
    const bridge = await startBridge({ robot: sim.runtime, url: broker.tcpUrl, username: 'robot', password: pw.robot, telemetry_hz: 50 });
    const viewer = await mqtt.connectAsync(broker.tcpUrl, { protocolVersion: 5, username: 'view', password: pw.view });
    let delivered = 0;
    viewer.on('message', () => delivered++);
    await viewer.subscribeAsync('ganglion/bench/#', { qos: 0 });
    await new Promise((r) => setTimeout(r, 1000)); // warm-up: retained, first skills list
    const s0 = bridge.stats();
    const d0 = delivered;
    const t0 = performance.now();
    const elu0 = performance.eventLoopUtilization();
    await new Promise((r) => setTimeout(r, 5000));
    const elu = performance.eventLoopUtilization(elu0);
    const wall_ms = performance.now() - t0;
    const s1 = bridge.stats();
    const busyPerS = ((s1.busy_ms - s0.busy_ms) / wall_ms) * 1000;
    await viewer.endAsync(true);
    await bridge.stop();
    const loopOwnPct = (tickP50_us * LOOP_HZ) / 1e4;
    figures.push({
      name: `bridge publish path (telemetry 50 Hz x 3 nodes, state, cadence, link, skills): main-thread time per second`,
      value: (busyPerS / 1000) * 100, unit: '% of the loop budget',
      baseline: { label: `the ${LOOP_HZ} Hz loop's own tick time (p50 x rate)`, value: loopOwnPct },
      goal: '< 5 %', pass: busyPerS / 1000 < 0.05,
      note: `${busyPerS.toFixed(1)} ms/s = ${((busyPerS * 1000) / LOOP_HZ).toFixed(1)} us per 2 ms period, on the main thread (the loop runs in its own worker); ` +
        `${((s1.published.telemetry - s0.published.telemetry) / (wall_ms / 1000)).toFixed(0)} telemetry msg/s; ` +
        `main thread busy ${(elu.utilization * 100).toFixed(1)} % overall (runtime + bridge + embedded broker + ${((delivered - d0) / (wall_ms / 1000)).toFixed(0)} msg/s to a subscriber)`,
    });
  } finally {
    await broker.close();
    await sim.stop();
  }
  return figures;
}
