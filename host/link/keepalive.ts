// The session's two clocks while connected: heartbeats that keep the MCU's watchdog fed when nothing else is sent,
// and the telemetry monitor that declares the link lost when the MCU goes quiet.
export interface KeepaliveOptions {
  /** [ms] the MCU's watchdog window. */
  watchdogMs: number;
  /** [ms] no telemetry for this long means the link is lost. */
  telemetry_timeout_ms: number;
  /** [ms] performance.now() of the last frame written / telemetry frame received. */
  lastSendMs(): number;
  lastTelemetryMs(): number;
  sendHeartbeat(): void;
  telemetryLost(silentMs: number): void;
  /** Called on every heartbeat check, for checks that run at the same pace (link health). */
  onTick?(): void;
}

export class Keepalive {
  private heartbeat: NodeJS.Timeout | null = null;
  private monitor: NodeJS.Timeout | null = null;

  constructor(private readonly o: KeepaliveOptions) {}

  start(): void {
    this.stop();
    const wd = this.o.watchdogMs;
    // Checked at watchdog/16 so a heartbeat goes out at most ~3/16 of the window after the last frame: a host stall of
    // up to ~80 % of the window (GC, a busy machine) does not trip an MCU that gets nothing but heartbeats.
    this.heartbeat = setInterval(() => {
      if (performance.now() - this.o.lastSendMs() >= wd / 8) this.o.sendHeartbeat();
      this.o.onTick?.();
    }, Math.max(2, wd / 16));
    const limit = this.o.telemetry_timeout_ms;
    this.monitor = setInterval(() => {
      const silent = performance.now() - this.o.lastTelemetryMs();
      if (silent > limit) this.o.telemetryLost(silent);
    }, Math.max(20, limit / 5));
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.monitor) clearInterval(this.monitor);
    this.heartbeat = this.monitor = null;
  }
}
