// Language motions and corrections (RT-H, YAY Robot): short phrases parse into small typed parameter deltas that a running skill applies at its next step.
import { z } from 'zod';
import type { Tuning } from './contract.ts';
import { zodIssue } from '../util/zod-issue.ts';

const small_m = z.number().finite().min(-0.2).max(0.2);

export const CorrectionSchema = z.discriminatedUnion('type', [
  /** Shift the skill's target (or the arm tip). base: x forward, y left of the robot; world: y is "up" on the table map. */
  z.strictObject({ type: z.literal('nudge'), frame: z.enum(['base', 'world']), dx_m: small_m, dy_m: small_m }),
  /** Multiply the skill's speeds. */
  z.strictObject({ type: z.literal('speed'), factor: z.number().min(0.1).max(4) }),
  /** End the running skill; the robot holds. */
  z.strictObject({ type: z.literal('stop') }),
  z.strictObject({ type: z.literal('gripper'), command: z.enum(['open', 'close']) }),
]);
export type Correction = z.infer<typeof CorrectionSchema>;

export function parseCorrectionDelta(raw: unknown): Correction {
  const r = CorrectionSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(`correction: ${zodIssue(r.error)}`);
  }
  return r.data;
}

/** The forms parseCorrection accepts, as shown in its error. */
export const ACCEPTED_FORMS: readonly string[] = [
  'left | right  [a bit | a little | slightly] [to the] [N cm|mm|m]   (sideways, robot frame; default 2 cm, "a bit" 1 cm)',
  'forward | back | backward(s)  [a bit] [N cm|mm|m]                 (robot frame; default 2 cm, "a bit" 1 cm)',
  'higher | lower | up | down  [a bit] [N cm|mm|m]                   (world y of the target; default 2 cm)',
  'slower | faster  [a bit]                                            (x0.5 / x1.5; "a bit" x0.75 / x1.33)',
  'stop | halt',
  'open the gripper | close the gripper  (also "open gripper", "open", "release" / "close gripper", "close", "grip")',
];

const NOMINAL_M = 0.02;
const A_BIT_M = 0.01;
const MAX_M = 0.2;

const DIRECTIONS: Record<string, { frame: 'base' | 'world'; x: number; y: number }> = {
  left: { frame: 'base', x: 0, y: 1 },
  right: { frame: 'base', x: 0, y: -1 },
  forward: { frame: 'base', x: 1, y: 0 },
  forwards: { frame: 'base', x: 1, y: 0 },
  ahead: { frame: 'base', x: 1, y: 0 },
  back: { frame: 'base', x: -1, y: 0 },
  backward: { frame: 'base', x: -1, y: 0 },
  backwards: { frame: 'base', x: -1, y: 0 },
  higher: { frame: 'world', x: 0, y: 1 },
  up: { frame: 'world', x: 0, y: 1 },
  lower: { frame: 'world', x: 0, y: -1 },
  down: { frame: 'world', x: 0, y: -1 },
};

const UNIT_M: Record<string, number> = { mm: 0.001, millimeter: 0.001, millimeters: 0.001, cm: 0.01, centimeter: 0.01, centimeters: 0.01, m: 1, meter: 1, meters: 1 };

const SOFTENER = /\b(a (tiny |little )?bit( more)?|a little( more)?|slightly|just a bit)\b/;

/**
 * Parses one correction phrase. Only these few forms are accepted, on purpose: a phrase is an operator's
 * instruction to nudge a running skill, never free text to interpret. Unknown -> an error listing the forms.
 */
export function parseCorrection(phrase: string): Correction {
  const raw = phrase.toLowerCase().replace(/[!?,;]+|\.(?!\d)/g, ' ').replace(/\s+/g, ' ').trim();
  // Politeness and filler verbs carry no meaning here.
  const p = raw.replace(/^(please |now |ok |okay )+/, '').replace(/^(go|move|a bit more|more) (?=\w)/, (m) => (m.startsWith('a bit') ? 'a bit ' : '')).replace(/ please$/, '');
  const soft = SOFTENER.test(p);
  const rest = p.replace(SOFTENER, '').replace(/\b(to the|the|more|further)\b/g, '').replace(/\s+/g, ' ').trim();

  if (/^(stop|halt|freeze)$/.test(rest)) return { type: 'stop' };
  if (/^(open|open gripper|release|let go)$/.test(rest)) return { type: 'gripper', command: 'open' };
  if (/^(close|close gripper|grip|grab)$/.test(rest)) return { type: 'gripper', command: 'close' };
  if (rest === 'slower' || rest === 'slow down') return { type: 'speed', factor: soft ? 0.75 : 0.5 };
  if (rest === 'faster' || rest === 'speed up') return { type: 'speed', factor: soft ? 4 / 3 : 1.5 };

  const m = /^([a-z]+)(?: (\d+(?:\.\d+)?) ?([a-z]+))?$/.exec(rest) ?? /^(\d+(?:\.\d+)?) ?([a-z]+) ([a-z]+)$/.exec(rest);
  if (m) {
    // Either "forward 5 cm" or "5 cm forward".
    const [word, num, unit] = /^\d/.test(m[1]!) ? [m[3]!, m[1], m[2]] : [m[1]!, m[2], m[3]];
    const dir = DIRECTIONS[word];
    const scale = unit === undefined ? undefined : UNIT_M[unit];
    if (dir && (num === undefined || scale !== undefined)) {
      const d = num === undefined ? (soft ? A_BIT_M : NOMINAL_M) : Number(num) * scale!;
      if (!(d > 0 && d <= MAX_M)) throw new Error(`correction "${phrase}": a nudge must be more than 0 and at most ${MAX_M * 100} cm`);
      return { type: 'nudge', frame: dir.frame, dx_m: dir.x * d, dy_m: dir.y * d };
    }
  }
  throw new Error(`unknown correction "${phrase}"; accepted forms:\n  ${ACCEPTED_FORMS.join('\n  ')}`);
}

export const INITIAL_TUNING: Readonly<Tuning> = Object.freeze({ speed_scale: 1, offset_x_m: 0, offset_y_m: 0, gripper: null, generation: 0 });

/** Bounds on what corrections can add up to, so repeated "faster" or "left" cannot run away. */
export const SPEED_SCALE_RANGE: readonly [number, number] = [0.2, 2];
export const MAX_OFFSET_M = 0.2;

/**
 * Folds a correction into the tuning (in place). Base-frame nudges turn into world offsets with the
 * heading at this moment, so "left" means the robot's left when it was said. 'stop' is the runner's job.
 */
export function applyCorrection(t: Tuning, c: Correction, heading_rad: number): void {
  if (c.type === 'nudge') {
    let dx = c.dx_m;
    let dy = c.dy_m;
    if (c.frame === 'base') {
      const h = Number.isFinite(heading_rad) ? heading_rad : 0;
      dx = c.dx_m * Math.cos(h) - c.dy_m * Math.sin(h);
      dy = c.dx_m * Math.sin(h) + c.dy_m * Math.cos(h);
    }
    t.offset_x_m = Math.max(-MAX_OFFSET_M, Math.min(MAX_OFFSET_M, t.offset_x_m + dx));
    t.offset_y_m = Math.max(-MAX_OFFSET_M, Math.min(MAX_OFFSET_M, t.offset_y_m + dy));
  } else if (c.type === 'speed') {
    t.speed_scale = Math.max(SPEED_SCALE_RANGE[0], Math.min(SPEED_SCALE_RANGE[1], t.speed_scale * c.factor));
  } else if (c.type === 'gripper') {
    t.gripper = c.command;
  }
  t.generation++;
}
