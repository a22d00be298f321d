// The runtime's envelope is the reference envelope narrowed (never widened) to a calibration's soft limits.
import t from 'tap';
import { referenceEnvelope } from '../../host/skills/reference-robot.ts';
import type { Calibration } from '../../host/calibration/schema.ts';
import { envelopeWithCalibration } from '../../host/runtime/limits.ts';

const REFERENCE_ENVELOPE = referenceEnvelope();

const limits = (env: typeof REFERENCE_ENVELOPE, name: string) => {
  const j = env.joints.find((x) => x.name === name)!;
  return j.kind === 'position' ? [j.position_min_rad, j.position_max_rad] : null;
};
const cal = (soft: Record<string, [number, number] | null>) =>
  ({ joints: Object.fromEntries(Object.entries(soft).map(([k, v]) => [k, { kind: 'dc', soft_limits_rad: v }])) }) as unknown as Calibration;

t.test('narrows position joints to the calibrated soft limits', async (t) => {
  const env = envelopeWithCalibration(REFERENCE_ENVELOPE, cal({ shoulder: [-1.2, 0.9], wheel_left: null }));
  t.same(limits(env, 'shoulder'), [-1.2, 0.9]);
  t.same(limits(env, 'elbow'), limits(REFERENCE_ENVELOPE, 'elbow'), 'a joint without calibration keeps its envelope');
});

t.test('a calibration file cannot widen the envelope', async (t) => {
  const env = envelopeWithCalibration(REFERENCE_ENVELOPE, cal({ shoulder: [-3, 3] }));
  t.same(limits(env, 'shoulder'), limits(REFERENCE_ENVELOPE, 'shoulder'));
});

t.test('disjoint limits are refused, naming the joint', async (t) => {
  t.throws(() => envelopeWithCalibration(REFERENCE_ENVELOPE, cal({ elbow: [2, 2.3] })), /joint elbow: calibrated soft limits \[2, 2.3\] rad leave nothing/);
});
