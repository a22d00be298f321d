// `ganglion run` for a robot on Firmata boards: the last-state warning once, the host deadman's process hooks, a motion demo.
import { loadBoard } from '../hw/board.ts';
import type { Robot } from '../hw/robot.ts';
import { connectFirmata } from '../firmata/connect.ts';
import { lastStateWarning } from '../firmata/deadman.ts';
import { FirmataNode } from '../firmata/node.ts';
import { SerialTransport } from '../link/serial.ts';
import { CONSTANTS } from '../protocol/messages.ts';
import { checkNodePorts } from './node-ports.ts';

export interface FirmataRunOptions {
  ports: Map<string, string>;
  durationS: number | null;
  reportS: number;
  /** [Hz] the host loop: it commands the outputs and kicks each node's deadman. */
  rateHz: number;
  log: (line: string) => void;
}

/** True when every node of the robot is on a Firmata board (a mixed robot starts like any other: boot/links.ts). */
export function onlyFirmata(robot: Robot): boolean {
  return robot.nodes.every((n) => loadBoard(n.board).kind === 'firmata');
}

/** [s] one sweep of every servo from min to max and back; motors change direction at the same period. */
const SWEEP_PERIOD_S = 4;
/** The motion demo's share of each motor's max_pwm_permille. */
const DEMO_DUTY = 0.3;

/** Where the motion demo puts each output at `t_s`: servos sweep their whole range, motors at DEMO_DUTY forward/back. */
function demoSetpoint(node: FirmataNode, t_s: number): { servoUs: Map<number, number>; motorPermille: number[] } {
  const phase = (t_s % SWEEP_PERIOD_S) / SWEEP_PERIOD_S;
  const tri = phase < 0.5 ? phase * 2 : 2 - phase * 2;
  const servoUs = new Map(node.o.wiring.servos.map((s) => [s.index, Math.round(s.min_us + tri * (s.max_us - s.min_us))]));
  const motorPermille: number[] = [];
  for (const m of node.o.wiring.open_motors) motorPermille[m.index] = Math.round((phase < 0.5 ? 1 : -1) * DEMO_DUTY * m.max_pwm_permille);
  return { servoUs, motorPermille };
}

function reportLine(id: string, n: FirmataNode): string {
  const st = n.mcuState!;
  const servos = n.o.wiring.servos.map((s) => `${s.joint} ${st.servoUs[s.index]} us`).join(', ');
  const motors = n.o.wiring.open_motors.map((m) => `${m.joint} ${st.outPermille[m.index]} permille`).join(', ');
  const analog = n.o.wiring.analog.map((a) => `${a.name} ${((st.analog[a.index]! * 5) / 1023).toFixed(2)} V`).join(', ');
  const inputs = n.o.wiring.inputs.map((i) => `${i.name} ${st.inputs & (1 << i.index) ? 'down' : 'up'}`).join(', ');
  return `[${id}] ${[servos, motors, analog, inputs].filter(Boolean).join('; ')}${n.deadman.tripped ? ` (deadman tripped: ${n.deadman.tripped.reason})` : ''}`;
}

/**
 * Connects every (Firmata) node on its --port, installs the deadman's SIGINT/SIGTERM/uncaught-error hooks, arms, and
 * runs the motion demo until the duration ends. A signal ends the process from the hook, after the safe outputs drained.
 */
export async function runFirmataRobot(robot: Robot, o: FirmataRunOptions): Promise<number> {
  checkNodePorts(robot, o.ports);
  o.log(lastStateWarning('Firmata boards'));
  const nodes = new Map<string, FirmataNode>();
  try {
    for (const wiring of robot.nodes) {
      const board = loadBoard(wiring.board);
      const port = o.ports.get(wiring.id) ?? wiring.port;
      if (!port) throw new Error(`node "${wiring.id}" is on a ${board.id} board but no port is given: add --port ${wiring.id}=/dev/ttyACM0 (see \`ganglion doctor\`)`);
      const conn = await connectFirmata({ transport: SerialTransport.forBoard(port, board), board });
      const node = new FirmataNode({ conn, wiring, board, log: o.log });
      node.on('event', (e) => o.log(`[${wiring.id}] ${e.text}`));
      node.on('mcu_error', (e) => o.log(`[${wiring.id}] refused: ${e.text}`));
      node.installProcessHooks();
      nodes.set(wiring.id, node);
      o.log(`[${wiring.id}] ${port}: ${conn.firmware.name} ${conn.firmware.major}.${conn.firmware.minor}, Firmata protocol ${conn.protocol.major}.${conn.protocol.minor}, host deadman window ${wiring.watchdog_ms} ms`);
    }
    for (const n of nodes.values()) await n.arm();
    o.log(`driving the motion demo at ${o.rateHz} Hz (servos sweep their range, motors at ${DEMO_DUTY * 100}% of their max); Ctrl-C stops${o.durationS ? ` (or after ${o.durationS} s)` : ''}`);
    const t0 = performance.now();
    const tick = setInterval(() => {
      const t_s = (performance.now() - t0) / 1000;
      for (const n of nodes.values()) {
        const sp = demoSetpoint(n, t_s);
        for (const [i, us] of sp.servoUs) n.command('set_servo', { index: i, pulse_us: us }).catch(() => {});
        n.setMotors(sp.motorPermille.map(() => CONSTANTS.MODE.PWM), sp.motorPermille);
        n.kick();
      }
    }, 1000 / o.rateHz);
    const report = setInterval(() => {
      for (const [id, n] of nodes) o.log(reportLine(id, n));
    }, o.reportS * 1000);
    await new Promise<void>((resolve) => {
      if (o.durationS !== null) setTimeout(resolve, o.durationS * 1000);
    });
    clearInterval(tick);
    clearInterval(report);
    o.log('stopping: outputs to their defaults');
    return 0;
  } finally {
    for (const n of nodes.values()) await n.close().catch(() => {});
  }
}
