// Command controls: e-stop (on press), clear, arm/disarm, cancel, recording start/stop/discard, the correction box and the action form, each gated by what the login's role may publish.
import { ROLE_COMMANDS, type CommandName, type ReplyPayload, type Role } from '../../bridge/topics.ts';
import { byId, nowWallMs } from './dom.ts';

export interface CommandSink {
  /** The selected robot, or null. */
  robot(): string | null;
  role(): Role | null;
  command(robot: string, name: CommandName, payload: unknown): Promise<ReplyPayload>;
  log(level: 'info' | 'warn' | 'error', kind: string, text: string): void;
}

/** Whether a role may publish a command; an unknown role is let through (the broker's ACL still decides). */
export function mayCommand(role: Role | null, name: CommandName): boolean {
  return role === null || ROLE_COMMANDS[role].includes(name);
}

export const refusalText = (role: Role | null, what: string) => `${role ?? 'this'} role cannot command (${what})`;

export class Controls {
  /** Wall-clock time of the newest e-stop press (performance.timeOrigin-based), for the e-stop latency benchmark. */
  lastEstopPress_ms: number | null = null;
  private readonly notice = byId('command-notice');
  private lastPointerEstop_ms = -Infinity;

  constructor(private readonly sink: CommandSink) {
    const estop = byId<HTMLButtonElement>('estop');
    // An e-stop acts when pressed, not when the mouse button comes back up.
    estop.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      this.lastPointerEstop_ms = performance.now();
      this.estop();
    });
    // Keyboard activation (Enter/Space) arrives as a click with no pointerdown before it.
    estop.addEventListener('click', () => { if (performance.now() - this.lastPointerEstop_ms > 1000) this.estop(); });
    window.addEventListener('keydown', (e) => { if (e.code === 'Escape') this.estop(); });

    this.button('clear', 'clear', () => ({}));
    this.button('arm', 'arm', () => ({}));
    this.button('disarm', 'disarm', () => ({}));
    this.button('cancel', 'cancel', () => ({ reason: 'cancelled from the dashboard' }));
    for (const action of ['start', 'stop', 'discard'] as const) this.button(`recording-${action}`, 'recording', () => ({ action }));

    const correction = byId<HTMLInputElement>('correction');
    byId<HTMLFormElement>('correction-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.send('correction', { phrase: correction.value.trim() }, byId('correction-reply'));
    });

    const skill = byId<HTMLInputElement>('action-skill');
    const args = byId<HTMLTextAreaElement>('action-args');
    byId<HTMLFormElement>('action-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const out = byId('action-reply');
      let parsed: unknown;
      try {
        parsed = args.value.trim() ? JSON.parse(args.value) : {};
      } catch (err) {
        return this.show(out, false, `args: not JSON (${(err as Error).message})`);
      }
      void this.send('action', { skill: skill.value.trim(), args: parsed }, out);
    });
  }

  estop(): void {
    this.lastEstopPress_ms = nowWallMs();
    void this.send('estop', { reason: 'e-stop button on the dashboard' }, this.notice);
  }

  private button(id: string, name: CommandName, payload: () => unknown): void {
    byId(id).addEventListener('click', () => void this.send(name, payload(), this.notice));
  }

  /** Marks controls the role may not use; they stay clickable so that a click can say why nothing happens. */
  applyRole(role: Role | null): void {
    for (const b of document.querySelectorAll<HTMLElement>('[data-command]')) {
      const allowed = mayCommand(role, b.dataset.command as CommandName);
      b.setAttribute('aria-disabled', allowed ? 'false' : 'true');
      b.classList.toggle('disabled', !allowed);
      b.title = allowed ? '' : refusalText(role, b.dataset.command!);
    }
  }

  /** ok null: sent, no reply yet. */
  private show(out: HTMLElement, ok: boolean | null, text: string): void {
    out.textContent = text;
    out.dataset.ok = ok === null ? 'pending' : String(ok);
    out.className = ok === null ? 'reply' : ok ? 'reply good' : 'reply bad';
  }

  private async send(name: CommandName, payload: unknown, out: HTMLElement): Promise<void> {
    const robot = this.sink.robot();
    const role = this.sink.role();
    if (!mayCommand(role, name)) {
      const text = refusalText(role, name);
      this.show(out, false, text);
      this.sink.log('warn', 'refused', text);
      return;
    }
    if (!robot) return this.show(out, false, 'choose a robot first');
    this.show(out, null, `${name}: sent to ${robot}…`);
    const reply = await this.sink.command(robot, name, payload);
    const text = reply.ok ? `${name}: accepted${reply.result === undefined ? '' : ` — ${JSON.stringify(reply.result)}`}` : (reply.error ?? `${name}: refused`);
    this.show(out, reply.ok, text);
    this.sink.log(reply.ok ? 'info' : 'warn', `reply ${name}`, text);
  }
}
