// The MQTT topic tree under ganglion/<robot>/... and a zod schema for every payload: the single source for the bridge, the dashboard and MQTT planners.
import { z } from 'zod';
import { zodIssue } from '../util/zod-issue.ts';

export const TOPIC_ROOT = 'ganglion';
/** Robot ids are one topic level: no wildcards, separators or '$'. */
export const RobotIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'robot id: 1-64 of A-Z a-z 0-9 _ -');
/** Largest command payload the bridge will parse [bytes]; bigger ones get an error reply and change nothing. */
export const MAX_COMMAND_BYTES = 16 * 1024;

/** Commands into the robot (QoS 1, answered on the MQTT 5 response topic with the correlation data echoed). */
export const COMMANDS = ['action', 'cancel', 'correction', 'estop', 'clear', 'teleop', 'teleop_release', 'arm', 'disarm', 'recording'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Which role may publish which command. viewer publishes nothing. The ACL (embedded and mosquitto) is generated from this. */
export const ROLES = ['viewer', 'operator', 'planner', 'robot'] as const;
export type Role = (typeof ROLES)[number];
export const ROLE_COMMANDS: Record<Role, readonly CommandName[]> = {
  viewer: [],
  operator: COMMANDS,
  planner: ['action', 'cancel', 'correction'],
  robot: [],
};

/** Topic builders. `+` works as the robot id for subscriptions across robots. */
export const topics = (robot: string) => {
  const base = `${TOPIC_ROOT}/${robot}`;
  return {
    base,
    /** Retained; the Last Will sets online=false when the runtime's connection dies. */
    status: `${base}/status`,
    /** Retained RobotSnapshot-like state, republished on change and every second. */
    state: `${base}/state`,
    /** QoS 0, per MCU node, decimated (default 50 Hz). */
    telemetry: (node: string) => `${base}/telemetry/${node}`,
    telemetryAll: `${base}/telemetry/+`,
    /** QoS 0: executor cadence (every stats period). */
    cadence: `${base}/cadence`,
    /** QoS 0, 1 Hz: per-node link health. */
    link: `${base}/link`,
    /** QoS 1: events, faults, and error replies to malformed input. */
    events: `${base}/events`,
    /** QoS 1: skill run status and progress. */
    skillStatus: `${base}/skill/status`,
    /** Retained: the skill list with affordances in the current state. */
    skills: `${base}/skills`,
    /** Retained, on change and every second while a recorder is attached: episode, phase, time left. */
    recording: `${base}/recording`,
    cmd: (c: CommandName) => `${base}/cmd/${c}`,
    cmdAll: `${base}/cmd/+`,
  };
};

/** Clients ask for replies here (response topic). It never overlaps a command topic, so a reply can never act as one. */
export const replyTopic = (username: string, id: string) => `${TOPIC_ROOT}/_reply/${username}/${id}`;
export const REPLY_PREFIX = `${TOPIC_ROOT}/_reply/`;

const finite = z.number().finite();
const jointMap = z.record(z.string().max(64), finite);

// ---------------------------------------------------------------- out of the robot

export const StatusPayload = z.strictObject({
  online: z.boolean(),
  robot: RobotIdSchema,
  /** [ms] Date.now() when published (for the Last Will: when the runtime connected). */
  at_ms: finite,
  version: z.string(),
});
export type StatusPayload = z.infer<typeof StatusPayload>;

export const StatePayload = z.strictObject({
  robot: RobotIdSchema,
  at_ms: finite,
  mode: z.enum(['idle', 'skill', 'teleop', 'estop']),
  estop: z.strictObject({ latched: z.boolean(), reason: z.string().nullable() }),
  /** Joints whose stall latch turned torque off (cleared with cmd/clear). */
  stalled: z.array(z.strictObject({ joint: z.string(), reason: z.string() })).max(64).default([]),
  armed: z.record(z.string(), z.boolean()),
  base: z.strictObject({ x_m: finite, y_m: finite, heading_rad: finite }),
  joints: z.record(z.string(), z.strictObject({ position_rad: finite, velocity_radps: finite })),
  setpoints: jointMap,
  held_id: z.string().nullable(),
  objects: z
    .array(z.strictObject({ id: z.string(), label: z.string(), kind: z.enum(['block', 'bin', 'other']).optional(), x_m: finite, y_m: finite, size_m: finite.optional() }))
    .max(256),
  active_skill: z
    .strictObject({ request_id: z.string().nullable(), skill: z.string(), args: z.unknown(), elapsed_s: finite, progress: finite.nullable() })
    .nullable(),
  task: z.string().nullable(),
  recent_failures: z.array(z.strictObject({ skill: z.string(), state: z.string(), reason: z.string() })).max(16),
});
export type StatePayload = z.infer<typeof StatePayload>;

export const TelemetryPayload = z.strictObject({
  robot: RobotIdSchema,
  node: z.string(),
  /** [ms] Date.now() when the bridge published; mcu_time_us is the MCU's own clock. */
  at_ms: finite,
  /** [ms] performance.timeOrigin + receivedAtMs: when the frame reached the host (end-to-end latency measurements). */
  received_at_ms: finite,
  counter: z.number().int(),
  mcu_time_us: z.number().int(),
  /** Joints on this node: measured position/velocity, the setpoint last sent, tracking error (setpoint - position). */
  joints: z.record(
    z.string(),
    z.strictObject({ position_rad: finite, velocity_radps: finite, setpoint: finite.nullable(), error: finite.nullable() }),
  ),
  counts: z.array(z.number().int()),
  vel_cps: z.array(finite),
  out_permille: z.array(finite),
  analog: z.array(finite),
  faults: z.array(z.string()),
  /** Frames since the previous publish (decimation factor actually applied). */
  frames: z.number().int(),
});
export type TelemetryPayload = z.infer<typeof TelemetryPayload>;

export const CadencePayload = z.strictObject({
  robot: RobotIdSchema,
  at_ms: finite,
  target_hz: finite,
  achieved_hz: finite,
  ticks: z.number().int(),
  over_budget: z.number().int(),
  missed: z.number().int(),
  period_error_p50_us: finite,
  period_error_p99_us: finite,
  period_error_max_us: finite,
  tick_p50_us: finite,
  tick_p99_us: finite,
  tick_max_us: finite,
  /** LeRobot-style one-liner. */
  line: z.string(),
  clamps: z.record(z.string(), z.number().int()),
});
export type CadencePayload = z.infer<typeof CadencePayload>;

export const LinkPayload = z.strictObject({
  robot: RobotIdSchema,
  at_ms: finite,
  nodes: z.record(
    z.string(),
    z.strictObject({
      state: z.string(),
      armed: z.boolean(),
      watchdog_tripped: z.boolean(),
      faults: z.array(z.string()),
      rtt_ms: finite.nullable(),
      rtt_p99_ms: finite.nullable(),
      retransmits: z.number().int(),
      crc_errors: z.number().int(),
      telemetry_lost: z.number().int(),
      reconnects: z.number().int(),
      /** ganglion: Ganglion's firmware; firmata: StandardFirmata, no board watchdog (see warning). */
      board_kind: z.enum(['ganglion', 'firmata']),
      warning: z.string().max(1000).optional(),
    }),
  ),
});
export type LinkPayload = z.infer<typeof LinkPayload>;

export const EventPayload = z.strictObject({
  robot: RobotIdSchema,
  at_ms: finite,
  level: z.enum(['info', 'warn', 'error']),
  /** estop, clear, stall, fault, link, skill, correction, command_error, bridge, ... */
  kind: z.string().max(64),
  text: z.string().max(2000),
  /** The offending topic, for command errors. */
  topic: z.string().max(512).optional(),
});
export type EventPayload = z.infer<typeof EventPayload>;

export const SkillStatusPayload = z.strictObject({
  robot: RobotIdSchema,
  at_ms: finite,
  request_id: z.string().nullable(),
  skill: z.string(),
  state: z.enum(['running', 'done', 'failed', 'timeout', 'cancelled']),
  reason: z.string().optional(),
  elapsed_s: finite,
  /** 0..1 when the skill can tell, else null. */
  progress: finite.nullable(),
});
export type SkillStatusPayload = z.infer<typeof SkillStatusPayload>;

export const SkillsPayload = z.strictObject({
  robot: RobotIdSchema,
  at_ms: finite,
  skills: z.array(
    z.strictObject({
      name: z.string(),
      description: z.string(),
      args_schema: z.unknown(),
      affordance: z.strictObject({ value: finite, reason: z.string().optional() }).nullable(),
    }),
  ),
});
export type SkillsPayload = z.infer<typeof SkillsPayload>;

export const RecordingPayload = z.strictObject({
  robot: RobotIdSchema,
  at_ms: finite,
  /** episode: recording one; reset: the pause between episodes (start begins the next at once); done: finished. */
  phase: z.enum(['episode', 'reset', 'done']),
  /** The episode being recorded (0-based), or null outside one. */
  episode: z.number().int().nonnegative().nullable(),
  episodes: z.number().int().positive(),
  kept: z.number().int().nonnegative(),
  /** [s] until the episode (or reset) ends; null when not timed. */
  time_left_s: finite.nullable(),
  task: z.string().max(2000),
  file: z.string().max(4096),
});
export type RecordingPayload = z.infer<typeof RecordingPayload>;

// ---------------------------------------------------------------- into the robot

const Name = z.string().min(1).max(64).regex(/^[a-z_][a-z0-9_]*$/, 'a skill name: lower_snake_case');

/**
 * Every command carries an id (unique per command: a repeated id is a replay and is refused) and the sender's
 * Date.now() when it was sent (older than the bridge's freshness window, or as far in the future: refused).
 */
const META = {
  id: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'id: 1-128 of A-Z a-z 0-9 _ . : -'),
  at_ms: finite,
};
export type CommandMeta = { id: string; at_ms: number };

export const CommandPayloads = {
  /** A macro action: one skill with its args (validated again by the skill's own schema). The reply comes when it ends. */
  action: z.strictObject({ ...META, skill: Name, args: z.record(z.string(), z.unknown()).default({}), task: z.string().max(2000).optional() }),
  cancel: z.strictObject({ ...META, reason: z.string().max(200).default('cancelled over MQTT') }),
  correction: z.strictObject({ ...META, phrase: z.string().min(1).max(500) }),
  estop: z.strictObject({ ...META, reason: z.string().max(200).default('e-stop over MQTT') }),
  clear: z.strictObject({ ...META }),
  /** Joint-space teleop setpoints; each message is also the operator's heartbeat (silence > 250 ms stops the robot). */
  teleop: z
    .strictObject({ ...META, position_rad: jointMap.optional(), velocity_radps: jointMap.optional(), deadman: z.literal(true) })
    .refine((t) => t.position_rad || t.velocity_radps, 'teleop needs position_rad or velocity_radps'),
  teleop_release: z.strictObject({ ...META }),
  arm: z.strictObject({ ...META }),
  disarm: z.strictObject({ ...META }),
  /** Operator control of a running recorder: start the next episode now (ends the reset), stop this one and keep it, or discard it (re-record). */
  recording: z.strictObject({ ...META, action: z.enum(['start', 'stop', 'discard']) }),
} as const satisfies Record<CommandName, z.ZodType>;

/** A fresh command id: 16 random bytes in hex (getRandomValues also works on a page served over plain http). */
export function newCommandId(): string {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The payload with a new id and the sender's clock: what every command publisher sends. */
export function stampCommand<P extends object>(payload: P, id: string = newCommandId(), now_ms: number = Date.now()): P & CommandMeta {
  return { ...payload, id, at_ms: now_ms };
}

/** Every command gets exactly one reply on its response topic (when it gave one). */
export const ReplyPayload = z.strictObject({
  ok: z.boolean(),
  command: z.string(),
  /** Why it was refused, in one sentence naming the field. */
  error: z.string().optional(),
  /** action: the final skill status; correction: the parsed correction. */
  result: z.unknown().optional(),
});
export type ReplyPayload = z.infer<typeof ReplyPayload>;

/** Parse a command payload (raw bytes) into its typed form, or an error naming the field. Never throws. */
export function parseCommandPayload<C extends CommandName>(
  command: C,
  raw: Buffer | Uint8Array,
): { ok: true; value: z.output<(typeof CommandPayloads)[C]> } | { ok: false; error: string } {
  if (raw.length > MAX_COMMAND_BYTES) return { ok: false, error: `${command}: payload is ${raw.length} bytes; the limit is ${MAX_COMMAND_BYTES}` };
  let json: unknown;
  try {
    json = raw.length === 0 ? {} : JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch (e) {
    return { ok: false, error: `${command}: payload is not JSON (${(e as Error).message})` };
  }
  const r = (CommandPayloads[command] as z.ZodType).safeParse(json);
  if (!r.success) {
    return { ok: false, error: `${command}: ${zodIssue(r.error)}` };
  }
  return { ok: true, value: r.data as z.output<(typeof CommandPayloads)[C]> };
}
