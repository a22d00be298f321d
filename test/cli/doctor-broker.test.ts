// `ganglion doctor` reads mosquitto's listeners and warns of a plain one that is not on loopback; what it reads is checked against the real mosquitto.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { networkInterfaces, userInfo } from 'node:os';
import { join } from 'node:path';
import { brokerSection, main as doctorMain } from '../../host/cli/doctor.ts';
import { brokerConfigMain } from '../../host/cli/broker-config.ts';
import { mosquittoListeners } from '../../host/bridge/mosquitto-listeners.ts';
import { freePort, selfSignedCert, startMosquitto, tempDir } from '../bridge/helpers.ts';

const dir = tempDir(t, 'ganglion-doctor-');
const usersFile = join(dir, 'users.json');
process.env.GANGLION_PASSWORD = 'operator-pw';
await brokerConfigMain(['--users', usersFile, '--add-user', 'op', '--role', 'operator'], () => {});
delete process.env.GANGLION_PASSWORD;
const runAs = userInfo().uid === 0 ? ['--run-as', 'root'] : [];
const lan = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
const tcpConnect = (port: number, host: string) =>
  new Promise<string>((r) => {
    const s = netConnect(port, host);
    s.once('connect', () => (s.destroy(), r('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message));
  });
const conf = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

t.test('broker-config --host 0.0.0.0 without TLS: doctor warns, and mosquitto does answer on the LAN', async (t) => {
  const port = await freePort();
  const out = join(dir, 'plain');
  await brokerConfigMain(['--users', usersFile, '--out', out, '--host', '0.0.0.0', '--port', String(port), '--ws-port', 'none', ...runAs], () => {});
  const file = join(out, 'mosquitto.conf');
  const items = brokerSection(file).items;
  t.equal(items.length, 1);
  t.equal(items[0]!.mark, 'warn');
  t.match(items[0]!.text, new RegExp(`plain MQTT listener on 0\\.0\\.0\\.0:${port} \\(${file}:\\d+\\): passwords cross the network in clear text`));
  t.match(items[0]!.hint, /--tls-cert C --tls-key K/);
  const mosq = await startMosquitto(file, port);
  t.teardown(() => mosq.stop());
  if (lan) t.equal(await tcpConnect(port, lan), 'connected', `what doctor warns of is real: the plain port answers on ${lan}`);
  else t.comment('no non-loopback IPv4 address here: the LAN-side check is not possible');
});

t.test('broker-config with TLS and --allow-plain-localhost: no warning (TLS on the LAN, plain on 127.0.0.1 only, as mosquitto binds it)', async (t) => {
  const [plain, tls] = [await freePort(), await freePort()];
  const { key, cert } = selfSignedCert(dir);
  const out = join(dir, 'tls');
  await brokerConfigMain(['--users', usersFile, '--out', out, '--host', '0.0.0.0', '--port', String(plain), '--ws-port', 'none', '--tls-cert', cert, '--tls-key', key, '--tls-port', String(tls), '--allow-plain-localhost', ...runAs], () => {});
  const file = join(out, 'mosquitto.conf');
  const items = brokerSection(file).items;
  t.same(items.map((i) => i.mark), ['ok', 'ok']);
  t.match(items[0]!.text, `TLS listener on 0.0.0.0:${tls}`);
  t.match(items[1]!.text, `plain listener on 127.0.0.1:${plain}`);
  t.match(items[1]!.text, /this machine only/);
  const mosq = await startMosquitto(file, plain);
  t.teardown(() => mosq.stop());
  if (lan) {
    t.equal(await tcpConnect(plain, lan), 'ECONNREFUSED', `the plain port is closed on ${lan}`);
    t.equal(await tcpConnect(tls, lan), 'connected', `TLS answers on ${lan}`);
  } else t.comment('no non-loopback IPv4 address here: the LAN-side check is not possible');
});

t.test('hand-written configurations: no address means every interface, the default listener, include_dir, certfile per listener, local-only mode', async (t) => {
  const port = await freePort();
  const noAddr = conf('noaddr.conf', `allow_anonymous true\nlistener ${port}\n`);
  t.same(mosquittoListeners(noAddr), [{ file: noAddr, line: 2, port, address: null, tls: false }]);
  t.equal(brokerSection(noAddr).items[0]!.mark, 'warn');
  t.match(brokerSection(noAddr).items[0]!.text, `plain MQTT listener on every interface:${port}`);
  const mosq = await startMosquitto(noAddr, port);
  t.teardown(() => mosq.stop());
  if (lan) t.equal(await tcpConnect(port, lan), 'connected', `mosquitto agrees: a listener without an address answers on ${lan}`);

  t.same(mosquittoListeners(conf('empty.conf', '# nothing\npersistence false\n')).map((l) => [l.address, l.port]), [['127.0.0.1', 1883]], "no listener: mosquitto 2's local-only mode");
  t.equal(brokerSection(join(dir, 'empty.conf')).items[0]!.mark, 'ok');
  t.same(mosquittoListeners(conf('default.conf', 'port 1884\n')).map((l) => [l.address, l.port, l.tls]), [[null, 1884, false]], 'the deprecated default listener');
  t.same(mosquittoListeners(conf('bound.conf', 'bind_address 127.0.0.1\nport 1885\n')).map((l) => [l.address, l.port]), [['127.0.0.1', 1885]]);

  const d = join(dir, 'conf.d');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'b-lan.conf'), '# plain on the LAN\nlistener 1883 0.0.0.0\n');
  writeFileSync(join(d, 'a-tls.conf'), 'listener 8883 0.0.0.0\ncertfile /x/cert.pem\nkeyfile /x/key.pem\n');
  writeFileSync(join(d, 'c-sock.conf'), 'listener 0 /run/mosquitto.sock\n');
  writeFileSync(join(d, 'ignored.txt'), 'listener 9999 0.0.0.0\n');
  const main = conf('main.conf', `include_dir ${d}\n`);
  const items = brokerSection(main).items;
  t.same(items.map((i) => i.mark), ['ok', 'warn', 'ok'], 'TLS, plain on the LAN, a unix socket; only *.conf in sorted order');
  t.match(items[1]!.text, `${join(d, 'b-lan.conf')}:2`, 'the warning names the included file and line');

  t.equal(brokerSection(join(dir, 'nope.conf')).items[0]!.mark, 'fail', 'a file that does not exist');
});

t.test('ganglion doctor --mosquitto-conf prints the warning with its hint', async (t) => {
  const file = conf('lan.conf', 'listener 1883 192.0.2.10\n');
  const out = t.capture(process.stdout, 'write');
  await doctorMain(['--port', '/dev/ttyNOPE0', '--probe-ms', '100', '--mosquitto-conf', file]);
  const text = out().map((c) => String(c.args[0])).join('');
  t.match(text, `broker ${file}\n  [warn] plain MQTT listener on 192.0.2.10:1883 (${file}:1): passwords cross the network in clear text\n         -> make it TLS`);
});
