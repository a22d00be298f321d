// Which skill runs, with what args since when, and the last few that did not end 'done': from the skill statuses the loop worker broadcasts.
import { isTerminal, type SkillStatus } from '../skills/status.ts';
import type { RobotSnapshot } from './control.ts';

/** How many non-'done' skill outcomes the snapshot keeps for the planner. */
const RECENT_FAILURES = 5;

export class SkillTracker {
  active: RobotSnapshot['active_skill'] = null;
  private activeSince_ms = 0;
  private readonly args = new Map<string, unknown>();
  private readonly waiting = new Map<string, (s: SkillStatus) => void>();
  readonly recentFailures: RobotSnapshot['recent_failures'] = [];
  private requests = 0;

  /** A new request: its id and a promise of its final status. */
  begin(args: unknown): { request_id: string; ended: Promise<SkillStatus> } {
    const request_id = `r${++this.requests}`;
    const ended = new Promise<SkillStatus>((resolve) => this.waiting.set(request_id, resolve));
    this.args.set(request_id, args);
    return { request_id, ended };
  }

  /** The loop refused the request: forget it. */
  refused(request_id: string): void {
    this.waiting.delete(request_id);
    this.args.delete(request_id);
  }

  onStatus(m: SkillStatus): void {
    if (m.state === 'running') {
      const args = m.request_id ? this.args.get(m.request_id) : undefined;
      this.active = { request_id: m.request_id, skill: m.skill, args: args ?? null, elapsed_s: m.elapsed_s, progress: m.progress };
      this.activeSince_ms = performance.now() - m.elapsed_s * 1000;
    } else {
      if (m.request_id) this.args.delete(m.request_id);
      if (this.active?.request_id === m.request_id) this.active = null;
      if (m.state !== 'done') {
        this.recentFailures.push({ skill: m.skill, state: m.state, reason: m.reason ?? '' });
        if (this.recentFailures.length > RECENT_FAILURES) this.recentFailures.shift();
      }
    }
    if (m.request_id && isTerminal(m.state)) {
      this.waiting.get(m.request_id)?.(m);
      this.waiting.delete(m.request_id);
    }
  }

  /** [s] how long the active skill has run, by the host clock (statuses arrive only now and then). */
  elapsed_s(): number {
    return (performance.now() - this.activeSince_ms) / 1000;
  }

  /** The active skill with its elapsed time now, or null. */
  activeNow(): RobotSnapshot['active_skill'] {
    return this.active ? { ...this.active, elapsed_s: this.elapsed_s() } : null;
  }
}
