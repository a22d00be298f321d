// The bridge's link payload names a Firmata node's board kind and carries its last-state warning (a real FirmataNode's stats).
import t from 'tap';
import { linkPayload } from '../../host/bridge/payloads.ts';
import { LinkPayload } from '../../host/bridge/topics.ts';
import { LAST_STATE_WARNING } from '../../host/firmata/deadman.ts';
import { FirmataNode } from '../../host/firmata/node.ts';
import { bootAndConnect } from './boot.ts';

t.test('link payload: board_kind firmata with the warning; Ganglion nodes say ganglion and carry none', async (t) => {
  const b = await bootAndConnect();
  t.teardown(() => b.stop());
  const fir = new FirmataNode({ conn: b.conn, wiring: b.wiring, board: b.board, log: () => {} });
  t.teardown(() => fir.deadman.stop());
  const ganglionStats = { ...fir.stats(), board_kind: undefined, warning: undefined };
  const p = LinkPayload.parse(linkPayload('r1', { fir: fir.stats(), base: ganglionStats }));
  t.equal(p.nodes['fir']!.board_kind, 'firmata');
  t.equal(p.nodes['fir']!.warning, LAST_STATE_WARNING);
  t.equal(p.nodes['fir']!.armed, false, 'disarmed until arm()');
  t.equal(p.nodes['base']!.board_kind, 'ganglion');
  t.notOk('warning' in p.nodes['base']!, 'no warning for Ganglion firmware');
  await fir.arm();
  t.equal(LinkPayload.parse(linkPayload('r1', { fir: fir.stats() })).nodes['fir']!.armed, true, 'armed after arm()');
});

t.teardown(() => setTimeout(() => process.exit(), 50));
