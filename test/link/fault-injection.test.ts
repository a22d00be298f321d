// The link under fault injection (issue 10, faults): 1 % corruption + 1 % drop + 1 % duplication of bytes in both
// directions, distinct commands pipelined beside a setpoint stream, against the posix firmware over a pty. The MCU's
// own record of what it applied (status.applied_*) must equal the frames the host wrote, each once, in order, at every
// status frame; every command is acked; both ends' counters agree with what was injected. A suite share of the bench's
// 100k commands (bench/fault-injection.ts).
import t from 'tap';
import { faultRun, delta } from './helpers/fault-run.ts';

const COMMANDS = 2000;
const RATES = { corrupt: 0.01, drop: 0.01, duplicate: 0.01 };

t.test(`${COMMANDS} commands at 1 % corruption + 1 % drop + 1 % duplicates both ways: each applied once, in order`, async (t) => {
  // A 2 s watchdog and a 5 s telemetry timeout: on a loaded 2-core machine the firmware process is at times not
  // scheduled for 400 ms (measured), and this test is about what gets applied, not about the window (lossy-rto is).
  const r = await faultRun({ commands: COMMANDS, rates: RATES, seed: 10, watchdogMs: 2000, telemetryTimeoutMs: 5000, setpointHz: 50 });
  const d = delta(r.after, r.before);
  t.comment(`${r.commands.acked} acked in ${(r.durationMs / 1000).toFixed(1)} s; ${r.link.retransmits} retransmits (${r.link.naks} NAKs, ${r.link.timeouts} timeouts); ${r.log.join(' | ')}`);

  t.same(r.commands, { sent: COMMANDS, acked: COMMANDS, failed: 0, firstError: null }, 'every command acked');
  t.equal(r.disconnects, 0, 'the link was never given up');
  t.ok(r.recordsChecked >= 10, `${r.recordsChecked} MCU records checked against the frames written`);
  t.same(r.mismatches, [], 'at every status frame the MCU had applied exactly the frames written so far, each once, in order: no wrong, lost or duplicated command');
  t.equal(r.mcuApplied, r.distinctWritten, `at the end the MCU applied all ${r.distinctWritten} frames written (every acked command among them)`);
  t.equal(r.retransmitsResentDifferently, 0, 'every retransmission repeated its original bytes');
  // Unless the watchdog tripped (then every output is at its default, the servo's 0 us, until re-armed).
  t.equal(r.mcuServoUs, r.tripped ? 0 : r.lastPulseUs, `the servo outputs the last command's pulse (watchdog trips: ${r.tripped} frames)`);

  // Host -> MCU. Each write is one frame, and each frame the host wrote (first copies and retransmissions) was either
  // applied, dropped by the MCU as out of order or replayed (seq_errors), or destroyed on the way: so
  // lost = writes - applied - seq_errors. Only a frame with an injected fault in it can be lost (the parser never loses
  // an intact frame), but a hit frame can survive (a duplicated length byte leaves one junk byte before an intact frame):
  // lost <= frames hit <= faults injected (a frame can take several).
  const down = d.down;
  const injectedDown = down.corrupted + down.dropped + down.duplicated;
  const lostDown = d.writes - d.mcuApplied - d.mcuSeqErrors;
  t.equal(d.writes, down.frames, 'the frames the session wrote are the frames the fault injector passed on');
  t.equal(d.retransmits, d.writes - d.distinct, 'the session counts every write beyond the first copies as a retransmission');
  t.ok(down.framesHit > 100, `faults landed in ${down.framesHit} of ${down.frames} frames to the MCU (${injectedDown} injected)`);
  t.ok(lostDown >= 0 && lostDown <= down.framesHit && down.framesHit <= injectedDown,
    `0 <= ${lostDown} frames lost <= ${down.framesHit} frames hit <= ${injectedDown} faults injected`);
  // The MCU's crc_errors count runs of bytes that failed, not frames: a fault that changes a frame's length fails the
  // candidate and leaves a tail (up to the frame's SYNC) that fails once more, so up to 2 per frame hit; and one failed
  // candidate (up to 64 bytes, from a corrupted length byte) can swallow the next 9- to 26-byte frame, so no fewer
  // than lost / 3.
  t.ok(d.mcuCrcErrors <= 2 * down.framesHit && d.mcuCrcErrors >= lostDown / 3,
    `MCU crc_errors ${d.mcuCrcErrors} within [${(lostDown / 3).toFixed(0)}, ${2 * down.framesHit}] (lost / 3, 2 x frames hit)`);

  // MCU -> host, the same arithmetic on the host's decoder: frames the MCU sent (cut from the clean stream) minus
  // frames decoded; the telemetry frames missing by their counter are some of those.
  const up = d.up;
  const injectedUp = up.corrupted + up.dropped + up.duplicated;
  const lostUp = up.frames - d.hostFrames;
  t.ok(up.framesHit > 100, `faults landed in ${up.framesHit} of ${up.frames} frames to the host (${injectedUp} injected)`);
  t.ok(lostUp >= 0 && lostUp <= up.framesHit && up.framesHit <= injectedUp,
    `0 <= ${lostUp} frames lost <= ${up.framesHit} frames hit <= ${injectedUp} faults injected`);
  t.ok(d.telemetryLost <= lostUp, `${d.telemetryLost} telemetry frames missing by their counter, of the ${lostUp} frames lost`);
  t.ok(d.hostBytesDropped > 0, `the host's decoder discarded ${d.hostBytesDropped} bytes`);
});
