// POSITION setpoints on the wire (counts Q24.8), and the runtime sending a joint angle between encoder counts as one.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { positionCounts, positionSetpoint, POSITION_MAX_COUNTS } from '../../host/protocol/position.ts';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { sendSetpoints, type JointIo } from '../../host/runtime/io.ts';
import type { NodeLink } from '../../host/link/node-link.ts';

t.test('counts to the wire and back, to the nearest 1/256 count', (t) => {
  t.equal(CONSTANTS.POSITION.FRAC_BITS, 8);
  t.equal(positionSetpoint(100), 25_600);
  t.equal(positionSetpoint(100.5), 25_728);
  t.equal(positionSetpoint(-2.25), -576);
  t.equal(positionSetpoint(0.001), 0, 'below half of 1/256 count rounds to the count');
  t.equal(positionSetpoint(0.002), 1, 'from half of it on, it is 1/256');
  for (const c of [0, 1, -1, 1234.5, -98765.25, 8_000_000.75]) t.equal(positionCounts(positionSetpoint(c)), c, `${c} round trips`);
  t.equal(positionSetpoint(1e12), 2 ** 31 - 1, 'beyond the wire range: clamped, not wrapped');
  t.equal(positionSetpoint(-1e12), -(2 ** 31) + 1);
  t.ok(POSITION_MAX_COUNTS > 8_000_000, `range +-${POSITION_MAX_COUNTS.toFixed(0)} counts`);
  t.end();
});

t.test('the runtime sends a joint angle between counts with its fraction', (t) => {
  const sent: { mode: readonly number[]; value: readonly number[] }[] = [];
  const link = Object.assign(new EventEmitter(), {
    setMotors: (mode: readonly number[], value: readonly number[]) => (sent.push({ mode, value }), true),
  }) as unknown as NodeLink;
  const cal = { kind: 'dc' as const, node: 'arm', motor: 1, counts_per_rad: 1000, zero_offset_counts: 50, direction: -1 as const };
  const joints = [{ name: 'shoulder', kind: 'position', node: 'arm', cal: { dc: cal } }] as unknown as JointIo[];
  // 0.0123 rad at 1000 counts/rad, inverted, from 50: 37.7 counts, which a whole-count setpoint would send as 38.
  sendSetpoints(joints, [0.0123], [1], new Map([['arm', link]]), new Map());
  t.equal(sent.length, 1);
  t.equal(sent[0]!.mode[1], CONSTANTS.MODE.POSITION);
  t.equal(sent[0]!.value[1], Math.round(37.7 * 256));
  t.end();
});
