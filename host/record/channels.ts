// The recording's MCAP channels: topic, schema name and JSON Schema for each (Foxglove's well-known schemas where one fits), and how a sample becomes their messages.
import type { Sample } from './sample.ts';

const time = {
  type: 'object',
  title: 'time',
  properties: { sec: { type: 'integer', minimum: 0 }, nsec: { type: 'integer', minimum: 0, maximum: 999999999 } },
} as const;
const numbers = { type: 'array', items: { type: 'number' } } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;
const vector3 = { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' }, z: { type: 'number' } } } as const;
const quaternion = { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' }, z: { type: 'number' }, w: { type: 'number' } } } as const;
const jointMap = { type: 'object', additionalProperties: { type: 'number' } } as const;

export interface ChannelSpec {
  topic: string;
  schemaName: string;
  schema: object;
}

/** Data, not branches: one row per channel. Names with "foxglove." are Foxglove's own schemas, field for field. */
export const CHANNELS = {
  joints: {
    topic: '/observation/joint_states', schemaName: 'ganglion.JointState',
    schema: { title: 'ganglion.JointState', description: 'Joint readings (as sensor_msgs/JointState): rad, rad/s', type: 'object',
      properties: { timestamp: time, name: strings, position: numbers, velocity: numbers } },
  },
  base: {
    topic: '/observation/base_pose', schemaName: 'foxglove.PoseInFrame',
    schema: { title: 'foxglove.PoseInFrame', description: 'A timestamped pose for an object or reference frame in 3D space', type: 'object',
      properties: { timestamp: time, frame_id: { type: 'string' }, pose: { type: 'object', properties: { position: vector3, orientation: quaternion } } } },
  },
  objects: {
    topic: '/observation/objects', schemaName: 'ganglion.PerceivedObjects',
    schema: { title: 'ganglion.PerceivedObjects', description: 'World objects as perceived (m, world frame) and the held one', type: 'object',
      properties: { timestamp: time, held_id: { type: ['string', 'null'] },
        objects: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, label: { type: 'string' }, kind: { type: 'string' }, x_m: { type: 'number' }, y_m: { type: 'number' }, size_m: { type: 'number' } } } } } },
  },
  goal: {
    topic: '/observation/goal', schemaName: 'ganglion.Goal',
    schema: { title: 'ganglion.Goal', description: 'The episode\'s goal as the demonstrator was given it: a world point (m) to reach', type: 'object',
      properties: { timestamp: time, frame_id: { type: 'string' }, x_m: { type: 'number' }, y_m: { type: 'number' } } },
  },
  action: {
    topic: '/action', schemaName: 'ganglion.JointCommand',
    schema: { title: 'ganglion.JointCommand', description: 'What the safety envelope let through: rad (position joints), rad/s (velocity joints)', type: 'object',
      properties: { timestamp: time, name: strings, value: numbers } },
  },
  teleop: {
    topic: '/teleop/command', schemaName: 'ganglion.TeleopCommand',
    schema: { title: 'ganglion.TeleopCommand', description: 'The raw teleop command, before the envelope', type: 'object',
      properties: { timestamp: time, operator: { type: 'string' }, position_rad: jointMap, velocity_radps: jointMap } },
  },
  control: {
    topic: '/control', schemaName: 'ganglion.Control',
    schema: { title: 'ganglion.Control', description: 'Who had control (idle, policy, skill, teleop), the active skill and its args; intervention = teleop while a skill or policy was running', type: 'object',
      properties: { timestamp: time, source: { type: 'string', enum: ['idle', 'policy', 'skill', 'teleop', 'estop'] }, intervention: { type: 'boolean' },
        skill: { type: ['string', 'null'] }, args: {} } },
  },
  correction: {
    topic: '/corrections', schemaName: 'ganglion.Correction',
    schema: { title: 'ganglion.Correction', description: 'A language correction applied to the running skill', type: 'object',
      properties: { timestamp: time, phrase: { type: 'string' }, source: { type: 'string' }, skill: { type: ['string', 'null'] }, correction: {} } },
  },
  events: {
    topic: '/events', schemaName: 'foxglove.Log',
    schema: { title: 'foxglove.Log', description: 'A log message', type: 'object',
      properties: { timestamp: time, level: { type: 'integer', enum: [0, 1, 2, 3, 4, 5] }, message: { type: 'string' }, name: { type: 'string' }, file: { type: 'string' }, line: { type: 'integer', minimum: 0 } } },
  },
  episode: {
    topic: '/episode', schemaName: 'ganglion.Episode',
    schema: { title: 'ganglion.Episode', description: 'Episode marks: start, end (kept) or discard (re-recorded)', type: 'object',
      properties: { timestamp: time, index: { type: 'integer' }, mark: { type: 'string', enum: ['start', 'end', 'discard'] }, task: { type: 'string' } } },
  },
} as const satisfies Record<string, ChannelSpec>;

export type ChannelKey = keyof typeof CHANNELS;

/** foxglove.Log levels. */
export const LOG_LEVEL = { debug: 1, info: 2, warn: 3, error: 4, fatal: 5 } as const;

export function stamp(t_ns: bigint): { sec: number; nsec: number } {
  return { sec: Number(t_ns / 1_000_000_000n), nsec: Number(t_ns % 1_000_000_000n) };
}

export function unstamp(t: { sec: number; nsec: number }): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
}

/** A sample's messages as encoded JSON text, by channel (teleop only when someone drove). */
export type EncodedMessage = [ChannelKey, string];

/**
 * The messages one sample becomes, as JSON text. The joint-vector messages are built from templates (the names'
 * JSON once per session, numbers joined): at 1 kHz x 20 joints JSON.stringify's object walk was most of the
 * recorder's cost. Numbers are finite here (checkSample ran), so String(number) is their JSON form.
 * `intervention` is the recorder's call (see Recorder).
 */
export function encodeSample(s: Sample, namesJson: string, intervention: boolean): EncodedMessage[] {
  const ts = `{"sec":${Number(s.taken_ns / 1_000_000_000n)},"nsec":${Number(s.taken_ns % 1_000_000_000n)}}`;
  const h = s.base.heading_rad / 2;
  const out: EncodedMessage[] = [
    ['joints', `{"timestamp":${ts},"name":${namesJson},"position":[${s.position_rad.join(',')}],"velocity":[${s.velocity_radps.join(',')}]}`],
    ['base', `{"timestamp":${ts},"frame_id":"world","pose":{"position":{"x":${s.base.x_m},"y":${s.base.y_m},"z":0},"orientation":{"x":0,"y":0,"z":${Math.sin(h)},"w":${Math.cos(h)}}}}`],
    ['objects', `{"timestamp":${ts},"held_id":${JSON.stringify(s.held_id)},"objects":${JSON.stringify(s.objects)}}`],
    ['action', `{"timestamp":${ts},"name":${namesJson},"value":[${s.action.join(',')}]}`],
    ['control', `{"timestamp":${ts},"source":"${s.control}","intervention":${intervention},"skill":${JSON.stringify(s.skill?.name ?? null)},"args":${JSON.stringify(s.skill?.args ?? null) ?? 'null'}}`],
  ];
  if (s.goal) out.push(['goal', `{"timestamp":${ts},"frame_id":"world","x_m":${s.goal.x_m},"y_m":${s.goal.y_m}}`]);
  if (s.teleop) out.push(['teleop', `{"timestamp":${ts},"operator":${JSON.stringify(s.teleop.operator)},"position_rad":${JSON.stringify(s.teleop.position_rad ?? {})},"velocity_radps":${JSON.stringify(s.teleop.velocity_radps ?? {})}}`]);
  return out;
}
