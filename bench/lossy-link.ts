// Lossy but uncongested link: 60 s at 1 % byte corruption both ways, 200 Hz setpoints, through McuSession against
// the posix firmware over a pty (reference watchdog 100 ms). Ack p99 and watchdog trips beside a clean run.
import { availableParallelism, loadavg } from 'node:os';
import { McuSession } from '../host/link/session.ts';
import { SerialTransport } from '../host/link/serial.ts';
import { PosixMcu, asPosixBoard } from '../host/link/posix-mcu.ts';
import { loadBoard } from '../host/hw/board.ts';
import { loadRobot } from '../host/hw/robot.ts';
import { CONSTANTS } from '../host/protocol/messages.ts';
import { probeAcks } from '../test/link/helpers/ack-probe.ts';
import { FaultTransport } from '../test/link/helpers/fault-transport.ts';
import { percentile, type Figure } from './report.ts';

/** Why the goal holds on an idle machine, and what breaks it on a loaded one (issue 10, faults). */
const ARITHMETIC =
  'At 1 % byte corruption a frame of n bytes is lost with p = 1 - 0.99^n: 23 % of 26-byte setpoint frames, 8.6 % of 9-byte ' +
  'commands, 33 % of 40-byte telemetry frames (which carry the acks), 6.8 % of 7-byte NAK frames. The MCU NAKs the next ' +
  'setpoint after a gap (5 ms later at 200 Hz) and the host resends at once, so a loss costs about 5 ms + one round trip, and ' +
  'a lost resend or NAK one more such round or one 25 ms RTO; 100 ms without an in-sequence frame needs some 4 RTO rounds or ' +
  '15 NAK rounds failing in a row (< 1e-4 per loss). What trips a 100 ms window here is the machine: at load average ~20, two ' +
  'telemetry frames the firmware sampled 18 ms apart (its own clock) reached the host 441 ms apart, and the host\'s event loop ' +
  'lagged up to 256 ms (measured), which no protocol bridges; the clean run\'s trips are that floor.';

async function phase(corrupt: number, durationMs: number) {
  const mcu = new PosixMcu();
  await mcu.start();
  const node = loadRobot().nodes.find((n) => n.id === 'base')!;
  const board = asPosixBoard(loadBoard(node.board));
  const faults = new FaultTransport(SerialTransport.forBoard(mcu.ptyPath!, board), 7);
  const s = new McuSession({ transport: faults, node, board, log: () => undefined });
  try {
    await s.connect();
    await s.arm();
    let tripped = 0;
    let maxRto = 0;
    s.on('telemetry', (st) => {
      if (st.faults & CONSTANTS.FAULT.WATCHDOG_TRIPPED) tripped++;
      maxRto = Math.max(maxRto, s.stats().rtt.rtoMs);
    });
    faults.down = { corrupt };
    faults.up = { corrupt };
    const ackMs = await probeAcks(s, durationMs);
    return { p99: percentile(ackMs, 99), n: ackMs.length, tripped, maxRto, st: s.stats(), faults: faults.counts, watchdogMs: node.watchdog_ms };
  } finally {
    await s.close();
    await mcu.stop();
  }
}

export async function run(): Promise<Figure[]> {
  const clean = await phase(0, 10_000);
  const load1 = loadavg()[0]!;
  const lossy = await phase(0.01, 60_000);
  const load2 = loadavg()[0]!;
  const half = lossy.watchdogMs / 2;
  return [
    {
      name: `command ack p99, 1 % byte corruption both ways, 60 s, 200 Hz setpoints (${lossy.n} commands)`, value: lossy.p99, unit: 'ms',
      baseline: { label: 'clean link, same load, 10 s', value: clean.p99 }, goal: `under half the ${lossy.watchdogMs} ms watchdog window (${half} ms)`, pass: lossy.p99 < half,
      note: `injected: ${lossy.faults.down.corrupted} of ${lossy.faults.down.bytes} bytes down, ${lossy.faults.up.corrupted} of ${lossy.faults.up.bytes} up; ` +
        `${lossy.st.retransmits} retransmits, ${lossy.st.naks} NAKs, ${lossy.st.timeouts} timeouts; host CRC errors ${lossy.st.host.crcErrors}, MCU CRC errors ${lossy.st.telemetry.mcuCrcErrors}, degraded ${lossy.st.degradations}x; ` +
        `load average ${load1.toFixed(1)} -> ${load2.toFixed(1)} on ${availableParallelism()} cores; clean run: ${clean.st.retransmits} retransmits, ${clean.st.naks} NAKs. ${ARITHMETIC}`,
    },
    { name: 'telemetry frames showing WATCHDOG_TRIPPED (latched until re-armed; the bench does not re-arm), lossy 60 s', value: lossy.tripped, unit: 'frames', baseline: { label: 'clean', value: clean.tripped }, goal: 'no watchdog trip', pass: lossy.tripped === 0 },
    { name: 'largest retransmit timeout seen, lossy', value: lossy.maxRto, unit: 'ms', baseline: { label: 'cap (watchdog/4); Klipper max 5000 ms', value: lossy.st.rtt.rtoMaxMs }, goal: 'bounded by the watchdog window', pass: lossy.maxRto <= lossy.watchdogMs },
  ];
}
