// What the recorder writes, in the order it was asked: samples encoded into MCAP messages, marks, metadata; runs in the recorder's writer thread.
import type { RobotGeometry } from '../skills/geometry.ts';
import { CHANNELS, encodeSample, type ChannelKey } from './channels.ts';
import { McapFileWriter } from './mcap-file.ts';
import type { Sample } from './sample.ts';

export const RECORDING_FORMAT = 'ganglion.recording/1';

/** The session facts written once at the top of the file. */
export interface SessionFacts {
  /** Joint names, in the order of Sample's arrays. */
  joints: readonly string[];
  /** 'position' (rad) or 'velocity' (rad/s) per joint: what `action` means for each. */
  joint_kinds: readonly ('position' | 'velocity')[];
  task: string;
  /** [Hz] the control rate samples are taken at (nominal; every sample has its own timestamp). */
  fps: number;
  robot: string;
  /** The robot's arm and base geometry (from its robot file): what the export computes goal features with. */
  geometry?: RobotGeometry;
}

/** One step of the recorder's program, posted from the caller's thread; applied strictly in order. */
export type WriterOp =
  | { op: 'samples'; batch: Sample[] }
  | { op: 'message'; key: ChannelKey; t_ns: bigint; json: string }
  /** An episode starts: interventions are judged afresh from here. */
  | { op: 'episode' }
  | { op: 'metadata'; name: string; record: Record<string, string> }
  | { op: 'flush' }
  | { op: 'close' };

const enc = new TextEncoder();

export class SessionWriter {
  private readonly w: McapFileWriter;
  private readonly ids = new Map<ChannelKey, number>();
  private readonly namesJson: string;
  /** A skill or policy drove in this episode: teleop from then on is an intervention. */
  private autonomous = false;
  samples = 0;

  /** `fd`: the file, opened (exclusively) by the caller, so a name that exists fails on the caller's thread. */
  constructor(fd: number, facts: SessionFacts, started_at: string) {
    this.namesJson = JSON.stringify(facts.joints);
    this.w = new McapFileWriter(fd);
    this.w.addMetadata('session', {
      format: RECORDING_FORMAT, task: facts.task, fps: String(facts.fps), robot: facts.robot,
      joints: JSON.stringify(facts.joints), joint_kinds: JSON.stringify(facts.joint_kinds), started_at,
      ...(facts.geometry ? { geometry: JSON.stringify(facts.geometry) } : {}),
    });
    for (const [key, c] of Object.entries(CHANNELS) as [ChannelKey, (typeof CHANNELS)[ChannelKey]][]) {
      const schemaId = this.w.addSchema({ name: c.schemaName, encoding: 'jsonschema', data: enc.encode(JSON.stringify(c.schema)) });
      this.ids.set(key, this.w.addChannel({ schemaId, topic: c.topic, messageEncoding: 'json', metadata: new Map() }));
    }
    this.w.flush(true);
  }

  /** Bytes on disk so far. */
  get bytes(): number {
    return Number(this.w.size);
  }

  apply(o: WriterOp): void {
    switch (o.op) {
      case 'samples': return this.addSamples(o.batch);
      case 'message': return this.w.addMessage(this.ids.get(o.key)!, o.t_ns, enc.encode(o.json));
      case 'episode': this.autonomous = false; return;
      case 'metadata': return this.w.addMetadata(o.name, o.record);
      case 'flush': return this.w.flush();
      case 'close': return this.w.close();
    }
  }

  private addSamples(batch: Sample[]): void {
    for (const s of batch) {
      // An intervention: teleop took over in an episode where a skill or policy had been driving.
      if (s.control === 'skill' || s.control === 'policy') this.autonomous = true;
      const intervention = s.control === 'teleop' && this.autonomous;
      for (const [key, json] of encodeSample(s, this.namesJson, intervention)) this.w.addMessage(this.ids.get(key)!, s.taken_ns, enc.encode(json));
      this.samples++;
    }
  }
}
