// The terminal keyboard as a teleop source (raw-mode stdin: works over SSH, no display): base, arm and gripper keys, speed steps; a key counts as held while the terminal's key repeat keeps coming.
import type { TeleopCommand } from '../runtime/control.ts';
import type { FollowerView, TeleopSource } from './source.ts';

/** What each motion key does: a wheel-speed pair (forward, turn) or an arm joint direction. Data, not branches. */
export const KEY_BINDINGS: Record<string, { base?: [fwd: number, turn: number]; joint?: [name: string, dir: number]; label: string }> = {
  w: { base: [1, 0], label: 'base forward' },
  s: { base: [-1, 0], label: 'base back' },
  a: { base: [0, 1], label: 'base turn left' },
  d: { base: [0, -1], label: 'base turn right' },
  '\x1b[A': { base: [1, 0], label: 'up arrow: base forward' },
  '\x1b[B': { base: [-1, 0], label: 'down arrow: base back' },
  '\x1b[D': { base: [0, 1], label: 'left arrow: base turn left' },
  '\x1b[C': { base: [0, -1], label: 'right arrow: base turn right' },
  i: { joint: ['shoulder', 1], label: 'shoulder +' },
  k: { joint: ['shoulder', -1], label: 'shoulder -' },
  l: { joint: ['elbow', 1], label: 'elbow +' },
  j: { joint: ['elbow', -1], label: 'elbow -' },
};
/** Not motion: g toggles the gripper, 1-5 pick the speed step, space lets go at once, q / Esc / Ctrl-C quit. */
export const GRIPPER_KEY = 'g';
export const RELEASE_KEY = ' ';
export const QUIT_KEYS = ['q', '\x1b', '\x03'];
export const SPEED_STEPS = [0.2, 0.4, 0.6, 0.8, 1] as const;

export interface KeyboardOptions {
  /** [rad/s] wheel speed at step 5, forward. */
  max_wheel_radps?: number;
  /** [rad/s] arm joint speed at step 5. */
  max_joint_radps?: number;
  /**
   * [ms] a key is held until this long after its first press (the terminal's repeat delay, ~500 ms), then until
   * repeat_ms after each repeat (repeats come every ~33 ms): no repeat, the key was let go, the robot holds.
   */
  first_repeat_ms?: number;
  repeat_ms?: number;
  gripper?: { joint: string; open_rad: number; closed_rad: number };
  onQuit?: () => void;
}

/** Splits a raw stdin chunk into keys: escape sequences (arrows) whole, the rest one character each. */
export function splitKeys(chunk: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < chunk.length; ) {
    const seq = /^\x1b\[[A-D]/.exec(chunk.slice(i));
    const k = seq ? seq[0] : chunk[i]!;
    keys.push(k);
    i += k.length;
  }
  return keys;
}

export class KeyboardSource implements TeleopSource {
  readonly name = 'keyboard';
  private readonly held = new Map<string, { first_ms: number; last_ms: number }>();
  private step = 2;
  private gripperClosed = false;
  private arm: Record<string, number> | null = null;
  private last_ms: number | null = null;
  private readonly o: Required<Omit<KeyboardOptions, 'gripper' | 'onQuit'>> & Pick<KeyboardOptions, 'gripper' | 'onQuit'>;

  constructor(o: KeyboardOptions = {}) {
    this.o = { max_wheel_radps: 8, max_joint_radps: 1, first_repeat_ms: 600, repeat_ms: 120, ...o };
  }

  get speed(): number {
    return SPEED_STEPS[this.step]!;
  }

  /** Raw stdin bytes at now_ms. */
  feed(chunk: string, now_ms: number): void {
    for (const k of splitKeys(chunk)) {
      if (QUIT_KEYS.includes(k)) this.o.onQuit?.();
      else if (k === RELEASE_KEY) this.held.clear();
      else if (k === GRIPPER_KEY) this.gripperClosed = !this.gripperClosed;
      else if (/^[1-5]$/.test(k)) this.step = Number(k) - 1;
      else if (KEY_BINDINGS[k.toLowerCase()] ?? KEY_BINDINGS[k]) {
        const key = KEY_BINDINGS[k] ? k : k.toLowerCase();
        const h = this.held.get(key);
        this.held.set(key, h ? { first_ms: h.first_ms, last_ms: now_ms } : { first_ms: now_ms, last_ms: now_ms });
      }
    }
  }

  private heldKeys(now_ms: number): string[] {
    for (const [k, h] of this.held) {
      const repeating = h.last_ms > h.first_ms;
      if (now_ms - h.last_ms > (repeating ? this.o.repeat_ms : this.o.first_repeat_ms)) this.held.delete(k);
    }
    return [...this.held.keys()];
  }

  read(now_ms: number, follower: FollowerView): TeleopCommand | null {
    const dt_s = this.last_ms === null ? 0 : Math.min(0.1, Math.max(0, (now_ms - this.last_ms) / 1000));
    this.last_ms = now_ms;
    const keys = this.heldKeys(now_ms);
    if (keys.length === 0) {
      this.arm = null;
      return null;
    }
    let fwd = 0;
    let turn = 0;
    const jointDir: Record<string, number> = {};
    for (const k of keys) {
      const b = KEY_BINDINGS[k]!;
      if (b.base) {
        fwd += b.base[0];
        turn += b.base[1];
      }
      if (b.joint) jointDir[b.joint[0]] = (jointDir[b.joint[0]] ?? 0) + b.joint[1];
    }
    // Arm setpoints start where the follower is and move while a key is held; the envelope bounds them.
    // The first tick of a hold starts exactly at the follower: the time since the last hold is not motion.
    const fresh = !this.arm;
    if (!this.arm) {
      this.arm = {};
      for (const j of ['shoulder', 'elbow']) {
        const f = follower.joints_rad[j];
        if (f === undefined || !Number.isFinite(f)) throw new Error(`teleop keyboard: the follower's ${j} position is unknown (${f}); the robot holds`);
        this.arm[j] = f;
      }
    }
    if (!fresh) for (const [j, dir] of Object.entries(jointDir)) this.arm[j] = this.arm[j]! + Math.sign(dir) * this.o.max_joint_radps * this.speed * dt_s;
    const w = this.o.max_wheel_radps * this.speed;
    const clamp1 = (x: number) => Math.max(-1, Math.min(1, x));
    const left = w * clamp1(clamp1(fwd) - clamp1(turn) * 0.5);
    const right = w * clamp1(clamp1(fwd) + clamp1(turn) * 0.5);
    const g = this.o.gripper;
    return {
      position_rad: { ...this.arm, ...(g ? { [g.joint]: this.gripperClosed ? g.closed_rad : g.open_rad } : {}) },
      velocity_radps: { wheel_left: left, wheel_right: right },
      operator: 'keyboard',
    };
  }
}
