// A scripted robot on the broker for fast page tests: publishes schema-valid status/state/telemetry/link/cadence/skills, answers commands on their response topic, records what it was sent.
import mqtt, { type MqttClient } from 'mqtt';
import {
  CadencePayload, LinkPayload, parseCommandPayload, SkillsPayload, StatePayload, StatusPayload, TelemetryPayload, topics, type CommandName, COMMANDS,
} from '../../../host/bridge/topics.ts';

export interface ReceivedCommand {
  name: CommandName;
  payload: unknown;
  at_ms: number;
  hadResponseTopic: boolean;
}

const JOINTS = { arm: ['shoulder', 'elbow', 'gripper'], base: ['wheel_left', 'wheel_right'] } as const;

export class FakeRobot {
  readonly commands: ReceivedCommand[] = [];
  private client!: MqttClient;
  private timers: NodeJS.Timeout[] = [];
  private counter = 0;
  private estop: { latched: boolean; reason: string | null } = { latched: false, reason: null };
  private t0 = performance.now();

  constructor(readonly id: string) {}

  async start(url: string, username: string, password: string, telemetry_hz = 50): Promise<void> {
    const t = topics(this.id);
    this.client = await mqtt.connectAsync(url, {
      username, password, protocolVersion: 5, clientId: `fake-${this.id}`, reconnectPeriod: 0,
      will: { topic: t.status, payload: Buffer.from(JSON.stringify(StatusPayload.parse({ online: false, robot: this.id, at_ms: Date.now(), version: 'fake' }))), qos: 1, retain: true },
    });
    await this.client.subscribeAsync(t.cmdAll, { qos: 1 });
    this.client.on('message', (topic, raw, packet) => this.onCommand(topic, raw, packet.properties));
    await this.publish(t.status, StatusPayload.parse({ online: true, robot: this.id, at_ms: Date.now(), version: 'fake 1.0' }), true);
    await this.publish(t.skills, SkillsPayload.parse({
      robot: this.id, at_ms: Date.now(),
      skills: [
        { name: 'home', description: 'Moves the arm to its home pose.', args_schema: {}, affordance: { value: 1 } },
        { name: 'grasp', description: 'Closes the gripper on an object in reach.', args_schema: {}, affordance: { value: 0.2, reason: 'nothing in reach' } },
      ],
    }), true);
    this.timers.push(setInterval(() => this.tick(), 1000 / telemetry_hz));
    this.timers.push(setInterval(() => this.slow(), 250));
  }

  /** Timer-driven publishes: one still in flight when stop() ends the client fails with "Connection closed", which is expected then. */
  private publishPeriodic(topic: string, payload: unknown, retain = false, qos: 0 | 1 = 1): void {
    this.publish(topic, payload, retain, qos).catch(() => {});
  }

  private async publish(topic: string, payload: unknown, retain = false, qos: 0 | 1 = 1): Promise<void> {
    await this.client.publishAsync(topic, JSON.stringify(payload), { qos, retain });
  }

  /** Publishes raw bytes on one of the robot's topics (for malformed-payload tests). */
  async raw(topicSuffix: string, bytes: string): Promise<void> {
    await this.client.publishAsync(`${topics(this.id).base}/${topicSuffix}`, bytes, { qos: 1 });
  }

  private tick(): void {
    const s = (performance.now() - this.t0) / 1000;
    const moving = !this.estop.latched;
    for (const [node, joints] of Object.entries(JOINTS)) {
      const js = Object.fromEntries(joints.map((j, i) => {
        const position_rad = moving ? Math.sin(s + i) * 0.5 : 0;
        const setpoint = moving ? Math.sin(s + i + 0.05) * 0.5 : 0;
        return [j, { position_rad, velocity_radps: moving ? Math.cos(s + i) * 0.5 : 0, setpoint, error: setpoint - position_rad }];
      }));
      const now = performance.timeOrigin + performance.now();
      this.publishPeriodic(topics(this.id).telemetry(node), TelemetryPayload.parse({
        robot: this.id, node, at_ms: Date.now(), received_at_ms: now, counter: ++this.counter, mcu_time_us: Math.round(s * 1e6),
        joints: js, counts: [0, 0], vel_cps: [0, 0], out_permille: moving ? [300, -200] : [0, 0], analog: [], faults: [], frames: 10,
      }), false, 0);
    }
  }

  private slow(): void {
    const t = topics(this.id);
    this.publishPeriodic(t.state, StatePayload.parse({
      robot: this.id, at_ms: Date.now(), mode: this.estop.latched ? 'estop' : 'idle', estop: this.estop,
      armed: { base: true, arm: true }, base: { x_m: 0, y_m: 0, heading_rad: 0 }, joints: {}, setpoints: {}, held_id: null, objects: [],
      active_skill: null, task: null, recent_failures: [],
    }), true);
    this.publishPeriodic(t.link, LinkPayload.parse({
      robot: this.id, at_ms: Date.now(),
      nodes: Object.fromEntries(Object.keys(JOINTS).map((n) => [n, {
        state: 'connected', armed: !this.estop.latched, watchdog_tripped: false, faults: [], rtt_ms: 1.2, rtt_p99_ms: 2.5,
        retransmits: 0, crc_errors: 0, telemetry_lost: 0, reconnects: 0, board_kind: 'ganglion',
      }])),
    }), false, 0);
    this.publishPeriodic(t.cadence, CadencePayload.parse({
      robot: this.id, at_ms: Date.now(), target_hz: 500, achieved_hz: 499.8, ticks: 125, over_budget: 0, missed: 0,
      period_error_p50_us: 20, period_error_p99_us: 80, period_error_max_us: 120, tick_p50_us: 30, tick_p99_us: 60, tick_max_us: 90,
      line: '499.80 Hz vs 500 Hz target, 0/125 ticks over budget', clamps: {},
    }), false, 0);
  }

  private onCommand(topic: string, raw: Buffer, props: { responseTopic?: string; correlationData?: Buffer } | undefined): void {
    const name = topic.split('/').at(-1) as CommandName;
    if (!COMMANDS.includes(name)) return;
    const parsed = parseCommandPayload(name, raw);
    this.commands.push({ name, payload: parsed.ok ? parsed.value : raw.toString(), at_ms: Date.now(), hadResponseTopic: !!props?.responseTopic });
    let reply: { ok: boolean; command: string; error?: string; result?: unknown };
    if (!parsed.ok) reply = { ok: false, command: name, error: parsed.error };
    else if (name === 'estop') {
      this.estop = { latched: true, reason: (parsed.value as { reason: string }).reason };
      reply = { ok: true, command: name };
    } else if (name === 'clear') {
      this.estop = { latched: false, reason: null };
      reply = { ok: true, command: name };
    } else if (name === 'correction') {
      const phrase = (parsed.value as { phrase: string }).phrase;
      reply = phrase.includes('left')
        ? { ok: true, command: name, result: { type: 'nudge', frame: 'base', dx_m: 0, dy_m: 0.02 } }
        : { ok: false, command: name, error: `correction: "${phrase}" is not a correction I know; accepted forms: left | right ...` };
    } else reply = { ok: true, command: name };
    if (props?.responseTopic) {
      this.client.publishAsync(props.responseTopic, JSON.stringify(reply), { qos: 1, properties: props.correlationData ? { correlationData: props.correlationData } : {} }).catch(() => {});
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.client?.endAsync(true);
  }
}
