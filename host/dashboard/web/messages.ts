// Incoming MQTT messages -> typed dashboard updates, every payload checked against the topics.ts schema; a bad one becomes a readable error, never a throw.
import type { z } from 'zod';
import {
  CadencePayload, EventPayload, LinkPayload, RecordingPayload, REPLY_PREFIX, ReplyPayload, SkillStatusPayload, SkillsPayload, StatePayload, StatusPayload,
  TelemetryPayload, TOPIC_ROOT,
} from '../../bridge/topics.ts';
import { zodIssue } from '../../util/zod-issue.ts';

export type Incoming =
  | { kind: 'status'; robot: string; payload: z.infer<typeof StatusPayload> }
  | { kind: 'state'; robot: string; payload: z.infer<typeof StatePayload> }
  | { kind: 'telemetry'; robot: string; node: string; payload: z.infer<typeof TelemetryPayload> }
  | { kind: 'cadence'; robot: string; payload: z.infer<typeof CadencePayload> }
  | { kind: 'link'; robot: string; payload: z.infer<typeof LinkPayload> }
  | { kind: 'event'; robot: string; payload: z.infer<typeof EventPayload> }
  | { kind: 'skill_status'; robot: string; payload: z.infer<typeof SkillStatusPayload> }
  | { kind: 'skills'; robot: string; payload: z.infer<typeof SkillsPayload> }
  | { kind: 'recording'; robot: string; payload: z.infer<typeof RecordingPayload> }
  | { kind: 'reply'; id: string; payload: z.infer<typeof ReplyPayload> };

export type ParseResult = { ok: true; msg: Incoming } | { ok: false; topic: string; error: string } | { ok: 'ignored' };

/** Where each robot topic's payload is checked. */
const ROBOT_TOPICS: Record<string, { kind: Exclude<Incoming['kind'], 'telemetry' | 'reply'>; schema: z.ZodType }> = {
  status: { kind: 'status', schema: StatusPayload },
  state: { kind: 'state', schema: StatePayload },
  cadence: { kind: 'cadence', schema: CadencePayload },
  link: { kind: 'link', schema: LinkPayload },
  events: { kind: 'event', schema: EventPayload },
  'skill/status': { kind: 'skill_status', schema: SkillStatusPayload },
  skills: { kind: 'skills', schema: SkillsPayload },
  recording: { kind: 'recording', schema: RecordingPayload },
};

function json(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message})` };
  }
}

export function parseIncoming(topic: string, bytes: Uint8Array): ParseResult {
  if (topic.startsWith(REPLY_PREFIX)) {
    const id = topic.slice(topic.lastIndexOf('/') + 1);
    const j = json(bytes);
    if (!j.ok) return { ok: false, topic, error: j.error };
    const r = ReplyPayload.safeParse(j.value);
    return r.success ? { ok: true, msg: { kind: 'reply', id, payload: r.data } } : { ok: false, topic, error: zodIssue(r.error) };
  }
  const parts = topic.split('/');
  if (parts[0] !== TOPIC_ROOT || parts.length < 3) return { ok: 'ignored' };
  const robot = parts[1]!;
  const rest = parts.slice(2).join('/');
  // Commands and tunnels share the tree; the dashboard only reads what comes out of the robot.
  const isTelemetry = parts[2] === 'telemetry' && parts.length === 4;
  const route = isTelemetry ? { kind: 'telemetry' as const, schema: TelemetryPayload } : ROBOT_TOPICS[rest];
  if (!route) return { ok: 'ignored' };
  // An empty retained message clears the retained value (e.g. a robot removed): not an error.
  if (bytes.length === 0) return { ok: 'ignored' };
  const j = json(bytes);
  if (!j.ok) return { ok: false, topic, error: j.error };
  const r = route.schema.safeParse(j.value);
  if (!r.success) return { ok: false, topic, error: zodIssue(r.error) };
  const payload = r.data as { robot: string; node?: string };
  // A payload claiming another robot than its topic is a mix-up (or spoofing) that would put data on the wrong plots.
  if (payload.robot !== robot) return { ok: false, topic, error: `robot: payload says "${payload.robot}" on robot "${robot}"'s topic` };
  if (isTelemetry) {
    if (payload.node !== parts[3]) return { ok: false, topic, error: `node: payload says "${payload.node}" on node "${parts[3]}"'s topic` };
    return { ok: true, msg: { kind: 'telemetry', robot, node: parts[3]!, payload: r.data as z.infer<typeof TelemetryPayload> } };
  }
  return { ok: true, msg: { kind: route.kind, robot, payload: r.data } as Incoming };
}
