// `ganglion doctor` on a port where StandardFirmata (the real hex in avr8js, on a pty) answers: found at 57600, with the warning.
import t from 'tap';
import { main as doctorMain } from '../../host/cli/doctor.ts';
import { LAST_STATE_WARNING } from '../../host/firmata/deadman.ts';
import { bootFirmataNode } from './boot.ts';
import { boardOnPty } from './pty.ts';

t.test('doctor finds StandardFirmata at 57600 and says the last-state warning once', async (t) => {
  const b = bootFirmataNode();
  t.teardown(() => b.stop());
  const pair = await boardOnPty(t, b);
  const out = t.capture(process.stdout, 'write');
  await doctorMain(['--port', pair.host, '--probe-ms', '8000']);
  out.restore();
  const said = out().map((c) => String(c.args[0])).join('');
  t.match(said, /StandardFirmata \(Firmata protocol 2\.\d+\) answers at 57600 baud: use board "firmata-uno"/);
  t.equal(said.split(LAST_STATE_WARNING).length - 1, 1, 'the last-state warning, once');
  t.notMatch(said, 'no Ganglion firmware answered', 'not reported as a silent port');
});

t.teardown(() => setTimeout(() => process.exit(), 50));
