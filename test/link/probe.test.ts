// probePort: which firmware is on a port, without configuring it (used by `ganglion doctor`).
import t from 'tap';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { PROTO_HASH } from '../../host/protocol/messages.gen.ts';
import { SerialTransport } from '../../host/link/serial.ts';
import { probePort } from '../../host/link/probe.ts';
import { describeIdentity } from '../../host/link/identity.ts';
import { loadBoard } from '../../host/hw/board.ts';
import { silentPty, startMcu } from './helpers/posix.ts';

const uno = loadBoard('uno');

t.test('the posix firmware answers with its identity; the port is closed again', async (t) => {
  const mcu = await startMcu(t);
  const tr = SerialTransport.forBoard(mcu.ptyPath!, uno);
  const r = await probePort(tr, 1500);
  t.ok(r, 'answered');
  t.equal(r!.proto_hash, PROTO_HASH);
  t.equal(r!.mcu, CONSTANTS.MCU.POSIX);
  t.equal(r!.compatible, true);
  t.notOk(tr.isOpen, 'probe closes what it opened');
  t.match(describeIdentity(r!, PROTO_HASH), /^Ganglion firmware 0\.1, protocol 0x[0-9a-f]{8} \(matches this host\), posix, no node id stored$/);
});

t.test('nothing that speaks the protocol -> null', async (t) => {
  const tr = SerialTransport.forBoard(await silentPty(t), uno);
  t.equal(await probePort(tr, 400), null);
});
