// The runtime's copy of the envelope's latches: the e-stop (with the reason a caller gave) and stalled joints, kept in step with the loop's events.
import type { LoopEventMessage } from '../executor/commands.ts';

export class EstopLatch {
  latched: { reason: string } | null = null;
  /** Joint -> the envelope's stall reason, until cleared. */
  readonly stalled = new Map<string, string>();

  /** Follow the loop: an e-stop latched by `latch` keeps the caller's reason; the event's text is for the log. */
  onLoopEvent(m: LoopEventMessage): void {
    if (m.kind === 'estop' && !this.latched) this.latched = { reason: m.text };
    if (m.kind === 'clear') this.clear();
    if (m.kind === 'stall' && m.joint) this.stalled.set(m.joint, m.text);
  }

  /** Latch now (before the loop's event comes back, so a snapshot shows this reason at once); returns what to restore on refusal. */
  latch(reason: string): { reason: string } | null {
    const was = this.latched;
    this.latched = was ?? { reason };
    return was;
  }

  restore(was: { reason: string } | null): void {
    this.latched = was;
  }

  clear(): void {
    this.latched = null;
    this.stalled.clear();
  }

  /** Throws naming what to do when latched: skills and teleop must not start over an e-stop. */
  refuseWhileLatched(what: string): void {
    if (this.latched) throw new Error(`e-stop is latched (${this.latched.reason}); clear it before ${what}`);
  }
}
