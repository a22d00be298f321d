// The offline slow mind: a small rule planner for simple imperative commands ("put the red block in the bin", "go home", "put all blocks in the bin"), used when no LLM is configured.
import type { RobotSnapshot } from '../runtime/control.ts';
import type { PerceivedObject } from '../skills/observation.ts';
import { APPROACH_STANDOFF_M, PICK_STEPS, PLACE_STEPS } from '../skills/pick-place-steps.ts';
import type { Candidate, Plan, PlanStep } from './plan.ts';
import { tokens } from './retrieval.ts';
import type { PlanContext, SlowMind } from './slow-mind.ts';

type Intent =
  | { kind: 'home' }
  | { kind: 'put'; target: string[] | 'all' }
  | { kind: 'pick'; target: string[] }
  | { kind: 'release' }
  | { kind: 'goto'; target: string[] }
  | { kind: 'turn'; angle_rad: number }
  | { kind: 'move'; distance_m: number }
  | { kind: 'wait'; seconds: number }
  | { kind: 'point_skill'; skill: string; x_m: number; y_m: number };

export const RULE_FORMS: readonly string[] = [
  'go home',
  'put all blocks in the bin   (also: clear the table)',
  'put the red block in the bin   /   pick the red block and put it in the bin',
  'pick up the red block',
  'release   (also: drop it, let go)',
  'go to the bin   /   drive to the blue block',
  'turn left|right|around [N degrees]',
  'move forward|back N cm|m',
  'wait N seconds',
  'run SKILL at X Y   (a skill that takes a world point, e.g. a learned reach: run reach_taught at 0.2 0.05)',
];

/** Failed attempts at one block before the rule planner gives up on it. */
const MAX_ATTEMPTS = 3;
const UNIT_M: Record<string, number> = { mm: 0.001, cm: 0.01, m: 1 };
const FILLER = new Set(['block', 'blocks', 'cube', 'object', 'one', 'it', 'up']);

/** The command's meaning, or null when it is not one of RULE_FORMS. Only the user's words are parsed, never labels. */
export function parseCommand(text: string): Intent | null {
  const t = text.toLowerCase().replace(/[.!?,;]+/g, ' ').replace(/\s+/g, ' ').trim().replace(/^(please |now |robot )+/, '').replace(/ please$/, '');
  const words = (s: string) => tokens(s).filter((w) => !FILLER.has(w));
  let m: RegExpExecArray | null;
  // Any skill that takes a world point, by name (a learned one included): the grounding checks that it exists and can.
  // Matched before punctuation is stripped, which would eat the decimal points.
  if ((m = /^(?:run|use) ([a-z][a-z0-9_]*) (?:at|to|on) \(?(-?\d+(?:\.\d+)?)(?: ?m)?[ ,]+(-?\d+(?:\.\d+)?)(?: ?m)?\)?$/.exec(text.toLowerCase().trim())))
    return { kind: 'point_skill', skill: m[1]!, x_m: Number(m[2]), y_m: Number(m[3]) };
  if (/^((go|return|move|drive) )?(back )?home$/.test(t)) return { kind: 'home' };
  if (/^(clear the table|tidy up|(put|place|move|drop|throw) (all|every|each)( of)?( the)? (blocks?|objects|things)( (in|into|to) the bin)?)$/.test(t)) return { kind: 'put', target: 'all' };
  if ((m = /^(?:pick up|pick|grab|take|get) (?:the )?(.+?) (?:and )?(?:then )?(?:put|place|drop|throw) (?:it )?(?:in|into|to) the bin$/.exec(t))) return { kind: 'put', target: words(m[1]!) };
  if ((m = /^(?:put|place|drop|move|throw|bring) (?:the )?(.+?) (?:in|into|to) the bin$/.exec(t))) return { kind: 'put', target: words(m[1]!) };
  if (/^(release|drop it|let go|let it go|open the gripper)$/.test(t)) return { kind: 'release' };
  if ((m = /^(?:pick up|pick|grab|take|get) (?:the )?(.+?)$/.exec(t))) return { kind: 'pick', target: words(m[1]!) };
  if ((m = /^(?:go|drive|move) (?:to|towards?) (?:the )?(.+)$/.exec(t))) return { kind: 'goto', target: words(m[1]!) };
  if ((m = /^turn (left|right|around)(?: (\d+(?:\.\d+)?) ?(degrees|degree|deg|rad))?$/.exec(t))) {
    const mag = m[1] === 'around' ? Math.PI : m[2] === undefined ? Math.PI / 2 : m[3] === 'rad' ? Number(m[2]) : (Number(m[2]) * Math.PI) / 180;
    return { kind: 'turn', angle_rad: m[1] === 'right' ? -mag : mag };
  }
  if ((m = /^(?:move|drive|go) (forward|forwards|ahead|back|backward|backwards) (\d+(?:\.\d+)?) ?(mm|cm|m)$/.exec(t)))
    return { kind: 'move', distance_m: (/^(forward|forwards|ahead)$/.test(m[1]!) ? 1 : -1) * Number(m[2]) * UNIT_M[m[3]!]! };
  if ((m = /^wait (\d+(?:\.\d+)?) ?(s|sec|secs|seconds?)$/.exec(t))) return { kind: 'wait', seconds: Number(m[1]) };

  return null;
}

const dist = (a: { x_m: number; y_m: number }, b: { x_m: number; y_m: number }) => Math.hypot(a.x_m - b.x_m, a.y_m - b.y_m);

function findBin(s: RobotSnapshot): PerceivedObject | undefined {
  return s.observation.objects.find((o) => o.kind === 'bin') ?? s.observation.objects.find((o) => tokens(o.label).includes('bin'));
}

/** The nearest object whose id is one of the words or whose label has all of them (no words: the nearest block). */
function match(s: RobotSnapshot, want: string[], blocksOnly: boolean): PerceivedObject | undefined {
  const base = s.observation.base;
  const fits = s.observation.objects.filter((o) => {
    if (blocksOnly && o.kind === 'bin') return false;
    if (want.length === 1 && o.id.toLowerCase() === want[0]) return true;
    const label = new Set(tokens(o.label));
    return want.every((w) => label.has(w));
  });
  return fits.sort((a, b) => dist(a, base) - dist(b, base))[0];
}

export class RulePlanner implements SlowMind {
  readonly name = 'rules';
  private intent: Intent | null = null;
  private task = '';
  private target: string | null = null;
  private readonly attempts = new Map<string, number>();
  private readonly gaveUp = new Set<string>();
  private readonly placed = new Set<string>();
  private planned = false;
  private ids = 0;

  reset(task: string): void {
    this.task = task;
    this.intent = parseCommand(task);
    this.target = null;
    this.attempts.clear();
    this.gaveUp.clear();
    this.placed.clear();
    this.planned = false;
  }

  async plan(ctx: PlanContext): Promise<Plan> {
    const t0 = performance.now();
    if (ctx.task !== this.task || (ctx.reason.kind === 'start' && this.planned)) this.reset(ctx.task);
    const out = this.decide(ctx);
    this.planned = true;
    return { ...out, source: this.name, snapshot: ctx.snapshot, timing: { total_ms: performance.now() - t0, llm_ms: 0, requests: 0, rejected: 0 } };
  }

  private step(skill: string, args: Record<string, unknown>): PlanStep {
    const c: Candidate = { id: `rule_${++this.ids}`, skill, args, preference: 1 };
    return { candidates: [c] };
  }

  private pickSteps(b: PerceivedObject, retry: boolean): PlanStep[] {
    return [
      ...(retry ? [this.step('home', {})] : []),
      ...PICK_STEPS.map((s) => this.step(s.skill, s.args(b))),
    ];
  }

  private placeSteps(bin: PerceivedObject): PlanStep[] {
    return PLACE_STEPS.map((s) => this.step(s.skill, s.args(bin)));
  }

  private decide(ctx: PlanContext): Pick<Plan, 'steps' | 'message' | 'finish'> {
    const done = (message: string) => ({ steps: [], message, finish: { success: true, message } });
    const fail = (message: string) => ({ steps: [], message, finish: { success: false, message } });
    const plan = (steps: PlanStep[], message: string) => ({ steps, message, finish: null });
    const intent = this.intent;
    if (!intent) return fail(`the offline planner does not understand "${this.task}"; it knows: ${RULE_FORMS.join('; ')}`);
    const s = ctx.snapshot;
    const held = s.observation.held_id;
    // A block counts as placed when a release ended done while it was held (after its grasp ended done).
    let inHand: string | null = null;
    for (const h of ctx.history) {
      if (h.skill === 'grasp' && h.state === 'done' && typeof h.args.object_id === 'string') inHand = h.args.object_id;
      if (h.skill === 'release' && h.state === 'done' && inHand) {
        this.placed.add(inHand);
        inHand = null;
      }
    }
    const failed = ctx.reason.kind === 'step_failed' || ctx.reason.kind === 'infeasible';

    if (intent.kind === 'home' || intent.kind === 'release' || intent.kind === 'turn' || intent.kind === 'move' || intent.kind === 'wait' || intent.kind === 'goto' || intent.kind === 'point_skill') {
      if (failed) return fail(`"${this.task}" did not work: ${reasonText(ctx)}`);
      if (this.planned) return done(`done: ${this.task}`);
      if (intent.kind === 'home') return plan([this.step('home', {})], 'home');
      if (intent.kind === 'release') return plan([this.step('release', {})], 'release what is held');
      if (intent.kind === 'turn') return plan([this.step('turn', { angle_rad: intent.angle_rad })], `turn ${intent.angle_rad.toFixed(2)} rad`);
      if (intent.kind === 'move') return plan([this.step('move_base', { distance_m: intent.distance_m })], `move ${intent.distance_m} m`);
      if (intent.kind === 'wait') return plan([this.step('wait', { seconds: intent.seconds })], `wait ${intent.seconds} s`);
      if (intent.kind === 'point_skill') return plan([this.step(intent.skill, { x_m: intent.x_m, y_m: intent.y_m })], `${intent.skill} at (${intent.x_m}, ${intent.y_m})`);
      const o = match(s, intent.target, false);
      if (!o) return fail(`no perceived object matches "${intent.target.join(' ')}"`);
      return plan([this.step('drive_to', { x_m: o.x_m, y_m: o.y_m, standoff_m: APPROACH_STANDOFF_M })], `drive to ${o.id}`);
    }

    const bin = findBin(s);
    if (failed && this.target) {
      const n = (this.attempts.get(this.target) ?? 0) + 1;
      this.attempts.set(this.target, n);
      if (n >= MAX_ATTEMPTS) {
        this.gaveUp.add(this.target);
        if (intent.kind !== 'put' || intent.target !== 'all') return fail(`gave up on ${this.target} after ${n} failed attempts: ${reasonText(ctx)}`);
      }
    }
    const retry = this.target !== null && (this.attempts.get(this.target) ?? 0) > 0;

    if (intent.kind === 'pick') {
      if (this.target === null) {
        const b = match(s, intent.target, true);
        if (!b) return fail(`no perceived block matches "${intent.target.join(' ')}"`);
        this.target = b.id;
      }
      if (held === this.target) return this.planned && !failed ? done(`holding ${this.target}`) : plan([this.step('home', {})], `holding ${this.target}`);
      const b = s.observation.objects.find((o) => o.id === this.target);
      if (!b) return fail(`block ${this.target} is no longer perceived`);
      return plan([...this.pickSteps(b, retry), this.step('home', {})], `pick up ${b.id}`);
    }

    // put: one block (named) or all of them, into the bin.
    if (!bin) return fail('no bin is perceived');
    if (held !== null) {
      if (intent.target !== 'all' && this.target === null) this.target = held;
      return plan([...this.placeSteps(bin), this.step('home', {})], `put ${held} in the bin`);
    }
    if (intent.target === 'all') {
      const base = s.observation.base;
      const left = s.observation.objects.filter((o) => o.kind !== 'bin' && o.id !== bin.id && !this.gaveUp.has(o.id)).sort((a, b) => dist(a, base) - dist(b, base));
      const b = this.target && left.some((o) => o.id === this.target) ? left.find((o) => o.id === this.target)! : left[0];
      if (!b) return this.gaveUp.size ? fail(`could not place ${[...this.gaveUp].join(', ')}`) : done(`every block is in the bin (${this.placed.size} placed)`);
      if (b.id !== this.target) this.target = b.id;
      return plan([...this.pickSteps(b, (this.attempts.get(b.id) ?? 0) > 0), ...this.placeSteps(bin), this.step('home', {})], `put ${b.id} in the bin`);
    }
    if (this.target === null) {
      const b = match(s, intent.target, true);
      if (!b) return fail(`no perceived block matches "${intent.target.join(' ')}"`);
      this.target = b.id;
    }
    const b = s.observation.objects.find((o) => o.id === this.target);
    if (!b) return this.placed.has(this.target) ? done(`${this.target} is in the bin`) : fail(`block ${this.target} is no longer perceived`);
    return plan([...this.pickSteps(b, retry), ...this.placeSteps(bin), this.step('home', {})], `put ${b.id} in the bin`);
  }
}

function reasonText(ctx: PlanContext): string {
  const r = ctx.reason;
  if (r.kind === 'step_failed') return `${r.skill} ${r.state}: ${r.reason}`;
  if (r.kind === 'infeasible') return r.reasons.join('; ');
  return r.kind;
}
