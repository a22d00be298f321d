// Test child process for host-kill.test.ts: a host that drives the reference arm node over a serial port (a pty the
// test bridges to the emulated Uno): connect, arm, then motors back and forth at 200 Hz and the gripper servo moving.
// Prints "MOVING" once setpoints flow; runs until killed.
import { McuSession } from '../../host/link/session.ts';
import { SerialTransport } from '../../host/link/serial.ts';
import { loadBoard } from '../../host/hw/board.ts';
import { loadRobot } from '../../host/hw/robot.ts';
import { CONSTANTS } from '../../host/protocol/messages.ts';

const [port, watchdog] = process.argv.slice(2);
if (!port || !watchdog) throw new Error('usage: host-child.ts <serial port> <watchdog_ms>');
const node = { ...loadRobot().nodes.find((n) => n.id === 'arm')!, watchdog_ms: Number(watchdog) };
const board = loadBoard(node.board);
const s = new McuSession({ transport: SerialTransport.forBoard(port, board), node, board, log: (l) => console.error(l) });
await s.connect();
await s.arm();
// A loaded machine can stall this process past the window before the kill: the test needs motion, so re-arm (logged).
s.on('faults', (now) => {
  if (now & CONSTANTS.FAULT.WATCHDOG_TRIPPED) void s.arm('host-child (a test host that must keep moving)').catch(() => undefined);
});
const PWM = CONSTANTS.MODE.PWM;
let k = 0;
setInterval(() => {
  // Reverse every 150 ms: the joints swing without reaching their limit switches.
  const v = Math.floor(k++ / 30) % 2 ? -400 : 400;
  s.setMotors([PWM, PWM], [v, -v]);
  if (k % 20 === 0) void s.command('set_servo', { index: 0, pulse_us: 1200 + (k % 600) }).catch(() => undefined);
}, 5);
setTimeout(() => console.log('MOVING'), 300);
