// Link under fault injection: 100k distinct commands (GANGLION_FAULT_COMMANDS) at 1 % corruption + 1 % drop + 1 %
// duplication of bytes both ways, with a 50 Hz setpoint stream, through McuSession to the posix firmware over a pty;
// the MCU's applied record checked at every status frame. Beside a clean-link run of the same shape.
import { faultRun, delta, type FaultRunResult } from '../test/link/helpers/fault-run.ts';
import { percentile, type Figure } from './report.ts';

const COMMANDS = Number(process.env.GANGLION_FAULT_COMMANDS ?? 100_000);
const RATES = { corrupt: 0.01, drop: 0.01, duplicate: 0.01 };
// The same generous windows as the test: this section counts what is applied, lossy-link measures the window.
const measure = (commands: number, rates: typeof RATES | Record<string, never>): Promise<FaultRunResult> =>
  faultRun({ commands, rates, seed: 100, watchdogMs: 2000, telemetryTimeoutMs: 5000, setpointHz: 50 });

function sideNote(r: FaultRunResult): string {
  const d = delta(r.after, r.before);
  const lost = d.writes - d.mcuApplied - d.mcuSeqErrors;
  const dn = d.down;
  const up = d.up;
  return `to the MCU: injected ${dn.corrupted} corrupted, ${dn.dropped} dropped, ${dn.duplicated} duplicated bytes in ${dn.framesHit} of ${dn.frames} frames; ` +
    `MCU counted ${d.mcuCrcErrors} crc_errors and ${d.mcuSeqErrors} seq_errors (replays and drops after a gap), ${lost} frames lost (<= frames hit); ` +
    `to the host: injected ${up.corrupted} corrupted, ${up.dropped} dropped, ${up.duplicated} duplicated bytes in ${up.framesHit} of ${up.frames} frames; ` +
    `host decoded ${d.hostFrames}, lost ${up.frames - d.hostFrames} (<= frames hit), discarded ${d.hostBytesDropped} bytes, ${d.telemetryLost} telemetry frames missing by counter; ` +
    `${r.link.retransmits} retransmits (${r.link.naks} NAKs, ${r.link.timeouts} timeouts), ${r.tripped} telemetry frames with the watchdog tripped, degraded ${r.degradations}x, ${(r.durationMs / 1000).toFixed(0)} s`;
}

export async function run(): Promise<Figure[]> {
  const clean = await measure(Math.min(COMMANDS, 10_000), {});
  const lossy = await measure(COMMANDS, RATES);
  const wrong = lossy.mismatches.length;
  const applied = lossy.mcuApplied;
  return [
    {
      name: `commands acked of ${lossy.commands.sent} sent (1 % corrupt + 1 % drop + 1 % dup both ways)`, value: lossy.commands.acked, unit: 'commands',
      baseline: { label: `clean link, of ${clean.commands.sent}`, value: clean.commands.acked }, goal: 'every command acked', pass: lossy.commands.acked === lossy.commands.sent,
      note: `${lossy.commands.failed} failed${lossy.commands.firstError ? ` (${lossy.commands.firstError})` : ''}; ${lossy.disconnects} disconnects` +
        `${lossy.log.filter((l) => l.startsWith('disconnected')).map((l) => `; ${l}`).join('')}; ${lossy.link.badAcks} acks outside the window`,
    },
    {
      name: 'MCU records (status.applied_*) that differ from the frames written: wrong, lost, duplicated or reordered frames applied', value: wrong, unit: 'records',
      baseline: { label: 'clean link', value: clean.mismatches.length }, goal: '0 wrong commands applied, each acked command applied once, in order', pass: wrong === 0 && applied === lossy.distinctWritten,
      note: `${lossy.recordsChecked} records checked; the MCU applied ${applied} frames, the host wrote ${lossy.distinctWritten} distinct ones ` +
        `(commands, setpoints, heartbeats, configuration): ${applied - lossy.distinctWritten} extra; retransmissions differing from their original: ${lossy.retransmitsResentDifferently}` +
        (wrong ? `; first: ${lossy.mismatches[0]}` : ''),
    },
    {
      name: 'command ack p50, lossy', value: percentile(lossy.ackMs, 50), unit: 'ms', baseline: { label: 'clean link', value: percentile(clean.ackMs, 50) },
      note: `4 commands in flight at once; ${sideNote(lossy)}`,
    },
    {
      name: 'command ack p99, lossy', value: percentile(lossy.ackMs, 99), unit: 'ms', baseline: { label: 'clean link', value: percentile(clean.ackMs, 99) },
      note: `clean run: ${sideNote(clean)}`,
    },
  ];
}

