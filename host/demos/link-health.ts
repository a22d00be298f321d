// One line per MCU link for `ganglion run` reports: telemetry rate, loss, RTT, retransmits, CRC errors, overruns, faults.
import type { NodeLink } from '../link/node-link.ts';

/** Counts telemetry frames per node into `counts` (reset by linkHealthLines each report). */
export function countTelemetry(sessions: Map<string, NodeLink>, counts: Map<string, number>): void {
  for (const [id, s] of sessions) {
    counts.set(id, 0);
    s.on('telemetry', () => counts.set(id, (counts.get(id) ?? 0) + 1));
  }
}

export function linkHealthLines(sessions: Map<string, NodeLink>, counts: Map<string, number>, dt_s: number, lagMs: Map<string, number>): string[] {
  const lines: string[] = [];
  for (const [id, s] of sessions) {
    const st = s.stats();
    const hz = (counts.get(id) ?? 0) / dt_s;
    counts.set(id, 0);
    const lag = lagMs.get(id);
    lines.push(
      `   ${id.padEnd(7)} telemetry ${hz.toFixed(1)} Hz, lost ${st.telemetry.telemetryLost}, rtt ${st.rtt.srttMs === null ? '-' : st.rtt.srttMs.toFixed(2)} ms, ` +
        `retransmits ${st.retransmits}, crc errors host ${st.host.crcErrors} mcu ${st.telemetry.mcuCrcErrors}, ` +
        `overruns ${st.telemetry.mcuOverruns}, ${st.armed ? 'armed' : 'DISARMED'}${st.faults.length ? ` [${st.faults.join(', ')}]` : ''}` +
        (lag !== undefined ? `, emulator lag ${lag.toFixed(1)} ms` : ''),
    );
  }
  return lines;
}
