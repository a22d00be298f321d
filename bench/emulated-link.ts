// Bench helpers: a host session on an in-thread emulated node (emulated time pumped by hand), a byte-counting transport,
// and the 4-motor load wiring of the CPU-budget benchmark.
import { loadBoard, type Board } from '../host/hw/board.ts';
import { NodeSchema, loadRobot, type NodeWiring } from '../host/hw/robot.ts';
import { McuSession } from '../host/link/session.ts';
import type { Transport } from '../host/link/transport.ts';
import { CONSTANTS } from '../host/protocol/messages.ts';
import { loadFirmware, ensureFirmware, FIRMWARE_HEX } from '../host/emulator/firmware.ts';
import { EmulatedNode } from '../host/emulator/node.ts';

/** Counts bytes each way through any transport. */
export class CountingTransport implements Transport {
  downBytes = 0;
  upBytes = 0;
  /** While true, writes are swallowed: the host has gone silent (watchdog benchmark). */
  silent = false;
  constructor(private readonly inner: Transport) {}
  get name() { return this.inner.name; }
  get isOpen() { return this.inner.isOpen; }
  open() { return this.inner.open(); }
  close() { return this.inner.close(); }
  write(bytes: Uint8Array) {
    if (this.silent) return;
    this.downBytes += bytes.length;
    this.inner.write(bytes);
  }
  onData(l: (b: Uint8Array) => void) { this.inner.onData((b) => { this.upBytes += b.length; l(b); }); }
  onClose(l: (e?: Error) => void) { this.inner.onClose(l); }
}

/**
 * Four DC motors on one Uno, PWM+DIR drivers (one direction pin each), encoders on pin-change pins:
 * the heaviest load the firmware supports, for the CPU budget.
 */
export function fourMotorWiring(telemetry_hz: number): NodeWiring {
  const ref = loadRobot().nodes.find((n) => n.id === 'base')!.motors[0]!;
  const pins = [
    { pwm: 'D3', in1: 'D4', enc_a: 'D2', enc_b: 'A0' },
    { pwm: 'D5', in1: 'D7', enc_a: 'D8', enc_b: 'A1' },
    { pwm: 'D6', in1: 'D12', enc_a: 'D9', enc_b: 'A2' },
    { pwm: 'D11', in1: 'D13', enc_a: 'D10', enc_b: 'A3' },
  ];
  return NodeSchema.parse({
    id: 'load4',
    board: 'sim-uno',
    telemetry_hz,
    motors: pins.map((p, index) => ({ ...ref, ...p, index, in2: null, joint: `m${index}`, driver: { part: 'DRV8871', channel: 'A' } })),
  });
}

export interface InThread {
  node: EmulatedNode;
  board: Board;
  session: McuSession;
  link: CountingTransport;
  /** Run emulated time in 1 ms steps, calling `each` after every step and yielding to the event loop between. */
  run(ms: number, each?: () => void): Promise<void>;
  /** Keep emulated time moving until `p` settles (the session's awaits need the MCU to run). */
  during<T>(p: Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Boot `wiring` on an in-thread emulated Uno and connect + arm a real McuSession to it. */
export async function connectInThread(wiring: NodeWiring): Promise<InThread> {
  const board = loadBoard('sim-uno');
  const node = new EmulatedNode({ wiring, board, flash: loadFirmware(ensureFirmware(FIRMWARE_HEX)) });
  const link = new CountingTransport(node.transport);
  const session = new McuSession({ transport: link, node: wiring, board, reconnect: false });
  const during = async <T>(p: Promise<T>): Promise<T> => {
    let pumping = true;
    const pump = (async () => {
      while (pumping) {
        node.runFor(1);
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      return await p;
    } finally {
      pumping = false;
      await pump;
    }
  };
  await during(session.connect());
  await during(session.arm());
  const run = async (ms: number, each?: () => void) => {
    for (let i = 0; i < ms; i++) {
      node.runFor(1);
      each?.();
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
  };
  return { node, board, session, link, run, during, close: () => during(session.close()) };
}

/** Bytes each way over `seconds` of emulated time with telemetry and a set_motors stream at the given rates. */
export async function measureEmulatedLinkBytes(o: { telemetryHz: number; statusDiv: number; setpointHz: number; seconds: number }) {
  const t = await connectInThread(fourMotorWiring(o.telemetryHz));
  await t.during(t.session.command('config_link', { watchdog_ms: 100, telemetry_hz: o.telemetryHz, status_div: o.statusDiv }));
  await t.run(50);
  const lost0 = t.session.stats().telemetry.telemetryLost;
  const frames0 = t.session.stats().telemetry.telemetryFrames;
  t.link.downBytes = t.link.upBytes = 0;
  const V = CONSTANTS.MODE.VELOCITY;
  let k = 0;
  await t.run(o.seconds * 1000, () => {
    if ((k++ * o.setpointHz) % 1000 < o.setpointHz) t.session.setMotors([V, V, V, V], [500, -500, 800, -800]);
  });
  const st = t.session.stats().telemetry;
  const r = { seconds: o.seconds, downBytes: t.link.downBytes, upBytes: t.link.upBytes, telemetryFrames: st.telemetryFrames - frames0, telemetryLost: st.telemetryLost - lost0 };
  await t.close();
  return r;
}
