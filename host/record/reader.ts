// Reads a recording back into episodes of frames, also one cut short by a crash (no footer): every chunk that reached the disk is recovered, and damage is reported, not thrown past.
import { readFileSync } from 'node:fs';
import { hasMcapPrefix, McapStreamReader } from '@mcap/core';
import { z } from 'zod';
import { RobotGeometrySchema } from '../skills/geometry.ts';
import { zodIssue } from '../util/zod-issue.ts';
import { CHANNELS, unstamp, type ChannelKey } from './channels.ts';
import { RECORDING_FORMAT } from './session-writer.ts';
import { CONTROL_SOURCES, type ControlSource } from './sample.ts';

const finite = z.number().finite();
const Time = z.strictObject({ sec: z.number().int().nonnegative(), nsec: z.number().int().nonnegative() });
const Msg = {
  joints: z.strictObject({ timestamp: Time, name: z.array(z.string()), position: z.array(finite), velocity: z.array(finite) }),
  base: z.strictObject({ timestamp: Time, frame_id: z.string(), pose: z.strictObject({
    position: z.strictObject({ x: finite, y: finite, z: finite }), orientation: z.strictObject({ x: finite, y: finite, z: finite, w: finite }) }) }),
  objects: z.strictObject({ timestamp: Time, held_id: z.string().nullable(), objects: z.array(z.strictObject({
    id: z.string(), label: z.string(), kind: z.enum(['block', 'bin', 'other']), x_m: finite, y_m: finite, size_m: finite.optional() })) }),
  action: z.strictObject({ timestamp: Time, name: z.array(z.string()), value: z.array(finite) }),
  control: z.strictObject({ timestamp: Time, source: z.enum(CONTROL_SOURCES), intervention: z.boolean(), skill: z.string().nullable(), args: z.unknown() }),
  teleop: z.strictObject({ timestamp: Time, operator: z.string(), position_rad: z.record(z.string(), finite), velocity_radps: z.record(z.string(), finite) }),
  goal: z.strictObject({ timestamp: Time, frame_id: z.literal('world'), x_m: finite, y_m: finite }),
  episode: z.strictObject({ timestamp: Time, index: z.number().int().nonnegative(), mark: z.enum(['start', 'end', 'discard']), task: z.string() }),
};

const Session = z.object({
  format: z.literal(RECORDING_FORMAT),
  task: z.string(),
  fps: z.coerce.number().positive(),
  robot: z.string(),
  joints: z.string().transform((s) => z.array(z.string().min(1)).min(1).parse(JSON.parse(s))),
  joint_kinds: z.string().transform((s) => z.array(z.enum(['position', 'velocity'])).parse(JSON.parse(s))),
  started_at: z.string(),
  geometry: z.string().optional().transform((s) => (s === undefined ? null : RobotGeometrySchema.parse(JSON.parse(s)))),
});
export type SessionInfo = z.output<typeof Session>;

export interface Frame {
  /** [ns] when the observation was taken. */
  t_ns: bigint;
  position_rad: number[];
  velocity_radps: number[];
  base: { x_m: number; y_m: number; heading_rad: number };
  objects: z.output<typeof Msg.objects>['objects'];
  held_id: string | null;
  action: number[];
  control: ControlSource;
  intervention: boolean;
  skill: string | null;
  skill_args: unknown;
  teleop: { operator: string; position_rad: Record<string, number>; velocity_radps: Record<string, number> } | null;
  /** The episode's goal (world frame), when the demonstrator was given one. */
  goal: { x_m: number; y_m: number } | null;
}

export interface EpisodeRecord {
  index: number;
  task: string;
  /** incomplete: the recording stopped (crash) before the episode ended; its frames are those that reached the disk. */
  status: 'kept' | 'incomplete';
  frames: Frame[];
}

export interface Recording {
  file: string;
  session: SessionInfo;
  /** Kept episodes in index order (a re-recorded index: the last take), then an incomplete one if any. */
  episodes: EpisodeRecord[];
  /** Whether the file ended with its footer (closed cleanly). */
  complete: boolean;
  /** What was damaged or cut off, in sentences for the user; empty for a clean file. */
  warnings: string[];
}

const BY_TOPIC = new Map<string, ChannelKey>(Object.entries(CHANNELS).map(([k, c]) => [c.topic, k as ChannelKey]));
const dec = new TextDecoder();

export class RecordingError extends Error {}

export function readRecording(file: string): Recording {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new RecordingError(`${file}: cannot read it (${(e as Error).message})`);
  }
  if (!hasMcapPrefix(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength))) {
    throw new RecordingError(`${file}: not an MCAP file (it does not start with the MCAP magic bytes); give a recording made by \`ganglion record\``);
  }
  const reader = new McapStreamReader({ validateCrcs: true });
  reader.append(bytes);
  const warnings: string[] = [];
  const channels = new Map<number, ChannelKey>();
  let session: SessionInfo | null = null;
  const kept = new Map<number, EpisodeRecord>();
  let open: EpisodeRecord | null = null;
  let frame: Partial<Frame> | null = null;
  let where = 'start';
  const take = () => {
    if (frame && open && isFrame(frame)) open.frames.push(frame);
    frame = null;
  };
  try {
    for (let r; (r = reader.nextRecord()); ) {
      if (r.type === 'Metadata' && r.name === 'session') {
        const p = Session.safeParse(Object.fromEntries(r.metadata));
        if (!p.success) throw new RecordingError(`session metadata: ${zodIssue(p.error)}`);
        session = p.data;
      } else if (r.type === 'Channel') {
        const key = BY_TOPIC.get(r.topic);
        if (key) channels.set(r.id, key);
      } else if (r.type === 'Message') {
        const key = channels.get(r.channelId);
        if (!key) continue;
        where = `${CHANNELS[key].topic} message ${r.sequence}`;
        if (key === 'events' || key === 'correction') continue;
        const parsed = Msg[key].safeParse(JSON.parse(dec.decode(r.data)));
        if (!parsed.success) throw new RecordingError(`${where}: ${zodIssue(parsed.error)}`);
        const m = parsed.data;
        if ('mark' in m) {
          take();
          if (m.mark === 'start') open = { index: m.index, task: m.task, status: 'incomplete', frames: [] };
          else if (open && m.mark === 'end') kept.set(open.index, { ...open, status: 'kept' });
          if (m.mark !== 'start') open = null;
        } else if ('position' in m && 'velocity' in m) {
          take();
          frame = { t_ns: unstamp(m.timestamp), position_rad: m.position, velocity_radps: m.velocity, teleop: null, goal: null };
        } else if (frame) {
          fill(frame, key, m);
        }
      }
    }
    take();
  } catch (e) {
    take();
    const why = e instanceof RecordingError ? e.message : (e as Error).message;
    warnings.push(`${file}: damaged after ${where} (${why}); everything before it was read`);
  }
  if (!session) throw new RecordingError(`${file}: no session metadata (format ${RECORDING_FORMAT}); it is not a ganglion recording or it was cut off in its first bytes`);
  const complete = reader.done();
  if (!complete && !warnings.length) warnings.push(`${file}: no footer (the recording was interrupted); recovered every chunk that reached the disk (${reader.bytesRemaining()} trailing bytes dropped)`);
  const episodes = [...kept.values()].sort((a, b) => a.index - b.index);
  const partial = open as EpisodeRecord | null;
  if (partial && partial.frames.length) {
    episodes.push(partial);
    warnings.push(`${file}: episode ${partial.index} was cut off after ${partial.frames.length} frames (kept as incomplete)`);
  }
  return { file, session, episodes, complete, warnings };
}

function fill(f: Partial<Frame>, key: ChannelKey, m: unknown): void {
  if (key === 'base') {
    const p = (m as z.output<typeof Msg.base>).pose;
    f.base = { x_m: p.position.x, y_m: p.position.y, heading_rad: 2 * Math.atan2(p.orientation.z, p.orientation.w) };
  } else if (key === 'objects') {
    const o = m as z.output<typeof Msg.objects>;
    f.objects = o.objects;
    f.held_id = o.held_id;
  } else if (key === 'action') {
    f.action = (m as z.output<typeof Msg.action>).value;
  } else if (key === 'control') {
    const c = m as z.output<typeof Msg.control>;
    Object.assign(f, { control: c.source, intervention: c.intervention, skill: c.skill, skill_args: c.args });
  } else if (key === 'goal') {
    const g = m as z.output<typeof Msg.goal>;
    f.goal = { x_m: g.x_m, y_m: g.y_m };
  } else if (key === 'teleop') {
    const t = m as z.output<typeof Msg.teleop>;
    f.teleop = { operator: t.operator, position_rad: t.position_rad, velocity_radps: t.velocity_radps };
  }
}

function isFrame(f: Partial<Frame>): f is Frame {
  return f.action !== undefined && f.base !== undefined && f.control !== undefined && f.objects !== undefined;
}

/** One episode by index, or an error listing the ones there are. */
export function episodeOf(rec: Recording, index: number): EpisodeRecord {
  const ep = rec.episodes.find((e) => e.index === index);
  if (!ep) throw new RecordingError(`${rec.file}: no episode ${index}; it has ${rec.episodes.map((e) => `${e.index}${e.status === 'incomplete' ? ' (incomplete)' : ''}`).join(', ') || 'none'}`);
  return ep;
}
