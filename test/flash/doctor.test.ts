// `ganglion doctor`: identifies the posix firmware on its pty, explains a missing port, and marks each problem with a hint.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { identityItem, main as doctorMain } from '../../host/cli/doctor.ts';
import { renderChecklist, hasFailures } from '../../host/flash/checklist.ts';
import { dialoutCheck, findPorts, portAccess } from '../../host/flash/ports.ts';
import { nodeCheck } from '../../host/flash/toolchain.ts';
import { PosixMcu } from '../../host/link/posix-mcu.ts';
import type { ProbeResult } from '../../host/link/probe.ts';
import { PROTO_HASH } from '../../host/protocol/messages.gen.ts';
import { CONSTANTS } from '../../host/protocol/messages.ts';

const HASH = `0x${PROTO_HASH.toString(16).toUpperCase().padStart(8, '0')}`;

t.test('doctor identifies the posix firmware on its pty and explains a missing port', async (t) => {
  const mcu = new PosixMcu();
  const pty = await mcu.start();
  t.teardown(() => mcu.stop());
  const out = t.capture(process.stdout, 'write');
  const code = await doctorMain(['--port', pty, '--port', '/dev/ttyNOPE0', '--probe-ms', '3000']);
  const text = out().map((c) => String(c.args[0])).join('');
  t.equal(code, 1, 'a missing port is a failure');
  t.match(text, `port ${pty}`);
  t.match(text, `[ ok ] ${pty} exists and is readable and writable`);
  t.match(text, `Ganglion firmware ${CONSTANTS.FW_VERSION.MAJOR}.${CONSTANTS.FW_VERSION.MINOR} on posix`);
  t.match(text, `protocol hash ${HASH} matches this host`);
  t.match(text, '[FAIL] /dev/ttyNOPE0 does not exist\n         -> plug the board in');
  t.match(text, /toolchain\n {2}\[ ok \] node \d+/);
  t.match(text, /\d+ failures?, \d+ warnings?\n$/);
});

const reply = (over: Partial<ProbeResult>): ProbeResult => ({
  fw_major: 0, fw_minor: 1, proto_hash: PROTO_HASH, mcu: CONSTANTS.MCU.ATMEGA328P, caps: 0, max_motors: 4, max_servos: 4,
  rx_buffer_bytes: 128, node_id: [98, 97, 115, 101, 0, 0, 0, 0], nodeId: 'base', compatible: true, ...over,
});

t.test('identity: match, mismatch, silence', async (t) => {
  t.same(identityItem('/dev/ttyUSB0', reply({})), { mark: 'ok', text: `Ganglion firmware 0.1 on atmega328p, node "base"; protocol hash ${HASH} matches this host` });
  const old = identityItem('/dev/ttyUSB0', reply({ proto_hash: 0x1234, compatible: false }));
  t.equal(old.mark, 'fail');
  t.match(old.text, `protocol hash 0x00001234 differs from this host's ${HASH}`);
  t.equal(old.hint, 'reflash it with this checkout\'s firmware: ganglion flash --board <board> --port /dev/ttyUSB0');
  const none = identityItem('/dev/ttyACM0', null);
  t.equal(none.mark, 'warn');
  t.match(none.hint, 'ganglion flash --board <uno|nano|mega2560> --port /dev/ttyACM0');
});

t.test('dialout group membership', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gng-doctor-'));
  const groups = path.join(dir, 'group');
  writeFileSync(groups, 'root:x:0:\ndialout:x:20:alice\n');
  t.same(dialoutCheck([20], groups, false), { mark: 'ok', text: 'this user is in the dialout group' });
  const out = dialoutCheck([100], groups, false);
  t.equal(out.mark, 'warn');
  t.match(out.hint, 'sudo usermod -aG dialout $USER');
  t.equal(dialoutCheck([100], groups, true).mark, 'ok', 'root may open any port');
  writeFileSync(groups, 'root:x:0:\n');
  t.equal(dialoutCheck([0], groups, false).mark, 'warn');
});

t.test('port discovery: /dev scan plus the ports asked for, no duplicates', async (t) => {
  const dev = t.testdir({ ttyUSB0: '', ttyACM3: '', ttyS0: '', null: '' });
  const ports = (await findPorts(['/dev/custom', `${dev}/ttyUSB0`], dev)).map((p) => p.path);
  t.ok(ports.includes(`${dev}/ttyUSB0`) && ports.includes(`${dev}/ttyACM3`) && ports.includes('/dev/custom'));
  t.notOk(ports.includes(`${dev}/ttyS0`) || ports.includes(`${dev}/null`));
  t.equal(ports.filter((p) => p === `${dev}/ttyUSB0`).length, 1);
});

t.test('port access and the checklist', async (t) => {
  t.equal(portAccess('/dev/null', false)[0]!.mark, 'ok');
  t.equal(portAccess('/dev/ttyNOPE0', false)[0]!.mark, 'fail');
  t.equal(nodeCheck('18.19.0').mark, 'fail');
  t.equal(nodeCheck('20.0.0').mark, 'ok');
  const sections = [{ title: 'x', items: [{ mark: 'ok' as const, text: 'fine' }, { mark: 'warn' as const, text: 'meh', hint: 'do this' }] }];
  t.equal(renderChecklist(sections), 'x\n  [ ok ] fine\n  [warn] meh\n         -> do this\n\n0 failures, 1 warning\n');
  t.notOk(hasFailures(sections), 'warnings alone do not fail');
});
