// A robot behind its MQTT bridge as a PlannerRobot: state and skills from the retained topics, macro actions as cmd/action (planner role) answered on the reply topic.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { noDelay } from '../util/mqtt-no-delay.ts';
import { z } from 'zod';
import { CommandPayloads, ReplyPayload, replyTopic, SkillsPayload, SkillStatusPayload, StatePayload, stampCommand, topics } from '../bridge/topics.ts';
import type { RobotEvents, RobotSnapshot, SkillInfo } from '../runtime/control.ts';
import type { Affordance } from '../skills/contract.ts';
import { parseCorrection } from '../skills/corrections.ts';
import type { RobotGeometry } from '../skills/geometry.ts';
import type { Observation } from '../skills/observation.ts';
import { createRegistry, type SkillRegistry } from '../skills/registry.ts';
import type { SkillStatus } from '../skills/status.ts';
import type { PlannerRobot } from './robot.ts';
import { zodIssue } from '../util/zod-issue.ts';

export interface MqttRobotOptions {
  /** mqtt://host:1883, mqtts://, ws://, wss:// */
  url: string;
  robotId: string;
  username: string;
  password: string;
  /** Validates args and computes affordances locally (the same skill code the robot runs). */
  registry?: SkillRegistry;
  /** The robot's geometry (from its robot file), for those local affordances. */
  geometry: RobotGeometry;
  /** [ms] to connect and receive the robot's retained state. */
  connect_timeout_ms?: number;
  /** [ms] longest a macro action may take before its reply is given up on (the robot is then told to cancel). */
  action_timeout_ms?: number;
  ca?: string | Buffer;
}

function parse<T>(schema: z.ZodType<T>, raw: Buffer, what: string): T {
  const r = schema.safeParse(JSON.parse(raw.toString('utf8')));
  if (!r.success) {
    throw new Error(`${what}: ${zodIssue(r.error)}`);
  }
  return r.data;
}

export class MqttPlannerRobot extends EventEmitter<RobotEvents> implements PlannerRobot {
  readonly robotId: string;
  private state: StatePayload | null = null;
  private skillList: SkillsPayload | null = null;
  private task: string | null = null;
  private readonly waiting = new Map<string, (r: ReplyPayload) => void>();
  private readonly t: ReturnType<typeof topics>;
  private readonly replyBase: string;
  private readonly registry: SkillRegistry;

  private constructor(private readonly client: MqttClient, private readonly o: MqttRobotOptions) {
    super();
    this.robotId = o.robotId;
    this.t = topics(o.robotId);
    this.replyBase = replyTopic(o.username, '');
    this.registry = o.registry ?? createRegistry();
    client.on('message', (topic, payload, packet) => {
      try {
        this.onMessage(topic, payload, packet.properties?.correlationData);
      } catch (e) {
        // A malformed message from the broker is reported and dropped: it never becomes state.
        this.emit('notice', { level: 'warn', source: 'planner-mqtt', text: `${topic}: ${(e as Error).message}` });
      }
    });
  }

  static async connect(o: MqttRobotOptions): Promise<MqttPlannerRobot> {
    const client = noDelay(mqtt.connect(o.url, {
      protocolVersion: 5,
      username: o.username,
      password: o.password,
      clientId: `planner-${o.username}-${randomBytes(4).toString('hex')}`,
      reconnectPeriod: 1000,
      connectTimeout: o.connect_timeout_ms ?? 5000,
      ...(o.ca ? { ca: o.ca } : {}),
    }));
    const robot = new MqttPlannerRobot(client, o);
    const t = robot.t;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no connection to ${o.url} within ${o.connect_timeout_ms ?? 5000} ms`)), o.connect_timeout_ms ?? 5000);
        client.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        client.once('error', (e) => {
          clearTimeout(timer);
          reject(new Error(`MQTT ${o.url}: ${e.message}`));
        });
      });
      await client.subscribeAsync([t.state, t.skills, `${robot.replyBase}#`, t.cmd('correction')], { qos: 1 });
      const t0 = performance.now();
      while (!robot.state || !robot.skillList) {
        if (performance.now() - t0 > (o.connect_timeout_ms ?? 5000))
          throw new Error(`robot "${o.robotId}" published no ${robot.state ? 'skills' : 'state'} on ${robot.state ? t.skills : t.state}: is its bridge running?`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } catch (e) {
      await client.endAsync(true).catch(() => undefined);
      throw e;
    }
    return robot;
  }

  private onMessage(topic: string, payload: Buffer, correlation?: Buffer): void {
    if (topic === this.t.state) this.state = parse(StatePayload, payload, 'state');
    else if (topic === this.t.skills) this.skillList = parse(SkillsPayload, payload, 'skills');
    else if (topic.startsWith(this.replyBase)) {
      const id = correlation?.toString('utf8') ?? topic.slice(this.replyBase.length);
      const done = this.waiting.get(id);
      if (done) {
        this.waiting.delete(id);
        done(parse(ReplyPayload, payload, 'reply'));
      }
    } else if (topic === this.t.cmd('correction')) {
      // Another client's correction to this robot: the planner replans and remembers it (if the robot accepts the form).
      const p = parse(CommandPayloads.correction, payload, 'correction');
      let correction;
      try {
        correction = parseCorrection(p.phrase);
      } catch {
        return;
      }
      const s = this.state;
      this.emit('correction', {
        timestamp: new Date().toISOString(),
        phrase: p.phrase,
        correction,
        source: 'mqtt',
        task: this.task,
        skill: s?.active_skill?.skill ?? null,
        state: s ? { base: s.base, held_id: s.held_id } : {},
      });
    }
  }

  private async command(name: 'action' | 'cancel', payload: object, timeout_ms: number): Promise<ReplyPayload> {
    const id = randomBytes(8).toString('hex');
    const reply = new Promise<ReplyPayload>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no reply to ${name} within ${timeout_ms} ms`));
      }, timeout_ms);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    // The reply id doubles as the command id (fresh per command), with the clock: the bridge refuses replays and stale ones.
    await this.client.publishAsync(this.t.cmd(name), JSON.stringify(stampCommand(payload, id)), {
      qos: 1,
      properties: { responseTopic: replyTopic(this.o.username, id), correlationData: Buffer.from(id, 'utf8') },
    });
    return reply;
  }

  async runSkill(name: string, args: unknown): Promise<SkillStatus> {
    const timeout = this.o.action_timeout_ms ?? 600_000;
    let r: ReplyPayload;
    try {
      r = await this.command('action', { skill: name, args: args ?? {}, ...(this.task ? { task: this.task } : {}) }, timeout);
    } catch (e) {
      await this.cancel(`no reply from the robot: ${(e as Error).message}`).catch(() => undefined);
      throw e;
    }
    const s = r.result === undefined ? null : SkillStatusPayload.safeParse(r.result);
    if (!s?.success) throw new Error(r.error ?? `${name}: the robot replied without a status`);
    const st = s.data;
    return { type: 'skill_status', run_id: 0, request_id: st.request_id, skill: st.skill, state: st.state, ...(st.reason ? { reason: st.reason } : {}), elapsed_s: st.elapsed_s, progress: st.progress, tick: 0 };
  }

  async cancel(reason: string): Promise<void> {
    const r = await this.command('cancel', { reason: reason.slice(0, 200) }, 5000);
    if (!r.ok) throw new Error(r.error ?? 'cancel refused');
  }

  setTask(task: string | null): void {
    this.task = task;
  }

  private observation(): Observation {
    const s = this.state!;
    return {
      base: { ...s.base },
      joints: Object.fromEntries(Object.entries(s.joints).map(([k, v]) => [k, { ...v }])),
      // A robot whose bridge predates kind/size on the state topic: the bin is the object called "bin".
      objects: s.objects.map((o) => ({
        id: o.id, label: o.label, kind: o.kind ?? (o.id === 'bin' || o.label === 'bin' ? 'bin' : 'block'), x_m: o.x_m, y_m: o.y_m,
        ...(o.size_m !== undefined ? { size_m: o.size_m } : {}),
      })),
      held_id: s.held_id,
    };
  }

  snapshot(): RobotSnapshot {
    const s = this.state;
    if (!s) throw new Error(`no state from robot "${this.robotId}" yet`);
    return {
      robot: s.robot,
      at_ms: s.at_ms,
      mode: s.mode,
      estop: s.estop,
      stalled: s.stalled,
      armed: s.armed,
      observation: this.observation(),
      setpoints: s.setpoints,
      active_skill: s.active_skill,
      task: s.task ?? this.task,
      recent_failures: s.recent_failures,
    };
  }

  /**
   * The robot's skills, with affordances computed here by the same skill code on the state the robot
   * published (the skills topic only has them for the args the robot itself chose). The robot's runner
   * checks again before anything moves.
   */
  skills(argsBySkill: Record<string, unknown> = {}): SkillInfo[] {
    const list = this.skillList?.skills ?? [];
    const obs = this.state ? this.observation() : null;
    return list.map((info) => {
      let affordance: Affordance | null = info.affordance;
      const args = argsBySkill[info.name];
      if (obs && this.registry.has(info.name) && args !== undefined) {
        const skill = this.registry.get(info.name);
        const parsed = skill.args.safeParse(args);
        if (!parsed.success) affordance = { value: 0, reason: `bad args: ${parsed.error.issues[0]?.message ?? ''}` };
        else {
          const failed = skill.preconditions.find((p) => !p.holds(obs, parsed.data));
          affordance = failed ? { value: 0, reason: `precondition failed: ${failed.text}` } : skill.affordance(obs, parsed.data, this.o.geometry);
        }
      }
      return { name: info.name, description: info.description, args_schema: info.args_schema, affordance };
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
