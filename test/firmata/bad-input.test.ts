// Bad input at connect: Ganglion's firmware on the port, a silent port, another Firmata protocol version; each a clear error.
import t from 'tap';
import { connectFirmata } from '../../host/firmata/connect.ts';
import { loadBoard } from '../../host/hw/board.ts';
import { loadRobot } from '../../host/hw/robot.ts';
import { EmulatedNode } from '../../host/emulator/node.ts';
import { EmulatorTransport } from '../../host/emulator/transport.ts';
import { loadFirmware } from '../../host/emulator/firmware.ts';
import { RealtimePacer } from '../../host/emulator/pacer.ts';

const board = loadBoard('firmata-uno');

t.test("a port where Ganglion's own firmware answers is refused, naming it", async (t) => {
  const wiring = loadRobot().nodes[0]!;
  const node = new EmulatedNode({ wiring, board: loadBoard(wiring.board), flash: loadFirmware() });
  const pacer = new RealtimePacer(node);
  pacer.start();
  t.teardown(() => pacer.stop());
  await t.rejects(connectFirmata({ transport: node.transport, board, timeout_ms: 3000 }), /Ganglion frames.*Ganglion's own firmware.*ganglion flash --board firmata-uno/);
});

t.test('a silent port is refused with what to check', async (t) => {
  // The real silent thing: an emulated Uno with erased flash (no sketch), so nothing ever answers.
  const wiring = { ...loadRobot().nodes[0]!, motors: [], servos: [], analog: [], inputs: [] };
  const node = new EmulatedNode({ wiring, board, flash: new Uint8Array(0x8000).fill(0xff) });
  const pacer = new RealtimePacer(node);
  pacer.start();
  t.teardown(() => pacer.stop());
  await t.rejects(connectFirmata({ transport: node.transport, board, timeout_ms: 1500 }), /is silent: nothing answered the Firmata version query in 1500 ms.*ganglion flash --board firmata-uno/);
});

t.test('a Firmata of another protocol version is refused', async (t) => {
  // No Firmata 3.x firmware exists to run here: a scripted peer answers REPORT_VERSION with 3.0 (a stand-in, said so).
  let peer: ((b: Uint8Array) => void) | null = null;
  const transport = new EmulatorTransport('scripted:firmata3', {
    toMcu: (bytes) => {
      if (bytes.includes(0xf9)) setImmediate(() => peer?.(Uint8Array.from([0xf9, 3, 0])));
    },
    fromMcu: (l) => ((peer = l), () => (peer = null)),
    onFailure: () => () => {},
  });
  await t.rejects(connectFirmata({ transport, board, timeout_ms: 2000 }), /runs Firmata protocol 3\.0; board firmata-uno needs 2\.3 or a later 2\.x/);
});

t.teardown(() => setTimeout(() => process.exit(), 50));
