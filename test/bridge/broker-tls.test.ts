// The embedded broker with TLS configured means TLS only: no plain listener (unless the 127.0.0.1 one is asked for), mqtts and wss with the right CA, a bad certificate or CA refused.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startEmbeddedBroker, type BrokerTls } from '../../host/bridge/broker.ts';
import { connackCode, freePort, Peer, PASSWORDS, selfSignedCert, tempDir, testUsers } from './helpers.ts';

const users = await testUsers(['ref']);
const ROBOT_CRED = { username: 'runtime', password: 'in-memory-secret', robots: ['ref'] };
const dir = tempDir(t);
const { key, cert } = selfSignedCert(dir);
const ca = readFileSync(cert);
const otherCa = readFileSync(selfSignedCert(tempDir(t)).cert); // a CA nobody here signed the broker's certificate with

async function tlsBroker(t: Test, tls: Partial<BrokerTls> = {}, o: { host?: string; tcp_port?: number } = {}) {
  const logs: string[] = [];
  const b = await startEmbeddedBroker({ users, robot_credentials: [ROBOT_CRED], ...o, tls: { key: readFileSync(key), cert: ca, ...tls }, log: (l) => logs.push(l) });
  t.teardown(() => b.close());
  return { b, logs };
}
async function peer(t: Test, url: string, user: string, pw: string, o = {}) {
  const p = await Peer.connect(url, user, pw, o);
  t.teardown(() => p.end());
  return p;
}
/** What a plain TCP connect to host:port gets: 'connected' or the error code (ECONNREFUSED). */
const tcpConnect = (port: number, host = '127.0.0.1') =>
  new Promise<string>((r) => {
    const s = netConnect(port, host);
    s.once('connect', () => (s.destroy(), r('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message));
  });
/** A connect attempt that gives up when the connection closes: 'CONNACK 0' when in, else the error (TLS, socket, refused login). */
const refusal = (url: string, o: object) =>
  mqtt.connectAsync(url, { protocolVersion: 5, connectTimeout: 3000, reconnectPeriod: 0, ...o }, false).then(
    (c) => (c.end(true), 'CONNACK 0'),
    (e: Error & { code?: unknown }) => (typeof e.code === 'number' ? `CONNACK ${e.code}` : e.message),
  );

t.test('TLS configured: no plain listener at all; the URLs are mqtts:// and wss://', async (t) => {
  const wouldBePlain = await freePort();
  const { b, logs } = await tlsBroker(t, {}, { tcp_port: wouldBePlain });
  t.equal(b.tcpUrl, null, 'no mqtt:// URL');
  t.equal(b.ports.tcp, null);
  t.match(b.mqttsUrl, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
  t.match(b.wsUrl, /^wss:\/\/127\.0\.0\.1:\d+$/, 'the WebSocket listener is wss');
  t.equal(b.url, b.mqttsUrl, 'clients are pointed at mqtts');
  t.equal(await tcpConnect(wouldBePlain), 'ECONNREFUSED', 'plain TCP on the MQTT port asked for: refused');
  t.not(await refusal(`mqtt://127.0.0.1:${b.ports.tls}`, { username: 'view', password: PASSWORDS.view }), 'CONNACK 0', 'plain MQTT spoken to the TLS port does not log in');
  t.not(await refusal(`ws://127.0.0.1:${b.ports.ws}`, { username: 'view', password: PASSWORDS.view }), 'CONNACK 0', 'plain ws:// to the wss port does not log in');
  t.match(logs.join('\n'), /broker: TLS handshake from 127\.0\.0\.1 refused/, 'the broker says a plain client knocked on its TLS port');
});

t.test('mqtts and wss with the right CA: log in, the ACL applies, messages flow both ways', async (t) => {
  const { b } = await tlsBroker(t);
  const tlsOpts = { ca, rejectUnauthorized: true };
  const robot = await peer(t, b.mqttsUrl, 'runtime', ROBOT_CRED.password, tlsOpts);
  await robot.sub('ganglion/ref/cmd/+');
  const view = await peer(t, b.wsUrl!, 'view', PASSWORDS.view, tlsOpts);
  await view.sub('ganglion/ref/#');
  const op = await peer(t, b.wsUrl!, 'op', PASSWORDS.op, tlsOpts);
  await robot.client.publishAsync('ganglion/ref/telemetry/base', '{"n":1}', { qos: 1 });
  t.equal((await view.next((m) => m.topic === 'ganglion/ref/telemetry/base')).payload.toString(), '{"n":1}', 'mqtts -> wss');
  await op.client.publishAsync('ganglion/ref/cmd/cancel', '{"reason":"over wss"}', { qos: 1 });
  t.equal((await robot.next((m) => m.topic === 'ganglion/ref/cmd/cancel')).payload.toString(), '{"reason":"over wss"}', 'wss -> mqtts');
  await t.rejects(view.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 }), /Not authorized/, 'the role ACL still applies over wss');
  t.equal(await connackCode(b.wsUrl!, { protocolVersion: 5, username: 'view', password: 'wrong', ...tlsOpts }), 0x87, 'and the password check');
});

t.test('a bad certificate or CA is refused, on mqtts and on wss', async (t) => {
  const { b } = await tlsBroker(t);
  const login = { username: 'op', password: PASSWORDS.op, rejectUnauthorized: true };
  for (const url of [b.mqttsUrl, b.wsUrl!]) {
    const scheme = url.split(':')[0];
    t.match(await refusal(url, { ...login, ca: otherCa }), /self[- ]signed|certificate|verify/i, `${scheme}: a CA that did not sign the broker's certificate`);
    t.match(await refusal(url, login), /self[- ]signed|certificate|verify/i, `${scheme}: no CA given (only the system's)`);
  }
  // A certificate the client's CA did sign, but for another host: the name check refuses it.
  const elsewhere = join(tempDir(t), 'elsewhere');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${elsewhere}.key`, '-out', `${elsewhere}.pem`,
    '-days', '1', '-subj', '/CN=elsewhere.example', '-addext', 'subjectAltName=DNS:elsewhere.example',
  ], { stdio: 'ignore' });
  const wrongName = await tlsBroker(t, { key: readFileSync(`${elsewhere}.key`), cert: readFileSync(`${elsewhere}.pem`) });
  t.match(await refusal(wrongName.b.mqttsUrl, { ...login, ca: readFileSync(`${elsewhere}.pem`) }), /altnames|does not match|Hostname/i,
    'a certificate for another host name: refused');
});

t.test('allow_plain_localhost: a plain MQTT listener on 127.0.0.1 only, beside TLS on the configured interface', async (t) => {
  const { b } = await tlsBroker(t, { allow_plain_localhost: true }, { host: '0.0.0.0' });
  t.match(b.tcpUrl, /^mqtt:\/\/127\.0\.0\.1:\d+$/, 'the plain listener is on loopback whatever the host');
  t.match(b.mqttsUrl, /^mqtts:\/\/127\.0\.0\.1:\d+$/, 'a wildcard bind is dialled on loopback by this machine\'s clients');
  t.equal(await connackCode(b.tcpUrl!, { protocolVersion: 5, username: 'view', password: PASSWORDS.view }), 0, 'a client on this machine logs in over plain MQTT');
  const lan = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (lan) {
    t.equal(await tcpConnect(b.ports.tcp!, lan), 'ECONNREFUSED', `the plain port is closed on the LAN address ${lan}`);
    t.equal(await tcpConnect(b.ports.tls, lan), 'connected', `while TLS is open there (${lan})`);
  } else {
    t.comment('no non-loopback IPv4 address on this machine: the LAN-side check of the plain port is not possible here');
  }
});

t.test('a non-loopback host without TLS: refused with the reason and the fix, nothing listens', async (t) => {
  const port = await freePort();
  for (const host of ['0.0.0.0', '::', '192.0.2.7', 'robot.lan']) {
    await t.rejects(startEmbeddedBroker({ users, host, tcp_port: port, ws_port: null }), /embedded broker: host \S+ is not a loopback address: plain MQTT there would carry the passwords in clear text, so it is served TLS only; give --tls-cert FILE --tls-key FILE/, `${host}: refused`);
  }
  await t.rejects(startEmbeddedBroker({ users, host: 'bad host!', ws_port: null, tls: { key: readFileSync(key), cert: ca } }), /host "bad host!": not an IP address or host name/);
  t.equal(await tcpConnect(port), 'ECONNREFUSED', 'nothing was left listening');
  const local = await startEmbeddedBroker({ users, host: '127.0.0.1', tcp_port: 0, ws_port: null });
  t.teardown(() => local.close());
  t.match(local.tcpUrl, /^mqtt:\/\/127\.0\.0\.1:/, 'loopback stays plain, as before');
});
