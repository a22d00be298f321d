// Wiring checks for Firmata boards: encoder motors refused on firmata-uno, open_motors refused on Ganglion boards, a mixed robot accepted.
import t from 'tap';
import path from 'node:path';
import { checkRobot } from '../../host/hw/check.ts';
import { loadRobot, SCHEMATICS_DIR, type Robot } from '../../host/hw/robot.ts';

const reference = loadRobot();
const firmataArm = loadRobot(path.join(SCHEMATICS_DIR, 'firmata-arm.json'));
const messages = (r: Robot) => checkRobot(r).map((p) => p.message);

t.test('firmata-arm passes', async (t) => {
  t.same(checkRobot(firmataArm), []);
});

t.test('an encoder motor on a Firmata board is refused, naming what to do', async (t) => {
  const r = structuredClone(firmataArm);
  const shoulder = structuredClone(reference.nodes.find((n) => n.id === 'arm')!.motors[0]!);
  r.nodes[0]!.motors = [{ ...shoulder, pwm: 'D6', in1: 'D7', in2: 'D8', enc_a: 'D3', enc_b: 'D12' }];
  t.match(messages(r).join('\n'), /motor shoulder needs encoder feedback, but firmata-uno runs StandardFirmata, which counts no encoders; wire it under open_motors/);
});

t.test('open_motors on a Ganglion board are refused', async (t) => {
  const r = structuredClone(reference);
  const arm = r.nodes.find((n) => n.id === 'arm')!;
  arm.open_motors = [{ index: 2, joint: 'fan', pwm: 'D11', dir: 'A3', max_pwm_permille: 500, invert_dir: false }];
  t.match(messages(r).join('\n'), /open-loop motor fan is for Firmata boards; on sim-uno \(Ganglion firmware\) wire it under motors, with its encoder/);
});

t.test('a robot mixing Ganglion nodes and a Firmata node is accepted', async (t) => {
  const r: Robot = { ...structuredClone(reference), name: 'mixed', nodes: [...structuredClone(reference.nodes), structuredClone(firmataArm.nodes[0]!)] };
  t.same(checkRobot(r), [], 'no wiring problems');
  t.same(r.nodes.map((n) => n.board), [...reference.nodes.map((n) => n.board), 'firmata-uno']);
});
