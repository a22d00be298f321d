// Joint mapping with a calibration: counts <-> rad (position, velocity) and servo us <-> rad.
import t from 'tap';
import fc from 'fast-check';
import { countsToRad, cpsToRadps, dcJoint, radToCounts, radToUs, radpsToCps, servoJoint, usToRad } from '../../host/calibration/joints.ts';
import type { DcJointCalibration } from '../../host/calibration/schema.ts';
import { sampleCalibration } from './fixture.ts';

const cal = sampleCalibration();
const shoulder = dcJoint(cal, 'shoulder');

t.test('the zero offset is where 0 rad is; counts_per_rad is the scale', async (t) => {
  t.equal(countsToRad(shoulder, -210), 0);
  t.equal(radToCounts(shoulder, 0), -210);
  t.equal(radToCounts(shoulder, 1), Math.round(-210 + 700.28));
  t.ok(Math.abs(countsToRad(shoulder, 490.28) - 1) < 1e-12);
});

t.test('direction -1 mirrors the joint about its zero', async (t) => {
  const mirrored: DcJointCalibration = { ...shoulder, direction: -1 };
  t.equal(radToCounts(mirrored, 1), Math.round(-210 - 700.28));
  t.ok(Math.abs(countsToRad(mirrored, -910.28) - 1) < 1e-12);
  t.equal(radpsToCps(mirrored, 2), -1401);
  t.ok(Math.abs(cpsToRadps(mirrored, -700.28) - 1) < 1e-12);
});

t.test('velocity has scale and sign but no offset', async (t) => {
  t.equal(radpsToCps(shoulder, 0), 0);
  t.equal(radpsToCps(shoulder, 2), 1401);
  t.ok(Math.abs(cpsToRadps(shoulder, 1400.56) - 2) < 1e-12);
});

t.test('counts -> rad -> counts is the identity, for any calibration', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1e5, max: 1e5 }), fc.double({ min: 1, max: 1e4, noNaN: true }), fc.constantFrom(1 as const, -1 as const), (counts, zero, cpr, dir) => {
      const j: DcJointCalibration = { ...shoulder, zero_offset_counts: zero, counts_per_rad: cpr, direction: dir };
      return radToCounts(j, countsToRad(j, counts)) === counts;
    }),
  );
  t.pass('held for every generated calibration');
});

t.test('servo: pulse <-> rad with the calibration mapping, clamped to the pulse range', async (t) => {
  const g = servoJoint(cal, 'gripper');
  t.equal(radToUs(g, 0), 1000);
  t.equal(radToUs(g, Math.PI / 2), 1500);
  t.equal(radToUs(g, 10), 2000, 'clamped high');
  t.equal(radToUs(g, -1), 1000, 'clamped low');
  t.ok(Math.abs(usToRad(g, 2000) - Math.PI) < 1e-12);
});

t.test('looking up a joint that is not there names the ones that are', async (t) => {
  t.throws(() => dcJoint(cal, 'wrist'), /no DC joint "wrist" \(it has wheel_left, shoulder, wheel_right, elbow\)/);
  t.throws(() => dcJoint(cal, 'gripper'), /no DC joint "gripper"/);
  t.throws(() => servoJoint(cal, 'shoulder'), /no servo joint "shoulder"/);
});
