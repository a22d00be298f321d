// `ganglion calibrate`: measure a robot's joints (auto, or guided by hand) and write calibration/<robot>.json atomically.
import { checkNodePorts, parseNodePorts } from './node-ports.ts';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { Board } from '../hw/board.ts';
import { assertRobotOk } from '../hw/check.ts';
import { loadRobot, REFERENCE_ROBOT, type NodeWiring } from '../hw/robot.ts';
import { McuSession } from '../link/session.ts';
import { SerialTransport } from '../link/serial.ts';
import { PosixMcu, asPosixBoard } from '../link/posix-mcu.ts';
import { InThreadRobot } from '../calibration/emulated.ts';
import { calibrationPath, writeCalibration } from '../calibration/file.ts';
import { calibrateRobotAuto, type Connect } from '../calibration/procedure.ts';
import { calibrateRobotWizard } from '../calibration/wizard.ts';

const HELP = `usage: ganglion calibrate [options]

Measures each joint and writes the robot's calibration file (the previous one is kept as .bak).
Without --auto, a guided wizard for real robots: you move each joint to its stops by hand.

  --auto              no human: pulse each motor for its direction, home joints against their
                      limit switch / hard stops (stall detection); emulated nodes run in emulated time
  --robot FILE        robot wiring file (default: schematics/reference-robot.json)
  --port NODE=PATH    the real board for NODE is on serial port PATH (repeatable); nodes without a
                      port run in the emulator
  --posix             nodes without a port run the posix firmware build over a pty
  --out FILE          where to write (default: calibration/<robot>.json)
  --pwm PERMILLE      open-loop drive for pulses and homing (default 150)
`;

interface Args {
  auto: boolean;
  robotFile: string;
  ports: Map<string, string>;
  posix: boolean;
  out: string | null;
  pwm: number;
}

export function parseCalibrateArgs(argv: string[]): Args | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      auto: { type: 'boolean' },
      robot: { type: 'string' },
      port: { type: 'string', multiple: true },
      posix: { type: 'boolean' },
      out: { type: 'string' },
      pwm: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const ports = parseNodePorts(values.port);
  const pwm = values.pwm === undefined ? 150 : Number(values.pwm);
  if (!Number.isInteger(pwm) || pwm < 20 || pwm > 600) throw new Error(`--pwm ${values.pwm}: expected a whole number of permille from 20 to 600`);
  return { auto: values.auto ?? false, robotFile: values.robot ?? REFERENCE_ROBOT, ports, posix: values.posix ?? false, out: values.out ?? null, pwm };
}

export async function main(argv: string[]): Promise<number> {
  const args = parseCalibrateArgs(argv);
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const robot = loadRobot(args.robotFile);
  assertRobotOk(robot);
  checkNodePorts(robot, args.ports);
  const out = args.out ?? calibrationPath(robot.name);
  const cleanups: (() => Promise<void>)[] = [];
  let sim: InThreadRobot | null = null;

  const connect: Connect = async (node: NodeWiring, board: Board) => {
    const port = args.ports.get(node.id) ?? node.port;
    if (!port && !args.posix) {
      if (!board.emulated) throw new Error(`node "${node.id}" is on a real ${board.id} board but no port is given: add --port ${node.id}=/dev/ttyUSB0`);
      if (!args.auto) throw new Error(`node "${node.id}" is emulated and has no hands to move its joints: use \`ganglion calibrate --auto\``);
      sim ??= await InThreadRobot.boot(robot);
      console.log(`[${node.id}] emulated ATmega328P (avr8js), calibrated in emulated time`);
      return sim.connect(node, board);
    }
    let transport;
    let b = board;
    if (port) {
      transport = SerialTransport.forBoard(port, board);
    } else {
      const mcu = new PosixMcu();
      const pty = await mcu.start();
      cleanups.push(() => mcu.stop());
      b = asPosixBoard(board);
      transport = SerialTransport.forBoard(pty, b);
    }
    const session = new McuSession({ transport, node, board: b, reconnect: false });
    const id = await session.connect();
    console.log(`[${node.id}] ${transport.name}: Ganglion firmware ${id.fw_major}.${id.fw_minor}`);
    return session;
  };

  try {
    console.log(`calibrating robot ${robot.name} (${args.auto ? 'auto' : 'wizard'}); keep clear of the joints`);
    let calibration;
    if (args.auto) {
      calibration = await calibrateRobotAuto(robot, connect, { pwm_permille: args.pwm, log: (l) => console.log(l) });
    } else {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      cleanups.push(async () => rl.close());
      calibration = await calibrateRobotWizard(robot, connect, { ask: (q) => rl.question(`${q} `), log: (l) => console.log(l), pwm_permille: args.pwm });
    }
    writeCalibration(out, calibration);
    console.log(`wrote ${out} (${Object.keys(calibration.joints).length} joints, wiring ${calibration.wiring_hash}); the previous file, if any, is ${out}.bak`);
    return 0;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }
}
