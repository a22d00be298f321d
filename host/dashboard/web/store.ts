// The newest validated payload of each kind per robot, and which robot is selected: what panels re-render from when the selection changes.
import type { CadencePayload, LinkPayload, RecordingPayload, SkillStatusPayload, SkillsPayload, StatePayload, TelemetryPayload } from '../../bridge/topics.ts';
import type { Incoming } from './messages.ts';

export interface RobotView {
  id: string;
  online: boolean;
  version: string;
  /** [ms] the status payload's at_ms */
  since_ms: number;
  state: StatePayload | null;
  link: LinkPayload | null;
  cadence: CadencePayload | null;
  skillStatus: SkillStatusPayload | null;
  skills: SkillsPayload | null;
  recording: RecordingPayload | null;
  telemetry: Map<string, TelemetryPayload>;
}

type Listener = (robot: RobotView, msg: Incoming) => void;

export class Store {
  readonly robots = new Map<string, RobotView>();
  selected: string | null = null;
  private readonly listeners: Listener[] = [];

  on(l: Listener): void {
    this.listeners.push(l);
  }

  private view(id: string): RobotView {
    let v = this.robots.get(id);
    if (!v) {
      v = { id, online: false, version: '', since_ms: 0, state: null, link: null, cadence: null, skillStatus: null, skills: null, recording: null, telemetry: new Map() };
      this.robots.set(id, v);
    }
    return v;
  }

  apply(msg: Incoming): void {
    if (msg.kind === 'reply') return;
    const v = this.view(msg.robot);
    switch (msg.kind) {
      case 'status': v.online = msg.payload.online; v.version = msg.payload.version; v.since_ms = msg.payload.at_ms; break;
      case 'state': v.state = msg.payload; break;
      case 'telemetry': v.telemetry.set(msg.node, msg.payload); break;
      case 'cadence': v.cadence = msg.payload; break;
      case 'link': v.link = msg.payload; break;
      case 'skill_status': v.skillStatus = msg.payload; break;
      case 'skills': v.skills = msg.payload; break;
      case 'recording': v.recording = msg.payload; break;
      case 'event': break;
    }
    for (const l of this.listeners) l(v, msg);
  }

  /** The selected robot's view, when one is selected. */
  current(): RobotView | null {
    return this.selected ? (this.robots.get(this.selected) ?? null) : null;
  }
}
