// Telemetry age on arrival in this page: browser arrival time minus the host's receive time of the MCU frame (same machine, same wall clock).

/** Samples kept for the on-page figure: a few seconds of telemetry from every MCU. */
const KEEP = 1000;

export class LatencyMeter {
  private recent: number[] = [];
  /** Every sample since record() was called, by node: the benchmark reads these in full. */
  private recording: Record<string, number[]> | null = null;
  /** Since record(): how long each message then waited for the page's main thread (handled - arrived), in ms. */
  private handoffs: number[] = [];

  /**
   * received_at_ms: when the MCU frame reached the host (performance.timeOrigin-based); arrivedWallMs: when its MQTT
   * message reached the page's connection worker, stamped before parsing; handledWallMs: when the page's main thread
   * took it (the plots and tables draw it at their next redraw).
   */
  add(node: string, received_at_ms: number, arrivedWallMs: number, handledWallMs = arrivedWallMs): void {
    const age_ms = arrivedWallMs - received_at_ms;
    this.recent.push(age_ms);
    if (this.recent.length > KEEP) this.recent.splice(0, this.recent.length - KEEP);
    if (this.recording) {
      (this.recording[node] ??= []).push(age_ms);
      this.handoffs.push(handledWallMs - arrivedWallMs);
    }
  }

  record(): void {
    this.recording = {};
    this.handoffs = [];
  }

  /** The worker -> main thread waits since record(). */
  takeHandoffs(): number[] {
    const h = this.handoffs;
    this.handoffs = [];
    return h;
  }

  /** The samples since record(), by node; recording stops. */
  take(): Record<string, number[]> {
    const r = this.recording ?? {};
    this.recording = null;
    return r;
  }

  percentile(p: number): number | null {
    if (this.recent.length === 0) return null;
    const s = [...this.recent].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  }
}
