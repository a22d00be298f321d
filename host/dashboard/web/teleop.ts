// Keyboard and gamepad teleop with a deadman: publishes at 20 Hz only while a teleop key or the gamepad's deadman is held; letting go publishes teleop_release.
import { byId } from './dom.ts';
import { ArmTargets, gamepadToInput, KEY_BINDINGS, keysToInput, NO_INPUT, teleopCommand, type TeleopCommandPayload, type TeleopInput } from './teleop-map.ts';

/** [Hz] heartbeat rate: well inside the bridge's 250 ms silence timeout even when a message is late. */
export const TELEOP_HZ = 20;

export interface TeleopTarget {
  /** May this login command at all (viewer: no)? */
  canCommand(): boolean;
  /** Joint name -> measured position [rad] now, from telemetry. */
  measured(): Record<string, number>;
  /** The joints the selected robot has. */
  joints(): ReadonlySet<string>;
  teleop(cmd: TeleopCommandPayload): void;
  release(): void;
  refused(why: string): void;
}

export class Teleop {
  private readonly held = new Set<string>();
  private active: { source: 'keyboard' | 'gamepad'; arm: ArmTargets; last_ms: number } | null = null;
  private readonly enable = byId<HTMLInputElement>('teleop-keys');
  private readonly state = byId('teleop-state');
  private readonly pad = byId('gamepad-state');
  private refusedHold = false;
  /** Messages published in the current hold (shown, and read by the test). */
  sent = 0;

  constructor(private readonly target: TeleopTarget) {
    window.addEventListener('keydown', (e) => this.key(e, true));
    window.addEventListener('keyup', (e) => this.key(e, false));
    // A key released while the window had no focus never sends keyup: losing focus is letting go.
    window.addEventListener('blur', () => this.letGo());
    document.addEventListener('visibilitychange', () => { if (document.visibilityState !== 'visible') this.letGo(); });
    this.enable.addEventListener('change', () => { if (!this.enable.checked) this.letGo(); });
    window.addEventListener('gamepadconnected', (e) => { this.pad.textContent = `gamepad: ${(e as GamepadEvent).gamepad.id} (hold LB to drive)`; });
    window.addEventListener('gamepaddisconnected', () => { this.pad.textContent = 'no gamepad'; this.letGo(); });
    setInterval(() => this.tick(), 1000 / TELEOP_HZ);
  }

  private key(e: KeyboardEvent, down: boolean): void {
    if (!(e.code in KEY_BINDINGS) || !this.enable.checked) return;
    // Typing a correction must never drive the robot.
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === 'INPUT' && (t as HTMLInputElement).type !== 'checkbox' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
    e.preventDefault();
    if (e.repeat) return;
    if (down && !this.target.canCommand()) {
      this.target.refused('teleop');
      return;
    }
    if (down) this.held.add(e.code);
    else this.held.delete(e.code);
    // Act on the edge, not only at the next tick: a short tap still moves, and a release stops at once.
    this.tick();
  }

  private gamepad(): { deadman: boolean; input: TeleopInput } | null {
    const pads = navigator.getGamepads?.() ?? [];
    const p = pads.find((g) => g && g.connected && g.mapping === 'standard');
    return p ? gamepadToInput(p.axes, p.buttons.map((b) => b.pressed)) : null;
  }

  private tick(): void {
    const pad = this.gamepad();
    const keys = this.held.size > 0;
    const source = keys ? 'keyboard' : pad?.deadman ? 'gamepad' : null;
    if (source && !this.target.canCommand()) {
      // A viewer holding the gamepad deadman: say so once per hold.
      if (!this.refusedHold) this.target.refused('teleop');
      this.refusedHold = true;
      return;
    }
    if (!source) {
      this.refusedHold = false;
      return this.letGo();
    }
    const now = performance.now();
    const measured = this.target.measured();
    if (!this.active) this.active = { source, arm: new ArmTargets(measured), last_ms: now };
    const dt_s = Math.min(0.2, (now - this.active.last_ms) / 1000);
    this.active.last_ms = now;
    const input = source === 'keyboard' ? keysToInput(this.held) : (pad?.input ?? NO_INPUT);
    this.target.teleop(teleopCommand(input, this.active.arm.step(input, dt_s, measured), this.target.joints()));
    this.sent++;
    this.state.textContent = `driving (${source}), ${this.sent} messages`;
    this.state.dataset.active = 'true';
  }

  /** Ends a hold: one teleop_release, then silence. */
  letGo(): void {
    this.held.clear();
    if (!this.active) return;
    this.active = null;
    this.target.release();
    this.state.textContent = `released after ${this.sent} messages`;
    this.state.dataset.active = 'false';
    this.sent = 0;
  }
}
