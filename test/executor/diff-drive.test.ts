// The differential-drive formula: forward and inverse agree, and the signs are the robot's (left wheel faster turns clockwise).
import t from 'tap';
import { forwardSpeed_mps, twistToWheels, wheelsToTwist } from '../../host/executor/diff-drive.ts';

const base = { wheel_radius_m: 0.05, track_width_m: 0.3 };

t.test('straight, spin in place, and a turn', async (t) => {
  t.same(wheelsToTwist(base, 10, 10), { v_mps: 0.5, w_radps: 0 }, 'equal speeds drive straight at r*w');
  const spin = wheelsToTwist(base, -3, 3);
  t.ok(spin.v_mps === 0 && Math.abs(spin.w_radps - 1) < 1e-12, 'opposite speeds spin in place, right faster = counter-clockwise');
  t.ok(wheelsToTwist(base, 4, 2).w_radps < 0, 'left faster turns clockwise');
  t.ok(Math.abs(forwardSpeed_mps(0.05, 4, 2) - 0.15) < 1e-12, 'forward speed needs no track width');
});

t.test('inverse then forward gives the twist back', async (t) => {
  for (const [v, w] of [[0.25, 0], [0, 1.5], [0.2, -0.7], [-0.1, 0.3]] as const) {
    const wheels = twistToWheels(base, v, w);
    const back = wheelsToTwist(base, wheels.left_radps, wheels.right_radps);
    t.ok(Math.abs(back.v_mps - v) < 1e-12 && Math.abs(back.w_radps - w) < 1e-12, `v ${v} m/s, w ${w} rad/s`);
  }
});
