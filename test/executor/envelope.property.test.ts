// Property: whatever the controller, state and operator do, every envelope output is finite and within every limit.
import t from 'tap';
import fc from 'fast-check';
import type { Action } from '../../host/executor/contract.ts';
import type { JointLimits } from '../../host/executor/envelope-config.ts';
import { applyEnvelope, clearLatches, createEnvelope, latchEstop, recordHeartbeat } from '../../host/executor/envelope.ts';
import { CONFIG, JOINTS, makeState, RATE_HZ, TICK_NS } from './fixtures/envelope.ts';

const EPS = 1e-9;
const DT = 1 / RATE_HZ;
const anyNumber = fc.oneof(fc.double({ min: -50, max: 50, noNaN: true }), fc.constantFrom(NaN, Infinity, -Infinity, 0, 1e300, -1e300));
const name = fc.constantFrom(...JOINTS, 'ghost');
const action: fc.Arbitrary<Action | null> = fc.option(
  fc.record(
    {
      source: fc.constantFrom(null, 'op', 'mallory'),
      position_rad: fc.dictionary(name, anyNumber, { maxKeys: 3 }),
      velocity_radps: fc.dictionary(name, anyNumber, { maxKeys: 3 }),
    },
    { requiredKeys: [] },
  ),
  { freq: 10 },
);
const jointValues = fc.array(anyNumber, { minLength: JOINTS.length, maxLength: JOINTS.length });
const tick = fc.record({
  action,
  pos: jointValues,
  vel: jointValues,
  base: fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -4, max: 4, noNaN: true })),
  op: fc.constantFrom('none', 'none', 'none', 'none', 'heartbeat', 'estop', 'clear'),
});

t.test('every output is finite and within position, velocity, step and acceleration limits', (t) => {
  fc.assert(
    fc.property(fc.array(tick, { minLength: 1, maxLength: 60 }), (ticks) => {
      const env = createEnvelope(CONFIG, RATE_HZ);
      const joints = env.joints as JointLimits[];
      let prev: number[] | null = null;
      let prevVel = joints.map(() => 0);
      let prevTorque: number[] = joints.map(() => 0);
      ticks.forEach((k, n) => {
        const now = n * TICK_NS;
        let restarted = false;
        if (k.op === 'heartbeat') recordHeartbeat(env, 'op', now);
        if (k.op === 'estop') latchEstop(env, 'test');
        if (k.op === 'clear') (clearLatches(env), (restarted = true)); // joints restart from measured state
        const pos: Record<string, number> = {};
        const vel: Record<string, number> = {};
        JOINTS.forEach((j, i) => ((pos[j] = k.pos[i]!), (vel[j] = k.vel[i]!)));
        const out = applyEnvelope(env, k.action, makeState({ pos, vel, base: k.base, stamp_ns: now }), now);
        joints.forEach((j, i) => {
          const v = out.value[i]!;
          if (!Number.isFinite(v)) throw new Error(`${j.name}: non-finite ${v}`);
          if (env.estop && !out.safe[i]) throw new Error(`${j.name}: e-stop latched but not safe`);
          if (env.stallLatched[i] && out.torque[i]) throw new Error(`${j.name}: stalled with torque on`);
          const comparable = prev !== null && !restarted && out.torque[i] && prevTorque[i];
          if (j.kind === 'position') {
            if (v < j.position_min_rad - EPS || v > j.position_max_rad + EPS) throw new Error(`${j.name}: ${v} outside limits`);
            if (!comparable) return;
            const d = v - prev![i]!;
            if (Math.abs(d) > j.max_step_rad + EPS) throw new Error(`${j.name}: step ${d}`);
            const speed = d / DT;
            if (Math.abs(speed) > j.velocity_max_radps + EPS) throw new Error(`${j.name}: speed ${speed}`);
            const pv = prevVel[i]!;
            const slowing = pv >= 0 ? speed >= -EPS && speed <= pv + EPS : speed <= EPS && speed >= pv - EPS;
            if (!slowing && Math.abs(speed - pv) > j.accel_max_radps2 * DT + 1e-6) throw new Error(`${j.name}: accel ${(speed - pv) / DT}`);
          } else {
            if (Math.abs(v) > j.velocity_max_radps + EPS) throw new Error(`${j.name}: ${v} over velocity_max`);
            if (!comparable || out.safe[i]) return; // a safe stop is immediate by design
            const d = v - prev![i]!;
            if (Math.abs(d) > Math.min(j.max_step_radps, j.accel_max_radps2 * DT) + EPS) throw new Error(`${j.name}: jump ${d}`);
          }
        });
        prevVel = joints.map((j, i) => (prev && j.kind === 'position' ? (out.value[i]! - prev[i]!) / DT : 0));
        // After an uninitialised or torque-off tick the envelope's own memory is the reference.
        prevVel = prevVel.map((pv, i) => (out.torque[i] && prevTorque[i] && !restarted ? pv : env.prevVel[i]!));
        prev = Array.from(out.value);
        prevTorque = Array.from(out.torque);
      });
    }),
    { numRuns: 400 },
  );
  t.pass('property held');
  t.end();
});
